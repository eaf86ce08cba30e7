/**
 * Packets of an active RMCP+ session (IPMI v2.0 rev 1.1 §13.28-13.29, §6.12.13): every payload AES-CBC encrypted and
 * every packet authenticated, checked on the way in in the order that leaks least (AuthCode first, in constant time,
 * then decryption and pad), and an inbound sequence-number window against replays. Shared by client and lab.
 */

import { CipherSuite, authCode, decryptPayload, encryptPayload, macEqual } from "./crypto";
import { decodeDatagram, encodeRmcpPlus } from "./packet";

/** The keys and suite of one direction-agnostic active session. */
export interface SessionCipher {
    suite: CipherSuite;
    k1: Buffer;
    k2: Buffer;
}

/** One outgoing in-session packet. */
export interface SealRequest {
    payloadType: number;
    /** The receiver's session id. */
    sessionId: number;
    /** Our outbound session sequence number (never 0 in a session). */
    sequence: number;
    plaintext: Buffer;
    /** Fixed IV for tests; random otherwise. */
    iv?: Buffer;
}

/** Frames, encrypts and authenticates one packet of an active session. */
export function seal(cipher: SessionCipher, r: SealRequest): Buffer {
    const { suite } = cipher;
    const payload = suite.encrypted ? encryptPayload(cipher.k2, r.plaintext, r.iv) : r.plaintext;
    const authenticated = suite.authCodeLength > 0;
    return encodeRmcpPlus(
        { payloadType: r.payloadType, sessionId: r.sessionId, sequence: r.sequence, encrypted: suite.encrypted, authenticated },
        payload,
        authenticated ? (input) => authCode(suite, cipher.k1, input) : undefined,
    );
}

/** An incoming in-session packet after its checks. */
export interface OpenedPacket {
    payloadType: number;
    sessionId: number;
    sequence: number;
    plaintext: Buffer;
}

/**
 * Checks and opens one in-session datagram: it must carry both the authenticated and the encrypted bit when the suite
 * has integrity and confidentiality (a packet that drops them is a downgrade, refused), its AuthCode must verify, and
 * its pad must be well formed. Returns `undefined` for anything else, so the caller simply drops it.
 */
export function open(cipher: SessionCipher, datagram: Buffer): OpenedPacket | undefined {
    const { suite } = cipher;
    const d = decodeDatagram(datagram, suite.authCodeLength);
    if (!d || d.format !== "rmcpplus") {
        return undefined;
    }
    if (d.authenticated !== suite.authCodeLength > 0 || d.encrypted !== suite.encrypted) {
        return undefined;
    }
    if (d.authenticated && !macEqual(d.authCode, authCode(suite, cipher.k1, d.integrityInput))) {
        return undefined;
    }
    const plaintext = d.encrypted ? decryptPayload(cipher.k2, d.payload) : d.payload;
    return plaintext && { payloadType: d.payloadType, sessionId: d.sessionId, sequence: d.sequence, plaintext };
}

/**
 * The inbound session-sequence window (§6.12.13): a packet is accepted when its number is at most `behind` below and at
 * most `ahead` above the highest accepted so far, and has not been accepted before. The highest number moves only on
 * acceptance — call {@link InboundWindow.accept} after the packet's AuthCode verified, never before, so forged packets
 * cannot move it. The first packet sets the base (ipmitool's first in-session number is not 1: it counts its
 * pre-session packets too).
 */
export class InboundWindow {
    private highest: number | undefined;
    /** Bit i set: `highest - i` was accepted. */
    private seen = 0n;

    constructor(
        private readonly behind = 16,
        private readonly ahead = 15,
    ) {}

    accept(sequence: number): boolean {
        const s = sequence >>> 0;
        if (s === 0) {
            return false;
        }
        if (this.highest === undefined) {
            this.highest = s;
            this.seen = 1n;
            return true;
        }
        // Distance forward from `highest`, modulo 2^32 (the counters wrap, skipping 0).
        const forward = (s - this.highest) >>> 0;
        if (forward !== 0 && forward <= this.ahead) {
            this.seen = ((this.seen << BigInt(forward)) | 1n) & ((1n << 64n) - 1n);
            this.highest = s;
            return true;
        }
        const back = (this.highest - s) >>> 0;
        if (back <= this.behind && back < 64) {
            const bit = 1n << BigInt(back);
            if ((this.seen & bit) !== 0n) {
                return false;
            }
            this.seen |= bit;
            return true;
        }
        return false;
    }
}

/** The next outbound sequence number after `n`: counts up from 1 and skips 0 when it wraps (§6.12.13). */
export function nextSequence(n: number): number {
    const next = ((n >>> 0) + 1) >>> 0;
    return next === 0 ? 1 : next;
}
