/**
 * RMCP / RMCP+ datagram framing and the IPMI LAN message inside it (IPMI v2.0 rev 1.1 §13.6, §13.8, Table 13-8,
 * §13.28). Pure byte layouts shared by the native client and the virtual BMC lab; no cryptography here (see
 * `crypto.ts`) and no session state (see `envelope.ts`).
 *
 * All multi-byte integers on the wire are little-endian. Decoders never throw on hostile input: a datagram that does
 * not parse yields `undefined`, so a garbage packet is dropped, never a crash.
 */

/** RMCP header (§13.1.3): version 6, reserved, sequence 0xFF ("no RMCP ACK"), class 7 (IPMI). */
export const RMCP_HEADER = Buffer.from([0x06, 0x00, 0xff, 0x07]);

/** Session header "authentication type / format" byte (§13.6). */
export const AUTH_TYPE = { none: 0x00, rmcpPlus: 0x06 } as const;

/** RMCP+ payload types (§13.27.3, Table 13-16). */
export const PAYLOAD = {
    ipmi: 0x00,
    sol: 0x01,
    oemExplicit: 0x02,
    openSessionRequest: 0x10,
    openSessionResponse: 0x11,
    rakp1: 0x12,
    rakp2: 0x13,
    rakp3: 0x14,
    rakp4: 0x15,
} as const;

/** Payload-type byte flags (§13.6): bit 7 payload encrypted, bit 6 payload authenticated. */
const ENCRYPTED = 0x80;
const AUTHENTICATED = 0x40;
const PAYLOAD_TYPE_MASK = 0x3f;

/** The fixed "next header" byte of the integrity trailer (§13.28). */
export const NEXT_HEADER = 0x07;

/** An IPMI 1.5 framed datagram (used before a session exists: Get Channel Authentication Capabilities). */
export interface Ipmi15Datagram {
    format: "ipmi15";
    authType: number;
    sequence: number;
    sessionId: number;
    /** The IPMI LAN message (see {@link decodeRequest}/{@link decodeResponse}). */
    message: Buffer;
}

/** An RMCP+ (IPMI 2.0) framed datagram as it arrived; the payload may still be encrypted. */
export interface RmcpPlusDatagram {
    format: "rmcpplus";
    payloadType: number;
    encrypted: boolean;
    authenticated: boolean;
    /** The receiver's session id (console → BMC: the BMC's; BMC → console: the console's). */
    sessionId: number;
    sequence: number;
    /** The payload field as sent (for AES: IV ‖ ciphertext). */
    payload: Buffer;
    /** Bytes from the auth-type byte through Next Header: what the AuthCode covers. Empty when not authenticated. */
    integrityInput: Buffer;
    /** The AuthCode as received (its length is the integrity algorithm's; the caller checks it). */
    authCode: Buffer;
}

export type Datagram = Ipmi15Datagram | RmcpPlusDatagram;

/**
 * Frames an IPMI 1.5 datagram without authentication (§13.6, Table 13-8): auth type 0, session sequence, session id,
 * message length, message. Only ever used pre-session, so there is no 16-byte auth code.
 */
export function encodeIpmi15(message: Buffer, sequence = 0, sessionId = 0): Buffer {
    if (message.length > 0xff) {
        throw new RangeError(`IPMI 1.5 message too long: ${message.length}`);
    }
    const out = Buffer.alloc(4 + 1 + 4 + 4 + 1 + message.length);
    RMCP_HEADER.copy(out, 0);
    out[4] = AUTH_TYPE.none;
    out.writeUInt32LE(sequence >>> 0, 5);
    out.writeUInt32LE(sessionId >>> 0, 9);
    out[13] = message.length;
    message.copy(out, 14);
    return out;
}

/** The fields of an RMCP+ header (§13.6, Table 13-8, "IPMI v2.0/RMCP+ Session Header"). */
export interface RmcpPlusHeader {
    payloadType: number;
    sessionId: number;
    sequence: number;
    encrypted?: boolean;
    authenticated?: boolean;
}

/** Integrity pad length (§13.28.3): the bytes from auth type through Next Header must be a multiple of 4. */
export function integrityPadLength(payloadLength: number): number {
    return (4 - ((payloadLength + 2) % 4)) % 4;
}

/**
 * Frames an RMCP+ datagram. When `header.authenticated` is set, the integrity trailer (pad of 0xFF, pad length, Next
 * Header) is added and `authCode(integrityInput)` supplies the AuthCode appended after it (§13.28.4). `payload` is the
 * payload field as it goes on the wire (already encrypted when `encrypted` is set).
 */
