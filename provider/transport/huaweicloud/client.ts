/**
 * A small hand-written client for the five BMS APIs (and the IAM project lookup) that `BmsPassword` needs.
 *
 * Every call: takes a token from the shared per-API bucket, signs afresh (the gateway rejects stale signatures), sends
 * with a deadline, maps errors to {@link CredentialsError}, and retries transient failures (429, 5xx, timeouts,
 * dropped connections, power-state conflicts) with jittered backoff that honours `Retry-After`. 401/403 are never
 * retried. The password appears only in the body of the reset PUT and is redacted from everything else.
 */

import { CredentialsError } from "../../shared/errors";
import { redact } from "../../shared/redact";
import { withRetry } from "../../shared/retry";
import type { BmsApi, BucketSet } from "./buckets";
import { errorFromResponse } from "./errors";
import type { CredentialProvider, HuaweiAuth, Lease } from "./credentials";
import { leaseFromBody } from "./credentials";
import type { HttpResponse, HttpTransport } from "./http";
import { signRequest } from "./signer";

export type { HuaweiAuth } from "./credentials";

/** Everything the client touches outside itself, injectable so tests are instant and deterministic. */
export interface ClientRuntime {
    transport: HttpTransport;
    now: () => Date;
    sleep: (ms: number) => Promise<void>;
    random: () => number;
    buckets: BucketSet;
    /** Receives one line per retry; lines are redacted. */
    log: (line: string) => void;
    /** Per-request deadline. */
    timeoutMs: number;
    /** Attempts per call including the first. */
    attempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
}

export interface BmsClientOptions {
    /** Base URL, e.g. `https://bms.cn-north-4.myhuaweicloud.com`. */
    endpoint: string;
    projectId: string;
    /** The credentials of the moment; renewing providers are asked before every attempt. */
    auth: CredentialProvider;
    runtime: ClientRuntime;
    /** Values to redact from every error and log line besides the process-wide registry. */
    secrets?: readonly string[];
}

/** The parts of `GET …/baremetalservers/{id}` the provider uses. */
export interface ServerDetails {
    id: string;
    status: string;
    /** `metadata.os_type`: `"Linux"` or `"Windows"`, absent when the metadata lacks it. */
    osType?: string;
    taskState: string;
    powerState?: number;
    locked: boolean;
    /** `OS-SRV-USG:launched_at`, when the server last booted according to the service. */
    launchedAt?: string;
}

export type JobStatus = "INIT" | "RUNNING" | "SUCCESS" | "FAIL" | string;

export interface JobInfo {
    jobId: string;
    status: JobStatus;
    errorCode?: string;
    failReason?: string;
}

interface CallSpec {
    api: BmsApi;
    method: "GET" | "PUT" | "POST";
    path: string;
    query?: string;
    body?: unknown;
    serverId?: string;
    /** False for calls that must not be repeated when the outcome is unknown (a timed-out reboot may have happened). */
    retryAmbiguous: boolean;
    /** Send `X-Project-Id` (not for the IAM calls). */
    projectHeader: boolean;
}

/** An IAM agency to assume: the delegating account and the agency's name. */
export interface AgencyRequest {
    agencyName: string;
    domainName: string;
    /** 900 to 86400 (IAM's bounds). */
    durationSeconds: number;
}

export class HuaweiClient {
    private readonly endpoint: string;

    constructor(private readonly options: BmsClientOptions) {
        this.endpoint = options.endpoint.replace(/\/+$/, "");
    }

    /** The project every BMS path is under. */
    get projectId(): string {
        return this.options.projectId;
    }

    private get base(): string {
        return `/v1/${encodeURIComponent(this.options.projectId)}`;
    }

