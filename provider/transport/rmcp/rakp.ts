/**
 * RMCP+ session establishment payloads (IPMI v2.0 rev 1.1 §13.17-13.23): Open Session Request/Response and RAKP
 * messages 1-4, both directions, so the native client and the virtual BMC lab frame them identically. Pure byte
 * layouts; decoders return `undefined` for payloads that do not parse.
 */

/** RMCP+ status codes (§13.24, Table 13-15). */
export const RMCP_STATUS = {
    ok: 0x00,
    insufficientResources: 0x01,
    invalidSessionId: 0x02,
    invalidPayloadType: 0x03,
    invalidAuthAlgorithm: 0x04,
    invalidIntegrityAlgorithm: 0x05,
    noMatchingAuthPayload: 0x06,
    noMatchingIntegrityPayload: 0x07,
    inactiveSessionId: 0x08,
    invalidRole: 0x09,
    unauthorizedRole: 0x0a,
    insufficientResourcesForRole: 0x0b,
    invalidNameLength: 0x0c,
    unauthorizedName: 0x0d,
    unauthorizedGuid: 0x0e,
    invalidIntegrityCheckValue: 0x0f,
    invalidConfidentialityAlgorithm: 0x10,
    noCipherSuiteMatch: 0x11,
    illegalParameter: 0x12,
} as const;

/** What each status means, for error messages. */
export const RMCP_STATUS_TEXT: Readonly<Record<number, string>> = {
    0x01: "insufficient resources to create a session",
    0x02: "invalid session ID",
    0x03: "invalid payload type",
    0x04: "invalid authentication algorithm",
    0x05: "invalid integrity algorithm",
    0x06: "no matching authentication payload",
    0x07: "no matching integrity payload",
    0x08: "inactive session ID",
    0x09: "invalid role",
    0x0a: "unauthorized role or privilege level requested",
    0x0b: "insufficient resources to create a session at the requested role",
    0x0c: "invalid name length",
    0x0d: "unauthorized name",
    0x0e: "unauthorized GUID",
    0x0f: "invalid integrity check value",
    0x10: "invalid confidentiality algorithm",
    0x11: "no cipher suite match with proposed security algorithms",
    0x12: "illegal or unrecognized parameter",
};

/** The role byte of RAKP 1 (§13.20): bit 4 set = name-only lookup, bits 3:0 = requested maximum privilege. */
export const NAME_ONLY_LOOKUP = 0x10;

/** Algorithm payload records (§13.17: type, reserved ×2, length 8, algorithm, reserved ×3). */
export interface Algorithms {
    auth: number;
    integrity: number;
    confidentiality: number;
}

function record(type: number, alg: number): number[] {
    return [type, 0, 0, 0x08, alg & 0x3f, 0, 0, 0];
}

/** Reads the three records; a record length of 0 means "whatever the BMC chooses" (OpenIPMI accepts it), reported as -1. */
function readRecords(p: Buffer, at: number): Algorithms | undefined {
    const algs: number[] = [];
    for (let i = 0; i < 3; i++) {
        const r = p.subarray(at + 8 * i, at + 8 * i + 8);
        if (r.length < 8 || r[0] !== i) {
            return undefined;
        }
        // Reserved bytes are ignored: a real BMC was seen putting garbage there (beingj/hash capture).
        algs.push(r[3] === 0 ? -1 : r[4] & 0x3f);
    }
    return { auth: algs[0], integrity: algs[1], confidentiality: algs[2] };
}

function u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

// ---------------------------------------------------------------------------------------------------------------------
// Open Session (payload types 0x10 / 0x11), §13.17 and §13.18.

export interface OpenSessionRequest {
    tag: number;
    /** Requested maximum privilege (0 = the highest the BMC allows for these algorithms). */
    privilege: number;
    consoleSessionId: number;
    algorithms: Algorithms;
}

export function encodeOpenSessionRequest(r: OpenSessionRequest): Buffer {
    return Buffer.from([
        r.tag & 0xff,
        r.privilege & 0x0f,
        0,
        0,
        ...u32(r.consoleSessionId),
        ...record(0, r.algorithms.auth),
        ...record(1, r.algorithms.integrity),
        ...record(2, r.algorithms.confidentiality),
    ]);
}

export function decodeOpenSessionRequest(p: Buffer): OpenSessionRequest | undefined {
    if (p.length !== 32) {
        return undefined;
    }
    const algorithms = readRecords(p, 8);
    return algorithms && { tag: p[0], privilege: p[1] & 0x0f, consoleSessionId: p.readUInt32LE(4), algorithms };
}

export interface OpenSessionResponse {
    tag: number;
    status: number;
    /** Maximum privilege granted (meaningful when status is 0). */
    privilege: number;
    consoleSessionId: number;
    /** Present when status is 0. */
    bmcSessionId?: number;
    algorithms?: Algorithms;
}

export function encodeOpenSessionResponse(r: OpenSessionResponse): Buffer {
    if (r.status !== RMCP_STATUS.ok || r.bmcSessionId === undefined || !r.algorithms) {
        // On error only the tag, status and the console's session id are meaningful (§13.18, Table 13-10).
        return Buffer.from([r.tag & 0xff, r.status & 0xff, 0, 0, ...u32(r.consoleSessionId)]);
    }
    return Buffer.from([
        r.tag & 0xff,
        r.status,
        r.privilege & 0x0f,
        0,
        ...u32(r.consoleSessionId),
        ...u32(r.bmcSessionId),
        ...record(0, r.algorithms.auth),
        ...record(1, r.algorithms.integrity),
        ...record(2, r.algorithms.confidentiality),
    ]);
}