export function encodeRmcpPlus(header: RmcpPlusHeader, payload: Buffer, authCode?: (integrityInput: Buffer) => Buffer): Buffer {
    if (payload.length > 0xffff) {
        throw new RangeError(`RMCP+ payload too long: ${payload.length}`);
    }
    if (header.authenticated && !authCode) {
        throw new Error("an authenticated RMCP+ packet needs an AuthCode function");
    }
    const pad = header.authenticated ? integrityPadLength(payload.length) : 0;
    const trailer = header.authenticated ? pad + 2 : 0;
    const body = Buffer.alloc(16 + payload.length + trailer);
    RMCP_HEADER.copy(body, 0);
    body[4] = AUTH_TYPE.rmcpPlus;
    body[5] = (header.payloadType & PAYLOAD_TYPE_MASK) | (header.encrypted ? ENCRYPTED : 0) | (header.authenticated ? AUTHENTICATED : 0);
    body.writeUInt32LE(header.sessionId >>> 0, 6);
    body.writeUInt32LE(header.sequence >>> 0, 10);
    body.writeUInt16LE(payload.length, 14);
    payload.copy(body, 16);
    if (!header.authenticated) {
        return body;
    }
    let at = 16 + payload.length;
    body.fill(0xff, at, at + pad);
    at += pad;
    body[at++] = pad;
    body[at++] = NEXT_HEADER;
    return Buffer.concat([body, authCode!(body.subarray(4))]);
}

/**
 * Parses a datagram's RMCP and session headers. `authCodeLength` tells how long the AuthCode of an authenticated
 * RMCP+ packet is (12 for HMAC-SHA1-96, 16 for HMAC-SHA256-128): it is not self-describing on the wire. Returns
 * `undefined` for anything that is not a well-formed IPMI-over-RMCP datagram (wrong header, truncated, inconsistent
 * lengths, a bad integrity trailer, OEM-explicit payloads, which this project never uses).
 */
export function decodeDatagram(buf: Buffer, authCodeLength = 0): Datagram | undefined {
    if (buf.length < 5 || buf[0] !== RMCP_HEADER[0] || buf[2] !== RMCP_HEADER[2] || (buf[3] & 0x1f) !== RMCP_HEADER[3]) {
        return undefined;
    }
    const authType = buf[4] & 0x0f;
    if (authType !== AUTH_TYPE.rmcpPlus) {
        // IPMI 1.5 framing. Only "none" is accepted: this project never authenticates with IPMI 1.5 (MD2/MD5/password).
        if (authType !== AUTH_TYPE.none || buf.length < 14) {
            return undefined;
        }
        const length = buf[13];
        // A trailing legacy pad byte (pyghmi, phosphor) is allowed after the message.
        if (buf.length < 14 + length) {
            return undefined;
        }
        return { format: "ipmi15", authType, sequence: buf.readUInt32LE(5), sessionId: buf.readUInt32LE(9), message: Buffer.from(buf.subarray(14, 14 + length)) };
    }
    if (buf.length < 16) {
        return undefined;
    }
    const typeByte = buf[5];
    const payloadType = typeByte & PAYLOAD_TYPE_MASK;
    if (payloadType === PAYLOAD.oemExplicit) {
        return undefined;
    }
    const encrypted = (typeByte & ENCRYPTED) !== 0;
    const authenticated = (typeByte & AUTHENTICATED) !== 0;
    const length = buf.readUInt16LE(14);
    if (buf.length < 16 + length) {
        return undefined;
    }
    const payload = Buffer.from(buf.subarray(16, 16 + length));
    const base = { format: "rmcpplus" as const, payloadType, encrypted, authenticated, sessionId: buf.readUInt32LE(6), sequence: buf.readUInt32LE(10), payload };
    if (!authenticated) {
        return { ...base, integrityInput: Buffer.alloc(0), authCode: Buffer.alloc(0) };
    }
    const pad = integrityPadLength(length);
    const padEnd = 16 + length + pad;
    if (authCodeLength <= 0 || buf.length !== padEnd + 2 + authCodeLength || buf[padEnd] !== pad || buf[padEnd + 1] !== NEXT_HEADER) {
        return undefined;
    }
    for (let i = 16 + length; i < padEnd; i++) {
        if (buf[i] !== 0xff) {
            return undefined;
        }
    }
    return { ...base, integrityInput: Buffer.from(buf.subarray(4, padEnd + 2)), authCode: Buffer.from(buf.subarray(padEnd + 2)) };
}

