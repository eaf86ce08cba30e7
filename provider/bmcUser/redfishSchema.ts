/**
 * `BmcUser` inputs with `bmc.protocol: "redfish"`: the zod schema `check` applies to them, and the self-lockout guard.
 *
 * A separate schema, not options on the IPMI one, because most fields mean something else or nothing over Redfish:
 * `bmc.port` is HTTPS (443), `bmc.tls` pins the certificate and is required, the IPMI-only fields (`cipherSuite`,
 * `retries`, `transport`, in-band and SSH routes, `channel`, `linkAuth`, `callin`, `vendorProfile`) are refused with a message that
 * says why, and `ipmiMessaging` is managed only when given. Messages never quote a value.
 */

import { z } from "zod";
import { CheckFailure, failuresFromZod, stripUnknowns } from "../shared/validation";
import { normaliseFingerprint, certificateFingerprint } from "../redfish/tls";
import { bool, hostName, int, printable, type PriorIdentity, managedLoginAccount } from "./schema";

export const REDFISH_PRIVILEGES = ["administrator", "operator", "user", "no-access"] as const;
export type RedfishPrivilege = (typeof REDFISH_PRIVILEGES)[number];

const TLS_WHY =
    "bmc.tls is required with protocol \"redfish\": give fingerprint (the SHA-256 of the BMC's certificate, 64 hex digits, colons optional) " +
    "or caCertificate (PEM of the CA that issued it, or of the BMC's own self-signed certificate). There is no insecure mode";

const tlsSchema = z
    .strictObject(
        {
            fingerprint: z.string({ error: "bmc.tls.fingerprint must be a string: the SHA-256 fingerprint of the BMC's certificate" }).optional(),
            caCertificate: z.string({ error: "bmc.tls.caCertificate must be a string: a PEM certificate" }).optional(),
        },
        { error: (iss) => (iss.code === "unrecognized_keys" ? "unknown property; bmc.tls accepts fingerprint or caCertificate" : TLS_WHY) },
    )
    .superRefine((t, ctx) => {
        const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
        if ((t.fingerprint === undefined) === (t.caCertificate === undefined)) {
            issue("fingerprint", "bmc.tls must hold exactly one of fingerprint or caCertificate");
        }
        if (t.fingerprint !== undefined && !normaliseFingerprint(t.fingerprint)) {
            issue("fingerprint", "bmc.tls.fingerprint must be a SHA-256 fingerprint: 64 hex digits, optionally in pairs separated by colons (AB:CD:…)");
        }
        if (t.caCertificate !== undefined && !certificateFingerprint(t.caCertificate)) {
            issue("caCertificate", "bmc.tls.caCertificate is not a PEM certificate (-----BEGIN CERTIFICATE----- …)");
        }
    })
    // One spelling of a fingerprint in state, whatever the program wrote: a diff then means a different pin.
    .transform((t) => (t.fingerprint !== undefined ? { fingerprint: normaliseFingerprint(t.fingerprint)! } : { caCertificate: t.caCertificate! }));

/** Fields of the IPMI connection that mean nothing over Redfish, and why. */
const IPMI_ONLY_BMC: Record<string, string> = {
    cipherSuite: "bmc.cipherSuite is an RMCP+ setting; Redfish runs over HTTPS, pinned by bmc.tls",
    retries: "bmc.retries is an RMCP+ setting; Redfish requests are never retried after a rejected login, and failed connections fail the operation",
    transport: "bmc.transport chooses what carries IPMI sessions (native RMCP+ or ipmitool); Redfish always runs over HTTPS from this process — remove it",
    inband: "bmc.inband is IPMI in-band access; Redfish reaches the BMC over the network (bmc.host)",
    ssh: "bmc.ssh is IPMI in-band access over SSH; Redfish reaches the BMC over the network (bmc.host)",
    via: "bmc.via (an SSH jump host) is not supported with protocol \"redfish\" yet",
};

const IPMI_ONLY_TOP: Record<string, string> = {
    channel: "channel is an IPMI LAN channel; Redfish accounts have no channel — remove it",
    linkAuth: "linkAuth is an IPMI per-channel flag with no Redfish equivalent — remove it",
    callin: "callin is an IPMI per-channel flag with no Redfish equivalent — remove it",
    vendorProfile: "vendorProfile selects IPMI vendor rules; a Redfish service states its own (MinPasswordLength, MaxPasswordLength, roles) — remove it",
};

const BMC_FIELDS = "protocol, host, port, username, password, fallbackPasswords, tls, timeoutSeconds";

const passthrough = (keys: Record<string, string>) => Object.fromEntries(Object.keys(keys).map((k) => [k, z.unknown().optional()]));

export const redfishConnectionSchema = z
    .strictObject(
        {
            protocol: z.literal("redfish"),
            host: hostName("bmc.host", "the BMC's IP address or DNS name"),
            port: int("bmc.port", 1, 65535, " (the BMC's HTTPS port, normally 443)").default(443),
            username: printable("bmc.username", 1, 64, "(a Redfish UserName)"),
            password: printable("bmc.password", 1, 127, "(a Redfish password)"),
            fallbackPasswords: z
                .array(printable("bmc.fallbackPasswords[]", 1, 127, "(a Redfish password)"), { error: "bmc.fallbackPasswords must be a list of passwords" })
                .max(4, { message: "bmc.fallbackPasswords may list at most 4 passwords: each costs one failed login, and BMCs lock accounts after a few" })
                .default([]),
            tls: z.unknown().transform((v, ctx) => {
                if (v === undefined) {
                    ctx.addIssue({ code: "custom", message: TLS_WHY });
                    return z.NEVER;
                }
                const parsed = tlsSchema.safeParse(v);
                if (!parsed.success) {
                    for (const i of parsed.error.issues) ctx.addIssue({ code: "custom", path: i.path, message: i.message });
                    return z.NEVER;
                }
                return parsed.data;
            }),
            timeoutSeconds: int("bmc.timeoutSeconds", 1, 300, " seconds per HTTPS request").default(30),
            ...passthrough(IPMI_ONLY_BMC),
        },
        { error: (iss) => (iss.code === "unrecognized_keys" ? `unknown property; with protocol "redfish" bmc accepts ${BMC_FIELDS}` : "bmc must be an object with protocol, host, username, password and tls") },
    )
    .superRefine((b, ctx) => {
        for (const [k, why] of Object.entries(IPMI_ONLY_BMC)) {
            if ((b as Record<string, unknown>)[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: why });
        }
    })
    .transform(({ protocol, host, port, username, password, fallbackPasswords, tls, timeoutSeconds }) => ({ protocol, host, port, username, password, fallbackPasswords, tls, timeoutSeconds }));

