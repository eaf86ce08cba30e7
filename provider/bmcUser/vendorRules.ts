/**
 * Vendor profiles applied to `BmcUser` decisions. Pure: the profile comes from `ipmi/vendors.ts` (data,
 * each rule with its source), the BMC's identity from `identity.ts`; this module decides what the rules mean for one
 * account — which inputs a vendor refuses, in which order writes go, what counts as an empty slot.
 *
 * `check` runs offline and cannot know the vendor, so the rules apply at call time, inside the session and before any
 * write, unless the resource names its vendor with `vendorProfile` (then `check` applies them at preview too).
 */

import { CredentialsError } from "../shared/errors";
import type { CheckFailure } from "../shared/validation";
import { RawCommand, UserAccess, UserAccessFlags, setUserAccess, setUserEnabled } from "../ipmi/commands";
import type { VendorProfile } from "../ipmi/vendors";

/** The account fields the vendor rules look at. */
export interface VendorRuleInputs {
    username: string;
    password: string;
    userId?: number;
}

/** The character classes vendor password policies count. */
const CLASSES: readonly [string, RegExp][] = [
    ["upper case", /[A-Z]/],
    ["lower case", /[a-z]/],
    ["digit", /[0-9]/],
    ["special character", /[^A-Za-z0-9]/],
];

/**
 * The vendor rules a password breaks, each naming the rule and its source, never the value: the byte cap, and the
 * firmware policy's length and character classes.
 */
export function passwordRuleFailures(password: string, profile: VendorProfile, property = "password"): CheckFailure[] {
    const out: CheckFailure[] = [];
    const bytes = Buffer.byteLength(password, "latin1");
    const cap = Math.min(profile.maxPasswordBytes, profile.passwordPolicy?.maxLength ?? 20);
    if (bytes > cap) {
        out.push({
            property,
            reason: `${profile.name} BMCs accept IPMI passwords of at most ${cap} bytes (longer ones are refused or silently truncated; ${sourceOf(profile, "16")}); use a shorter password or vendorProfile: "generic" if this firmware is known to take 20`,
        });
    }
    const policy = profile.passwordPolicy;
    if (policy) {
        if (password.length < policy.minLength) {
            out.push({ property, reason: `${profile.name} firmware requires at least ${policy.minLength} characters (${policy.source})` });
        }
        const present = CLASSES.filter(([, re]) => re.test(password)).length;
        if (present < policy.requiredClasses) {
            out.push({
                property,
                reason:
                    `${profile.name} firmware requires ${policy.requiredClasses >= CLASSES.length ? "each" : `at least ${policy.requiredClasses}`} of: ${CLASSES.map(([n]) => n).join(", ")} ` +
                    `(${policy.source}); non-compliant passwords are refused or reset by firmware updates`,
            });
        }
    }
    return out;
}

/** The source line of a profile that mentions `needle`, for citing it in a message. */
function sourceOf(profile: VendorProfile, needle: string): string {
    return profile.sources.find((s) => s.includes(needle)) ?? profile.sources[0];
}

/**
 * Fixed-name slots (Supermicro: slot 2 is always `ADMIN`): managing such a slot under another name cannot work, the
 * firmware refuses the rename or ignores it.
 */
export function fixedSlotFailure(inputs: Pick<VendorRuleInputs, "username">, slot: number | undefined, profile: VendorProfile): CheckFailure | undefined {
    if (slot === undefined || !profile.fixedNameSlots.includes(slot)) {
        return undefined;
    }
    const fixed = profile.defaultAdmin?.slot === slot ? profile.defaultAdmin.username : undefined;
    if (fixed === undefined || inputs.username === fixed) {
        return undefined;
    }
    return {
        property: "username",
        reason: `slot ${slot} on ${profile.name} BMCs is fixed to ${fixed} and cannot be renamed (${sourceOf(profile, "fixed")}); manage ${fixed} under that name, or give this account another userId`,
    };
}

/** A slot beyond the vendor's known slot count (Dell: 16), which its firmware would refuse with 0xC9. */
export function slotRangeFailure(slot: number | undefined, profile: VendorProfile): CheckFailure | undefined {
    if (slot === undefined || profile.maxUsers === undefined || slot <= profile.maxUsers) {
        return undefined;
    }
    return {
        property: "userId",
        reason: `userId ${slot} is above ${profile.name} BMCs' ${profile.maxUsers} user slots (${sourceOf(profile, String(profile.maxUsers))}); choose a userId from 2 to ${profile.maxUsers}, or omit userId to use the lowest free slot`,
    };
}

