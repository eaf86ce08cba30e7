/**
 * What a failed RMCP+ session opening means for the user, in the error family the ipmitool transport already uses
 * (`transport/ipmitool/classify.ts`), so `BMC_LOGIN_REJECTED` with `reason: "password"` means the same whichever
 * transport saw it. Pure: builds errors, never sends anything. No message quotes a byte the BMC sent beyond status
 * codes, and none can contain a password (the functions never see one).
 */

import { CredentialsError, ErrorCode } from "../../shared/errors";
import type { FailureContext } from "../session";
import { RMCP_STATUS, RMCP_STATUS_TEXT } from "./rakp";

const CIPHER_STATUSES = new Set<number>([
    RMCP_STATUS.invalidAuthAlgorithm,
    RMCP_STATUS.invalidIntegrityAlgorithm,
    RMCP_STATUS.invalidConfidentialityAlgorithm,
    RMCP_STATUS.noCipherSuiteMatch,
]);
const ROLE_STATUSES = new Set<number>([RMCP_STATUS.invalidRole, RMCP_STATUS.unauthorizedRole, RMCP_STATUS.insufficientResourcesForRole]);
const NAME_STATUSES = new Set<number>([RMCP_STATUS.unauthorizedName, RMCP_STATUS.invalidNameLength]);
/** Statuses that say "that session attempt is stale": a fresh attempt may succeed. */
export const STALE_STATUSES = new Set<number>([RMCP_STATUS.invalidSessionId, RMCP_STATUS.inactiveSessionId]);

function make(ctx: FailureContext, code: ErrorCode, message: string, hint: string, extra: { transient?: boolean; reason?: string; status?: number } = {}): CredentialsError {
    return new CredentialsError(code, {
        message,
        hint,
        transient: extra.transient ?? false,
        context: {
            host: ctx.host,
            port: ctx.port,
            user: ctx.username,
            slot: ctx.userId,
            channel: ctx.channel,
            reason: extra.reason,
            rmcpStatus: extra.status === undefined ? undefined : `0x${extra.status.toString(16).padStart(2, "0")}`,
        },
    });
}

const statusText = (status: number) => `RMCP+ status 0x${status.toString(16).padStart(2, "0")}: ${RMCP_STATUS_TEXT[status] ?? "unknown status"}`;

/** The BMC never answered Open Session. */
export function unreachable(ctx: FailureContext, attempts: number, timeoutSeconds: number): CredentialsError {
    return make(
        ctx,
        "BMC_UNREACHABLE",
        `the BMC did not answer (${attempts} Open Session request${attempts === 1 ? "" : "s"}, ${timeoutSeconds} s each)`,
        "check that the host and UDP port are reachable from here and that IPMI over LAN is enabled; raise bmc.timeoutSeconds on slow networks",
        { transient: true },
    );
}

/**
 * The BMC answered that it has no free session (RMCP+ status 0x01, "insufficient resources to create a session"):
 * it is reachable and the login was never looked at, so nothing counts towards a lockout. Transient: the login layer
 * waits and opens again within its budget (`ipmi/login.ts`), and this error reaches the user only when the BMC stayed
 * full for all of it. The ipmitool transport classifies ipmitool's message for the same answer the same way.
 */
export function sessionLimit(ctx: FailureContext, why: string, status?: number): CredentialsError {
    return make(ctx, "BMC_SESSION_LIMIT", `the BMC has reached its session limit: no free session (${why})`, SESSION_LIMIT_HINT, { transient: true, status });
}

/** What to do about a BMC that stays out of sessions, shared by both transports. */
export const SESSION_LIMIT_HINT =
    "other clients (a KVM console, monitoring, another ipmitool) hold the BMC's few sessions; BMCs free idle sessions after about a minute. " +
    "Close them, or run again later; the provider itself opens at most two sessions per BMC";

/**
 * The BMC answered Open Session but then stopped answering: no RAKP 4 after our RAKP 3, or attempts that ended at
 * different steps (a lossy network rather than a BMC ignoring the name).
 */
export function stalledDuringLogin(ctx: FailureContext, missing: "RAKP 2" | "RAKP 4" = "RAKP 4"): CredentialsError {
    return make(
        ctx,
        "BMC_TIMEOUT",
        `the BMC stopped answering while the session was being opened (no ${missing})`,
        "the BMC or the network stalled; the operation is retried a bounded number of times",
        { transient: true },
    );
}

/**
 * The BMC answered Open Session but never RAKP 1. pyghmi's BMC server drops RAKP 1 for unknown names without a word
 * (`serversession._got_rakp1`); with every attempt ending the same way, that is the likeliest reading.
 */
export function silentOnName(ctx: FailureContext, attempts: number): CredentialsError {
    return make(
        ctx,
        "BMC_LOGIN_REJECTED",
        `the BMC answered Open Session but never RAKP 1 for this user name (${attempts} attempt${attempts === 1 ? "" : "s"}): some BMCs ignore unknown names silently`,
        "check the user name (it is case-sensitive) and that the account is enabled with IPMI messaging on the LAN channel",
        { reason: "user" },
    );
}