export type RedfishConnection = z.output<typeof redfishConnectionSchema>;

const TOP_FIELDS = "bmc, userId, username, password, privilege, enabled, ipmiMessaging, verifyPassword, allowSelfLockout";

export const redfishUserInputSchema = z
    .strictObject(
        {
            bmc: redfishConnectionSchema,
            userId: z
                .number({ error: "userId must be a number (the account's slot on slot-model services such as iDRAC9)" })
                .int({ message: "userId must be a whole number" })
                .min(2, { message: "userId must be 2 or higher: slot 1 is reserved on iDRAC-style services (and holds the default account on XCC)" })
                .max(255, { message: "userId must be at most 255" })
                .optional(),
            username: printable("username", 1, 63, "(a Redfish UserName)")
                .refine((s) => s.trim().length > 0, { message: "username must contain a visible character" })
                .refine((s) => !/[/?#%]/.test(s), { message: "username must not contain '/', '?', '#' or '%' (some services put it in the account's URI)" }),
            password: printable("password", 1, 127, "(a Redfish password; the service's MaxPasswordLength is checked before writing)"),
            privilege: z.enum(REDFISH_PRIVILEGES, {
                error: (iss) =>
                    iss.input === "callback"
                        ? "privilege callback has no Redfish role; use user (ReadOnly), operator, administrator or no-access"
                        : "privilege must be one of administrator (Administrator), operator (Operator), user (ReadOnly), no-access",
            }),
            enabled: bool("enabled").default(true),
            ipmiMessaging: bool("ipmiMessaging").optional(),
            verifyPassword: z.enum(["login", "off"], { error: 'verifyPassword must be "login" or "off"' }).default("login"),
            allowSelfLockout: bool("allowSelfLockout").default(false),
            ...passthrough(IPMI_ONLY_TOP),
        },
        { error: (iss) => (iss.code === "unrecognized_keys" ? `unknown property; with bmc.protocol "redfish" BmcUser accepts ${TOP_FIELDS}` : "inputs must be an object") },
    )
    .superRefine((v, ctx) => {
        for (const [k, why] of Object.entries(IPMI_ONLY_TOP)) {
            if ((v as Record<string, unknown>)[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: why });
        }
    })
    .transform(({ bmc, userId, username, password, privilege, enabled, ipmiMessaging, verifyPassword, allowSelfLockout }) => ({
        bmc,
        ...(userId !== undefined ? { userId } : {}),
        username,
        password,
        privilege,
        enabled,
        ...(ipmiMessaging !== undefined ? { ipmiMessaging } : {}),
        verifyPassword,
        allowSelfLockout,
    }));

export type RedfishUserInputs = z.output<typeof redfishUserInputSchema>;

/** Whether raw inputs (or outputs) speak Redfish. */
export function isRedfish(raw: unknown): boolean {
    return (raw as { bmc?: { protocol?: unknown } } | undefined)?.bmc?.protocol === "redfish";
}

const lockoutWhy = (what: string) =>
    `${what} the account the provider logs in with (bmc.username); the next operation could not log in. ` +
    "Manage it from a second administrator account, or set allowSelfLockout: true if that is intended";

/** The Redfish self-lockout guard: the login account may not be disabled, demoted or renamed. */
export function redfishSelfLockoutFailures(inputs: RedfishUserInputs, prior?: PriorIdentity): CheckFailure[] {
    if (inputs.allowSelfLockout) return [];
    if (managedLoginAccount(prior) && inputs.username !== prior!.username) {
        return [{ property: "username", reason: lockoutWhy("this would rename") }];
    }
    if (inputs.username !== inputs.bmc.username) return [];
    const failures: CheckFailure[] = [];
    if (!inputs.enabled) failures.push({ property: "enabled", reason: lockoutWhy("this would disable") });
    if (inputs.privilege !== "administrator") failures.push({ property: "privilege", reason: lockoutWhy("this would demote") });
    return failures;
}

/** Validates raw Redfish inputs as the engine sends them (may hold preview unknowns and `__provider`). */
export function validateRedfishInputs(raw: Record<string, unknown>, secrets: readonly string[], prior?: PriorIdentity): { inputs?: RedfishUserInputs; failures: CheckFailure[]; unknown: Set<string> } {
    const { __provider: _ignored, ...rest } = raw ?? {};
    const { value, unknown } = stripUnknowns(rest);
    const parsed = redfishUserInputSchema.safeParse(value);
    if (!parsed.success) {
        const failures = failuresFromZod(parsed.error, secrets).filter((f) => ![...unknown].some((u) => f.property === u || f.property.startsWith(`${u}.`)));
        return { failures, unknown };
    }
    return { inputs: parsed.data, failures: unknown.size ? [] : redfishSelfLockoutFailures(parsed.data, prior), unknown };
}
