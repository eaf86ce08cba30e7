/**
 * `BmcUser` over Redfish, decisions free of I/O: the state shape, the id, roles, what a PATCH must carry, drift and
 * diff. The IPMI counterparts are in `plan.ts`; the two share the password-state vocabulary.
 */

import { CredentialsError } from "../shared/errors";
import { isUnknown } from "../shared/validation";
import type { RedfishAccount } from "../redfish/accounts";
import type { EnabledSource, PasswordState } from "./plan";
import type { RedfishConnection, RedfishPrivilege, RedfishUserInputs } from "./redfishSchema";

export const REDFISH_SCHEMA_VERSION = 1;

/** State stored by the engine for a Redfish account. Holds every input, because `read`, `update` and `delete` get only outputs. */
export interface RedfishUserOutputs {
    schemaVersion: number;
    bmc: RedfishConnection;
    host: string;
    port: number;
    /** `slot` (pre-filled members, PATCH) or `collection` (POST/DELETE): how the account was made, and how it goes. */
    model: "slot" | "collection";
    /** The member's Id (a number on most services, the user name on OpenBMC) and its URI, as the BMC gave them. */
    accountId: string;
    accountUri: string;
    /** The member Id as a number, when it is one (the slot on slot-model services). */
    userId?: number;
    username: string;
    password: string;
    /** The live role as a privilege; `oem` for a role outside the four (a custom role set out of band). */
    privilege: RedfishPrivilege | "oem";
    roleId: string;
    enabled: boolean;
    /** `Locked` as the BMC reports it (false where the service has no such property). */
    locked: boolean;
    /** `IPMI` in AccountTypes, where the service exposes AccountTypes; otherwise the value asked for, if any. */
    ipmiMessaging?: boolean;
    verifyPassword: "login" | "off";
    allowSelfLockout: boolean;
    passwordState: PasswordState;
    enabledSource: EnabledSource;
    /** Which login password worked: `password`, `fallbackPasswords[i]`, … Never the value. */
    bmcLogin: string;
    /** The service root's `Vendor` (Dell, HPE, Lenovo, OpenBMC, …), when it gives one. */
    vendor?: string;
}

/** `<host>:<port>/redfish/<AccountId>`; IPv6 hosts are bracketed. Never contains a secret. */
export function redfishResourceId(host: string, port: number, accountId: string): string {
    const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return `${h}:${port}/redfish/${accountId}`;
}

const ROLE: Record<Exclude<RedfishPrivilege, "no-access">, string> = { administrator: "Administrator", operator: "Operator", user: "ReadOnly" };

/** Role Ids a service may use for an account without access: DMTF's NoAccess (older bmcweb), iDRAC's None. */
export const NO_ACCESS_ROLES = ["NoAccess", "None"] as const;

/**
 * The RoleId for a privilege. `no-access` needs a role the service lists (`roles`); the standard three must exist on
 * every service (DSP0266), so they are not looked up.
 */
export function roleFor(privilege: RedfishPrivilege, roles: readonly string[] | undefined, where: { host: string; port: number }): string {
    if (privilege !== "no-access") return ROLE[privilege];
    const role = NO_ACCESS_ROLES.find((r) => roles?.includes(r));
    if (!role) {
        throw new CredentialsError("REDFISH_NOT_SUPPORTED", {
            message: `privilege no-access needs a role without privileges, and this BMC lists none (roles: ${roles?.join(", ") || "none listed"})`,
            hint: 'use enabled: false to keep the account without letting it log in, or privilege "user" (ReadOnly)',
            context: where,
        });
    }
    return role;
}

/** The privilege a RoleId stands for. */
export function privilegeOf(roleId: string | undefined): RedfishPrivilege | "oem" {
    switch (roleId) {
        case "Administrator":
            return "administrator";
        case "Operator":
            return "operator";
        case "ReadOnly":
            return "user";
        case "NoAccess":
        case "None":
            return "no-access";
        default:
            return "oem";
    }
}

/** `IPMI` in the account's types, or undefined when the service shows no AccountTypes. */
export function ipmiTypeOf(account: Pick<RedfishAccount, "accountTypes">): boolean | undefined {
    return account.accountTypes ? account.accountTypes.includes("IPMI") : undefined;
}

/** What the live account must become; `password` only when it is to be written. */
export interface AccountTarget {
    username: string;
    roleId: string;
    enabled: boolean;
    ipmiMessaging?: boolean;
    password?: string;
}

/**
 * The PATCH body that brings `live` to `target`: only what differs (Password when given), `Locked: false` when the
 * account is locked, and for an empty slot everything a slot needs to become an account (iDRAC's create PATCH).
 * Refuses, before any write, what the service cannot express (`Enabled`/`AccountTypes` it does not expose).
 */
