/**
 * `BmsPassword` inputs: zod schema and the documented password rules. Pure: no I/O, no Pulumi SDK.
 *
 * The rules are those of the one-click reset API doc (`new_password`), which the API itself never checks:
 * 8–26 characters; three of four character classes; specials limited to the OS's set; not the user name nor its
 * reverse; on Windows no run of more than two consecutive characters of the user name. User-name comparisons are
 * case-insensitive because the doc does not say and the stricter reading is the safe one.
 */

import { z } from "zod";

export const OS_TYPES = ["auto", "linux", "windows"] as const;
export type OsTypeInput = (typeof OS_TYPES)[number];
export type KnownOs = Exclude<OsTypeInput, "auto">;

export const RESTART_POLICIES = ["never", "hard"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

/** Special characters the doc allows, per OS. */
export const SPECIAL_CHARACTERS: Readonly<Record<KnownOs, string>> = {
    windows: "!@$%-_=+[]:./?",
    linux: "!@%^-_=+[]{}:,./?",
};

/** The management account whose password the API resets. */
export const DEFAULT_USERNAME: Readonly<Record<KnownOs, string>> = { linux: "root", windows: "Administrator" };

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 26;

/** Names of the documented rules, stable so that messages and tests can refer to them. */
export type PasswordRule = "length" | "character-classes" | "allowed-characters" | "username" | "username-reversed" | "windows-username-run";

export interface RuleViolation {
    rule: PasswordRule;
    /** Says what the rule is and what to do; never quotes the password or any part of it. */
    reason: string;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** http is allowed only to loopback (the local emulator); anything else must be https. */
export function endpointProblem(value: string): string | undefined {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return "endpoint must be an absolute URL such as https://bms.cn-north-4.myhuaweicloud.com";
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
        return "endpoint must use https";
    }
    if (url.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
        return "endpoint must use https (plain http is accepted only for 127.0.0.1/localhost, e.g. the test emulator)";
    }
    if (url.search || url.hash || url.username || url.password) {
        return "endpoint must not carry a query, fragment or user info";
    }
    if (url.pathname !== "/" && url.pathname !== "") {
        return "endpoint must be the service root without a path, e.g. https://bms.cn-north-4.myhuaweicloud.com";
    }
    return undefined;
}

/** Inputs after validation and defaults. */
export const inputsSchema = z.object({
    serverId: z.string({ error: "serverId is required: set it to the bare-metal server's id (a UUID, shown in the BMS console)" }).regex(UUID, {
        message: "serverId must be the bare-metal server's id, a UUID such as 77616c78-0bc4-4156-b24b-4286586ac350",
    }),
    password: z
        .string({ error: "password is required: pass the new OS password, e.g. config.requireSecret(\"rootPw\")" })
        .min(1, { message: "password must not be empty" }),
    projectId: z
        .string({ error: "projectId must be a string" })
        .regex(/^[0-9a-fA-F]{32}$/, { message: "projectId must be the 32-hex project id of the region (My Credentials → API Credentials)" })
        .optional(),
    region: z
        .string({ error: "region must be a string" })
        .regex(/^[a-z]{2,}(-[a-z0-9]+)+$/, { message: "region must be a Huawei Cloud region name such as cn-north-4" })
        .optional(),
    endpoint: z
        .string({ error: "endpoint must be a string" })
        .superRefine((v, ctx) => {
            const problem = endpointProblem(v);
            if (problem) {
                ctx.addIssue({ code: "custom", message: problem });
            }
        })
        .optional(),
    osType: z.enum(OS_TYPES, { error: "osType must be one of auto, linux, windows" }).default("auto"),
    restart: z.enum(RESTART_POLICIES, { error: "restart must be never or hard (a soft reboot is documented as not effective)" }).default("never"),
    username: z
        .string({ error: "username must be a string" })
        .regex(/^[^\s]{1,64}$/, { message: "username must be 1-64 characters without spaces; omit it to use root (Linux) or Administrator (Windows)" })
        .optional(),
});

export type BmsPasswordInputs = z.infer<typeof inputsSchema>;

function osLabel(os: KnownOs | "unknown"): string {
    return os === "linux" ? "Linux" : os === "windows" ? "Windows" : "either OS";
}

/**
 * Checks the documented rules. With `os = "unknown"` (osType auto, before the server was queried) only the rules that
 * hold for both OSes are applied: the specials allowed are the union, and the user-name rules need an explicit
 * `username`. The full set is applied again in create/update once the OS is known.
 */
export function passwordViolations(password: string, os: KnownOs | "unknown", username?: string): RuleViolation[] {
    const out: RuleViolation[] = [];
    const chars = [...password];
    if (chars.length < PASSWORD_MIN_LENGTH || chars.length > PASSWORD_MAX_LENGTH) {
        out.push({ rule: "length", reason: `password breaks rule "length": use ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters` });
    }
    const specials = os === "unknown" ? new Set([...SPECIAL_CHARACTERS.linux, ...SPECIAL_CHARACTERS.windows]) : new Set([...SPECIAL_CHARACTERS[os]]);
    const specialList = os === "unknown" ? [...specials].join("") : SPECIAL_CHARACTERS[os];
    const classes = [/[A-Z]/, /[a-z]/, /[0-9]/].filter((re) => chars.some((c) => re.test(c))).length + (chars.some((c) => specials.has(c)) ? 1 : 0);
    if (classes < 3) {
        out.push({
            rule: "character-classes",
            reason: `password breaks rule "character-classes": use at least three of upper-case letters, lower-case letters, digits and the ${osLabel(os)} special characters ${specialList}`,
        });
    }
    if (chars.some((c) => !/[A-Za-z0-9]/.test(c) && !specials.has(c))) {
        out.push({
            rule: "allowed-characters",
            reason: `password breaks rule "allowed-characters": use only letters, digits and the ${osLabel(os)} special characters ${specialList} (no spaces, no other symbols)`,
        });
    }
    const user = username ?? (os === "unknown" ? undefined : DEFAULT_USERNAME[os]);
    if (user) {
        const lower = password.toLowerCase();
        const name = user.toLowerCase();
        if (lower.includes(name)) {
            out.push({ rule: "username", reason: `password breaks rule "username": it must not contain the user name (${user})` });
        }
        const reversed = [...name].reverse().join("");
        if (reversed !== name && lower.includes(reversed)) {
            out.push({ rule: "username-reversed", reason: `password breaks rule "username-reversed": it must not contain the user name reversed` });
        }
        if (os === "windows" && !lower.includes(name)) {
            const runs = [...name];
            for (let i = 0; i + 3 <= runs.length; i++) {
                if (lower.includes(runs.slice(i, i + 3).join(""))) {
                    out.push({
                        rule: "windows-username-run",
                        reason: `password breaks rule "windows-username-run": on Windows it must not contain more than two consecutive characters of the user name (${user}) in order`,
                    });
                    break;
                }
            }
        }
    }
    return out;
}

/** Maps `server.metadata.os_type` (`"Linux"`/`"Windows"`) to an OS, or undefined when absent or unrecognised. */
export function osFromMetadata(osType: string | undefined): KnownOs | undefined {
    const v = osType?.trim().toLowerCase();
    return v === "linux" || v === "windows" ? v : undefined;
}
