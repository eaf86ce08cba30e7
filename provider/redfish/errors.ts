/**
 * Redfish answers as typed errors. Pure.
 *
 * Message ids are matched on the part after the last dot (`Base.1.12.PasswordChangeRequired` → `PasswordChangeRequired`)
 * because every BMC reports its own registry version. Error texts quote only what the provider chose to say, the
 * message ids and the property names a message relates to — never the BMC's `Message` text or `MessageArgs`, which may
 * echo a rejected value (a password).
 */

import { CredentialsError, ErrorCode } from "../shared/errors";
import type { HttpResponse } from "./http";

/** One `@Message.ExtendedInfo` entry, reduced to what is safe to keep. */
export interface RedfishMessageInfo {
    /** The id after the last dot: `PasswordChangeRequired`, `SWC1908`, … */
    id: string;
    /** The full id as sent. */
    fullId: string;
    /** MessageArgs — kept for ids whose arguments are URIs (PasswordChangeRequired), never printed. */
    args: string[];
    /** Property names from RelatedProperties (`#/Password` → `Password`). */
    properties: string[];
}

/** Every message in an error envelope or a success body, top-level `error.code` included. */
export function messagesOf(body: unknown): RedfishMessageInfo[] {
    const out: RedfishMessageInfo[] = [];
    const b = (body ?? {}) as Record<string, unknown>;
    const error = (b.error ?? {}) as Record<string, unknown>;
    const lists = [error["@Message.ExtendedInfo"], b["@Message.ExtendedInfo"]];
    for (const list of lists) {
        if (!Array.isArray(list)) continue;
        for (const m of list) {
            const fullId = typeof m?.MessageId === "string" ? m.MessageId : "";
            if (!fullId) continue;
            const args = Array.isArray(m.MessageArgs) ? m.MessageArgs.filter((a: unknown): a is string => typeof a === "string") : [];
            const properties = Array.isArray(m.RelatedProperties)
                ? m.RelatedProperties.filter((p: unknown): p is string => typeof p === "string").map((p: string) => p.replace(/^#\//, ""))
                : [];
            out.push({ id: shortId(fullId), fullId, args, properties });
        }
    }
    if (typeof error.code === "string" && !out.some((m) => m.fullId === error.code)) {
        out.push({ id: shortId(error.code), fullId: error.code, args: [], properties: [] });
    }
    return out;
}

export function shortId(id: string): string {
    const dot = id.lastIndexOf(".");
    return dot === -1 ? id : id.slice(dot + 1);
}

/** Whether the body says the password must be changed: standard PasswordChangeRequired or iDRAC's SWC1908. */
export function passwordChangeRequired(body: unknown): { uri?: string; style: "standard" | "idrac-oem" } | undefined {
    for (const m of messagesOf(body)) {
        if (m.id === "PasswordChangeRequired") return { uri: m.args[0], style: "standard" };
        if (m.id === "SWC1908") return { style: "idrac-oem" };
    }
    return undefined;
}

/** Message ids of a body, comma-separated, for error texts (no arguments, no texts). */
export function describeMessages(body: unknown): string {
    const ids = messagesOf(body).filter((m) => m.id !== "GeneralError" || messagesOf(body).length === 1);
    return ids.map((m) => m.fullId + (m.properties.length ? ` (${m.properties.join(", ")})` : "")).join(", ");
}

/** Property names a 400 complains about: RelatedProperties, or the property argument of the Base messages that name one. */
export function rejectedProperties(body: unknown): string[] {
    const names = new Set<string>();
    for (const m of messagesOf(body)) {
        m.properties.forEach((p) => names.add(p));
        // Base registry argument positions: the property is %2 for value errors, %1 for the others.
        if (["PropertyValueFormatError", "PropertyValueNotInList", "PropertyValueTypeError"].includes(m.id) && m.args[1]) names.add(m.args[1]);
        if (["PropertyNotWritable", "PropertyUnknown", "PropertyMissing"].includes(m.id) && m.args[0]) names.add(m.args[0]);
    }
    return [...names];
}

export interface FailureContext {
    host: string;
    port: number;
    /** What the request was for, in words ("reading the account", "logging in as ops"). */
    doing: string;
    method: string;
    path: string;
    account?: string;
}

/** The typed error for a non-2xx answer that the caller does not handle itself. */
export function responseError(res: HttpResponse, ctx: FailureContext): CredentialsError {
    const ids = describeMessages(res.body);
    const at = `${ctx.method} ${ctx.path} → ${res.status}${ids ? ` ${ids}` : ""}`;
    const context = { host: ctx.host, port: ctx.port, ...(ctx.account ? { account: ctx.account } : {}) };
    const make = (code: ErrorCode, message: string, hint: string, transient = false) =>
        new CredentialsError(code, { message: `${ctx.doing}: ${message} (${at})`, hint, context, transient });
    const change = passwordChangeRequired(res.body);
    if (change) {
        return make(
            "REDFISH_PASSWORD_CHANGE_REQUIRED",
            change.style === "idrac-oem"
                ? "the BMC requires its default password to be changed before anything else (iDRAC SWC1908)"
                : "the BMC requires this account's password to be changed before anything else (PasswordChangeRequired)",
            "change the login account's password once (a BmcUser for bmc.username with a new password does that, or the BMC's web UI), then update bmc.password; the provider never loops on this",
        );
    }
    const has = (id: string) => messagesOf(res.body).some((m) => m.id === id);
    switch (res.status) {
        case 401:
            return make("REDFISH_SESSION_LOST", "the BMC no longer accepts this session's token", "run the operation again; if it keeps happening, another client may be ending sessions (or the session limit evicts them)");
        case 403:
            return make("BMC_INSUFFICIENT_PRIVILEGE", "the login account may not do this", "log in with an account whose RoleId is Administrator (ConfigureUsers)");
        case 404:
            return make("REDFISH_REQUEST_REJECTED", "the resource does not exist", "the BMC's tree differs from what its service root advertised; report this with the BMC model");
        case 405:
            return make("REDFISH_NOT_SUPPORTED", `the BMC does not allow ${ctx.method} here (Allow: ${res.headers.allow ?? "not given"})`, "this BMC's Redfish service does not support the operation");
        case 412:
            return make(
                "REDFISH_PRECONDITION_FAILED",
                "the account changed between the provider's read and its write (ETag mismatch)",
                "another client is changing this account at the same time; run the operation again (the provider does not retry writes on its own)",
            );
        case 428:
            return make("REDFISH_PRECONDITION_REQUIRED", "the BMC requires If-Match but gave no ETag to send", "the BMC's firmware serves no ETag for this account; report this with the BMC model");
        case 503:
            if (has("SessionLimitExceeded")) {
                return make("REDFISH_SESSION_LIMIT", "the BMC has no free session", "close other Redfish sessions (web UI, other tools) or wait for idle ones to time out", true);
            }
            return make("REDFISH_SERVICE_ERROR", "the BMC's Redfish service is unavailable", "try again later", true);
        default:
            if (res.status >= 500) {
                return make("REDFISH_SERVICE_ERROR", "the BMC's Redfish service failed", "try again; if it persists, reset the BMC's management controller", true);
            }
            if (has("CreateLimitReachedForResource")) {
                return make("BMC_NO_FREE_SLOT", "the BMC holds as many accounts as it can", "remove an unused account from the BMC");
            }
            if (has("SessionLimitExceeded")) {
                return make("REDFISH_SESSION_LIMIT", "the BMC has no free session", "close other Redfish sessions or wait for idle ones to time out", true);
            }
            {
                const props = rejectedProperties(res.body);
                return make(
                    "REDFISH_REQUEST_REJECTED",
                    props.length ? `the BMC refused ${props.join(", ")}` : "the BMC refused the request",
                    "check the values against the BMC's rules (AccountService MinPasswordLength/MaxPasswordLength, allowed roles and account types)",
                );
            }
    }
}

/** A 2xx answer whose body is not what Redfish promises. */
export function badResponse(what: string, ctx: Pick<FailureContext, "host" | "port" | "method" | "path">): CredentialsError {
    return new CredentialsError("REDFISH_BAD_RESPONSE", {
        message: `${ctx.method} ${ctx.path}: ${what}`,
        hint: "the BMC's Redfish service answered outside the specification; report this with the BMC model and firmware version",
        context: { host: ctx.host, port: ctx.port },
    });
}
