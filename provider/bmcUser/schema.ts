/**
 * `BmcUser` inputs: the zod schema that `check` applies, the defaults it fills in, and the lockout guard.
 *
 * Every message names what is wrong and what to do, and never quotes the value: the value may be a password, and
 * CheckFailure reasons are printed by the CLI.
 */

import { z } from "zod";
import type { Privilege } from "../ipmi/commands";
import { parseHostKey } from "../transport/ssh/remote";
import { ssh2 } from "../transport/ssh/lib";
import { CheckFailure, failuresFromZod, stripUnknowns } from "../shared/validation";
import { VENDOR_NAMES, profileNamed } from "../ipmi/vendors";
import { vendorRuleFailures } from "./vendorRules";

export const PRIVILEGES = ["administrator", "operator", "user", "callback", "no-access"] as const satisfies readonly Privilege[];

/** Printable ASCII, space included (0x20-0x7E). */
const PRINTABLE = /^[\x20-\x7e]*$/;

export const printable = (field: string, min: number, max: number, what: string) =>
    z
        .string({ error: `${field} must be a string` })
        .refine((s) => PRINTABLE.test(s), { message: `${field} may contain only printable ASCII characters (no control bytes, no NUL, no non-ASCII)` })
        .refine((s) => s.length >= min, { message: `${field} must not be empty` })
        .refine((s) => s.length <= max, { message: `${field} must be at most ${max} bytes ${what}` });

export const int = (field: string, min: number, max: number, hint = "") =>
    z
        .number({ error: `${field} must be a number` })
        .int({ message: `${field} must be a whole number` })
        .min(min, { message: `${field} must be between ${min} and ${max}${hint}` })
        .max(max, { message: `${field} must be between ${min} and ${max}${hint}` });

export const bool = (field: string) => z.boolean({ error: `${field} must be true or false` });

const CIPHER_WHY =
    "bmc.cipherSuite must be 17 (RAKP-HMAC-SHA256, AES-128; the default) or 3 (RAKP-HMAC-SHA1, AES-128) — " +
    "suite 0 and the other suites lack authentication, integrity or encryption (suite 0 logs in with any password, CVE-2013-4782), " +
    "so the provider refuses them";

const HOST_RE = /^[A-Za-z0-9._:\-\[\]%]+$/;

/** `inbandLabel`: also accept the `inband@…` label that `check` itself sets in-band (checked against the route later). */
export const hostName = (field: string, what: string, inbandLabel = false) =>
    z
        .string({ error: `${field} must be a string (${what})` })
        .trim()
        .min(1, { message: `${field} must not be empty: give ${what}` })
        .max(253, { message: `${field} is longer than a DNS name can be (253 characters)` })
        .refine((s) => HOST_RE.test(s) || (inbandLabel && s.startsWith(INBAND_HOST_PREFIX)), {
            message: `${field} must be an IP address or a DNS name (letters, digits, '.', '-', ':' only)`,
        })
        // URL brackets are not part of an address: ipmitool would look "[::1]" up as a name and fail.
        .refine((s) => !s.startsWith("[") && !s.endsWith("]"), {
            message: `${field} must be an IPv6 address without brackets (::1, not [::1]); the port is a field of its own`,
        });

/** The prefix of the `host` label that names an in-band BMC (there is no network address to name it by). */
export const INBAND_HOST_PREFIX = "inband@";

const SSH_FIELDS = "host, port, username, privateKey, passphrase, password, hostKey, sudo";

