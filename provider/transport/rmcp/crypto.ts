/**
 * RMCP+ cipher suites and the key exchange arithmetic (IPMI v2.0 rev 1.1 §13.28-13.32, Table 22-19/22-20), shared by
 * the native client and the virtual BMC lab. Pure functions over `node:crypto`; no state, no I/O.
 *
 * Checked against published vectors only (test/unit/rmcp-wire.test.js): a real BMC's suite-3 capture, ipmitool 1.8.19
 * sessions at suites 3 and 17, and libfreeipmi's `ipmi_calculate_*` results recorded in the reference.
 */

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Authentication algorithm numbers (§13.28, Table 13-17). */
export const AUTH_ALG = { none: 0, hmacSha1: 1, hmacMd5: 2, hmacSha256: 3 } as const;
/** Integrity algorithm numbers (Table 13-18). */
export const INTEGRITY_ALG = { none: 0, hmacSha1_96: 1, hmacMd5_128: 2, md5_128: 3, hmacSha256_128: 4 } as const;
/** Confidentiality algorithm numbers (Table 13-19). */
export const CONFIDENTIALITY_ALG = { none: 0, aesCbc128: 1, xrc4_128: 2, xrc4_40: 3 } as const;

/** One cipher suite: its algorithm numbers and what they mean for the arithmetic below. */
export interface CipherSuite {
    id: number;
    authAlg: number;
    integrityAlg: number;
    confidentialityAlg: number;
    /** Hash of the RAKP HMACs and the SIK/K1/K2 derivation; undefined for RAKP-none. */
    authHash?: "sha1" | "sha256";
    /** Length of the RAKP 4 integrity check value: the auth hash truncated (§13.28.1: 12 for SHA1, 16 for SHA256). */
    icvLength: number;
    /** Hash and truncated length of the per-packet AuthCode; undefined without integrity. */
    integrityHash?: "sha1" | "sha256";
    authCodeLength: number;
    /** AES-CBC-128 on every payload. */
    encrypted: boolean;
}

/**
 * The suites this project implements. 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128) is the one every BMC must offer;
 * 17 (RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128) is the default. Suite 0 (no authentication, no integrity, no
 * confidentiality) exists only so the lab can impersonate a BMC vulnerable to CVE-2013-4782; clients never propose it.
 */
export const CIPHER_SUITES: Readonly<Record<0 | 3 | 17, CipherSuite>> = {
    0: { id: 0, authAlg: 0, integrityAlg: 0, confidentialityAlg: 0, icvLength: 0, authCodeLength: 0, encrypted: false },
    3: { id: 3, authAlg: 1, integrityAlg: 1, confidentialityAlg: 1, authHash: "sha1", icvLength: 12, integrityHash: "sha1", authCodeLength: 12, encrypted: true },
    17: { id: 17, authAlg: 3, integrityAlg: 4, confidentialityAlg: 1, authHash: "sha256", icvLength: 16, integrityHash: "sha256", authCodeLength: 16, encrypted: true },
};

/** The suites a client may propose: never one without authentication, integrity and confidentiality. */
export const SECURE_SUITES: readonly number[] = [17, 3];

/** The suite with these algorithm numbers, if this project implements it. */
export function suiteByAlgorithms(authAlg: number, integrityAlg: number, confidentialityAlg: number): CipherSuite | undefined {
    return Object.values(CIPHER_SUITES).find((s) => s.authAlg === authAlg && s.integrityAlg === integrityAlg && s.confidentialityAlg === confidentialityAlg);
}

/** Longest IPMI 2.0 password (§22.29: 20 bytes); 1.5-style passwords are 16. */
export const MAX_PASSWORD_BYTES = 20;

/**
 * The user key Kuid: the password bytes. HMAC pads a short key with zeros to its block size, so the 16/20-byte NUL
 * padding a BMC stores changes nothing in the arithmetic (verified against the vectors); it matters only for storage.
 */
export function userKey(password: string | Buffer): Buffer {
    const key = typeof password === "string" ? Buffer.from(password, "latin1") : password;
    if (key.length > MAX_PASSWORD_BYTES) {
        throw new RangeError(`an IPMI password is at most ${MAX_PASSWORD_BYTES} bytes`);
    }
    return key;
}

function hmac(hash: "sha1" | "sha256", key: Buffer, ...parts: Buffer[]): Buffer {
    const h = createHmac(hash, key);
    for (const p of parts) {
        h.update(p);
    }
    return h.digest();
}

function authHashOf(suite: CipherSuite): "sha1" | "sha256" {
    if (!suite.authHash) {
        throw new Error(`cipher suite ${suite.id} has no RAKP authentication`);
    }
    return suite.authHash;
}

function u32(n: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
}

/** `ROLE ‖ ULEN ‖ UNAME`: the requested-role byte of RAKP 1 as sent (bit 4 included), the name length and bytes. */
function roleAndName(role: number, username: Buffer): Buffer {
    return Buffer.concat([Buffer.from([role & 0xff, username.length]), username]);
}

/** What both sides know after RAKP 2. Session ids are numbers, written little-endian as on the wire. */
export interface RakpExchange {
    consoleSessionId: number;
    bmcSessionId: number;
    consoleRandom: Buffer;
    bmcRandom: Buffer;
    bmcGuid: Buffer;
    /** RAKP 1 byte 24 as sent: requested maximum privilege, bit 4 = name-only lookup. */
    role: number;
    username: Buffer;
}

