/**
 * IPMI v2.0 user-management commands as byte layouts (NetFn App 0x06), and the decoders for their responses.
 *
 * Everything here is pure: it turns intentions into {@link RawCommand}s and response bytes into facts. Byte positions
 * follow the IPMI v2.0 specification (§22.22-22.30); comments name the bits so a reader can check them against it.
 * A transport (`transport/session.ts`) carries the requests; nothing here knows which one.
 */

import type { IpmiRequest, SessionPrivilege } from "../transport/session";

/** Privilege limits the provider manages, by their user-facing names. */
export type Privilege = "callback" | "user" | "operator" | "administrator" | "no-access";

/** Privilege-limit nibble values (Set/Get User Access). 5 (OEM) is not managed. */
export const PRIVILEGE_CODE: Readonly<Record<Privilege, number>> = {
    callback: 0x1,
    user: 0x2,
    operator: 0x3,
    administrator: 0x4,
    "no-access": 0xf,
};

/** The session privilege to request when logging in as a user with this limit. */
export const SESSION_PRIVILEGE: Readonly<Record<Exclude<Privilege, "no-access">, SessionPrivilege>> = {
    callback: "CALLBACK",
    user: "USER",
    operator: "OPERATOR",
    administrator: "ADMINISTRATOR",
};

/** Maps a privilege nibble back to its name; OEM and reserved values are reported as such. */
export function privilegeFromCode(code: number): Privilege | "oem" | "reserved" {
    for (const [name, value] of Object.entries(PRIVILEGE_CODE)) {
        if (value === code) {
            return name as Privilege;
        }
    }
    return code === 0x5 ? "oem" : "reserved";
}

/** One request: network function, command and data bytes, a label for errors, and whether the data is secret. */
export interface RawCommand extends IpmiRequest {
    data: number[];
}

const APP = 0x06;

function checkUserId(userId: number): void {
    if (!Number.isInteger(userId) || userId < 1 || userId > 0x3f) {
        throw new RangeError(`user ID must be 1..63, got ${userId}`);
    }
}

function checkChannel(channel: number): void {
    if (!Number.isInteger(channel) || channel < 0 || channel > 0xf) {
        throw new RangeError(`channel must be 0..15, got ${channel}`);
    }
}

/** Get Channel Info (0x42): medium type tells which channel is the 802.3 LAN. */
export function getChannelInfo(channel: number): RawCommand {
    checkChannel(channel);
    return { netFn: APP, cmd: 0x42, data: [channel], label: `Get Channel Info (channel ${channel})` };
}

/** Get User Access (0x44) for one slot on one channel. */
export function getUserAccess(channel: number, userId: number): RawCommand {
    checkChannel(channel);
    checkUserId(userId);
    return { netFn: APP, cmd: 0x44, data: [channel, userId], label: `Get User Access (channel ${channel}, user ${userId})` };
}

/** Get User Name (0x46) for one slot. */
export function getUserName(userId: number): RawCommand {
    checkUserId(userId);
    return { netFn: APP, cmd: 0x46, data: [userId], label: `Get User Name (user ${userId})` };
}

/** Set User Name (0x45): 16 bytes, NUL-padded. An empty name clears the slot. */
export function setUserName(userId: number, name: string): RawCommand {
    checkUserId(userId);
    const bytes = Buffer.from(name, "latin1");
    if (bytes.length > 16) {
        throw new RangeError("user name is longer than 16 bytes");
    }
    const padded = [...bytes, ...new Array<number>(16 - bytes.length).fill(0)];
    return { netFn: APP, cmd: 0x45, data: [userId, ...padded], label: `Set User Name (user ${userId})` };
}

/** Password storage format: 16 bytes (IPMI 1.5 compatible) or 20 bytes (IPMI 2.0). */
export type PasswordSize = 16 | 20;

/** The format a password needs: anything over 16 bytes requires the 20-byte form. */
export function passwordSizeFor(password: string): PasswordSize {
    return Buffer.byteLength(password, "latin1") > 16 ? 20 : 16;
}

/**
 * Set User Password (0x47), operation "set password". Byte 1 bit 7 selects the 20-byte format. The data is the password
 * NUL-padded to the format's length.
 */