/** How to reach a host over SSH (`bmc.ssh`, in-band on it; or `bmc.via.ssh`, a jump host). Secrets: privateKey, passphrase, password. */
const sshSchema = (field: string) =>
    z
        .strictObject(
            {
                host: hostName(`${field}.host`, "the SSH server's address or DNS name"),
                port: int(`${field}.port`, 1, 65535, " (the SSH server's TCP port, normally 22)").default(22),
                username: z
                    .string({ error: `${field}.username must be a string (the SSH login)` })
                    .refine((s) => /^[A-Za-z0-9._][A-Za-z0-9._@-]{0,63}$/.test(s), {
                        message: `${field}.username must be a login name (letters, digits, '.', '_', '-', '@'; at most 64)`,
                    }),
                privateKey: z
                    .string({ error: `${field}.privateKey must be the private key's text (OpenSSH or PEM)` })
                    .max(16384, { message: `${field}.privateKey is longer than any SSH private key (16 KiB)` })
                    .optional(),
                passphrase: z.string({ error: `${field}.passphrase must be a string` }).min(1, { message: `${field}.passphrase must not be empty; omit it for an unencrypted key` }).optional(),
                password: z
                    .string({ error: `${field}.password must be a string` })
                    .min(1, { message: `${field}.password must not be empty` })
                    .max(1024, { message: `${field}.password is longer than 1024 characters` })
                    .optional(),
                hostKey: z.string({ error: `${field}.hostKey is required: the server's public host key in known_hosts form ("ssh-ed25519 AAAA…"), so that the connection cannot be intercepted` }),
                sudo: bool(`${field}.sudo`).default(false),
            },
            { error: (iss) => (iss.code === "unrecognized_keys" ? `unknown property; ${field} accepts ${SSH_FIELDS}` : `${field} must be an object with ${SSH_FIELDS}`) },
        )
        .superRefine((v, ctx) => {
            const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
            const key = parseHostKey(v.hostKey);
            if (typeof key === "string") issue("hostKey", `${field}.hostKey ${key}`);
            if (v.privateKey === undefined && v.password === undefined) {
                issue("privateKey", `${field} needs privateKey (preferred) or password to log in`);
            }
            if (v.privateKey !== undefined && v.password !== undefined) {
                issue("password", `${field}: give privateKey or password, not both`);
            }
            if (v.passphrase !== undefined && v.privateKey === undefined) {
                issue("passphrase", `${field}.passphrase unlocks ${field}.privateKey, which is not set`);
            }
            if (v.privateKey !== undefined && ssh2().utils.parseKey(v.privateKey, v.passphrase) instanceof Error) {
                issue(
                    "privateKey",
                    `${field}.privateKey is not an OpenSSH or PEM private key, or it is encrypted and ${field}.passphrase is missing or wrong`,
                );
            }
        });

export type SshConnection = z.output<ReturnType<typeof sshSchema>>;

const BMC_FIELDS = "protocol, host, port, username, password, cipherSuite, timeoutSeconds, retries, fallbackPasswords, transport, inband, ssh, via";

/** The transports that carry a BMC session (`transport/session.ts`). */
export const TRANSPORTS = ["native", "ipmitool"] as const;

/**
 * Connection to the BMC; stored in outputs too, because `read` and `delete` receive only outputs. Three routes:
 * RMCP+ from here (`host`, `username`, `password`), RMCP+ from a jump host (the same plus `via.ssh`), or in-band on
 * the BMC's own host (`inband: "local"` here, or `ssh`), which needs no BMC address or login. In-band, `host` is set to
 * a label (`inband@local`, `inband@<ssh.host>`) that names the BMC in the id and in errors.
 */
