/**
 * The account table of a BMC as the IPMI layer reads it, inside an open {@link IpmiSession}: the LAN channel (found
 * once per BMC per process), one slot (Get User Access + Get User Name), a slot by name, and whether another active
 * administrator exists. Transport-neutral: the same code runs over the native client and over ipmitool.
 */

import { CredentialsError } from "../shared/errors";
import { decodeChannelInfo, decodeUserAccess, decodeUserName, getChannelInfo, getUserAccess, getUserName, UserAccess } from "./commands";
import type { IpmiSession } from "./session";
import { BmcLogin, bmcKey } from "./target";

const CHANNELS_KEY = Symbol.for("pulumi-bmc-credentials.lan-channels");

type BmcRef = Pick<BmcLogin, "host" | "port" | "ssh" | "inband" | "address">;

/**
 * The LAN channel found per BMC ({@link bmcKey}) and probe order in this provider process. A fleet stack manages
 * several accounts per BMC; each would otherwise spend Get Channel Info round trips on a fact that does not change
 * between them. Keyed by the probe order too: on a BMC with two LAN channels, "the first LAN channel" depends on the
 * order (HPE's profile probes 2 first), and a resource must get what it would get on its own, whichever resource ran
 * first. Forgotten when an operation on that BMC fails, so a wrong or stale answer is never reused after a problem.
 */
function knownChannels(): Map<string, Map<string, number>> {
    const g = globalThis as unknown as Record<symbol, Map<string, Map<string, number>> | undefined>;
    return (g[CHANNELS_KEY] ??= new Map());
}

/** Forgets the LAN channels cached for this BMC, in every probe order (after a failure, and in tests). */
export function forgetLanChannel(login: BmcRef): void {
    knownChannels().delete(bmcKey(login));
}

/** The BMC's LAN channel: from this process's cache for this probe order, else detected (and cached) in `session`. */
export async function lanChannel(session: IpmiSession, login: BmcRef, order: readonly number[] = LAN_CHANNEL_PROBE): Promise<number> {
    const key = bmcKey(login);
    const orderKey = order.join(",");
    const cached = knownChannels().get(key)?.get(orderKey);
    if (cached !== undefined) {
        return cached;
    }
    const channel = await detectLanChannel(session, login, order);
    let byOrder = knownChannels().get(key);
    if (!byOrder) {
        byOrder = new Map();
        knownChannels().set(key, byOrder);
    }
    byOrder.set(orderKey, channel);
    return channel;
}

/** Channels probed for the 802.3 LAN medium when the channel is not given. */
const LAN_CHANNEL_PROBE = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/**
 * The first channel whose medium is 802.3 LAN (as xCAT and vendors do: usually 1, on some HPE models 2), probing in
 * `order` (the vendor profile's: `lanChannelProbeOrder`).
 */
export async function detectLanChannel(session: IpmiSession, ctx: { host: string; port: number }, order: readonly number[] = LAN_CHANNEL_PROBE): Promise<number> {
    for (const ch of order) {
        const [r] = await session.run([getChannelInfo(ch)]);
        if (r.ok && r.data.length >= 2 && decodeChannelInfo(r.data).isLan) {
            return ch;
        }
        // A stall or a passing error (0xC0 busy, 0xFF unspecified: a BMC whose controller is down answers every
        // command with it) says nothing about the channel: report it, and let the operation retry, instead of
        // probing on and blaming a missing LAN channel.
        if (!r.ok && r.error.transient) {
            throw r.error;
        }
    }
    throw new CredentialsError("BMC_NO_LAN_CHANNEL", {
        message: "no 802.3 LAN channel found on channels 1-11",
        hint: "set channel explicitly to the BMC's LAN channel number",
        context: ctx,
    });
}

/** One slot as the BMC reports it. An empty name means the slot is free. */
export interface SlotState {
    name: string;
    access: UserAccess;
}

/**
 * Reads one slot: Get User Access + Get User Name (never `user list`), sent together when the transport allows two
 * outstanding requests (one round trip natively).
 */
