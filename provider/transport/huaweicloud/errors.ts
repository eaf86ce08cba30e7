/**
 * Mapping Huawei Cloud error responses to {@link CredentialsError}.
 *
 * Two body shapes exist: BMS service errors `{"error":{"code":"BMS.xxxx","message":…}}` and API-gateway errors
 * `{"error_code":"APIGW.xxxx","error_msg":…,"request_id":…}` (some services use `errorCode`/`errorMessage`). Pure.
 */

import { CredentialsError, type ErrorCode } from "../../shared/errors";

/** What an error response carried, after parsing either shape. */
export interface HuaweiErrorBody {
    code?: string;
    message?: string;
    requestId?: string;
}

/** Where the failed call went; becomes the error's context. */
export interface CallContext {
    /** Logical API name, e.g. `reset`, `details`. */
    api: string;
    method: string;
    /** Path without host or query. Never contains a secret (ids only). */
    path: string;
    serverId?: string;
    /** Scheme, host and port the call went to (never user info: endpoints with it are refused). */
    endpoint?: string;
    /** Where the credentials came from (`HW_ACCESS_KEY/HW_SECRET_KEY (environment)`), never a value. */
    credentialSource?: string;
}

export function parseErrorBody(body: string): HuaweiErrorBody {
    let parsed: unknown;
    try {
        parsed = JSON.parse(body);
    } catch {
        return {};
    }
    if (!parsed || typeof parsed !== "object") {
        return {};
    }
    const o = parsed as Record<string, unknown>;
    const nested = o.error && typeof o.error === "object" ? (o.error as Record<string, unknown>) : undefined;
    const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
    return {
        code: str(nested?.code) ?? str(o.error_code) ?? str(o.errorCode) ?? str(o.code),
        message: str(nested?.message) ?? str(o.error_msg) ?? str(o.errorMessage) ?? str(o.message),
        requestId: str(o.request_id),
    };
}

/** BMS codes that describe a transient power-state conflict or overload: worth retrying. */
const TRANSIENT_BMS_CODES = new Set(["BMS.0035", "BMS.0036", "BMS.0037", "BMS.0212"]);
/** BMS codes meaning the server is not there. */
const NOT_FOUND_BMS_CODES = new Set(["BMS.0040"]);
/** BMS codes meaning the caller lacks a permission (some arrive as HTTP 400). */
const FORBIDDEN_BMS_CODES = new Set(["BMS.0004", "BMS.0005", "BMS.0033", "BMS.0288"]);

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
    if (!value) {
        return undefined;
    }
    const trimmed = value.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) {
        return Math.round(Number(trimmed) * 1000);
    }
    const at = Date.parse(trimmed);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * Builds the typed error for an HTTP error response. `secrets` are redacted from every text (the server may echo a
 * canonical request or a body fragment).
 */
export function errorFromResponse(
    status: number,
    body: string,
    headers: Readonly<Record<string, string | undefined>>,
    call: CallContext,
    now: Date,
    secrets: readonly unknown[] = [],
    override?: { transient: boolean; hint: string },
): CredentialsError {
    const parsed = parseErrorBody(body);
    const requestId = headers["x-request-id"] ?? parsed.requestId;
    const serviceCode = parsed.code;
    const serverMessage = parsed.message ?? `HTTP ${status}`;
    const retryAfterMs = parseRetryAfter(headers["retry-after"], now);
    const classified = classify(status, serviceCode, serverMessage, call);
    const { code, hint, transient } = override ? { ...classified, ...override } : classified;
    return new CredentialsError(code, {
        message: `${call.method} ${call.api} failed with HTTP ${status}${serviceCode ? ` ${serviceCode}` : ""}: ${serverMessage}`,
        hint,
        transient,
        context: {
            api: call.api,
            serverId: call.serverId,
            ...(code === "HWC_WRONG_ENDPOINT" ? { endpoint: call.endpoint } : {}),
            ...((code === "HWC_AUTH_FAILED" || code === "HWC_FORBIDDEN") && call.credentialSource ? { credentials: call.credentialSource } : {}),
            status,
            serviceCode,
            requestId,
            retryAfterMs,
        },
        secrets,
    });
}

