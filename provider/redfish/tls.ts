/**
 * TLS for Redfish: the BMC's certificate is pinned, and no request byte (no credential) is written before it matched.
 *
 * BMCs ship self-signed certificates, and most tools answer that by not verifying at all. Here there is no insecure
 * mode: the connection needs either the SHA-256 fingerprint of the BMC's certificate (`bmc.tls.fingerprint`) or a CA
 * certificate that issued it (`bmc.tls.caCertificate`; the BMC's own self-signed certificate works too).
 *
 * Node 20 behaviour this relies on (checked, see redfish.md §5): `rejectUnauthorized: false` skips
 * `checkServerIdentity` entirely, so a pin cannot live there. Instead {@link PinnedAgent} opens the TLS socket itself,
 * waits for `secureConnect`, compares the peer certificate, and only then hands the socket to the HTTP client, which
 * writes the request. On a mismatch the socket is destroyed and the request fails with `BMC_TLS_PIN_MISMATCH` naming
 * both fingerprints (public values).
 */

import { Agent, AgentOptions } from "node:https";
import { X509Certificate } from "node:crypto";
import * as tls from "node:tls";
import type { Duplex } from "node:stream";
import { CredentialsError } from "../shared/errors";

/** What the BMC's certificate must be. */
export type TlsPin = { fingerprint: string } | { caCertificate: string };

/** `AB:CD:…` (Node's `fingerprint256` form) from 64 hex digits with or without colons; undefined if not that. */
export function normaliseFingerprint(text: string): string | undefined {
    const hex = text.trim().replace(/:/g, "").toUpperCase();
    if (!/^[0-9A-F]{64}$/.test(hex)) {
        return undefined;
    }
    if (text.includes(":") && !/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/.test(text.trim())) {
        return undefined;
    }
    return hex.match(/../g)!.join(":");
}

/** The fingerprint of a PEM certificate, or undefined when it does not parse. */
export function certificateFingerprint(pem: string): string | undefined {
    try {
        return new X509Certificate(pem).fingerprint256;
    } catch {
        return undefined;
    }
}

/** An error a pinned connection fails with; carries what was presented. */
export class PinMismatch extends Error {
    constructor(
        readonly presented: string | undefined,
        readonly expected: string,
        readonly why: string,
    ) {
        super(why);
    }
}

/**
 * An HTTPS agent whose sockets are checked against `pin` before the HTTP client may write to them. Keep-alive, so one
 * operation's requests share one TLS connection (one handshake, one check).
 */
export class PinnedAgent extends Agent {
    private readonly fingerprint?: string;
    private readonly ca?: string;

    constructor(
        readonly pin: TlsPin,
        options: AgentOptions = {},
    ) {
        super({ keepAlive: true, maxSockets: 2, ...options });
        if ("fingerprint" in pin) {
            const fp = normaliseFingerprint(pin.fingerprint);
            if (!fp) throw new RangeError("bmc.tls.fingerprint is not a SHA-256 fingerprint");
            this.fingerprint = fp;
        } else {
            this.ca = pin.caCertificate;
        }
    }

    /** Node's Agent calls this for each new socket; answering through `callback` makes it wait for the check. */
    createConnection(options: tls.ConnectionOptions, callback: (err: Error | null, socket?: Duplex) => void): Duplex | undefined {
        const caFingerprint = this.ca ? certificateFingerprint(this.ca) : undefined;
        const socket = tls.connect({
            ...options,
            ...(this.fingerprint
                ? { rejectUnauthorized: false }
                : {
                      ca: this.ca,
                      rejectUnauthorized: true,
                      // BMC certificates rarely name the address they are reached by; the chain to the given CA is the
                      // check, and the given certificate itself presented by the BMC is a match whatever its names.
                      checkServerIdentity: (host: string, cert: tls.PeerCertificate) =>
                          cert.fingerprint256 === caFingerprint ? undefined : tls.checkServerIdentity(host, cert),
                  }),
        });
        let settled = false;
        const settle = (err: Error | null) => {
            if (settled) return;
            settled = true;
            socket.off("error", onError);
            if (err) {
                socket.destroy();
                callback(err);
            } else {
                callback(null, socket);
            }
        };
        const onError = (err: Error & { code?: string }) => {
            if (this.ca && isVerificationError(err)) {
                settle(new PinMismatch(presentedFingerprint(socket), `a certificate issued by the CA with fingerprint ${caFingerprint ?? "(unparsable)"}`, err.code ?? err.message));
            } else {
                settle(err);
            }
        };
        socket.once("error", onError);
        socket.once("secureConnect", () => {
            if (this.fingerprint) {
                const presented = socket.getPeerCertificate()?.fingerprint256;
                if (presented !== this.fingerprint) {
                    settle(new PinMismatch(presented, this.fingerprint, "the certificate's SHA-256 fingerprint differs from bmc.tls.fingerprint"));
                    return;
                }
            }
            settle(null);
        });
        return undefined;
    }
}

function presentedFingerprint(socket: tls.TLSSocket): string | undefined {
    try {
        return socket.getPeerCertificate()?.fingerprint256 || undefined;
    } catch {
        return undefined;
    }
}

const VERIFY_CODES = new Set([
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_GET_ISSUER_CERT",
    "CERT_SIGNATURE_FAILURE",
    "CERT_NOT_YET_VALID",
    "CERT_HAS_EXPIRED",
    "ERR_TLS_CERT_ALTNAME_INVALID",
    "CERT_UNTRUSTED",
    "CERT_REJECTED",
]);

function isVerificationError(err: Error & { code?: string }): boolean {
    return err.code !== undefined && VERIFY_CODES.has(err.code);
}

/** The typed error for a certificate that did not match. */
export function pinMismatchError(e: PinMismatch, context: { host: string; port: number }): CredentialsError {
    return new CredentialsError("BMC_TLS_PIN_MISMATCH", {
        message: `the BMC presented a certificate that does not match the pin (${e.why}): presented ${e.presented ?? "no certificate"}, expected ${e.expected}; nothing was sent`,
        hint:
            "if the BMC's certificate was replaced on purpose, read its fingerprint out of band (the BMC's web UI, or `openssl s_client -connect host:443 | openssl x509 -noout -fingerprint -sha256` from a trusted network) and update bmc.tls; otherwise something else answers at this address",
        context,
    });
}