export const bmcConnectionSchema = z
    .strictObject(
        {
            // "redfish" selects the Redfish schema (redfishSchema.ts) before this one is reached.
            protocol: z.literal("ipmi", { error: 'bmc.protocol must be "ipmi" (the default) or "redfish"' }).optional(),
            // In-band, `check` sets host to a label (`inband@…`) that later validations of the same inputs must accept.
            host: hostName("bmc.host", "the BMC's IP address or DNS name", true).optional(),
            port: int("bmc.port", 1, 65535, " (the BMC's RMCP+ UDP port, normally 623)").default(623),
            username: printable("bmc.username", 1, 16, "(IPMI user names are at most 16 bytes)").optional(),
            password: printable("bmc.password", 1, 20, "(IPMI passwords are at most 20 bytes)").optional(),
            cipherSuite: z
                .number({ error: CIPHER_WHY })
                .refine((n) => n === 17 || n === 3, { message: CIPHER_WHY })
                .default(17),
            timeoutSeconds: int("bmc.timeoutSeconds", 1, 60, " seconds per request attempt").default(2),
            retries: int("bmc.retries", 1, 10, " attempts per request").default(2),
            fallbackPasswords: z
                .array(printable("bmc.fallbackPasswords[]", 1, 20, "(IPMI passwords are at most 20 bytes)"), {
                    error: "bmc.fallbackPasswords must be a list of passwords",
                })
                .max(4, { message: "bmc.fallbackPasswords may list at most 4 passwords: each costs one failed login, and BMCs lock accounts after a few" })
                .default([]),
            transport: z
                .enum(TRANSPORTS, {
                    error: (iss) =>
                        iss.input === "redfish"
                            ? 'bmc.transport chooses what carries IPMI sessions ("native" or "ipmitool"); for Redfish set bmc.protocol: "redfish" (with bmc.tls) and leave transport out'
                            : 'bmc.transport must be "native" (RMCP+ from this process, the default) or "ipmitool"',
                })
                .optional(),
            inband: z.literal("local", { error: 'bmc.inband must be "local" (ipmitool -I open on the machine running Pulumi); for another host use bmc.ssh' }).optional(),
            ssh: sshSchema("bmc.ssh").optional(),
            via: z
                .strictObject(
                    { ssh: sshSchema("bmc.via.ssh") },
                    { error: (iss) => (iss.code === "unrecognized_keys" ? "unknown property; bmc.via accepts ssh" : "bmc.via must be an object with ssh (the jump host)") },
                )
                .optional(),
        },
        { error: (iss) => (iss.code === "unrecognized_keys" ? `unknown property; bmc accepts ${BMC_FIELDS}` : "bmc must be an object with host, username and password (or inband / ssh)") },
    )
    .superRefine((b, ctx) => {
        const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
        const inband = b.inband !== undefined || b.ssh !== undefined;
        if (b.inband !== undefined && b.ssh !== undefined) {
            issue(["ssh"], 'bmc.inband: "local" runs ipmitool here and bmc.ssh runs it on another host: set one of them');
        }
        if (b.via !== undefined && inband) {
            issue(["via"], "bmc.via.ssh reaches a BMC over the network from a jump host, which contradicts in-band access (bmc.inband / bmc.ssh): set host, username and password with via, or drop via");
        }
        if (b.transport === "native" && (inband || b.via !== undefined)) {
            issue(
                ["transport"],
                b.via !== undefined
                    ? 'bmc.transport "native" speaks RMCP+ (UDP) from the machine running Pulumi; through a jump host ipmitool runs there (an SSH channel carries TCP, not UDP): remove transport or set it to "ipmitool"'
                    : 'bmc.transport "native" speaks RMCP+ over the network; in-band access goes through the host\'s kernel IPMI device with ipmitool: remove transport or set it to "ipmitool"',
            );
        }
        if (b.via?.ssh.sudo) {
            issue(["via", "ssh", "sudo"], "bmc.via.ssh.sudo is not supported: ipmitool over the network needs no root on the jump host");
        }
        if (inband) {
            const label = inbandHost(b);
            if (b.host !== undefined && b.host !== label) {
                issue(["host"], "bmc.host names a BMC on the network, but in-band access (bmc.inband / bmc.ssh) reaches the host's own BMC: remove bmc.host, or use bmc.via.ssh for a jump host");
            }
            for (const f of ["username", "password"] as const) {
                if (b[f] !== undefined) {
                    issue([f], `bmc.${f} is not used in-band: ipmitool -I open needs no BMC login; remove it`);
                }
            }
            if (b.fallbackPasswords.length > 0) {
                issue(["fallbackPasswords"], "bmc.fallbackPasswords is not used in-band: ipmitool -I open needs no BMC login; remove it");
            }
        } else {
            if (b.host?.startsWith(INBAND_HOST_PREFIX)) {
                issue(["host"], `bmc.host "${INBAND_HOST_PREFIX}…" names an in-band BMC: set bmc.inband or bmc.ssh, or give the BMC's network address`);
            }
            for (const [f, what] of [
                ["host", "the BMC's IP address or DNS name (or set bmc.inband / bmc.ssh for in-band access)"],
                ["username", "the administrator account to log in with"],
                ["password", "the administrator's password"],
            ] as const) {
                if (b[f] === undefined) issue([f], `bmc.${f} is required: ${what}`);
            }
        }
    })
    .transform((b) => (b.inband !== undefined || b.ssh !== undefined ? { ...b, host: inbandHost(b) } : b) as typeof b & { host: string });

/** True when the connection reaches the BMC in-band (here or over SSH). */
export function isInband(bmc: { inband?: unknown; ssh?: unknown }): boolean {
    return bmc.inband !== undefined || bmc.ssh !== undefined;
}

