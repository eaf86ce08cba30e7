/**
 * The IPMI commands a virtual BMC answers (IPMI v2.0 rev 1.1), over its account table and personality. One function per
 * command, each next to the section it implements; {@link dispatch} checks the session's privilege against the
 * command's (0xD4 when it falls short) and answers 0xC1 for every command not listed.
 *
 * Commands answered: App (netFn 0x06) 0x01 Get Device ID, 0x37 Get System GUID, 0x38 Get Channel Authentication
 * Capabilities, 0x3B Set Session Privilege Level, 0x3C Close Session, 0x40/0x41 Set/Get Channel Access, 0x42 Get Channel
 * Info, 0x43/0x44 Set/Get User Access, 0x45/0x46 Set/Get User Name, 0x47 Set User Password, 0x54 Get Channel Cipher
 * Suites; Transport (0x0C) 0x01/0x02 Set/Get LAN Configuration Parameters (parameters 0 and 26); the Supermicro OEM
 * factory reset (0x3C/0x40) on that personality.
 *
 * Pure over a {@link CommandHost}: no sockets, no timers.
 */

import { AccountRefusal, AccountTable, PRIVILEGE_CODE, PasswordSize, Privilege, privilegeFromCode, trimName } from "./accounts";
import type { Personality } from "./personalities";

/** Generic completion codes (§5.2, Table 5-2). */
export const CC = {
    ok: 0x00,
    busy: 0xc0,
    invalidCommand: 0xc1,
    requestDataLengthInvalid: 0xc7,
    requestDataFieldLengthExceeded: 0xc8,
    parameterOutOfRange: 0xc9,
    invalidDataField: 0xcc,
    insufficientPrivilege: 0xd4,
    unspecified: 0xff,
} as const;

/** Session privilege levels (§6.8): what a session runs at, as numbers. */
export const LEVEL = { none: 0, callback: 1, user: 2, operator: 3, administrator: 4, oem: 5 } as const;

/** The BMC a command runs on. */
export interface CommandHost {
    readonly accounts: AccountTable;
    readonly personality: Personality;
    readonly guid: Buffer;
    /** Cipher suites offered, in order. */
    readonly cipherSuites: readonly number[];
    /** LAN channels; sessions arrive on the first. */
    readonly lanChannels: readonly number[];
    /** Channel access (Get/Set Channel Access) per LAN channel. */
    channelAccess(channel: number): { accessMode: number; privilegeLimit: number };
    setChannelAccess(channel: number, access: { accessMode?: number; privilegeLimit?: number }): void;
    /** LAN parameter 0, Set In Progress (0 set complete, 1 set in progress). */
    setInProgress: number;
    /** Active sessions, for Get Channel Info. */
    sessionCount(): number;
    /** Ends another session by its BMC session id; false when there is none. */
    closeSession(bmcSessionId: number): boolean;
    /** Restores the factory accounts and ends every session (Supermicro OEM 0x3C/0x40). */
    factoryReset(): void;
}

/** The session a command arrives in; `undefined` for the pre-session commands. */
export interface CommandSession {
    bmcSessionId: number;
    channel: number;
    /** Current session privilege (Set Session Privilege Level changes it). */
    privilege: number;
    /** The highest privilege this session may take (RAKP role, user and channel limits). */
    maxPrivilege: number;
}

export interface CommandResult {
    cc: number;
    data?: Buffer | readonly number[];
    /** Runs after the response is sent (Close Session ends the session it was answered in). */
    after?: () => void;
}

type Handler = (host: CommandHost, data: Buffer, session: CommandSession | undefined) => CommandResult;

interface CommandSpec {
    /** Session privilege the command needs (appendix G of the specification, as phosphor-host-ipmid registers it). */
    privilege: number;
    /** Answered outside a session too (§13.14, §22.15). */
    preSession?: boolean;
    handler: Handler;
}

const fail = (cc: number): CommandResult => ({ cc });
const ok = (data: Buffer | readonly number[] = []): CommandResult => ({ cc: CC.ok, data });

/** The current channel (0x0E) resolved against the session's, or the first LAN channel before a session exists. */
function resolveChannel(host: CommandHost, nibble: number, session: CommandSession | undefined): number {
    return nibble === 0x0e ? (session?.channel ?? host.lanChannels[0]) : nibble;
}

