/**
 * `BmcUser` decisions, free of I/O: the state shape, the resource id, drift and diff, and which IPMI writes bring a
 * slot from what it is to what is declared.
 */

import {
    PasswordSize,
    Privilege,
    RawCommand,
    UserAccess,
    passwordSizeFor,
    setUserName,
    setUserPassword,
} from "../ipmi/commands";
import { GENERIC, VendorName, VendorProfile } from "../ipmi/vendors";
import { WriteParts, sequenceWrites } from "./vendorRules";
import { isUnknown } from "../shared/validation";
import { transportOf } from "./schema";
import type { BmcConnection, BmcUserInputs } from "./schema";

/** Version of the output shape; bump when it changes and keep reading the older ones. */
export const SCHEMA_VERSION = 1;

/**
 * What is known about the password on the BMC.
 * - `verified`: a login with it succeeded.
 * - `mismatch`: the BMC rejected it at login (changed behind Pulumi's back).
 * - `not-checked`: verification is off, or impossible (disabled account, no-access privilege).
 * - `unknown`: a write may not have completed; the next update sets it again.
 */
export type PasswordState = "verified" | "mismatch" | "not-checked" | "unknown";

/** Where the `enabled` output came from: the BMC's enable status, a login probe, or the last value set. */
export type EnabledSource = "bmc" | "login" | "assumed";

/** State stored by the engine. Holds every input, because `read`, `update` and `delete` receive only outputs. */
export interface BmcUserOutputs {
    schemaVersion: number;
    bmc: BmcConnection;
    /** Copied out of `bmc` so that they are visible in plain outputs (`bmc` is secret as a whole). */
    host: string;
    port: number;
    channel: number;
    userId: number;
    username: string;
    password: string;
    /** The live limit after a refresh; `oem`/`reserved` only when someone set such a value out of band. */
    privilege: Privilege | "oem" | "reserved";
    enabled: boolean;
    ipmiMessaging: boolean;
    linkAuth: boolean;
    callin: boolean;
    verifyPassword: "login" | "off";
    allowSelfLockout: boolean;
    passwordSize: PasswordSize;
    passwordState: PasswordState;
    enabledSource: EnabledSource;
    /** Which login password worked last time: `password` or `fallbackPasswords[i]`. Never the value. */
    bmcLogin: string;
    /** The `vendorProfile` input (`auto` unless the program names a vendor). */
    vendorProfile?: VendorName | "auto";
    /** The vendor profile applied at the last operation; absent in state written before vendor detection. */
    vendor?: VendorName;
    /** IANA manufacturer id from Get Device ID (Supermicro 10876, Dell 674, …); absent when the BMC did not say. */
    manufacturerId?: number;
}

/** What an operation learnt about the BMC's maker, for the outputs. */
export type VendorOutputs = Pick<BmcUserOutputs, "vendor" | "manufacturerId">;

/** `<host>:<port>/ch<channel>/user<slot>`; IPv6 hosts are bracketed. Never contains a secret. */
export function resourceId(host: string, port: number, channel: number, userId: number): string {
    const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    return `${h}:${port}/ch${channel}/user${userId}`;
}

/**
 * The id of a resource whose account may have moved: `id` with its channel and slot made those the outputs record.
 * An update that finds another account in the recorded slot creates ours in a free slot, but an update cannot change
 * the id (Pulumi's UpdateResult has none); a refresh can (the engine's RefreshStep keeps the id Read returns), so
 * `read` hands back this id and the id follows the account from the next refresh on. The host and port part is kept
 * byte for byte, so an id whose slot did not move never changes. An id of another shape is returned as it is.
 */
export function idForSlot(id: string, channel: number, userId: number): string {
    const m = /^(.*)\/ch(\d+)\/user(\d+)$/.exec(id);
    if (!m || (Number(m[2]) === channel && Number(m[3]) === userId)) {
        return id;
    }
    return `${m[1]}/ch${channel}/user${userId}`;
}

/** Observed state of one slot. */
export interface LiveSlot {
    name: string;
    access: UserAccess;
}

/** A slot is free (or was emptied) when its name is empty. */
export function isEmptySlot(name: string): boolean {
    return name.length === 0;
}

/** Whether the BMC reports enable status separately from the IPMI-messaging flag. */
export function reportsEnableStatus(access: UserAccess): boolean {
    return access.enableStatus !== "unspecified";
}

/**
 * Where `enabled` comes from after a write: the read-back's enable status when the BMC reports one, else the login
 * that proved the password (an enabled account logs in), else the value just written. Matches what a refresh of the
 * same slot reports, so the first refresh after an apply shows no change.
 */
export function enabledSourceAfterWrite(readBack: UserAccess, passwordState: PasswordState): EnabledSource {
    return reportsEnableStatus(readBack) ? "bmc" : passwordState === "verified" ? "login" : "assumed";
}

/**
 * The fields of `desired` that the slot does not match. When the BMC does not report enable status (ipmi_sim and some
 * firmware fold "enabled" into the IPMI-messaging flag), a disabled account's messaging flag cannot be told apart from
 * its enable state and is not compared.
 */