export function setUserPassword(userId: number, password: string, size: PasswordSize = passwordSizeFor(password)): RawCommand {
    checkUserId(userId);
    const bytes = Buffer.from(password, "latin1");
    if (bytes.length > size) {
        throw new RangeError(`password is longer than the ${size}-byte format allows`);
    }
    const padded = [...bytes, ...new Array<number>(size - bytes.length).fill(0)];
    const b1 = (size === 20 ? 0x80 : 0x00) | userId;
    return { netFn: APP, cmd: 0x47, data: [b1, 0x02, ...padded], label: `Set User Password (user ${userId})`, secret: true };
}

/** Set User Password (0x47), operation "test password" (0x03): 0x80 = wrong password, 0x81 = wrong size. */
export function testUserPassword(userId: number, password: string, size: PasswordSize = passwordSizeFor(password)): RawCommand {
    const set = setUserPassword(userId, password, size);
    return { ...set, data: [set.data[0], 0x03, ...set.data.slice(2)], label: `Test User Password (user ${userId})` };
}

/** Set User Password (0x47), operation "enable user" (0x01) or "disable user" (0x00). */
export function setUserEnabled(userId: number, enabled: boolean): RawCommand {
    checkUserId(userId);
    return {
        netFn: APP,
        cmd: 0x47,
        data: [userId, enabled ? 0x01 : 0x00],
        label: `${enabled ? "Enable" : "Disable"} User (user ${userId})`,
    };
}

/** Per-channel access flags of a user, as set by Set User Access. */
export interface UserAccessFlags {
    privilege: Privilege;
    ipmiMessaging: boolean;
    linkAuth: boolean;
    /** False means "restricted to callback": the privilege limit applies only to callback connections. */
    callin: boolean;
}

/**
 * Set User Access (0x43). Byte 1: bit 7 "change the bits below", bit 6 restricted-to-callback (= not callin), bit 5
 * link auth, bit 4 IPMI messaging, bits 3:0 channel. Byte 4 (session limit 0 = channel limit) is always sent: some
 * BMCs reject the 3-byte form with 0xC7.
 */
export function setUserAccess(channel: number, userId: number, flags: UserAccessFlags): RawCommand {
    checkChannel(channel);
    checkUserId(userId);
    const b1 =
        0x80 | (flags.callin ? 0 : 0x40) | (flags.linkAuth ? 0x20 : 0) | (flags.ipmiMessaging ? 0x10 : 0) | channel;
    return {
        netFn: APP,
        cmd: 0x43,
        data: [b1, userId, PRIVILEGE_CODE[flags.privilege], 0x00],
        label: `Set User Access (channel ${channel}, user ${userId})`,
    };
}

/** Fails on a response shorter than the command's layout, instead of decoding undefined bytes as zero. */
function requireBytes(data: readonly number[], length: number, what: string): void {
    if (data.length < length) {
        throw new RangeError(`${what} response too short (${data.length} bytes)`);
    }
}

/** Decoded Get Channel Info response. */
export interface ChannelInfo {
    channel: number;
    /** 0x04 = 802.3 LAN. */
    mediumType: number;
    isLan: boolean;
}

export function decodeChannelInfo(data: readonly number[]): ChannelInfo {
    requireBytes(data, 2, "Get Channel Info");
    const mediumType = data[1] & 0x7f;
    return { channel: data[0] & 0x0f, mediumType, isLan: mediumType === 0x04 };
}

/** Enable status reported by Get User Access; many BMCs (and ipmi_sim) report "unspecified". */
export type EnableStatus = "enabled" | "disabled" | "unspecified";

/** Decoded Get User Access response. */
export interface UserAccess {
    maxUsers: number;
    enableStatus: EnableStatus;
    enabledUsers: number;
    fixedNameUsers: number;
    privilege: Privilege | "oem" | "reserved";
    privilegeCode: number;
    ipmiMessaging: boolean;
    linkAuth: boolean;
    callin: boolean;
}