export async function readSlot(session: IpmiSession, channel: number, userId: number): Promise<SlotState> {
    const [accessResult, nameResult] = await session.all([getUserAccess(channel, userId), getUserName(userId)]);
    if (!accessResult.ok) {
        throw accessResult.error;
    }
    const access = decodeUserAccess(accessResult.data);
    if (!nameResult.ok) {
        // Lenovo XCC answers 0xCC for empty slots.
        if (nameResult.error.context.completionCode === "0xcc") {
            return { name: "", access };
        }
        throw nameResult.error;
    }
    return { name: decodeUserName(nameResult.data), access };
}

/**
 * The name in one slot (Get User Name alone), or undefined when the BMC refused the request: a slot beyond its
 * range, or (Lenovo XCC, 0xCC) an empty one — ambiguous, so the caller reads the whole slot then. Passing failures
 * (busy, stall) are thrown.
 */
export async function readSlotName(session: IpmiSession, userId: number): Promise<string | undefined> {
    const [r] = await session.run([getUserName(userId)]);
    if (r.ok) {
        return decodeUserName(r.data);
    }
    if (r.error.transient) {
        throw r.error;
    }
    return undefined;
}

/**
 * Whether a slot is an administrator that can log in over this channel: a name, administrator privilege, IPMI
 * messaging on, and not reported disabled. (BMCs that do not report enable status fold it into IPMI messaging.)
 */
export function isActiveAdministrator(slot: SlotState): boolean {
    return slot.name !== "" && slot.access.privilege === "administrator" && slot.access.ipmiMessaging && slot.access.enableStatus !== "disabled";
}

/**
 * True when some slot other than `except` on `channel` is an active administrator. Reads access first and the name
 * only for administrator candidates, and stops at the first one found. Slots from `firstSlot` (2: slot 1 is the
 * anonymous user on most firmware; 1 where the vendor keeps an account there, OpenBMC's root).
 */
export async function anotherAdministrator(session: IpmiSession, channel: number, except: number, maxUsers: number, firstSlot = 2): Promise<boolean> {
    for (let id = firstSlot; id <= maxUsers; id++) {
        if (id === except) {
            continue;
        }
        const [a] = await session.run([getUserAccess(channel, id)]);
        if (!a.ok) {
            throw a.error;
        }
        const access = decodeUserAccess(a.data);
        if (access.privilege !== "administrator" || !access.ipmiMessaging || access.enableStatus === "disabled") {
            continue;
        }
        const [n] = await session.run([getUserName(id)]);
        if (n.ok && isActiveAdministrator({ name: decodeUserName(n.data), access })) {
            return true;
        }
    }
    return false;
}

/** Result of looking for a slot by name. */
export interface SlotSearch {
    /** The slot holding the name, if any. */
    match?: number;
    /** The lowest empty slot at or above `firstFree`, if any. */
    free?: number;
    maxUsers: number;
}

/** Vendor knowledge for {@link findSlot}. */
export interface SlotSearchOptions {
    /** Names the firmware reports for unused slots besides the empty one (HPE: "(Empty User)"). */
    emptyNames?: readonly string[];
    /** Highest slot the vendor manages, when lower than what the BMC reports (Dell: 16). */
    maxUsers?: number;
}

/**
 * Looks for `username` in slots 2..max and notes the lowest empty slot at or above `firstFree` (3 by default: slot 2
 * is every vendor's default administrator). Slot 1, the anonymous user, is never considered.
 */
export async function findSlot(session: IpmiSession, channel: number, username: string, firstFree = 3, vendor: SlotSearchOptions = {}): Promise<SlotSearch> {
    const reported = decodeUserAccess(await session.one(getUserAccess(channel, 2))).maxUsers;
    const maxUsers = Math.min(reported, vendor.maxUsers ?? reported);
    let free: number | undefined;
    for (let id = 2; id <= maxUsers; id++) {
        const [r] = await session.run([getUserName(id)]);
        let name: string;
        if (r.ok) {
            name = decodeUserName(r.data);
        } else if (r.error.context.completionCode === "0xcc") {
            name = "";
        } else {
            throw r.error;
        }
        if (name === username) {
            return { match: id, free, maxUsers };
        }
        if (vendor.emptyNames?.includes(name)) {
            name = "";
        }
        if (name === "" && id >= firstFree && free === undefined) {
            free = id;
        }
    }
    return { free, maxUsers };
}