/** RAKP 2 key exchange authentication code (§13.31): HMAC(Kuid, SIDm ‖ SIDc ‖ Rm ‖ Rc ‖ GUIDc ‖ ROLE ‖ ULEN ‖ UNAME). */
export function rakp2Code(suite: CipherSuite, kuid: Buffer, x: RakpExchange): Buffer {
    return hmac(authHashOf(suite), kuid, u32(x.consoleSessionId), u32(x.bmcSessionId), x.consoleRandom, x.bmcRandom, x.bmcGuid, roleAndName(x.role, x.username));
}

/** RAKP 3 key exchange authentication code (§13.31): HMAC(Kuid, Rc ‖ SIDm ‖ ROLE ‖ ULEN ‖ UNAME). */
export function rakp3Code(suite: CipherSuite, kuid: Buffer, x: RakpExchange): Buffer {
    return hmac(authHashOf(suite), kuid, x.bmcRandom, u32(x.consoleSessionId), roleAndName(x.role, x.username));
}

/**
 * Session Integrity Key (§13.31): HMAC(KG, Rm ‖ Rc ‖ ROLE ‖ ULEN ‖ UNAME), where KG is the BMC key when one is set
 * (non-zero) and Kuid otherwise.
 */
export function sessionIntegrityKey(suite: CipherSuite, kuid: Buffer, x: RakpExchange, kg?: Buffer): Buffer {
    const key = kg && kg.some((b) => b !== 0) ? kg : kuid;
    return hmac(authHashOf(suite), key, x.consoleRandom, x.bmcRandom, roleAndName(x.role, x.username));
}

/** RAKP 4 integrity check value (§13.31): HMAC(SIK, Rm ‖ SIDc ‖ GUIDc), truncated for the authentication algorithm. */
export function rakp4Icv(suite: CipherSuite, sik: Buffer, x: Pick<RakpExchange, "consoleRandom" | "bmcSessionId" | "bmcGuid">): Buffer {
    return hmac(authHashOf(suite), sik, x.consoleRandom, u32(x.bmcSessionId), x.bmcGuid).subarray(0, suite.icvLength);
}

/** The session keys (§13.32): K1 = HMAC(SIK, 20 × 0x01) keys the AuthCode, K2 = HMAC(SIK, 20 × 0x02) the AES key. */
export interface SessionKeys {
    sik: Buffer;
    k1: Buffer;
    k2: Buffer;
}

/**
 * K1 and K2 from the SIK. The constant is 20 bytes for SHA-256 too: ipmitool, FreeIPMI, pyghmi, phosphor-net-ipmid and
 * go-ipmi all use 20, and suite-17 sessions between them work.
 */
export function sessionKeys(suite: CipherSuite, sik: Buffer): SessionKeys {
    const hash = authHashOf(suite);
    return { sik, k1: hmac(hash, sik, Buffer.alloc(20, 0x01)), k2: hmac(hash, sik, Buffer.alloc(20, 0x02)) };
}

/** The AuthCode of one packet (§13.28.4): HMAC(K1, auth type … Next Header), truncated for the integrity algorithm. */
export function authCode(suite: CipherSuite, k1: Buffer, integrityInput: Buffer): Buffer {
    if (!suite.integrityHash) {
        throw new Error(`cipher suite ${suite.id} has no integrity algorithm`);
    }
    return hmac(suite.integrityHash, k1, integrityInput).subarray(0, suite.authCodeLength);
}

/** Constant-time equality of two MACs (false on a length mismatch). */
export function macEqual(a: Buffer, b: Buffer): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
}

const AES_BLOCK = 16;

/**
 * AES-CBC-128 confidentiality (§13.29, Table 13-20): payload field = IV ‖ AES(K2[0..15], IV, data ‖ pad ‖ pad length),
 * with pad bytes 1, 2, … N chosen so the whole is a multiple of 16. A fresh random IV per packet unless one is given
 * (tests).
 */
export function encryptPayload(k2: Buffer, plaintext: Buffer, iv: Buffer = randomBytes(AES_BLOCK)): Buffer {
    const padLength = (AES_BLOCK - ((plaintext.length + 1) % AES_BLOCK)) % AES_BLOCK;
    const pad = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
    const cipher = createCipheriv("aes-128-cbc", k2.subarray(0, 16), iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([iv, cipher.update(Buffer.concat([plaintext, pad, Buffer.from([padLength])])), cipher.final()]);
}

/**
 * Reverses {@link encryptPayload}. Returns `undefined` for a payload that is not IV + whole blocks, or whose pad is not
 * exactly 1, 2, … N (as OpenIPMI and FreeIPMI check), so a forged or truncated packet is dropped.
 */
export function decryptPayload(k2: Buffer, payload: Buffer): Buffer | undefined {
    if (payload.length < 2 * AES_BLOCK || payload.length % AES_BLOCK !== 0) {
        return undefined;
    }
    const decipher = createDecipheriv("aes-128-cbc", k2.subarray(0, 16), payload.subarray(0, AES_BLOCK));
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(payload.subarray(AES_BLOCK)), decipher.final()]);
    const padLength = plain[plain.length - 1];
    if (padLength >= AES_BLOCK || padLength + 1 > plain.length) {
        return undefined;
    }
    const end = plain.length - 1 - padLength;
    for (let i = 0; i < padLength; i++) {
        if (plain[end + i] !== i + 1) {
            return undefined;
        }
    }
    return plain.subarray(0, end);
}