/** The transport part of a login: in-band or not, and the SSH host ipmitool runs on (in-band target or jump host). */
export function sshRoute(bmc: Pick<BmcConnection, "inband" | "ssh" | "via">): { inband: boolean; ssh?: SshConnection } {
    const ssh = bmc.ssh ?? bmc.via?.ssh;
    return { inband: isInband(bmc), ...(ssh ? { ssh } : {}) };
}

/**
 * The transport that carries this connection's sessions: `bmc.transport` when set, else native RMCP+ for a BMC
 * reached over the network from here, and ipmitool for in-band and jump-host routes (the kernel device; SSH carries
 * TCP, not UDP). State written before `transport` existed resolves the same way, so it never shows a diff.
 */
export function transportOf(bmc: { transport?: string; inband?: unknown; ssh?: unknown; via?: unknown } | undefined): (typeof TRANSPORTS)[number] {
    if (bmc?.transport === "native" || bmc?.transport === "ipmitool") {
        return bmc.transport;
    }
    return bmc && (isInband(bmc) || bmc.via !== undefined) ? "ipmitool" : "native";
}

/** The `host` label of an in-band BMC. */
function inbandHost(b: { inband?: string; ssh?: { host: string } }): string {
    return `${INBAND_HOST_PREFIX}${b.ssh ? b.ssh.host : "local"}`;
}

export type BmcConnection = z.output<typeof bmcConnectionSchema>;

export const bmcUserInputSchema = z.strictObject(
    {
        bmc: bmcConnectionSchema,
        userId: z
            .number({ error: "userId must be a number (a user slot, 2..the BMC's maximum)" })
            .int({ message: "userId must be a whole number" })
            .refine((n) => n !== 0, { message: "userId 0 is not a valid IPMI user slot; slots start at 1" })
            .refine((n) => n !== 1, { message: "userId 1 is the anonymous (null) user, which the provider never manages; use 2 or higher" })
            .refine((n) => n >= 2 && n <= 63, { message: "userId must be between 2 and 63 (the BMC reports its own maximum, often 10-16)" })
            .optional(),
        username: printable("username", 1, 16, "(IPMI user names are at most 16 bytes)").refine((s) => s.trim().length > 0, {
            message: "username must contain a visible character",
        }),
        password: printable("password", 1, 20, "(IPMI passwords are at most 20 bytes; more than 16 uses the 20-byte format)"),
        privilege: z.enum(PRIVILEGES, {
            error: "privilege must be one of administrator, operator, user, callback, no-access",
        }),
        channel: int("channel", 1, 11, " (a LAN channel number; omit it to detect the first 802.3 LAN channel)").optional(),
        enabled: bool("enabled").default(true),
        ipmiMessaging: bool("ipmiMessaging").default(true),
        linkAuth: bool("linkAuth").default(true),
        callin: bool("callin").default(true),
        verifyPassword: z.enum(["login", "off"], { error: 'verifyPassword must be "login" or "off"' }).default("login"),
        allowSelfLockout: bool("allowSelfLockout").default(false),
        vendorProfile: z
            .enum(["auto", ...VENDOR_NAMES], { error: `vendorProfile must be "auto" or one of ${VENDOR_NAMES.join(", ")}` })
            .default("auto"),
    },
    {
        error: (iss) =>
            iss.code === "unrecognized_keys"
                ? "unknown property; BmcUser accepts bmc, userId, username, password, privilege, channel, enabled, ipmiMessaging, linkAuth, callin, verifyPassword, allowSelfLockout, vendorProfile"
                : "inputs must be an object",
    },
);

/** Inputs after `check`: defaults filled in. */
export type BmcUserInputs = z.output<typeof bmcUserInputSchema>;

/** The part of prior inputs or outputs that tells whether the resource manages the login account. */
export interface PriorIdentity {
    username?: unknown;
    bmc?: { username?: unknown } | unknown;
}

/** True when `prior` managed the account that `bmc.username` logged in with. */
export function managedLoginAccount(prior: PriorIdentity | undefined): boolean {
    const bmc = prior?.bmc as { username?: unknown } | undefined;
    return typeof prior?.username === "string" && prior.username === bmc?.username;
}

const lockoutWhy = (what: string) =>
    `${what} the account the provider logs in with (bmc.username); the next operation could not log in. ` +
    "Manage it from a second administrator account, or set allowSelfLockout: true if that is intended";

