/**
 * A self-signed X.509 v3 certificate for the lab's HTTPS face, made in memory at start.
 *
 * `node:crypto` makes keys and signatures but has no certificate builder, and `openssl` is not on every machine that
 * runs the lab (`npm ci && npm run demo` needs Node only). An X.509 certificate is a small DER structure (RFC 5280
 * §4.1), so it is built here: an ECDSA P-256 key, a random serial, a validity window, subject = issuer, the
 * subjectAltName the lab's clients connect by (127.0.0.1, ::1, localhost, the bind address) and basicConstraints, signed
 * with ecdsa-with-SHA256. A second mode issues a leaf from a lab CA, so that `bmc.tls.caCertificate` can be tested with a
 * real chain. Checked by `node:crypto`'s X509Certificate and by `openssl x509`/`openssl verify` in the unit tests.
 *
 * Lab use only: the key never leaves the process.
 */

import { KeyObject, X509Certificate, createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";

/** A certificate and its key, PEM, with the SHA-256 fingerprint in Node's `fingerprint256` form (`AB:CD:…`). */
export interface LabCertificate {
    certPem: string;
    keyPem: string;
    /** `X509Certificate.fingerprint256`: upper-case hex pairs joined by colons. */
    fingerprint256: string;
    /** The private key, for issuing leaves when this is a CA. */
    key: KeyObject;
    subject: string;
}

export interface CertificateRequest {
    /** Common name of the subject. */
    commonName: string;
    /** DNS names and IP addresses for subjectAltName (a client connecting by IP checks the IP entries). */
    altNames?: readonly string[];
    /** Days of validity from one day ago. Default 825. */
    days?: number;
    /** A CA certificate (basicConstraints cA, keyCertSign). Default false: a server certificate. */
    ca?: boolean;
    /** Issue from this CA instead of self-signing. */
    issuer?: LabCertificate;
}

// ---- DER (X.690) -----------------------------------------------------------------------------------------------------

function length(n: number): Buffer {
    if (n < 0x80) {
        return Buffer.from([n]);
    }
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) {
        bytes.unshift(v & 0xff);
    }
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
    const body = Buffer.concat(content);
    return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const explicit = (n: number, inner: Buffer) => tlv(0xa0 | n, inner);
const octetString = (b: Buffer) => tlv(0x04, b);
const bitString = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
const utf8String = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const boolean = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));

/** A non-negative INTEGER from big-endian bytes (a leading 0x00 keeps the sign bit clear). */
function integer(bytes: Buffer): Buffer {
    let b = bytes;
    while (b.length > 1 && b[0] === 0 && (b[1] & 0x80) === 0) {
        b = b.subarray(1);
    }
    return tlv(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function oid(dotted: string): Buffer {
    const parts = dotted.split(".").map(Number);
    const out = [40 * parts[0] + parts[1]];
    for (const p of parts.slice(2)) {
        const chunk: number[] = [p & 0x7f];
        for (let v = p >> 7; v > 0; v >>= 7) {
            chunk.unshift(0x80 | (v & 0x7f));
        }
        out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
}

/** UTCTime for years before 2050, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
    const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
    return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const OID = {
    ecdsaWithSha256: "1.2.840.10045.4.3.2",
    commonName: "2.5.4.3",
    organization: "2.5.4.10",
    subjectAltName: "2.5.29.17",
    basicConstraints: "2.5.29.19",
    keyUsage: "2.5.29.15",
    subjectKeyIdentifier: "2.5.29.14",
    authorityKeyIdentifier: "2.5.29.35",
};

function name(commonName: string): Buffer {
    const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
    return sequence(rdn(OID.organization, "pulumi-bmc-credentials lab"), rdn(OID.commonName, commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
    return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function altNames(names: readonly string[]): Buffer {
    const entries = names.map((n) => {
        const family = isIP(n);
        if (family === 4) {
            return tlv(0x87, Buffer.from(n.split(".").map(Number)));
        }
        if (family === 6) {
            return tlv(0x87, ipv6Bytes(n));
        }
        return tlv(0x82, Buffer.from(n, "ascii"));
    });
    return sequence(...entries);
}

function ipv6Bytes(address: string): Buffer {
    const [head, tail = ""] = address.split("::");
    const groups = (s: string) => (s ? s.split(":") : []);
    const h = groups(head);
    const t = address.includes("::") ? groups(tail) : [];
    const all = [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
    return Buffer.from(all.flatMap((g) => [(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff]));
}

/** Key usage bits (RFC 5280 §4.2.1.3): digitalSignature (0), keyCertSign (5), cRLSign (6). */
function keyUsage(ca: boolean): Buffer {
    const bits = ca ? 0x80 | 0x04 | 0x02 : 0x80;
    return tlv(0x03, Buffer.from([ca ? 1 : 7]), Buffer.from([bits]));
}

function keyId(spki: Buffer): Buffer {
    return createHash("sha1").update(spki).digest();
}

/** Makes a certificate (self-signed unless `issuer` is given). */
export function createCertificate(request: CertificateRequest): LabCertificate {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const spki = publicKey.export({ type: "spki", format: "der" });
    const issuer = request.issuer;
    const signingKey = issuer?.key ?? privateKey;
    const issuerName = name(issuer?.subject ?? request.commonName);
    const issuerSpki = issuer ? new X509Certificate(issuer.certPem).publicKey.export({ type: "spki", format: "der" }) : spki;
    const now = Date.now();
    const notBefore = new Date(now - 24 * 3600 * 1000);
    const notAfter = new Date(now + (request.days ?? 825) * 24 * 3600 * 1000);
    const algorithm = sequence(oid(OID.ecdsaWithSha256));
    const extensions = [
        extension(OID.basicConstraints, true, sequence(...(request.ca ? [boolean(true)] : []))),
        extension(OID.keyUsage, true, keyUsage(request.ca === true)),
        extension(OID.subjectKeyIdentifier, false, octetString(keyId(spki))),
        extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, keyId(issuerSpki)))),
        ...(request.altNames?.length ? [extension(OID.subjectAltName, false, altNames(request.altNames))] : []),
    ];
    const serial = randomBytes(16);
    serial[0] &= 0x7f;
    const tbs = sequence(
        explicit(0, integer(Buffer.from([2]))),
        integer(serial),
        algorithm,
        issuerName,
        sequence(time(notBefore), time(notAfter)),
        name(request.commonName),
        spki,
        explicit(3, sequence(...extensions)),
    );
    const signature = sign("sha256", tbs, signingKey);
    const der = sequence(tbs, algorithm, bitString(signature));
    const certPem = `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`;
    return {
        certPem,
        keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        fingerprint256: new X509Certificate(certPem).fingerprint256,
        key: privateKey,
        subject: request.commonName,
    };
}

/** The names a loopback lab is reached by, plus the bind address when it is another one. */
export function labAltNames(host: string): string[] {
    return [...new Set(["127.0.0.1", "::1", "localhost", host])];
}