    /**
     * Server details, or `undefined` when the server does not exist: the BMS service's own `BMS.0040` error (as 404
     * or 400), or status `DELETED`. Any other 404 fails with `HWC_WRONG_ENDPOINT`: a wrong endpoint or region must
     * not make a refresh forget a real server.
     */
    async getServer(serverId: string): Promise<ServerDetails | undefined> {
        let res: HttpResponse;
        try {
            res = await this.call({ api: "details", method: "GET", path: `${this.base}/baremetalservers/${encodeURIComponent(serverId)}`, serverId, retryAmbiguous: true, projectHeader: true });
        } catch (e) {
            if (e instanceof CredentialsError && e.code === "HWC_NOT_FOUND" && e.context.serviceCode === "BMS.0040") {
                return undefined;
            }
            throw e;
        }
        const server = (parseJson(res.body, "details") as { server?: Record<string, unknown> }).server;
        if (!server || typeof server !== "object") {
            throw malformed("details", "no `server` object");
        }
        const status = typeof server.status === "string" ? server.status : "";
        if (status === "DELETED") {
            return undefined;
        }
        const metadata = (server.metadata && typeof server.metadata === "object" ? server.metadata : {}) as Record<string, unknown>;
        const taskState = server["OS-EXT-STS:task_state"];
        const powerState = server["OS-EXT-STS:power_state"];
        return {
            id: typeof server.id === "string" ? server.id : serverId,
            status,
            osType: typeof metadata.os_type === "string" ? metadata.os_type : undefined,
            taskState: typeof taskState === "string" ? taskState : "",
            powerState: typeof powerState === "number" ? powerState : undefined,
            locked: server.locked === true,
            launchedAt: typeof server["OS-SRV-USG:launched_at"] === "string" ? (server["OS-SRV-USG:launched_at"] as string) : undefined,
        };
    }

    /** Whether one-click reset is supported. The API answers the strings `"True"`/`"False"`; booleans are accepted too. */
    async getResetFlag(serverId: string): Promise<boolean> {
        const res = await this.call({ api: "flag", method: "GET", path: `${this.base}/baremetalservers/${encodeURIComponent(serverId)}/os-resetpwd-flag`, serverId, retryAmbiguous: true, projectHeader: true });
        const flag = (parseJson(res.body, "flag") as { resetpwd_flag?: unknown }).resetpwd_flag;
        if (typeof flag === "boolean") {
            return flag;
        }
        if (typeof flag === "string" && /^(true|false)$/i.test(flag)) {
            return flag.toLowerCase() === "true";
        }
        throw malformed("flag", "`resetpwd_flag` is neither \"True\" nor \"False\"");
    }

    /**
     * One-click reset. Succeeds on 204; the API reports no failure of the in-OS reset, and the password applies only
     * after the next start or restart. Repeating it sets the same password again, so it is safe to retry.
     */
    async resetPassword(serverId: string, password: string): Promise<void> {
        await this.call(
            { api: "reset", method: "PUT", path: `${this.base}/baremetalservers/${encodeURIComponent(serverId)}/os-reset-password`, body: { "reset-password": { new_password: password } }, serverId, retryAmbiguous: true, projectHeader: true },
            [password],
        );
    }

    /** HARD reboot through the batch action API (SOFT is documented as not effective). Returns the job id. */
    async rebootHard(serverId: string): Promise<string> {
        const res = await this.call({ api: "action", method: "POST", path: `${this.base}/baremetalservers/action`, body: { reboot: { type: "HARD", servers: [{ id: serverId }] } }, serverId, retryAmbiguous: false, projectHeader: true });
        const jobId = (parseJson(res.body, "action") as { job_id?: unknown }).job_id;
        if (typeof jobId !== "string" || jobId === "") {
            throw malformed("action", "no `job_id`");
        }
        return jobId;
    }

    async getJob(jobId: string): Promise<JobInfo> {
        const res = await this.call({ api: "jobs", method: "GET", path: `${this.base}/jobs/${encodeURIComponent(jobId)}`, retryAmbiguous: true, projectHeader: true });
        const job = parseJson(res.body, "jobs") as Record<string, unknown>;
        const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
        const status = str(job.status);
        if (!status) {
            throw malformed("jobs", "no `status`");
        }
        return { jobId, status, errorCode: str(job.error_code) ?? str(job.code), failReason: str(job.fail_reason) ?? str(job.message) };
    }

    /** IAM `GET /v3/projects?name={region}`; fails unless exactly one project matches (never creates one). */
    async lookupProjectId(region: string): Promise<string> {
        const res = await this.call({ api: "projects", method: "GET", path: "/v3/projects", query: `name=${encodeURIComponent(region)}`, retryAmbiguous: true, projectHeader: false });
        const projects = (parseJson(res.body, "projects") as { projects?: Array<{ id?: unknown; name?: unknown }> }).projects ?? [];
        const matching = projects.filter((p) => p.name === region && typeof p.id === "string");
        if (matching.length !== 1) {
            throw new CredentialsError("HWC_CREDENTIALS_MISSING", {
                message: `IAM lists ${matching.length} projects named ${region}`,
                hint: "set projectId (input), huaweicloud:projectId (config) or HW_PROJECT_ID — see My Credentials → API Credentials in the console",
                context: { region },
            });
        }
        return matching[0].id as string;
    }

