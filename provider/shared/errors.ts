/**
 * The provider's one error family.
 *
 * Every failure the provider reports is a {@link CredentialsError} with a stable {@link ErrorCode}, the context that
 * locates it (host, slot, server id, request id …), whether it is worth retrying, and a `hint` that tells the operator
 * what to do. Message, hint, context and cause are redacted when the error is constructed, so an error can be logged,
 * thrown through the Pulumi engine or stored in `reasons` without leaking a password.
 */

import { redact, redactValue } from "./redact";

/** Stable error codes. Codes are part of the public contract: never rename one, only add. */
export type ErrorCode =
    // input
    | "INVALID_INPUT"
    | "SELF_LOCKOUT_REFUSED"
    | "BMC_VENDOR_RULE"
    // local tooling
    | "IPMITOOL_MISSING"
    | "IPMITOOL_FAILED"
    | "TOOL_MISSING"
    // reaching and logging in to a BMC
    | "BMC_DNS_FAILED"
    | "BMC_UNREACHABLE"
    | "BMC_SESSION_LIMIT"
    | "BMC_LOGIN_REJECTED"
    | "BMC_CIPHER_REFUSED"
    | "BMC_TIMEOUT"
    | "BMC_PROTOCOL_ERROR"
    // commands inside a session
    | "BMC_COMMAND_REJECTED"
    | "BMC_INSUFFICIENT_PRIVILEGE"
    | "BMC_UNSUPPORTED_COMMAND"
    | "BMC_NO_LAN_CHANNEL"
    | "BMC_SLOT_OUT_OF_RANGE"
    | "BMC_NO_FREE_SLOT"
    | "BMC_SLOT_TAKEN"
    | "BMC_READBACK_MISMATCH"
    | "BMC_PASSWORD_NOT_VERIFIED"
    | "BMC_ROTATION_ROLLED_BACK"
    | "BMC_ROTATION_FAILED"
    // in-band (`-I open`) and SSH transports
    | "BMC_INBAND_DEVICE_MISSING"
    | "BMC_INBAND_PERMISSION_DENIED"
    | "SSH_UNREACHABLE"
    | "SSH_HOST_KEY_MISMATCH"
    | "SSH_AUTH_FAILED"
    | "SSH_SUDO_FAILED"
    // Redfish (HTTPS) transport
    | "BMC_TLS_PIN_MISMATCH"
    | "REDFISH_BAD_RESPONSE"
    | "REDFISH_NOT_SUPPORTED"
    | "REDFISH_REQUEST_REJECTED"
    | "REDFISH_PRECONDITION_FAILED"
    | "REDFISH_PRECONDITION_REQUIRED"
    | "REDFISH_PASSWORD_CHANGE_REQUIRED"
    | "REDFISH_SESSION_LIMIT"
    | "REDFISH_SESSION_LOST"
    | "REDFISH_SERVICE_ERROR"
    // Huawei Cloud
    | "HWC_CREDENTIALS_MISSING"
    | "HWC_AUTH_FAILED"
    | "HWC_FORBIDDEN"
    | "HWC_NOT_FOUND"
    | "HWC_WRONG_ENDPOINT"
    | "HWC_RATE_LIMITED"
    | "HWC_SERVER_ERROR"
    | "HWC_BAD_REQUEST"
    | "HWC_TIMEOUT"
    | "HWC_NETWORK"
    | "HWC_PROXY_FAILED"
    | "HWC_TLS_FAILED"
    | "HWC_RESET_AGENT_MISSING"
    | "HWC_SERVER_STATE"
    | "HWC_JOB_FAILED"
    | "HWC_PASSWORD_RULE";

export interface CredentialsErrorOptions {
    /** Human-readable description of what went wrong. Redacted at construction. */
    message: string;
    /** What the operator should do about it. Redacted at construction. */
    hint?: string;
    /** True when retrying the same operation may succeed (timeouts, 5xx, 429). Never true for rejected passwords. */
    transient?: boolean;
    /** Where it happened: host, port, slot, channel, serverId, requestId … Values are redacted. */
    context?: Record<string, string | number | boolean | undefined>;
    /** The underlying error. Kept only as a redacted copy (message and code), never the original object. */
    cause?: unknown;
    /** Secret values known at the throw site that must not appear, in addition to the process-wide registry. */
    secrets?: readonly unknown[];
}

/** Error raised by every part of pulumi-bmc-credentials. */
export class CredentialsError extends Error {
    override readonly name = "CredentialsError";
    /** Stable machine-readable code. */
    readonly code: ErrorCode;
    /** What to do about it. */
    readonly hint: string;
    /** Whether a retry may succeed. */
    readonly transient: boolean;
    /** Location of the failure; never contains a secret. */
    readonly context: Readonly<Record<string, string | number | boolean>>;

    constructor(code: ErrorCode, options: CredentialsErrorOptions) {
        const secrets = options.secrets ?? [];
        const hint = options.hint ? redact(options.hint, secrets) : "";
        const context: Record<string, string | number | boolean> = {};
        for (const [k, v] of Object.entries(options.context ?? {})) {
            if (v !== undefined) {
                context[k] = redactValue(v, secrets);
            }
        }
        const where = Object.entries(context)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ");
        const text = `${code}: ${redact(options.message, secrets)}${where ? ` [${where}]` : ""}${hint ? ` — ${hint}` : ""}`;
        super(text, options.cause === undefined ? undefined : { cause: redactCause(options.cause, secrets) });
        this.code = code;
        this.hint = hint;
        this.transient = options.transient ?? false;
        this.context = Object.freeze(context);
    }
}

function redactCause(cause: unknown, secrets: readonly unknown[]): Error {
    if (cause instanceof CredentialsError) {
        return cause;
    }
    const message = cause instanceof Error ? cause.message : String(cause);
    const copy = new Error(redact(message, secrets));
    const code = (cause as { code?: unknown } | null)?.code;
    if (typeof code === "string") {
        (copy as Error & { code?: string }).code = code;
    }
    // The stack of the original may carry the unredacted message; keep only our own.
    return copy;
}

/** True for errors of this family with the given code (or any code when omitted). */
export function isCredentialsError(e: unknown, code?: ErrorCode): e is CredentialsError {
    return e instanceof CredentialsError && (code === undefined || e.code === code);
}

/**
 * The shape the Pulumi dynamic-provider host turns into `ErrorResourceInitFailed`: the resource exists (it has an id)
 * but did not finish initialising. The engine records `id` and `properties`, and forces an update on the next `up`.
 * `properties` must contain `__provider` so later operations can load the provider.
 */
export class PartialFailureError extends Error {
    override readonly name = "PartialFailureError";
    readonly code: ErrorCode;
    readonly id: string;
    readonly properties: Record<string, unknown>;
    readonly reasons: string[];

    constructor(id: string, properties: Record<string, unknown>, cause: CredentialsError) {
        super(cause.message, { cause });
        this.code = cause.code;
        this.id = id;
        this.properties = properties;
        // reasons are persisted in state unencrypted: they are built only from the already-redacted message.
        this.reasons = [cause.message];
    }
}