export function patchBody(live: RedfishAccount, target: AccountTarget, where: { host: string; port: number }): Record<string, unknown> {
    const empty = live.userName === "";
    const body: Record<string, unknown> = {};
    if (empty || live.userName !== target.username) body.UserName = target.username;
    if (target.password !== undefined) body.Password = target.password;
    if (empty || live.roleId !== target.roleId) body.RoleId = target.roleId;
    if (live.enabled === undefined) {
        if (!target.enabled) {
            throw new CredentialsError("REDFISH_NOT_SUPPORTED", {
                message: "enabled: false cannot be expressed: this BMC's accounts have no Enabled property (iLO 5 models login as a privilege)",
                hint: 'use privilege "no-access" where the BMC lists such a role, or delete the account',
                context: where,
            });
        }
    } else if (empty || live.enabled !== target.enabled) {
        body.Enabled = target.enabled;
    }
    if (live.locked === true) body.Locked = false;
    if (target.ipmiMessaging !== undefined) {
        const types = live.accountTypes;
        if (!types) {
            if (!target.ipmiMessaging) {
                throw new CredentialsError("REDFISH_NOT_SUPPORTED", {
                    message: "ipmiMessaging: false cannot be expressed: this BMC's accounts show no AccountTypes",
                    hint: "remove ipmiMessaging, or manage IPMI access over IPMI (bmc.protocol \"ipmi\")",
                    context: where,
                });
            }
        } else if (types.includes("IPMI") !== target.ipmiMessaging) {
            body.AccountTypes = target.ipmiMessaging ? [...types, "IPMI"] : types.filter((t) => t !== "IPMI");
        }
    }
    return body;
}

/** Fields of `live` that do not match `target` (the password cannot be read, so it is never among them). */
export function accountMismatches(live: RedfishAccount, target: AccountTarget): string[] {
    const out: string[] = [];
    if (live.userName !== target.username) out.push("username");
    if (live.roleId !== target.roleId) out.push("privilege");
    if (live.enabled !== undefined && live.enabled !== target.enabled) out.push("enabled");
    if (target.ipmiMessaging !== undefined && live.accountTypes && live.accountTypes.includes("IPMI") !== target.ipmiMessaging) out.push("ipmiMessaging");
    if (live.locked === true) out.push("locked");
    return out;
}

/** Whether a login as the account can prove its password at all. */
export function canProbe(account: RedfishAccount, verifyPassword: "login" | "off"): boolean {
    return (
        verifyPassword === "login" &&
        account.enabled !== false &&
        account.locked !== true &&
        privilegeOf(account.roleId) !== "no-access" &&
        (account.accountTypes === undefined || account.accountTypes.includes("Redfish"))
    );
}

/** Outputs after a write that was read back. */
export function redfishOutputs(
    inputs: RedfishUserInputs,
    account: RedfishAccount,
    model: "slot" | "collection",
    extra: { passwordState: PasswordState; bmcLogin: string; vendor?: string },
): RedfishUserOutputs {
    const userId = numericId(account.id);
    const ipmi = ipmiTypeOf(account) ?? inputs.ipmiMessaging;
    return {
        schemaVersion: REDFISH_SCHEMA_VERSION,
        bmc: inputs.bmc,
        host: inputs.bmc.host,
        port: inputs.bmc.port,
        model,
        accountId: account.id,
        accountUri: account.uri,
        ...(userId !== undefined ? { userId } : {}),
        username: inputs.username,
        password: inputs.password,
        privilege: inputs.privilege,
        roleId: account.roleId ?? "",
        enabled: inputs.enabled,
        locked: account.locked === true,
        ...(ipmi !== undefined ? { ipmiMessaging: ipmi } : {}),
        verifyPassword: inputs.verifyPassword,
        allowSelfLockout: inputs.allowSelfLockout,
        passwordState: extra.passwordState,
        enabledSource: account.enabled !== undefined ? "bmc" : extra.passwordState === "verified" ? "login" : "assumed",
        bmcLogin: extra.bmcLogin,
        ...(extra.vendor !== undefined ? { vendor: extra.vendor } : {}),
    };
}

/** Result of a login probe as the managed user. */
export type RedfishProbe = "ok" | "bad-password" | "skipped";