export function decodeOpenSessionResponse(p: Buffer): OpenSessionResponse | undefined {
    if (p.length < 2) {
        return undefined;
    }
    const consoleSessionId = p.length >= 8 ? p.readUInt32LE(4) : 0;
    if (p[1] !== RMCP_STATUS.ok) {
        // OpenIPMI answers errors with the tag and status only.
        return { tag: p[0], status: p[1], privilege: 0, consoleSessionId };
    }
    if (p.length < 36) {
        return undefined;
    }
    const algorithms = readRecords(p, 12);
    return algorithms && { tag: p[0], status: p[1], privilege: p[2] & 0x0f, consoleSessionId, bmcSessionId: p.readUInt32LE(8), algorithms };
}

// ---------------------------------------------------------------------------------------------------------------------
// RAKP 1-4 (payload types 0x12-0x15), §13.20-13.23.

export interface Rakp1 {
    tag: number;
    bmcSessionId: number;
    consoleRandom: Buffer;
    /** Byte 24: requested maximum privilege, bit 4 = name-only lookup. */
    role: number;
    username: Buffer;
}

export function encodeRakp1(r: Rakp1): Buffer {
    if (r.consoleRandom.length !== 16 || r.username.length > 16) {
        throw new RangeError("RAKP 1 needs a 16-byte random number and a user name of at most 16 bytes");
    }
    return Buffer.concat([Buffer.from([r.tag & 0xff, 0, 0, 0, ...u32(r.bmcSessionId)]), r.consoleRandom, Buffer.from([r.role & 0xff, 0, 0, r.username.length]), r.username]);
}

/** `undefined` when too short; a length field that disagrees with the payload is reported with `nameLengthValid`. */
export function decodeRakp1(p: Buffer): (Rakp1 & { nameLengthValid: boolean }) | undefined {
    if (p.length < 28) {
        return undefined;
    }
    const length = p[27];
    const nameLengthValid = length <= 16 && p.length === 28 + length;
    return {
        tag: p[0],
        bmcSessionId: p.readUInt32LE(4),
        consoleRandom: Buffer.from(p.subarray(8, 24)),
        role: p[24],
        username: Buffer.from(p.subarray(28, 28 + Math.min(length, 16))),
        nameLengthValid,
    };
}

export interface Rakp2 {
    tag: number;
    status: number;
    consoleSessionId: number;
    /** Present when status is 0. */
    bmcRandom?: Buffer;
    bmcGuid?: Buffer;
    /** The key exchange authentication code (20 bytes for SHA1, 32 for SHA256, none for RAKP-none). */
    code?: Buffer;
}

export function encodeRakp2(r: Rakp2): Buffer {
    const head = Buffer.from([r.tag & 0xff, r.status & 0xff, 0, 0, ...u32(r.consoleSessionId)]);
    if (r.status !== RMCP_STATUS.ok) {
        return head;
    }
    return Buffer.concat([head, r.bmcRandom ?? Buffer.alloc(16), r.bmcGuid ?? Buffer.alloc(16), r.code ?? Buffer.alloc(0)]);
}

export function decodeRakp2(p: Buffer): Rakp2 | undefined {
    if (p.length < 2) {
        return undefined;
    }
    const consoleSessionId = p.length >= 8 ? p.readUInt32LE(4) : 0;
    if (p[1] !== RMCP_STATUS.ok) {
        return { tag: p[0], status: p[1], consoleSessionId };
    }
    if (p.length < 40) {
        return undefined;
    }
    return { tag: p[0], status: p[1], consoleSessionId, bmcRandom: Buffer.from(p.subarray(8, 24)), bmcGuid: Buffer.from(p.subarray(24, 40)), code: Buffer.from(p.subarray(40)) };
}

export interface Rakp3 {
    tag: number;
    /** The console's verdict on RAKP 2: 0, or the reason it gives up (0x0F when the BMC's code did not verify). */
    status: number;
    bmcSessionId: number;
    /** Present when status is 0 (the spec omits it otherwise). */
    code?: Buffer;
}

export function encodeRakp3(r: Rakp3): Buffer {
    return Buffer.concat([Buffer.from([r.tag & 0xff, r.status & 0xff, 0, 0, ...u32(r.bmcSessionId)]), r.status === RMCP_STATUS.ok ? (r.code ?? Buffer.alloc(0)) : Buffer.alloc(0)]);
}

export function decodeRakp3(p: Buffer): Rakp3 | undefined {
    if (p.length < 8) {
        return undefined;
    }
    return { tag: p[0], status: p[1], bmcSessionId: p.readUInt32LE(4), code: Buffer.from(p.subarray(8)) };
}

export interface Rakp4 {
    tag: number;
    status: number;
    consoleSessionId: number;
    /** The integrity check value (12 bytes for suite 3, 16 for suite 17). */
    icv?: Buffer;
}

export function encodeRakp4(r: Rakp4): Buffer {
    return Buffer.concat([Buffer.from([r.tag & 0xff, r.status & 0xff, 0, 0, ...u32(r.consoleSessionId)]), r.status === RMCP_STATUS.ok ? (r.icv ?? Buffer.alloc(0)) : Buffer.alloc(0)]);
}

export function decodeRakp4(p: Buffer): Rakp4 | undefined {
    if (p.length < 2) {
        return undefined;
    }
    return { tag: p[0], status: p[1], consoleSessionId: p.length >= 8 ? p.readUInt32LE(4) : 0, icv: Buffer.from(p.subarray(8)) };
}