/** Every vendor rule the account breaks, given the slot it will occupy (when known). */
export function vendorRuleFailures(inputs: VendorRuleInputs, profile: VendorProfile, slot = inputs.userId): CheckFailure[] {
    const failures = [slotRangeFailure(slot, profile), fixedSlotFailure(inputs, slot, profile)].filter((f): f is CheckFailure => f !== undefined);
    return [...failures, ...passwordRuleFailures(inputs.password, profile)];
}

/** The call-time error for broken vendor rules (before any write). */
export function vendorRuleError(failures: readonly CheckFailure[], profile: VendorProfile, context: Record<string, string | number | undefined>): CredentialsError {
    return new CredentialsError("BMC_VENDOR_RULE", {
        message: failures.map((f) => `${f.property}: ${f.reason}`).join("; "),
        hint: `nothing was written. Fix the inputs named above; vendorProfile: "generic" turns the ${profile.name} rules off if this firmware does not need them`,
        context: { ...context, vendor: profile.name },
    });
}

/** Whether a name reported by the BMC means "unused slot" on this vendor (HPE: "(Empty User)"). */
export function isEmptyName(name: string, profile: VendorProfile): boolean {
    return name.length === 0 || profile.emptySlotNames.includes(name);
}

/** A slot as read, with a vendor's placeholder name for unused slots turned into the empty name. */
export function normaliseSlot<T extends { name: string }>(slot: T, profile: VendorProfile): T {
    return isEmptyName(slot.name, profile) && slot.name !== "" ? { ...slot, name: "" } : slot;
}

/** Slots to consider: what the BMC reports, capped by what the vendor is known to manage (Dell: 16). */
export function slotLimit(reported: number, profile: VendorProfile): number {
    return profile.maxUsers !== undefined ? Math.min(reported, profile.maxUsers) : reported;
}

/** What an account write consists of, before the vendor's ordering is applied. */
export interface WriteParts {
    /** Set User Name, when the name differs. */
    name?: RawCommand;
    /** Set User Password, when the password is written. */
    password?: RawCommand;
    /** Set User Access, when privilege or flags differ. */
    access?: { channel: number; userId: number; flags: UserAccessFlags };
    /** Enable/disable, when it must be stated. */
    enable?: { userId: number; enabled: boolean };
}

/** Whether a slot, as read, looks enabled (enable status, or IPMI messaging on BMCs that fold the two). */
function looksEnabled(access: UserAccess): boolean {
    return access.enableStatus === "enabled" || (access.enableStatus === "unspecified" && access.ipmiMessaging);
}

/**
 * Orders the writes as the vendor needs them. Generic (and Dell): name and password before access, enable last.
 * Supermicro: the privilege limit in a write of its own before IPMI messaging is turned on, and no enable write when
 * only the password changes on an enabled account. Lenovo: enable before Set User Access (0xCC on disabled slots),
 * then disable again if the account is to be disabled.
 */
export function sequenceWrites(parts: WriteParts, profile: VendorProfile, live?: { access: UserAccess }): RawCommand[] {
    const out: RawCommand[] = [];
    if (parts.name) out.push(parts.name);
    if (parts.password) out.push(parts.password);
    let enable = parts.enable;
    if (profile.noEnableOnPasswordChange && enable?.enabled && parts.password && !parts.name && !parts.access && live && looksEnabled(live.access)) {
        enable = undefined;
    }
    const access: RawCommand[] = [];
    if (parts.access) {
        const { channel, userId, flags } = parts.access;
        const turnsMessagingOn = flags.ipmiMessaging && !(live?.access.ipmiMessaging ?? false);
        if (profile.privilegeBeforeMessaging && turnsMessagingOn) {
            access.push(setUserAccess(channel, userId, { ...flags, ipmiMessaging: false }));
        }
        access.push(setUserAccess(channel, userId, flags));
    }
    if (profile.accessNeedsNamedSlot && access.length > 0) {
        const userId = parts.access!.userId;
        out.push(setUserEnabled(userId, true), ...access);
        if (enable && !enable.enabled) out.push(setUserEnabled(userId, false));
        return out;
    }
    out.push(...access);
    if (enable) out.push(setUserEnabled(enable.userId, enable.enabled));
    return out;
}

/**
 * A throwaway password for a deleted account: random, as long as the vendor allows, and meeting its policy (one of
 * each class), so the write that scrambles it is not refused. `random` supplies the random bytes.
 */
export function scramblePassword(profile: VendorProfile, random: (n: number) => Buffer): string {
    const length = Math.min(profile.maxPasswordBytes, profile.passwordPolicy?.maxLength ?? 20);
    const body = random(24).toString("base64").replace(/[^A-Za-z0-9]/g, "");
    return `${body.slice(0, length - 4)}Aa1-`;
}