/** Open Session or RAKP 2 carried a non-zero status. */
export function refused(ctx: FailureContext, stage: "Open Session" | "RAKP 2" | "RAKP 4", status: number, cipherSuite: number): CredentialsError {
    if (status === RMCP_STATUS.insufficientResources) {
        return sessionLimit(ctx, `${stage}: ${statusText(status)}`, status);
    }
    if (CIPHER_STATUSES.has(status)) {
        return cipherRefused(ctx, cipherSuite, `${stage}: ${statusText(status)}`, status);
    }
    if (ROLE_STATUSES.has(status)) {
        return make(
            ctx,
            "BMC_INSUFFICIENT_PRIVILEGE",
            `the BMC refused the requested session privilege (${stage}: ${statusText(status)})`,
            "the account's privilege limit (or the channel's) is below what the operation needs; managing users needs an administrator login",
            { status },
        );
    }
    if (NAME_STATUSES.has(status)) {
        return make(
            ctx,
            "BMC_LOGIN_REJECTED",
            `the BMC knows no enabled user by this name (${stage}: ${statusText(status)})`,
            "check the user name (it is case-sensitive) and that the account is enabled with IPMI messaging on the LAN channel; " +
                "newer iDRAC/iLO/XCC firmware ships with IPMI over LAN disabled",
            { reason: "user", status },
        );
    }
    if (stage === "RAKP 4" && status === RMCP_STATUS.invalidIntegrityCheckValue) {
        return keyExchangeMismatch(ctx, `it refused our RAKP 3 (${statusText(status)})`, status);
    }
    return make(ctx, "BMC_PROTOCOL_ERROR", `the BMC refused the session (${stage}: ${statusText(status)})`, 'check the BMC\'s IPMI-over-LAN settings; bmc.transport "ipmitool" may work around firmware quirks', {
        status,
    });
}

/** The cipher suite was refused, or the BMC answered with other algorithms than proposed (a downgrade). */
export function cipherRefused(ctx: FailureContext, cipherSuite: number, why: string, status?: number): CredentialsError {
    return make(
        ctx,
        "BMC_CIPHER_REFUSED",
        `the BMC does not accept cipher suite ${cipherSuite} (${why})`,
        cipherSuite === 17 ? "older BMCs lack cipher suite 17 (SHA-256); set bmc.cipherSuite to 3" : "the BMC refuses cipher suite 3; enable it on the BMC or use 17 if supported",
        { status },
    );
}

/**
 * RAKP 2's key-exchange code does not match the password: the BMC holds another password for this name, or it is not
 * the BMC it claims to be. Either way nothing more is sent (no RAKP 3: our code would be an offline-crackable hash of
 * the password for whoever answered, CVE-2013-4786).
 */
export function passwordRejected(ctx: FailureContext): CredentialsError {
    return make(
        ctx,
        "BMC_LOGIN_REJECTED",
        "the BMC rejected the password (its RAKP 2 proof does not match it; nothing further was sent)",
        "check the login password; list earlier or factory passwords in bmc.fallbackPasswords. " +
            "The provider does not retry rejected passwords, to stay clear of the BMC's lockout threshold",
        { reason: "password" },
    );
}

/** RAKP 2 proved the password, yet the rest of the key exchange disagrees (RAKP 4 status 0x0F or a wrong ICV). */
export function keyExchangeMismatch(ctx: FailureContext, why: string, status?: number): CredentialsError {
    return make(
        ctx,
        "BMC_LOGIN_REJECTED",
        `the BMC proved it knows this password, but ${why}`,
        'the BMC may require a BMC key (Kg, two-key login), which this provider does not support, or compute the exchange its own way: try bmc.transport "ipmitool"',
        { reason: "key-exchange", status },
    );
}

/** Something in an answer the protocol does not allow (zero session id, wrong code length). */
export function protocolError(ctx: FailureContext, what: string): CredentialsError {
    return make(ctx, "BMC_PROTOCOL_ERROR", `the BMC's answer breaks the RMCP+ protocol: ${what}`, 'report the BMC model and firmware; bmc.transport "ipmitool" may work around it');
}

/** Set Session Privilege Level refused (cc 0x80: not available for the user, 0x81: above the user's or channel's limit). */
export function privilegeRefused(ctx: FailureContext, privilege: string, completionCode: number): CredentialsError {
    return make(
        ctx,
        "BMC_INSUFFICIENT_PRIVILEGE",
        `Set Session Privilege Level to ${privilege} failed with completion code 0x${completionCode.toString(16)}`,
        "the account's privilege limit (or the channel's) is below what the operation needs; managing users needs an administrator login",
    );
}

/** The host name does not resolve. */
export function dnsFailed(ctx: FailureContext, cause: unknown): CredentialsError {
    return new CredentialsError("BMC_DNS_FAILED", {
        message: "the BMC host name does not resolve",
        hint: "check bmc.host (spelling, DNS search domain) or use the BMC's IP address",
        cause,
        context: { host: ctx.host, port: ctx.port, user: ctx.username, slot: ctx.userId, channel: ctx.channel },
    });
}

/** A request inside an open session got no answer. */
export function requestTimedOut(ctx: FailureContext, label: string, attempts: number, timeoutSeconds: number): CredentialsError {
    return new CredentialsError("BMC_TIMEOUT", {
        message: `${label}: no response from the BMC inside the session (${attempts} attempt${attempts === 1 ? "" : "s"}, ${timeoutSeconds} s each)`,
        hint: "the BMC or the network stalled; the command may or may not have been applied, so the provider re-reads before retrying",
        transient: true,
        context: { host: ctx.host, port: ctx.port, slot: ctx.userId, channel: ctx.channel },
    });
}