/** Outputs describing what a refresh observed. */
export function observedRedfishOutputs(prior: RedfishUserOutputs, live: RedfishAccount, probe: RedfishProbe, bmcLogin: string, vendor?: string): RedfishUserOutputs {
    let enabled = prior.enabled;
    let enabledSource: EnabledSource = "assumed";
    if (live.enabled !== undefined) {
        enabled = live.enabled;
        enabledSource = "bmc";
    } else if (probe === "ok") {
        enabled = true;
        enabledSource = "login";
    }
    const passwordState: PasswordState =
        probe === "ok" ? "verified" : probe === "bad-password" ? "mismatch" : prior.passwordState === "unknown" || prior.passwordState === "mismatch" ? prior.passwordState : "not-checked";
    const ipmi = ipmiTypeOf(live) ?? prior.ipmiMessaging;
    const observed: RedfishUserOutputs = {
        ...prior,
        schemaVersion: REDFISH_SCHEMA_VERSION,
        accountId: live.id,
        accountUri: live.uri,
        username: live.userName,
        privilege: privilegeOf(live.roleId),
        roleId: live.roleId ?? "",
        enabled,
        enabledSource,
        locked: live.locked === true,
        passwordState,
        bmcLogin,
        ...(vendor !== undefined ? { vendor } : {}),
    };
    if (ipmi !== undefined) observed.ipmiMessaging = ipmi;
    return observed;
}

function numericId(id: string): number | undefined {
    return /^\d+$/.test(id) ? Number(id) : undefined;
}

const UPDATE_FIELDS = ["username", "password", "privilege", "enabled", "verifyPassword", "allowSelfLockout"] as const;
const CONNECTION_FIELDS = ["username", "password", "tls", "timeoutSeconds"] as const;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Compares prior outputs (or refreshed ones) with new inputs when either side speaks Redfish. A change of protocol, host
 * or port, or of a given `userId`, is a replacement; everything else is an update. Pure; ignores `__provider`.
 */
export function diffRedfishUser(olds: Record<string, any>, news: Record<string, unknown>): { replaces: string[]; updates: string[] } {
    const replaces: string[] = [];
    const updates: string[] = [];
    const newBmc = (news.bmc ?? {}) as Record<string, unknown>;
    const oldBmc = (olds.bmc ?? {}) as Record<string, unknown>;
    const changed = (o: unknown, n: unknown) => isUnknown(n) || !same(o, n);
    const protocolOf = (b: Record<string, unknown>) => (b.protocol === undefined ? "ipmi" : b.protocol);

    if (isUnknown(news.bmc) || changed(protocolOf(oldBmc), isUnknown(newBmc.protocol) ? newBmc.protocol : protocolOf(newBmc))) {
        replaces.push("bmc.protocol");
    }
    if (isUnknown(news.bmc) || changed(oldBmc.host ?? olds.host, newBmc.host)) replaces.push("bmc.host");
    if (!isUnknown(news.bmc) && changed(oldBmc.port ?? olds.port, newBmc.port ?? 443)) replaces.push("bmc.port");
    if (news.userId !== undefined && changed(olds.userId, news.userId)) replaces.push("userId");
    if (replaces.includes("bmc.protocol")) {
        return { replaces, updates };
    }
    for (const f of UPDATE_FIELDS) {
        if (changed(olds[f], news[f])) updates.push(f);
    }
    if (news.ipmiMessaging !== undefined && changed(olds.ipmiMessaging, news.ipmiMessaging)) updates.push("ipmiMessaging");
    if (olds.locked === true) updates.push("locked");
    if (!updates.includes("password") && (olds.passwordState === "mismatch" || olds.passwordState === "unknown")) updates.push("password");
    if (!isUnknown(news.bmc)) {
        for (const f of CONNECTION_FIELDS) {
            if (changed(oldBmc[f], newBmc[f])) updates.push(`bmc.${f}`);
        }
        if (changed(oldBmc.fallbackPasswords ?? [], newBmc.fallbackPasswords ?? [])) updates.push("bmc.fallbackPasswords");
    }
    return { replaces, updates };
}

/** Whether an update must write the password: it changed, or the BMC's copy is known or feared to differ. */
export function redfishPasswordNeedsWrite(olds: Pick<RedfishUserOutputs, "password" | "passwordState">, news: Pick<RedfishUserInputs, "password">): boolean {
    return olds.password !== news.password || olds.passwordState === "mismatch" || olds.passwordState === "unknown";
}

/**
 * A password for a cleared slot that nobody knows and the service accepts: printable, with upper, lower, digit and
 * special characters, as long as the service allows (16 to 20 by default).
 */
export function scramblePassword(random: (n: number) => Buffer, minLength = 0, maxLength = 20): string {
    const length = Math.max(Math.min(20, maxLength), Math.min(minLength, maxLength), 4);
    const sets = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "-_=+.:@%"];
    const all = sets.join("");
    const bytes = random(length);
    return Array.from(bytes, (b, i) => (i < sets.length ? sets[i][b % sets[i].length] : all[b % all.length])).join("");
}