function isLan(host: CommandHost, channel: number): boolean {
    return host.lanChannels.includes(channel);
}

function u24(n: number): number[] {
    return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0x0f];
}

// ---------------------------------------------------------------------------------------------------------------------
// §20.1 Get Device ID, §22.14 Get System GUID

function getDeviceId(host: CommandHost): CommandResult {
    const d = host.personality.device;
    return ok([
        d.deviceId,
        d.deviceRevision & 0x0f, // bit 7 clear: no device SDRs
        d.firmwareMajor & 0x7f, // bit 7 clear: normal operation
        d.firmwareMinor,
        0x02, // IPMI 2.0
        0x00, // additional device support: none of sensor, SDR, SEL, FRU, event, bridge, chassis
        ...u24(host.personality.manufacturerId),
        d.productId & 0xff,
        (d.productId >> 8) & 0xff,
        0, 0, 0, 0, // auxiliary firmware revision
    ]);
}

function getSystemGuid(host: CommandHost): CommandResult {
    return ok(host.guid);
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.13 Get Channel Authentication Capabilities. Byte 2 bit 7: IPMI v2.0 extended data; no IPMI 1.5 auth types.
// Byte 3: non-null user names only (no anonymous or null-user login), per-message and user-level authentication on,
// no Kg. Byte 4 bit 1: IPMI v2.0 connections. FreeIPMI checks all of these (rmcp-native.md §4.2).

function getChannelAuthCapabilities(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length !== 2) {
        return fail(CC.requestDataLengthInvalid);
    }
    const wantsV2 = (data[0] & 0x80) !== 0;
    const channel = resolveChannel(host, data[0] & 0x0f, session);
    const privilege = data[1] & 0x0f;
    if ((data[0] & 0x70) !== 0 || (data[1] & 0xf0) !== 0 || !isLan(host, channel) || privilege < 1 || privilege > 5) {
        return fail(CC.invalidDataField);
    }
    return ok([channel, wantsV2 ? 0x80 : 0x00, 0x04, wantsV2 ? 0x02 : 0x00, 0, 0, 0, 0]);
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.15 Get Channel Cipher Suites: the records `C0 id auth(00|a) integrity(40|i) confidentiality(80|c)`, read 16 bytes
// at a time by list index.

const SUITE_RECORDS: Readonly<Record<number, readonly number[]>> = {
    0: [0xc0, 0x00, 0x00, 0x40, 0x80],
    3: [0xc0, 0x03, 0x01, 0x41, 0x81],
    17: [0xc0, 0x11, 0x03, 0x44, 0x81],
};

function getChannelCipherSuites(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length !== 3) {
        return fail(CC.requestDataLengthInvalid);
    }
    const channel = resolveChannel(host, data[0] & 0x0f, session);
    if (!isLan(host, channel)) {
        return fail(CC.invalidDataField);
    }
    const records = host.cipherSuites.flatMap((s) => SUITE_RECORDS[s] ?? []);
    const index = data[2] & 0x3f;
    return ok([channel, ...records.slice(index * 16, index * 16 + 16)]);
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.18 Set Session Privilege Level (0 = report the present level). 0x80: level not available for this user;
// 0x81: above the session's limit (phosphor-net-ipmid uses 0x81 for both).

function setSessionPrivilege(_host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (!session) {
        return fail(CC.invalidCommand);
    }
    if (data.length !== 1) {
        return fail(CC.requestDataLengthInvalid);
    }
    const level = data[0] & 0x0f;
    if ((data[0] & 0xf0) !== 0 || level > LEVEL.oem) {
        return fail(CC.invalidDataField);
    }
    if (level === LEVEL.none) {
        return ok([session.privilege]);
    }
    if (level === LEVEL.oem) {
        return fail(0x80);
    }
    if (level > session.maxPrivilege) {
        return fail(0x81);
    }
    session.privilege = level;
    return ok([level]);
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.19 Close Session: the session's own id, or another's (administrator only). A handle (id 0) is not supported.

function closeSession(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (!session) {
        return fail(CC.invalidCommand);
    }
    if (data.length !== 4 && data.length !== 5) {
        return fail(CC.requestDataLengthInvalid);
    }
    const id = data.readUInt32LE(0);
    if (id === 0) {
        return fail(0x88); // invalid session handle
    }
    if (id === session.bmcSessionId) {
        return { cc: CC.ok, after: () => host.closeSession(id) };
    }
    if (session.privilege < LEVEL.administrator) {
        return fail(CC.insufficientPrivilege);
    }
    return host.closeSession(id) ? ok() : fail(0x87); // invalid session id
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.22/22.23 Set/Get Channel Access. Byte 1 of the answer: access mode in bits 2:0 (2 = always available), the
// "disabled" bits clear; byte 2: the channel's privilege limit.

function setChannelAccess(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length !== 3) {
        return fail(CC.requestDataLengthInvalid);
    }
    const channel = resolveChannel(host, data[0] & 0x0f, session);
    if (!isLan(host, channel)) {
        return fail(CC.invalidDataField);
    }
    const change: { accessMode?: number; privilegeLimit?: number } = {};
    // Bits 7:6 of each byte: 00 don't set, 01 non-volatile, 10 volatile (both kept as one setting here).
    if ((data[1] >> 6) === 1 || (data[1] >> 6) === 2) {
        const mode = data[1] & 0x07;
        if (mode > 3) {
            return fail(CC.invalidDataField);
        }
        change.accessMode = mode;
    }
    if ((data[2] >> 6) === 1 || (data[2] >> 6) === 2) {
        const limit = data[2] & 0x0f;
        if (limit < 1 || limit > 5) {
            return fail(CC.invalidDataField);
        }
        change.privilegeLimit = limit;
    }
    host.setChannelAccess(channel, change);
    return ok();
}

function getChannelAccess(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length !== 2) {
        return fail(CC.requestDataLengthInvalid);
    }
    const channel = resolveChannel(host, data[0] & 0x0f, session);
    const which = data[1] >> 6;
    if (!isLan(host, channel) || (which !== 1 && which !== 2)) {
        return fail(CC.invalidDataField);
    }
    const a = host.channelAccess(channel);
    return ok([a.accessMode & 0x07, a.privilegeLimit & 0x0f]);
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.24 Get Channel Info. Medium 04 = 802.3 LAN, 01 = IPMB, 0C = system interface; protocol 01 = IPMB-1.0, 05 = KCS;
// session support 10b = multi-session for LAN; vendor id 7154 (the IPMI forum).

const MEDIUM = { lan: 0x04, ipmb: 0x01, system: 0x0c } as const;

function getChannelInfo(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length !== 1) {
        return fail(CC.requestDataLengthInvalid);
    }
    const number = resolveChannel(host, data[0] & 0x0f, session);
    const spec = host.personality.channels.find((c) => c.number === number);
    if (!spec) {
        return fail(CC.invalidDataField);
    }
    const lan = spec.medium === "lan";
    const sessionSupport = lan ? 0x80 | Math.min(host.sessionCount(), 0x3f) : 0x00;
    return ok([number, MEDIUM[spec.medium], spec.medium === "system" ? 0x05 : 0x01, sessionSupport, 0xf2, 0x1b, 0x00, 0x00, 0x00]);
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.26 Set User Access, §22.27 Get User Access

/** A refusal of the account table as a completion code. */
function refusalCode(host: CommandHost, r: AccountRefusal): number {
    switch (r) {
        case "slot-out-of-range":
            return CC.parameterOutOfRange;
        case "password-too-long":
        case "password-size-refused":
            return CC.requestDataFieldLengthExceeded;
        case "password-policy":
            return host.personality.ipmi.passwordPolicyCompletion;
        default:
            return CC.invalidDataField;
    }
}

function userId(byte: number): number {
    return byte & 0x3f;
}

function validSlot(host: CommandHost, id: number): boolean {
    return id >= 1 && id <= host.accounts.maxUsers;
}

/** The user id in a request byte (bits 5:0; bits 7:6 reserved), or the failure that refuses it. */
function slotIn(host: CommandHost, byte: number): number | CommandResult {
    const id = userId(byte);
    if ((byte & 0xc0) !== 0 || id === 0) {
        return fail(CC.invalidDataField);
    }
    return validSlot(host, id) ? id : fail(CC.parameterOutOfRange);
}

function isUnused(host: CommandHost, id: number): boolean {
    return host.accounts.name(id).length === 0 && id !== host.accounts.policy.nullUserSlot;
}

function setUserAccess(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length !== 3 && data.length !== 4) {
        return fail(CC.requestDataLengthInvalid);
    }
    const channel = resolveChannel(host, data[0] & 0x0f, session);
    const id = userId(data[1]);
    const code = data[2] & 0x0f;
    const sessionLimit = data.length === 4 ? data[3] & 0x0f : undefined;
    const privilege = privilegeFromCode(code);
    const strict = host.personality.ipmi.rejectsSessionLimit;
    if (!privilege || privilege === "oem" || (data[1] & 0xc0) !== 0 || (data[2] & 0xf0) !== 0 || (strict && (sessionLimit ?? 0) !== 0)) {
        return fail(CC.invalidDataField);
    }
    if (!isLan(host, channel)) {
        return fail(CC.invalidDataField);
    }
    if (!validSlot(host, id)) {
        return fail(CC.parameterOutOfRange);
    }
    if (host.personality.ipmi.accessNeedsEnabledSlot && (isUnused(host, id) || !host.accounts.isEnabled(id))) {
        return fail(CC.invalidDataField);
    }
    const flags = (data[0] & 0x80) !== 0 ? { callbackOnly: (data[0] & 0x40) !== 0, linkAuth: (data[0] & 0x20) !== 0, ipmiMessaging: (data[0] & 0x10) !== 0 } : undefined;
    const r = host.accounts.setAccess(id, channel, { privilege, flags, sessionLimit });
    return r === "ok" ? ok() : fail(refusalCode(host, r));
}

function getUserAccess(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length !== 2) {
        return fail(CC.requestDataLengthInvalid);
    }
    const channel = resolveChannel(host, data[0] & 0x0f, session);
    const id = userId(data[1]);
    if ((data[0] & 0xf0) !== 0 || (data[1] & 0xc0) !== 0 || !isLan(host, channel)) {
        return fail(CC.invalidDataField);
    }
    if (!validSlot(host, id)) {
        return fail(CC.parameterOutOfRange);
    }
    const t = host.accounts;
    const a = t.access(id, channel);
    // Enable status: 01b enabled, 10b disabled (via Set User Password); a locked user counts as disabled (§23.2).
    const status = t.isEffectivelyEnabled(id) ? 0x40 : 0x80;
    const flags = (a.callbackOnly ? 0x40 : 0) | (a.linkAuth ? 0x20 : 0) | (a.ipmiMessaging ? 0x10 : 0) | PRIVILEGE_CODE[a.privilege];
    return ok([t.maxUsers & 0x3f, status | (t.enabledCount() & 0x3f), t.fixedNameCount() & 0x3f, flags]);
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.28 Set User Name, §22.29 Get User Name: 16 bytes, NUL-padded.

function setUserName(host: CommandHost, data: Buffer): CommandResult {
    if (data.length !== 17) {
        return fail(CC.requestDataLengthInvalid);
    }
    const id = slotIn(host, data[0]);
    if (typeof id !== "number") {
        return id;
    }
    const r = host.accounts.setName(id, trimName(data.subarray(1)));
    return r === "ok" ? ok() : fail(refusalCode(host, r));
}

function getUserName(host: CommandHost, data: Buffer): CommandResult {
    if (data.length !== 1) {
        return fail(CC.requestDataLengthInvalid);
    }
    const id = slotIn(host, data[0]);
    if (typeof id !== "number") {
        return id;
    }
    const ipmi = host.personality.ipmi;
    let name = host.accounts.name(id);
    if (isUnused(host, id)) {
        if (ipmi.emptySlotNameFails) {
            return fail(CC.invalidDataField);
        }
        if (ipmi.emptySlotName) {
            name = Buffer.from(ipmi.emptySlotName, "latin1");
        }
    }
    const out = Buffer.alloc(16);
    name.copy(out, 0, 0, 16);
    return ok(out);
}

// ---------------------------------------------------------------------------------------------------------------------
// §22.30 Set User Password. Byte 1: bit 7 = 20-byte format, bits 5:0 user id; byte 2 bits 1:0: 00 disable, 01 enable,
// 10 set, 11 test. Set and test carry exactly 16 or 20 bytes as the size bit says (0xC7 otherwise); enable and disable
// may carry them or not (ipmitool sends 16, FreeIPMI none). A failed test: 0x80 data mismatch, 0x81 wrong size.

function setUserPassword(host: CommandHost, data: Buffer): CommandResult {
    if (data.length < 2) {
        return fail(CC.requestDataLengthInvalid);
    }
    const size: PasswordSize = (data[0] & 0x80) !== 0 ? 20 : 16;
    const id = userId(data[0]);
    const op = data[1] & 0x03;
    const body = data.subarray(2);
    if ((data[0] & 0x40) !== 0 || (data[1] & 0xfc) !== 0 || id === 0) {
        return fail(CC.invalidDataField);
    }
    if (op >= 2 ? body.length !== size : body.length !== 0 && body.length !== 16 && body.length !== 20) {
        return fail(CC.requestDataLengthInvalid);
    }
    if (!validSlot(host, id)) {
        return fail(CC.parameterOutOfRange);
    }
    const t = host.accounts;
    switch (op) {
        case 0:
        case 1: {
            if (host.personality.ipmi.enableNeedsNamedSlot && isUnused(host, id)) {
                return fail(CC.invalidDataField);
            }
            const r = t.setEnabled(id, op === 1);
            return r === "ok" ? ok() : fail(refusalCode(host, r));
        }
        case 2: {
            const r = t.setPassword(id, body, size);
            return r === "ok" ? ok() : fail(refusalCode(host, r));
        }
        default: {
            const r = t.testPassword(id, body, size);
            return r === "match" ? ok() : fail(r === "wrong-size" ? 0x81 : r === "mismatch" ? 0x80 : CC.parameterOutOfRange);
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------------
// §23.1/23.2 Set/Get LAN Configuration Parameters. Parameter 0 (Set In Progress) and 26 (Bad Password Threshold:
// byte 1 bit 0 audit event, byte 2 threshold, bytes 3-4 attempt count reset interval and 5-6 user lockout interval,
// little-endian, in tens of seconds). 0x80: parameter not supported; 0x81: set already in progress; 0x82: read-only.

const PARAMETER_REVISION = 0x11;
const BAD_PASSWORD_THRESHOLD = 26;
const SET_IN_PROGRESS = 0;

function tens(seconds: number): number {
    return Math.min(0xffff, Math.ceil(seconds / 10));
}

function getLanConfig(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length !== 4) {
        return fail(CC.requestDataLengthInvalid);
    }
    const channel = resolveChannel(host, data[0] & 0x0f, session);
    if (!isLan(host, channel)) {
        return fail(CC.invalidDataField);
    }
    const parameter = data[1];
    if (parameter !== SET_IN_PROGRESS && parameter !== BAD_PASSWORD_THRESHOLD) {
        return fail(0x80);
    }
    if ((data[0] & 0x80) !== 0) {
        return ok([PARAMETER_REVISION]);
    }
    if (parameter === SET_IN_PROGRESS) {
        return ok([PARAMETER_REVISION, host.setInProgress]);
    }
    const l = host.accounts.lockout;
    const reset = tens(l.attemptResetSeconds);
    const lock = tens(l.lockoutSeconds);
    return ok([PARAMETER_REVISION, l.auditEvent ? 1 : 0, l.threshold & 0xff, reset & 0xff, reset >> 8, lock & 0xff, lock >> 8]);
}

function setLanConfig(host: CommandHost, data: Buffer, session: CommandSession | undefined): CommandResult {
    if (data.length < 3) {
        return fail(CC.requestDataLengthInvalid);
    }
    const channel = resolveChannel(host, data[0] & 0x0f, session);
    if (!isLan(host, channel)) {
        return fail(CC.invalidDataField);
    }
    const parameter = data[1];
    const value = data.subarray(2);
    if (parameter === SET_IN_PROGRESS) {
        if (value.length !== 1 || (value[0] & 0x03) === 3) {
            return fail(value.length !== 1 ? CC.requestDataLengthInvalid : CC.invalidDataField);
        }
        const now = host.setInProgress;
        const wanted = value[0] & 0x03;
        if (wanted === 1 && now === 1) {
            return fail(0x81);
        }
        host.setInProgress = wanted === 2 ? now : wanted;
        return ok();
    }
    if (parameter !== BAD_PASSWORD_THRESHOLD) {
        return fail(0x80);
    }
    if (value.length !== 6) {
        return fail(CC.requestDataLengthInvalid);
    }
    host.accounts.setLockout({
        auditEvent: (value[0] & 0x01) !== 0,
        threshold: value[1],
        attemptResetSeconds: value.readUInt16LE(2) * 10,
        lockoutSeconds: value.readUInt16LE(4) * 10,
    });
    return ok();
}

// ---------------------------------------------------------------------------------------------------------------------
// Supermicro OEM "restore factory defaults" (netFn 0x3C, cmd 0x40; ipmi.md §17). Answered, then the BMC resets.

function factoryReset(host: CommandHost): CommandResult {
    return { cc: CC.ok, after: () => host.factoryReset() };
}

// ---------------------------------------------------------------------------------------------------------------------

const APP = 0x06;
const TRANSPORT = 0x0c;

const COMMANDS = new Map<number, CommandSpec>([
    [(APP << 8) | 0x01, { privilege: LEVEL.user, handler: getDeviceId }],
    [(APP << 8) | 0x37, { privilege: LEVEL.user, handler: getSystemGuid }],
    [(APP << 8) | 0x38, { privilege: LEVEL.callback, preSession: true, handler: getChannelAuthCapabilities }],
    [(APP << 8) | 0x3b, { privilege: LEVEL.callback, handler: setSessionPrivilege }],
    [(APP << 8) | 0x3c, { privilege: LEVEL.callback, handler: closeSession }],
    [(APP << 8) | 0x40, { privilege: LEVEL.administrator, handler: setChannelAccess }],
    [(APP << 8) | 0x41, { privilege: LEVEL.user, handler: getChannelAccess }],
    [(APP << 8) | 0x42, { privilege: LEVEL.user, handler: getChannelInfo }],
    [(APP << 8) | 0x43, { privilege: LEVEL.administrator, handler: setUserAccess }],
    [(APP << 8) | 0x44, { privilege: LEVEL.operator, handler: getUserAccess }],
    [(APP << 8) | 0x45, { privilege: LEVEL.administrator, handler: setUserName }],
    [(APP << 8) | 0x46, { privilege: LEVEL.operator, handler: getUserName }],
    [(APP << 8) | 0x47, { privilege: LEVEL.administrator, handler: setUserPassword }],
    [(APP << 8) | 0x54, { privilege: LEVEL.callback, preSession: true, handler: getChannelCipherSuites }],
    [(TRANSPORT << 8) | 0x01, { privilege: LEVEL.administrator, handler: setLanConfig }],
    [(TRANSPORT << 8) | 0x02, { privilege: LEVEL.operator, handler: getLanConfig }],
]);

/**
 * Runs one command. Outside a session only the pre-session commands are answered (others: `undefined`, the request is
 * dropped). Inside one, an unknown command is 0xC1 and a command above the session's present privilege is 0xD4.
 */
export function dispatch(host: CommandHost, netFn: number, cmd: number, data: Buffer, session: CommandSession | undefined): CommandResult | undefined {
    const oem = host.personality.ipmi.factoryReset;
    const spec = oem && oem.netFn === netFn && oem.cmd === cmd ? { privilege: LEVEL.administrator, handler: factoryReset } : COMMANDS.get((netFn << 8) | cmd);
    if (!session) {
        return spec?.preSession ? spec.handler(host, data, undefined) : undefined;
    }
    if (!spec) {
        return fail(CC.invalidCommand);
    }
    if (session.privilege < spec.privilege) {
        return fail(CC.insufficientPrivilege);
    }
    return spec.handler(host, data, session);
}

/** Privilege names → session levels (the RAKP role and Set Session Privilege Level use these numbers). */
export function levelOf(p: Privilege): number {
    return p === "no-access" ? LEVEL.none : PRIVILEGE_CODE[p];
}