export function decodeUserAccess(data: readonly number[]): UserAccess {
    requireBytes(data, 4, "Get User Access");
    const status = (data[1] >> 6) & 0x3;
    return {
        maxUsers: data[0] & 0x3f,
        enableStatus: status === 0x1 ? "enabled" : status === 0x2 ? "disabled" : "unspecified",
        enabledUsers: data[1] & 0x3f,
        fixedNameUsers: data[2] & 0x3f,
        privilegeCode: data[3] & 0x0f,
        privilege: privilegeFromCode(data[3] & 0x0f),
        ipmiMessaging: (data[3] & 0x10) !== 0,
        linkAuth: (data[3] & 0x20) !== 0,
        callin: (data[3] & 0x40) === 0,
    };
}

/** Decodes a Get User Name response: bytes up to the first NUL. An all-NUL name is an empty slot. */
export function decodeUserName(data: readonly number[]): string {
    const end = data.indexOf(0);
    const bytes = end === -1 ? data : data.slice(0, end);
    return Buffer.from(bytes as number[]).toString("latin1");
}

/** Get Device ID (0x01): used as a harmless command where a session needs one. */
export function getDeviceId(): RawCommand {
    return { netFn: APP, cmd: 0x01, data: [], label: "Get Device ID" };
}

/** NetFn Transport (§23). */
const TRANSPORT = 0x0c;
/** Channel number 0xE: "the channel this request arrives on" (§6.3), the LAN channel of the session. */
const THIS_CHANNEL = 0x0e;

/**
 * Get LAN Configuration Parameters (§23.2) parameter 26, Bad Password Threshold (IPMI v2.0 rev 1.1, Table 23-4): of
 * the channel the session arrived on. Operator privilege.
 */
export function getBadPasswordThreshold(): RawCommand {
    return { netFn: TRANSPORT, cmd: 0x02, data: [THIS_CHANNEL, 26, 0, 0], label: "Get LAN Configuration Parameters (bad password threshold)" };
}

/**
 * Decodes parameter 26: byte 0 the parameter revision, byte 1 bit 0 "generate an event", byte 2 the threshold (0: no
 * lockout), bytes 3-4 the attempt count reset interval and 5-6 the lockout interval, in tens of seconds.
 */
export function decodeBadPasswordThreshold(data: readonly number[]): { threshold: number; lockoutSeconds: number } {
    requireBytes(data, 3, "Get LAN Configuration Parameters (26)");
    return { threshold: data[2], lockoutSeconds: data.length >= 7 ? (data[5] | (data[6] << 8)) * 10 : 0 };
}

/** Decoded Get Device ID response: enough to identify the vendor. */
export interface DeviceId {
    manufacturerId: number;
    productId: number;
    firmware: string;
}

export function decodeDeviceId(data: readonly number[]): DeviceId {
    requireBytes(data, 11, "Get Device ID");
    const manufacturerId = data[6] | (data[7] << 8) | ((data[8] & 0x0f) << 16);
    const productId = data[9] | (data[10] << 8);
    const minor = data[3].toString(16).padStart(2, "0");
    return { manufacturerId, productId, firmware: `${data[2] & 0x7f}.${minor}` };
}

/** Completion codes (§5.2, Table 5-2, and the user commands' own), with what they mean for user management. */
export const COMPLETION_CODES: Readonly<Record<number, string>> = {
    0x80: "password test failed (wrong password)",
    0x81: "password test failed (wrong password size)",
    0x82: "not supported for the selected channel",
    0x83: "access mode not supported",
    0xc0: "node busy",
    0xc1: "invalid or unsupported command",
    0xc3: "timeout while processing the command",
    0xc7: "request data length invalid",
    0xc8: "request data field length limit exceeded",
    0xc9: "parameter out of range",
    0xcc: "invalid data field in request (bad user ID or channel, duplicate or fixed name)",
    0xd4: "insufficient privilege level",
    0xd5: "command not supported in present state",
    0xd6: "command disabled",
    0xff: "unspecified error",
};

/** Completion codes that describe a passing condition of the BMC: worth a bounded retry. */
export const TRANSIENT_COMPLETION_CODES: ReadonlySet<number> = new Set([0xc0, 0xc3, 0xff]);