/**
 * Renaming the login account: its old name is what `bmc.username` (and every other resource on the BMC) logs in with,
 * and a login under the new name cannot happen before the rename. Detected against the prior inputs or outputs.
 */
export function selfRenameFailure(inputs: Pick<BmcUserInputs, "username" | "allowSelfLockout">, prior: PriorIdentity | undefined): CheckFailure | undefined {
    if (inputs.allowSelfLockout || !managedLoginAccount(prior) || inputs.username === prior!.username) {
        return undefined;
    }
    return { property: "username", reason: lockoutWhy("this would rename") };
}

/**
 * Refuses inputs that would lock the provider out of the BMC: the managed account is the one `bmc.username` logs in
 * with, and it would be disabled, lose IPMI messaging, drop below administrator, or (given the prior inputs) be
 * renamed.
 */
export function selfLockoutFailures(inputs: BmcUserInputs, prior?: PriorIdentity): CheckFailure[] {
    const rename = selfRenameFailure(inputs, prior);
    if (rename) {
        return [rename];
    }
    if (inputs.allowSelfLockout || inputs.username !== inputs.bmc.username) {
        return [];
    }
    const why = lockoutWhy;
    const failures: CheckFailure[] = [];
    if (!inputs.enabled) {
        failures.push({ property: "enabled", reason: why("this would disable") });
    }
    if (!inputs.ipmiMessaging) {
        failures.push({ property: "ipmiMessaging", reason: why("this would turn off IPMI messaging for") });
    }
    if (inputs.privilege !== "administrator") {
        failures.push({ property: "privilege", reason: why("this would demote") });
    }
    return failures;
}

/** Result of validating raw inputs. */
export interface ValidationResult {
    inputs?: BmcUserInputs;
    failures: CheckFailure[];
    /** Dotted paths whose values are unknown (preview). */
    unknown: Set<string>;
}

/** Validates raw inputs as the engine sends them (may hold preview unknowns and `__provider`); `prior` = old inputs. */
export function validateBmcUserInputs(raw: Record<string, unknown>, prior?: PriorIdentity): ValidationResult {
    const { __provider: _ignored, ...rest } = raw ?? {};
    const secrets = collectSecrets(rest);
    const { value, unknown } = stripUnknowns(rest);
    const parsed = bmcUserInputSchema.safeParse(value);
    if (!parsed.success) {
        const failures = failuresFromZod(parsed.error, secrets).filter((f) => !isUnderUnknown(f.property, unknown));
        return { failures, unknown };
    }
    return { inputs: parsed.data, failures: unknown.size ? [] : [...selfLockoutFailures(parsed.data, prior), ...declaredVendorFailures(parsed.data)], unknown };
}

/** With a named `vendorProfile`, `check` applies that vendor's rules at preview; with `auto` they wait for the BMC. */
function declaredVendorFailures(inputs: BmcUserInputs): CheckFailure[] {
    return inputs.vendorProfile === "auto" ? [] : vendorRuleFailures(inputs, profileNamed(inputs.vendorProfile));
}

function isUnderUnknown(property: string, unknown: Set<string>): boolean {
    for (const u of unknown) {
        if (property === u || property.startsWith(`${u}.`) || property.startsWith(`${u}[`)) {
            return true;
        }
    }
    return false;
}

/** The secret fields of an `ssh` block. */
export const SSH_SECRET_FIELDS = ["privateKey", "passphrase", "password"] as const;

/** The secret values in raw inputs, for redaction. */
export function collectSecrets(raw: Record<string, unknown>): string[] {
    const out: string[] = [];
    const push = (v: unknown) => typeof v === "string" && out.push(v);
    push(raw?.password);
    const bmc = raw?.bmc as Record<string, unknown> | undefined;
    if (bmc && typeof bmc === "object") {
        push(bmc.password);
        if (Array.isArray(bmc.fallbackPasswords)) {
            bmc.fallbackPasswords.forEach(push);
        }
        for (const ssh of [bmc.ssh, (bmc.via as Record<string, unknown> | undefined)?.ssh]) {
            if (ssh && typeof ssh === "object") {
                for (const f of SSH_SECRET_FIELDS) push((ssh as Record<string, unknown>)[f]);
            }
        }
    }
    return out;
}