export function slotMismatches(desired: Pick<BmcUserInputs, "username" | "privilege" | "enabled" | "ipmiMessaging" | "linkAuth" | "callin">, live: LiveSlot): string[] {
    const out: string[] = [];
    if (live.name !== desired.username) out.push("username");
    if (live.access.privilege !== desired.privilege) out.push("privilege");
    if (live.access.linkAuth !== desired.linkAuth) out.push("linkAuth");
    if (live.access.callin !== desired.callin) out.push("callin");
    const foldsEnable = !reportsEnableStatus(live.access);
    if (!(foldsEnable && !desired.enabled) && live.access.ipmiMessaging !== desired.ipmiMessaging) out.push("ipmiMessaging");
    if (reportsEnableStatus(live.access) && (live.access.enableStatus === "enabled") !== desired.enabled) out.push("enabled");
    return out;
}

/**
 * The writes that make a slot match `desired`, in the order the vendor needs (see `sequenceWrites`: generic and Dell
 * write name and password before access and enable last; Supermicro sets the privilege before turning messaging on;
 * Lenovo enables before Set User Access). The password is written only when `setPassword` says so, because a BMC
 * cannot report it.
 */
export function planWrites(
    desired: BmcUserInputs,
    channel: number,
    userId: number,
    live: LiveSlot | undefined,
    setPassword: boolean,
    profile: VendorProfile = GENERIC,
): RawCommand[] {
    const mismatched = live ? new Set(slotMismatches(desired, live)) : undefined;
    const needs = (field: string) => !mismatched || mismatched.has(field);
    const parts: WriteParts = {};
    if (needs("username")) {
        parts.name = setUserName(userId, desired.username);
    }
    if (setPassword) {
        parts.password = setUserPassword(userId, desired.password, passwordSizeFor(desired.password));
    }
    if (needs("privilege") || needs("linkAuth") || needs("callin") || needs("ipmiMessaging")) {
        const { privilege, ipmiMessaging, linkAuth, callin } = desired;
        parts.access = { channel, userId, flags: { privilege, ipmiMessaging, linkAuth, callin } };
    }
    // Enable status is often unreported, and the access write above may toggle it on BMCs that fold the two together:
    // when in doubt, state it again. A password alone on a BMC that reports the account enabled as desired leaves
    // nothing in doubt (its read-back and the login that proves the password both see the account).
    const unreported = !live || !reportsEnableStatus(live.access);
    if (unreported || mismatched?.has("enabled") || parts.name || parts.access) {
        parts.enable = { userId, enabled: desired.enabled };
    }
    return sequenceWrites(parts, profile, live);
}

/** Whether an update must write the password: it changed, or the BMC's copy is known or feared to differ. */
export function passwordNeedsWrite(olds: Pick<BmcUserOutputs, "password" | "passwordState">, news: Pick<BmcUserInputs, "password">): boolean {
    return olds.password !== news.password || olds.passwordState === "mismatch" || olds.passwordState === "unknown";
}

/** Whether a login as the managed user can prove the password at all. */
export function canVerifyByLogin(desired: Pick<BmcUserInputs, "verifyPassword" | "enabled" | "privilege" | "ipmiMessaging">): boolean {
    return desired.verifyPassword === "login" && desired.enabled && desired.ipmiMessaging && desired.privilege !== "no-access";
}

const UPDATE_FIELDS = [
    "username",
    "password",
    "privilege",
    "enabled",
    "ipmiMessaging",
    "linkAuth",
    "callin",
    "verifyPassword",
    "allowSelfLockout",
] as const;

// A new route (`ssh`, `via`) reaches the same BMC: an update. A new in-band host changes `host` (its label): a replace.
const CONNECTION_FIELDS = ["username", "password", "cipherSuite", "timeoutSeconds", "retries", "ssh", "via", "inband"] as const;