// ---------------------------------------------------------------------------------------------------------------------
// IPMI LAN messages (§13.8, Table 13-8 "IPMI LAN Request/Response Message Format").

/** Slave address of the BMC (responder) and the console software ID (requester, Table 5-4: 0x81-0x8D). */
export const BMC_ADDRESS = 0x20;
export const CONSOLE_ADDRESS = 0x81;

/** One IPMI request. */
export interface IpmiRequest {
    netFn: number;
    cmd: number;
    data: Buffer;
    /** 6-bit request sequence the response echoes (§13.8: rqSeq). */
    rqSeq: number;
    rsAddr?: number;
    rqAddr?: number;
    rsLun?: number;
    rqLun?: number;
}

/** One IPMI response: `netFn` is the request's (even) netFn; the odd response netFn is implied. */
export interface IpmiResponse {
    netFn: number;
    cmd: number;
    completionCode: number;
    data: Buffer;
    rqSeq: number;
    rsAddr?: number;
    rqAddr?: number;
    rsLun?: number;
    rqLun?: number;
}

/** Two's complement checksum: the sum of the covered bytes and the checksum is 0 mod 256. */
export function checksum(bytes: Uint8Array): number {
    let sum = 0;
    for (const b of bytes) {
        sum = (sum + b) & 0xff;
    }
    return (0x100 - sum) & 0xff;
}

function withChecksums(head: number[], body: number[]): Buffer {
    return Buffer.from([...head, checksum(Uint8Array.from(head)), ...body, checksum(Uint8Array.from(body))]);
}

/** `rsAddr, netFn/rsLUN, cks1, rqAddr, rqSeq/rqLUN, cmd, data…, cks2`. */
export function encodeRequest(r: IpmiRequest): Buffer {
    return withChecksums(
        [r.rsAddr ?? BMC_ADDRESS, ((r.netFn & 0x3f) << 2) | ((r.rsLun ?? 0) & 3)],
        [r.rqAddr ?? CONSOLE_ADDRESS, ((r.rqSeq & 0x3f) << 2) | ((r.rqLun ?? 0) & 3), r.cmd & 0xff, ...r.data],
    );
}

/** `rqAddr, netFn+1/rqLUN, cks1, rsAddr, rqSeq/rsLUN, cmd, cc, data…, cks2`. */
export function encodeResponse(r: IpmiResponse): Buffer {
    return withChecksums(
        [r.rqAddr ?? CONSOLE_ADDRESS, (((r.netFn | 1) & 0x3f) << 2) | ((r.rqLun ?? 0) & 3)],
        [r.rsAddr ?? BMC_ADDRESS, ((r.rqSeq & 0x3f) << 2) | ((r.rsLun ?? 0) & 3), r.cmd & 0xff, r.completionCode & 0xff, ...r.data],
    );
}

function checksumsValid(m: Buffer): boolean {
    return checksum(m.subarray(0, 2)) === m[2] && checksum(m.subarray(3, m.length - 1)) === m[m.length - 1];
}

/** Parses a request; `undefined` when it is too short or a checksum is wrong. */
export function decodeRequest(m: Buffer): IpmiRequest | undefined {
    if (m.length < 7 || !checksumsValid(m)) {
        return undefined;
    }
    return {
        rsAddr: m[0],
        netFn: m[1] >> 2,
        rsLun: m[1] & 3,
        rqAddr: m[3],
        rqSeq: m[4] >> 2,
        rqLun: m[4] & 3,
        cmd: m[5],
        data: Buffer.from(m.subarray(6, m.length - 1)),
    };
}

/** Parses a response (netFn reported as the request's even value); `undefined` when malformed. */
export function decodeResponse(m: Buffer): IpmiResponse | undefined {
    if (m.length < 8 || !checksumsValid(m)) {
        return undefined;
    }
    return {
        rqAddr: m[0],
        netFn: (m[1] >> 2) & 0x3e,
        rqLun: m[1] & 3,
        rsAddr: m[3],
        rqSeq: m[4] >> 2,
        rsLun: m[4] & 3,
        cmd: m[5],
        completionCode: m[6],
        data: Buffer.from(m.subarray(7, m.length - 1)),
    };
}
