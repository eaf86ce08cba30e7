/**
 * `BmcUser` inputs: the zod schema that `check` applies, the defaults it fills in, and the lockout guard.
 *
 * Every message names what is wrong and what to do, and never quotes the value: the value may be a password, and
 * CheckFailure reasons are printed by the CLI.
 */

import { z } from "zod";
import type { Privilege } from "../transport/ipmitool/codec";
import { CheckFailure, failuresFromZod, stripUnknowns } from "../shared/validation";
import { VENDOR_NAMES, profileNamed } from "../transport/ipmitool/vendors";
import { vendorRuleFailures } from "./vendorRules";

export const PRIVILEGES = ["administrator", "operator", "user", "callback", "no-access"] as const satisfies readonly Privilege[];

/** Printable ASCII, space included (0x20-0x7E). */
const PRINTABLE = /^[\x20-\x7e]*$/;

const printable = (field: string, min: number, max: number, what: string) =>
    z
        .string({ error: `${field} must be a string` })
        .refine((s) => PRINTABLE.test(s), { message: `${field} may contain only printable ASCII characters (no control bytes, no NUL, no non-ASCII)` })
        .refine((s) => s.length >= min, { message: `${field} must not be empty` })
        .refine((s) => s.length <= max, { message: `${field} must be at most ${max} bytes ${what}` });

const int = (field: string, min: number, max: number, hint = "") =>
    z
        .number({ error: `${field} must be a number` })
        .int({ message: `${field} must be a whole number` })
        .min(min, { message: `${field} must be between ${min} and ${max}${hint}` })
        .max(max, { message: `${field} must be between ${min} and ${max}${hint}` });

const bool = (field: string) => z.boolean({ error: `${field} must be true or false` });

const CIPHER_WHY =
    "bmc.cipherSuite must be 17 (RAKP-HMAC-SHA256, AES-128; the default) or 3 (RAKP-HMAC-SHA1, AES-128) — " +
    "suite 0 and the other suites lack authentication, integrity or encryption (suite 0 logs in with any password, CVE-2013-4782), " +
    "so the provider refuses them";

/** Connection to the BMC; stored in outputs too, because `read` and `delete` receive only outputs. */
export const bmcConnectionSchema = z.strictObject(
    {
        host: z
            .string({ error: "bmc.host must be a string (the BMC's address or DNS name)" })
            .trim()
            .min(1, { message: "bmc.host must not be empty: give the BMC's IP address or DNS name" })
            .max(253, { message: "bmc.host is longer than a DNS name can be (253 characters)" })
            .refine((s) => /^[A-Za-z0-9._:\-\[\]%]+$/.test(s), {
                message: "bmc.host must be an IP address or a DNS name (letters, digits, '.', '-', ':' only)",
            }),
        port: int("bmc.port", 1, 65535, " (the BMC's RMCP+ UDP port, normally 623)").default(623),
        username: printable("bmc.username", 1, 16, "(IPMI user names are at most 16 bytes)"),
        password: printable("bmc.password", 1, 20, "(IPMI passwords are at most 20 bytes)"),
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
    },
    { error: (iss) => (iss.code === "unrecognized_keys" ? `unknown property; bmc accepts host, port, username, password, cipherSuite, timeoutSeconds, retries, fallbackPasswords` : "bmc must be an object with host, username and password") },
);

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
    }
    return out;
}