    /**
     * IAM `POST /v3.0/OS-CREDENTIAL/securitytokens` with `assume_role`: the agency's temporary access key, secret key
     * and security token, signed (or token-authenticated) with this client's own credentials.
     */
    async assumeAgency(agency: AgencyRequest): Promise<Lease> {
        const res = await this.call({
            api: "securitytokens",
            method: "POST",
            path: "/v3.0/OS-CREDENTIAL/securitytokens",
            body: { auth: { identity: { methods: ["assume_role"], assume_role: { agency_name: agency.agencyName, domain_name: agency.domainName, duration_seconds: agency.durationSeconds } } } },
            retryAmbiguous: true,
            projectHeader: false,
        });
        return leaseFromBody(res.body, `IAM (agency ${agency.domainName}/${agency.agencyName})`);
    }

    private async call(spec: CallSpec, extraSecrets: readonly string[] = []): Promise<HttpResponse> {
        try {
            return await this.callOnce(spec, extraSecrets);
        } catch (e) {
            // Temporary credentials the provider obtained itself may have been revoked or seen as expired by the
            // gateway's clock: fetch new ones and try once more.
            if (e instanceof CredentialsError && e.code === "HWC_AUTH_FAILED" && this.options.auth.invalidate()) {
                this.options.runtime.log(`huaweicloud: ${spec.method} ${spec.api} was refused with the credentials from ${this.options.auth.source}; fetching new ones`);
                return this.callOnce(spec, extraSecrets);
            }
            throw e;
        }
    }

    private async callOnce(spec: CallSpec, extraSecrets: readonly string[]): Promise<HttpResponse> {
        const rt = this.options.runtime;
        const secrets = [...(this.options.secrets ?? []), ...extraSecrets];
        // Serialise once: the same bytes are hashed and sent.
        const body = spec.body === undefined ? "" : JSON.stringify(spec.body);
        const url = `${this.endpoint}${spec.path}${spec.query ? `?${spec.query}` : ""}`;
        const call = { api: spec.api, method: spec.method, path: spec.path, serverId: spec.serverId, endpoint: this.endpoint, credentialSource: this.options.auth.source };
        return withRetry(
            async () => {
                const wait = rt.buckets[spec.api].reserve(rt.now().getTime());
                if (wait > 0) {
                    await rt.sleep(wait);
                }
                const headers = this.headers(spec, url, body, await this.options.auth.get());
                let res: HttpResponse;
                try {
                    res = await rt.transport({ method: spec.method, url, headers, body, timeoutMs: rt.timeoutMs });
                } catch (e) {
                    throw transportError(e, call, spec.retryAmbiguous, secrets);
                }
                if (res.status >= 200 && res.status < 300) {
                    return res;
                }
                // A 500/502/504 from the action API may come after the reboot was accepted; do not reboot twice.
                const ambiguous = !spec.retryAmbiguous && res.status >= 500 && res.status !== 503;
                throw errorFromResponse(res.status, res.body, res.headers, call, rt.now(), secrets, ambiguous ? AMBIGUOUS : undefined);
            },
            {
                attempts: rt.attempts,
                baseDelayMs: rt.baseDelayMs,
                maxDelayMs: rt.maxDelayMs,
                sleep: rt.sleep,
                random: rt.random,
                isTransient: (e) => e instanceof CredentialsError && e.transient,
                retryAfterMs: (e) => {
                    const v = e instanceof CredentialsError ? e.context.retryAfterMs : undefined;
                    return typeof v === "number" ? v : undefined;
                },
                onRetry: (e, attempt, delay) => rt.log(redact(`huaweicloud: ${spec.method} ${spec.api} attempt ${attempt} failed (${e instanceof Error ? e.message : String(e)}); retrying in ${delay} ms`, secrets)),
            },
        );
    }