function classify(status: number, serviceCode: string | undefined, message: string, call: CallContext): { code: ErrorCode; hint: string; transient: boolean } {
    const endpoint = call.endpoint;
    const from = call.credentialSource ?? "huaweicloud:accessKey/secretKey or HW_ACCESS_KEY/HW_SECRET_KEY";
    if (status === 401 || serviceCode === "APIGW.0301" || serviceCode === "APIGW.0303") {
        if (/signature expired/i.test(message)) {
            return { code: "HWC_AUTH_FAILED", transient: false, hint: "the request time differs from Huawei Cloud's clock by more than 15 minutes: synchronise this machine's clock (NTP)" };
        }
        if (/not exist/i.test(message)) {
            return { code: "HWC_AUTH_FAILED", transient: false, hint: `the access key from ${from} is unknown: check it (huaweicloud:accessKey / HW_ACCESS_KEY)` };
        }
        if (/token/i.test(message)) {
            return { code: "HWC_AUTH_FAILED", transient: false, hint: `the IAM token or security token from ${from} is invalid or expired: obtain new temporary credentials (a security token given in config, the environment or the shared file cannot be renewed by the provider)` };
        }
        return { code: "HWC_AUTH_FAILED", transient: false, hint: `the signature was rejected: check that the secret key from ${from} belongs to its access key (huaweicloud:secretKey / HW_SECRET_KEY)` };
    }
    if (status === 403 || (serviceCode !== undefined && FORBIDDEN_BMS_CODES.has(serviceCode))) {
        return {
            code: "HWC_FORBIDDEN",
            transient: false,
            hint:
                call.api === "securitytokens"
                    ? `the identity from ${from} may not assume this agency: grant it the Agent Operator role (iam:agencies:assume) and check the agency and account names`
                    : `grant the identity from ${from} the BMS permissions bms:servers:get and bms:servers:resetServerPwd (and the reboot action for restart: hard) in this project`,
        };
    }
    if (status === 429 || serviceCode === "APIGW.0308") {
        return { code: "HWC_RATE_LIMITED", transient: true, hint: "Huawei Cloud throttled the call; it is retried with backoff — if this persists, run fewer deployments in parallel" };
    }
    if (serviceCode !== undefined && NOT_FOUND_BMS_CODES.has(serviceCode)) {
        return { code: "HWC_NOT_FOUND", transient: false, hint: "check serverId and that the server is in this project and region" };
    }
    if (status === 404) {
        // Only the BMS service's own "server does not exist" (above) means the server is gone. Any other 404 — the
        // gateway's APIGW.0101, another service's body, a proxy's page, no body — says the request went to the wrong
        // place, which must never be mistaken for a deleted server.
        const where = endpoint ?? "the endpoint";
        return {
            code: "HWC_WRONG_ENDPOINT",
            transient: false,
            hint:
                serviceCode === "APIGW.0101"
                    ? `the API is not published at ${where}: check region / endpoint (one-click reset may not exist on every site)`
                    : `${where} answered 404 without the BMS service's "server does not exist" (BMS.0040): check region / endpoint / huaweicloud:endpoints.bms point at the BMS service of the server's region`,
        };
    }
    if (serviceCode !== undefined && TRANSIENT_BMS_CODES.has(serviceCode)) {
        return { code: "HWC_SERVER_STATE", transient: true, hint: "the server is changing power state; the call is retried — if this persists, wait for the server to settle" };
    }
    if (serviceCode === "BMS.0605") {
        return { code: "HWC_SERVER_STATE", transient: false, hint: "the server is locked: unlock it in the console, then run `pulumi up` again" };
    }
    if (status >= 500) {
        return { code: "HWC_SERVER_ERROR", transient: true, hint: "Huawei Cloud failed internally; the call is retried — if this persists, check the service health dashboard" };
    }
    return { code: "HWC_BAD_REQUEST", transient: false, hint: "the request was rejected; the message and request id identify the cause for Huawei support" };
}