/** Field-level result of comparing stored (or refreshed) outputs with desired inputs. */
export interface BmcUserDiff {
    /** Fields that force a replacement (a different slot or BMC). */
    replaces: string[];
    /** Fields applied in place. */
    updates: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Compares prior outputs (after a refresh: the live state) with new inputs. Pure. `__provider` is ignored, so a new
 * package version alone never causes an update. Unknown (preview) values count as changes.
 */
export function diffBmcUser(olds: Partial<BmcUserOutputs>, news: Record<string, unknown>): BmcUserDiff {
    const replaces: string[] = [];
    const updates: string[] = [];
    const newBmc = (news.bmc ?? {}) as Record<string, unknown>;
    const oldBmc = (olds.bmc ?? {}) as Partial<BmcConnection>;
    const changed = (o: unknown, n: unknown) => isUnknown(n) || !same(o, n);

    if (isUnknown(news.bmc) || changed(oldBmc.host ?? olds.host, newBmc.host)) replaces.push("bmc.host");
    if (!isUnknown(news.bmc) && changed(oldBmc.port ?? olds.port, newBmc.port ?? 623)) replaces.push("bmc.port");
    if (news.channel !== undefined && changed(olds.channel, news.channel)) replaces.push("channel");
    if (news.userId !== undefined && changed(olds.userId, news.userId)) replaces.push("userId");

    for (const f of UPDATE_FIELDS) {
        if (changed(olds[f], news[f])) updates.push(f);
    }
    // State written before vendor detection has no vendorProfile: that is "auto". The detected `vendor` and
    // `manufacturerId` are outputs only and never differ from an input.
    if (changed(olds.vendorProfile ?? "auto", news.vendorProfile ?? "auto")) updates.push("vendorProfile");
    if (!updates.includes("password") && (olds.passwordState === "mismatch" || olds.passwordState === "unknown")) {
        updates.push("password");
    }
    if (!isUnknown(news.bmc)) {
        for (const f of CONNECTION_FIELDS) {
            if (changed(oldBmc[f], newBmc[f])) updates.push(`bmc.${f}`);
        }
        if (changed(oldBmc.fallbackPasswords ?? [], newBmc.fallbackPasswords ?? [])) updates.push("bmc.fallbackPasswords");
        // Compared as resolved: state written before `transport` existed, or without it, means the route's default.
        if (isUnknown(newBmc.transport) || transportOf(oldBmc) !== transportOf(newBmc as Partial<BmcConnection>)) updates.push("bmc.transport");
    }
    return { replaces, updates };
}

/** Outputs for a slot that was just written and read back. */
export function outputsFor(
    inputs: BmcUserInputs,
    channel: number,
    userId: number,
    extra: Pick<BmcUserOutputs, "passwordState" | "bmcLogin"> & Partial<Pick<BmcUserOutputs, "enabledSource">> & VendorOutputs,
): BmcUserOutputs {
    return {
        schemaVersion: SCHEMA_VERSION,
        bmc: inputs.bmc,
        host: inputs.bmc.host,
        port: inputs.bmc.port,
        channel,
        userId,
        username: inputs.username,
        password: inputs.password,
        privilege: inputs.privilege,
        enabled: inputs.enabled,
        ipmiMessaging: inputs.ipmiMessaging,
        linkAuth: inputs.linkAuth,
        callin: inputs.callin,
        verifyPassword: inputs.verifyPassword,
        allowSelfLockout: inputs.allowSelfLockout,
        passwordSize: passwordSizeFor(inputs.password),
        passwordState: extra.passwordState,
        enabledSource: extra.enabledSource ?? "bmc",
        bmcLogin: extra.bmcLogin,
        vendorProfile: inputs.vendorProfile,
        ...vendorFields(extra),
    };
}

/** The vendor outputs that are known (an unknown manufacturer id is left out rather than stored as undefined). */
function vendorFields(v: VendorOutputs): VendorOutputs {
    return { ...(v.vendor !== undefined ? { vendor: v.vendor } : {}), ...(v.manufacturerId !== undefined ? { manufacturerId: v.manufacturerId } : {}) };
}

/** Result of a login probe as the managed user. */
export type LoginProbe = "ok" | "bad-password" | "no-such-user" | "skipped";

/**
 * Outputs describing what a refresh observed. Fields the BMC cannot show (the password, and enable status on BMCs that
 * do not report it) come from the login probe or, failing that, from the prior outputs.
 */
export function observedOutputs(prior: BmcUserOutputs, live: LiveSlot, probe: LoginProbe, bmcLogin: string, vendor: VendorOutputs = {}): BmcUserOutputs {
    let enabled = prior.enabled;
    let enabledSource: EnabledSource = "assumed";
    if (reportsEnableStatus(live.access)) {
        enabled = live.access.enableStatus === "enabled";
        enabledSource = "bmc";
    } else if (probe === "ok" || probe === "bad-password") {
        enabled = true;
        enabledSource = "login";
    } else if (probe === "no-such-user") {
        enabled = false;
        enabledSource = "login";
    }
    const foldsEnable = !reportsEnableStatus(live.access);
    const ipmiMessaging = foldsEnable && !prior.enabled && !enabled ? prior.ipmiMessaging : live.access.ipmiMessaging;
    const passwordState: PasswordState =
        probe === "ok" ? "verified" : probe === "bad-password" ? "mismatch" : prior.passwordState === "unknown" ? "unknown" : "not-checked";
    const observed: BmcUserOutputs = {
        ...prior,
        schemaVersion: SCHEMA_VERSION,
        username: live.name,
        privilege: live.access.privilege,
        enabled,
        enabledSource,
        ipmiMessaging,
        linkAuth: live.access.linkAuth,
        callin: live.access.callin,
        passwordState,
        bmcLogin,
        ...vendorFields(vendor),
    };
    if (vendor.vendor !== undefined && vendor.manufacturerId === undefined) {
        // Identified this time without a manufacturer id (Get Device ID unanswered): the old one is no longer known.
        delete observed.manufacturerId;
    }
    return observed;
}