    private headers(spec: CallSpec, url: string, body: string, auth: HuaweiAuth): Record<string, string> {
        const base: Record<string, string> = { "Content-Type": "application/json" };
        if (spec.projectHeader) {
            base["X-Project-Id"] = this.options.projectId;
        }
        if (auth.kind === "token") {
            return { ...base, Host: new URL(url).host, "X-Auth-Token": auth.token };
        }
        return signRequest({ method: spec.method, url, headers: base, body }, auth.credentials, this.options.runtime.now()).headers;
    }
}

const AMBIGUOUS = { transient: false, hint: "the request may or may not have been executed: check the server, then run `pulumi up` again" };

function parseJson(body: string, api: string): unknown {
    try {
        const v = JSON.parse(body);
        if (v && typeof v === "object") {
            return v;
        }
    } catch {
        // fall through
    }
    throw malformed(api, "the body is not a JSON object");
}

function malformed(api: string, what: string): CredentialsError {
    return new CredentialsError("HWC_SERVER_ERROR", { message: `unexpected response from ${api}: ${what}`, hint: "check endpoint points at the BMS service (https://bms.{region}.myhuaweicloud.com)", context: { api } });
}

/** Node's codes for a certificate that could not be verified (or a name it does not cover). */
const TLS_VERIFY_CODES = new Set([
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "CERT_HAS_EXPIRED",
    "CERT_NOT_YET_VALID",
    "CERT_UNTRUSTED",
    "CERT_SIGNATURE_FAILURE",
    "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function transportError(e: unknown, call: { api: string; method: string; serverId?: string; endpoint?: string }, retryAmbiguous: boolean, secrets: readonly string[]): CredentialsError {
    const err = (e ?? {}) as { code?: unknown; proxy?: unknown; statusCode?: unknown };
    const code = typeof err.code === "string" ? err.code : undefined;
    const proxy = typeof err.proxy === "string" ? err.proxy : undefined;
    const context = { api: call.api, serverId: call.serverId, errno: code, ...(proxy ? { proxy } : {}) };
    if (code === "ETIMEDOUT") {
        return new CredentialsError("HWC_TIMEOUT", { message: `${call.method} ${call.api} timed out${proxy ? ` (through the proxy ${proxy})` : ""}`, hint: retryAmbiguous ? "retried; if this persists check connectivity to the endpoint" : AMBIGUOUS.hint, transient: retryAmbiguous, context, cause: e, secrets });
    }
    if (code === "EPROXY") {
        const status = typeof err.statusCode === "number" ? err.statusCode : 0;
        return new CredentialsError("HWC_PROXY_FAILED", {
            message: `the proxy ${proxy ?? ""} refused to open a tunnel to ${call.endpoint ?? "the endpoint"} (HTTP ${status})`,
            hint: status === 407 || status === 401 ? "the proxy wants credentials: put them in the proxy URL (http://user:password@host:port), percent-encoded" : status === 403 ? "the proxy does not allow this destination or port: ask its administrator, or list the host in NO_PROXY" : "check the proxy; the request was not sent",
            transient: status >= 500,
            context,
            cause: e,
            secrets,
        });
    }
    if (code !== undefined && TLS_VERIFY_CODES.has(code)) {
        return new CredentialsError("HWC_TLS_FAILED", {
            message: `${call.method} ${call.api}: the certificate of ${call.endpoint ?? "the endpoint"} could not be verified (${code})`,
            hint: "if the endpoint (or a TLS-inspecting proxy) uses a private CA, set huaweicloud:cacertFile (or OS_CACERT) to that CA's PEM file; huaweicloud:insecure: true skips verification (not recommended)",
            context,
            cause: e,
            secrets,
        });
    }
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
        return new CredentialsError("HWC_NETWORK", { message: `cannot resolve ${proxy ? `the proxy ${proxy}` : `the endpoint of ${call.api}`}`, hint: proxy ? "check HTTPS_PROXY / HTTP_PROXY" : "check region / endpoint and DNS", transient: code === "EAI_AGAIN", context, cause: e, secrets });
    }
    // Connection refused happens before anything is sent, so it is safe to retry even for the reboot.
    const safe = code === "ECONNREFUSED" || retryAmbiguous;
    return new CredentialsError("HWC_NETWORK", {
        message: `${call.method} ${call.api} failed: connection error${proxy ? ` (through the proxy ${proxy})` : ""}`,
        hint: safe ? `retried; check connectivity to ${proxy ? "the proxy" : "the endpoint"}` : AMBIGUOUS.hint,
        transient: safe,
        context,
        cause: e,
        secrets,
    });
}
