/**
 * The native RMCP+ client: one IPMI v2.0 session over UDP from this process (IPMI v2.0 rev 1.1 §13.14-13.24), on the
 * sockets shared by every session ({@link sharedSockets}). No child process, no temporary file.
 *
 * Opening, at most four requests (§13.15: Get Channel Authentication Capabilities is not sent — no BMC examined keeps
 * state from it, see DESIGN.md):
 *
 * 1. Open Session Request proposing exactly the chosen suite (17 or 3; nothing else is ever proposed). The answer
 *    must echo our session id, name a non-zero BMC session id, and carry exactly the proposed algorithms: a BMC that
 *    answers suite 3's when 17 was proposed (pyghmi's server does) is refused, never silently followed.
 * 2. RAKP 1 with a fresh random Rm, name-only lookup and the requested privilege. RAKP 2's key-exchange code is
 *    checked, in constant time, BEFORE anything else is sent: a peer that does not know the password never receives
 *    our RAKP 3 code (an offline-crackable hash of the password over a random number it chose, CVE-2013-4786).
 * 3. RAKP 3 with our code; RAKP 4's integrity check value is checked in constant time. Session keys: SIK, K1, K2.
 * 4. Set Session Privilege Level (sessions start at USER, §22.18), unless the session only proves a login.
 *
 * In the session every packet is authenticated (HMAC-SHA1-96 / HMAC-SHA256-128) and every payload AES-CBC-128
 * encrypted (`envelope.ts`); incoming packets must verify before they are decrypted, must fall inside the sequence
 * window (`InboundWindow`), and must answer a request still waiting (late and duplicate answers are dropped).
 *
 * Retransmission keeps the meaning of `bmc.timeoutSeconds` (T) and `bmc.retries` (R) as ipmitool gives them (measured
 * against ipmitool 1.8.19: `-R` attempts per request in a session, and one more to open a session):
 * - opening: up to R + 1 attempts, each a fresh Open Session (a new session id and random number: BMCs do not take
 *   kindly to a repeated RAKP 1 or RAKP 3, as pyghmi notes), each step waiting T. A silent BMC costs (R + 1) × T
 *   (ipmitool: about T × R × (R + 1));
 * - each request in the session is sent up to R times (a new session sequence number each time, the same IPMI rqSeq,
 *   so a late answer to an earlier copy still counts), T apart: at most R × T (ipmitool waits a second longer at each
 *   retry).
 * Close Session is sent once and not waited for.
 */

import { randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { CredentialsError } from "../../shared/errors";
import { FailureContext, IpmiReply, IpmiRequest, PRIVILEGE_LEVEL, Session, SessionTarget } from "../session";
import { CIPHER_SUITES, CipherSuite, SECURE_SUITES, macEqual, rakp2Code, rakp3Code, rakp4Icv, sessionIntegrityKey, sessionKeys, userKey } from "./crypto";
import { InboundWindow, SessionCipher, nextSequence, open, seal } from "./envelope";
import * as failures from "./failures";
import { AUTH_TYPE, PAYLOAD, decodeDatagram, decodeResponse, encodeIpmi15, encodeRequest, encodeRmcpPlus } from "./packet";
import {
    NAME_ONLY_LOOKUP,
    RMCP_STATUS,
    decodeOpenSessionResponse,
    decodeRakp2,
    decodeRakp4,
    encodeOpenSessionRequest,
    encodeRakp1,
    encodeRakp3,
} from "./rakp";
import { LaneBinding, RmcpSockets, sharedSockets } from "./socket";

/** NetFn App and the session commands this module sends itself (§22.18, §22.19). */
const NETFN_APP = 0x06;
const CMD_SET_SESSION_PRIVILEGE = 0x3b;
const CMD_CLOSE_SESSION = 0x3c;
const CMD_GET_CHANNEL_AUTH_CAPABILITIES = 0x38;

/** An Open Session answered from an earlier session on this port (see `resetPortState`). */
const STALE = Symbol("stale");
/** No answer to a step, or one saying the attempt went stale: the next attempt starts over. */
const AGAIN = Symbol("again");

/** Injection points (tests). */
export interface RmcpOptions {
    /** The sockets to use; default: the process's shared ones. */
    sockets?: RmcpSockets;
    /** Host name resolution; default `dns.lookup` (IPv4 preferred). */
    resolve?: (host: string) => Promise<{ address: string; family: 4 | 6 }>;
    /** Random bytes for message tags, RAKP 1's Rm and the first rqSeq; default `crypto.randomBytes` (tests replay captures). */
    random?: (size: number) => Buffer;
}

/** Resolves a host name, preferring IPv4 (the address family almost every BMC network uses). */
async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
    const literal = isIP(host.replace(/^\[(.*)\]$/, "$1"));
    if (literal) {
        return { address: host.replace(/^\[(.*)\]$/, "$1"), family: literal as 4 | 6 };
    }
    const all = await lookup(host, { all: true });
    const pick = all.find((a) => a.family === 4) ?? all[0];
    if (!pick) {
        throw Object.assign(new Error(`no address for ${host}`), { code: "ENOTFOUND" });
    }
    return { address: pick.address, family: pick.family as 4 | 6 };
}

/**
 * Opens a session, or throws the classified failure. `password` is turned into the key Kuid here and used for the
 * RAKP codes only; it never leaves this function in any other form.
 */
export async function openRmcpSession(target: SessionTarget, password: string, context: FailureContext, options: RmcpOptions = {}): Promise<RmcpSession> {
    const ctx: FailureContext = { ...context, host: target.host, port: target.port, username: target.username };
    if (!SECURE_SUITES.includes(target.cipherSuite)) {
        // Never on the wire: a suite without authentication, integrity and encryption is refused before any packet.
        throw new CredentialsError("INVALID_INPUT", {
            message: `cipher suite ${String(target.cipherSuite)} is refused: only 17 and 3 authenticate, protect and encrypt every packet`,
            hint: "set bmc.cipherSuite to 17 or 3",
            context: { host: ctx.host, port: ctx.port },
        });
    }
    const username = Buffer.from(target.username, "latin1");
    if (typeof password !== "string" || Buffer.byteLength(password, "latin1") > 20) {
        throw new CredentialsError("INVALID_INPUT", {
            message: typeof password !== "string" ? "no login password was given" : "the login password is longer than 20 bytes",
            hint: "IPMI passwords are 1-20 bytes",
            context: { host: ctx.host, port: ctx.port },
        });
    }
    const kuid = Buffer.from(userKey(password));
    if (username.length > 16) {
        throw new CredentialsError("INVALID_INPUT", { message: "the login user name is longer than 16 bytes", hint: "IPMI user names are at most 16 bytes", context: { host: ctx.host, port: ctx.port } });
    }
    if (target.inband) {
        throw new CredentialsError("INVALID_INPUT", { message: "in-band access needs the kernel's IPMI device: the native RMCP+ transport cannot provide it", hint: 'use bmc.transport "ipmitool" in-band', context: { host: ctx.host, port: ctx.port } });
    }
    let peer: { address: string; family: 4 | 6 };
    try {
        peer = await (options.resolve ?? resolveHost)(target.address ?? target.host);
    } catch (e) {
        throw failures.dnsFailed(ctx, e);
    }
    const session = new RmcpSession(target, ctx, CIPHER_SUITES[target.cipherSuite], options.random ?? randomBytes);
    session.bind((options.sockets ?? sharedSockets()).bind(peer.address, target.port, peer.family, session));
    try {
        await session.establish(kuid, username);
        return session;
    } catch (e) {
        session.abandon();
        throw e;
    } finally {
        kuid.fill(0);
    }
}

/** What one pre-session step waits for. */
interface Expectation {
    accept(datagram: Buffer): boolean;
}

/** A request waiting for its answer. */
interface Pending {
    netFn: number;
    cmd: number;
    resolve(reply: IpmiReply): void;
}

/** How far one opening attempt got, for the error when every attempt failed. */
type Stage = "open" | "rakp2" | "rakp4";

/** One native session. Created by {@link openRmcpSession}. */
export class RmcpSession implements Session {
    readonly transport = "native" as const;
    readonly concurrent = true;
    requestsSent = 0;

    private binding!: LaneBinding;
    private expectation: Expectation | undefined;
    private cipher: SessionCipher | undefined;
    private bmcSessionId = 0;
    private outbound = 0;
    private readonly window = new InboundWindow();
    private readonly pending = new Map<number, Pending>();
    private rqSeq: number;
    private closed = false;

    constructor(
        private readonly target: SessionTarget,
        private readonly ctx: FailureContext,
        private readonly suite: CipherSuite,
        private readonly random: (size: number) => Buffer,
    ) {
        this.rqSeq = random(1)[0] & 0x3f;
    }

    /** @internal */
    bind(binding: LaneBinding): void {
        this.binding = binding;
    }

    /** Called by the socket for every datagram addressed to this session's id from its BMC. */
    deliver(datagram: Buffer): void {
        if (this.cipher) {
            this.onSessionDatagram(datagram);
        } else if (this.expectation?.accept(datagram)) {
            this.expectation = undefined;
        }
    }

    /** @internal The opening: Open Session, RAKP 1/2, RAKP 3/4, Set Session Privilege Level. */
    async establish(kuid: Buffer, username: Buffer): Promise<void> {
        const attempts = Math.max(1, Math.floor(this.target.retries)) + 1;
        const level = PRIVILEGE_LEVEL[this.target.privilege];
        const proposed = { auth: this.suite.authAlg, integrity: this.suite.integrityAlg, confidentiality: this.suite.confidentialityAlg };
        let reached: Stage = "open";
        /** Attempts the BMC answered up to Open Session and then left without RAKP 2. */
        let silentAfterOpen = 0;
        let portReset = false;
        for (let attempt = 1; attempt <= attempts; attempt++) {
            if (attempt > 1) {
                this.binding.renew();
            }
            const consoleSessionId = this.binding.consoleSessionId;
            const tag = this.random(1)[0];
            /** An answer to this attempt: our tag and session id (an error answer may name no session: OpenIPMI's). */
            const ours =
                <R extends { tag: number; status: number; consoleSessionId: number }>(decode: (p: Buffer) => R | undefined) =>
                (p: Buffer): R | undefined => {
                    const r = decode(p);
                    return r && r.tag === tag && (r.consoleSessionId === consoleSessionId || (r.status !== RMCP_STATUS.ok && r.consoleSessionId === 0)) ? r : undefined;
                };

            // 1. Open Session. Privilege 0 ("the highest the BMC allows") for an administrator, as ipmitool asks.
            const opened = await this.step("Open Session", PAYLOAD.openSessionRequest, encodeOpenSessionRequest({ tag, privilege: level === 4 ? 0 : level, consoleSessionId, algorithms: proposed }), PAYLOAD.openSessionResponse, ours(decodeOpenSessionResponse));
            if (opened === STALE) {
                if (!portReset) {
                    // Once per opening, and not counted as an attempt: the BMC did answer.
                    portReset = true;
                    await this.resetPortState();
                    attempt--;
                }
                continue;
            }
            if (opened === AGAIN) {
                reached = "open";
                continue;
            }
            const algorithms = opened.algorithms!;
            if (algorithms.auth !== proposed.auth || algorithms.integrity !== proposed.integrity || algorithms.confidentiality !== proposed.confidentiality) {
                throw failures.cipherRefused(
                    this.ctx,
                    this.suite.id,
                    `it answered with algorithms ${algorithms.auth}/${algorithms.integrity}/${algorithms.confidentiality} instead of the proposed ${proposed.auth}/${proposed.integrity}/${proposed.confidentiality}; a downgrade is never followed`,
                );
            }
            const bmcSessionId = opened.bmcSessionId!;
            if (bmcSessionId === 0) {
                throw failures.protocolError(this.ctx, "Open Session named BMC session id 0");
            }

            // 2. RAKP 1 → RAKP 2, whose code must prove the BMC knows the password before we prove anything.
            const consoleRandom = this.random(16);
            const role = NAME_ONLY_LOOKUP | level;
            const rakp2 = await this.step("RAKP 2", PAYLOAD.rakp1, encodeRakp1({ tag, bmcSessionId, consoleRandom, role, username }), PAYLOAD.rakp2, ours(decodeRakp2));
            if (rakp2 === AGAIN || rakp2 === STALE) {
                reached = "rakp2";
                silentAfterOpen++;
                continue;
            }
            const exchange = { consoleSessionId, bmcSessionId, consoleRandom, bmcRandom: rakp2.bmcRandom!, bmcGuid: rakp2.bmcGuid!, role, username };
            if (!macEqual(rakp2.code!, rakp2Code(this.suite, kuid, exchange))) {
                // Wrong password, or an impostor: stop here. No RAKP 3 of any kind is sent.
                throw failures.passwordRejected(this.ctx);
            }

            // 3. RAKP 3 → RAKP 4, whose check value proves the BMC derived the same session key.
            const sik = sessionIntegrityKey(this.suite, kuid, exchange);
            const rakp3 = encodeRakp3({ tag, status: RMCP_STATUS.ok, bmcSessionId, code: rakp3Code(this.suite, kuid, exchange) });
            const rakp4 = await this.step("RAKP 4", PAYLOAD.rakp3, rakp3, PAYLOAD.rakp4, ours(decodeRakp4));
            if (rakp4 === AGAIN || rakp4 === STALE) {
                reached = "rakp4";
                continue;
            }
            if (!macEqual(rakp4.icv ?? Buffer.alloc(0), rakp4Icv(this.suite, sik, exchange))) {
                throw failures.keyExchangeMismatch(this.ctx, "its RAKP 4 check value does not match the session key");
            }
            const keys = sessionKeys(this.suite, sik);
            this.cipher = { suite: this.suite, k1: keys.k1, k2: keys.k2 };
            this.bmcSessionId = bmcSessionId;
            sik.fill(0);

            // 4. Raise the session to the requested privilege (it starts at USER).
            if (!this.target.proofOnly) {
                const reply = await this.send({ netFn: NETFN_APP, cmd: CMD_SET_SESSION_PRIVILEGE, data: [level], label: `Set Session Privilege Level (${this.target.privilege})` });
                if (reply.completionCode !== 0) {
                    await this.close();
                    throw failures.privilegeRefused(this.ctx, this.target.privilege, reply.completionCode);
                }
            }
            return;
        }
        if (reached === "open") {
            throw failures.unreachable(this.ctx, attempts, this.target.timeoutSeconds);
        }
        // Only a BMC that answered every Open Session and no RAKP 1 reads as one that ignores the name; attempts that
        // ended at different steps are a lossy network (seen in the soak at 40 % loss), which a retry may get through.
        if (reached === "rakp2" && silentAfterOpen === attempts) {
            throw failures.silentOnName(this.ctx, attempts);
        }
        throw failures.stalledDuringLogin(this.ctx, reached === "rakp2" ? "RAKP 2" : "RAKP 4");
    }

    /**
     * One pre-session step: sends `payload`, waits `timeoutSeconds` for the answer `accept` takes, and returns it when
     * its status is 0. {@link AGAIN} when none came or its status says the attempt went stale (the next attempt starts
     * over); {@link STALE} when the BMC answered from an earlier session on this port; a refusal is thrown.
     */
    private async step<R extends { status: number }>(
        stage: "Open Session" | "RAKP 2" | "RAKP 4",
        type: number,
        payload: Buffer,
        answerType: number,
        accept: (payload: Buffer) => R | undefined,
    ): Promise<R | typeof AGAIN | typeof STALE> {
        const answer = await this.exchange(type, payload, answerType, accept, this.target.timeoutSeconds * 1000);
        if (answer === undefined) {
            return AGAIN;
        }
        if (answer === STALE || answer.status === RMCP_STATUS.ok) {
            return answer;
        }
        if (failures.STALE_STATUSES.has(answer.status)) {
            return AGAIN;
        }
        throw failures.refused(this.ctx, stage, answer.status, this.suite.id);
    }

    /** Sends one request in the session and waits for its answer (see the module comment for the budget). */
    async send(request: IpmiRequest): Promise<IpmiReply> {
        if (!this.cipher || this.closed) {
            throw new CredentialsError("BMC_TIMEOUT", {
                message: `${request.label}: the session is closed`,
                hint: "this is a bug in the caller: report it",
                context: { host: this.ctx.host, port: this.ctx.port },
            });
        }
        const rqSeq = this.nextRqSeq();
        const message = encodeRequest({ netFn: request.netFn, cmd: request.cmd, data: Buffer.from(request.data as Uint8Array), rqSeq });
        const attempts = Math.max(1, Math.floor(this.target.retries));
        return new Promise<IpmiReply>((resolve, reject) => {
            let attempt = 0;
            let timer: NodeJS.Timeout | undefined;
            const done = (reply: IpmiReply) => {
                clearTimeout(timer);
                this.pending.delete(rqSeq);
                resolve(reply);
            };
            this.pending.set(rqSeq, { netFn: request.netFn, cmd: request.cmd, resolve: done });
            const transmit = () => {
                if (!this.pending.has(rqSeq)) {
                    return;
                }
                if (attempt >= attempts || this.closed) {
                    this.pending.delete(rqSeq);
                    reject(failures.requestTimedOut(this.ctx, request.label, attempt, this.target.timeoutSeconds));
                    return;
                }
                attempt++;
                this.outbound = nextSequence(this.outbound);
                this.requestsSent++;
                void this.binding.send(seal(this.cipher!, { payloadType: PAYLOAD.ipmi, sessionId: this.bmcSessionId, sequence: this.outbound, plaintext: message }));
                timer = afterPendingIo(transmit, this.target.timeoutSeconds * 1000);
            };
            transmit();
        });
    }

    /** Sends Close Session once, without waiting for its answer, and releases the session's id. */
    async close(): Promise<void> {
        if (this.closed) {
            return;
        }
        this.closed = true;
        if (this.cipher) {
            const data = Buffer.alloc(4);
            data.writeUInt32LE(this.bmcSessionId);
            const message = encodeRequest({ netFn: NETFN_APP, cmd: CMD_CLOSE_SESSION, data, rqSeq: this.nextRqSeq() });
            this.outbound = nextSequence(this.outbound);
            this.requestsSent++;
            const sent = this.binding.send(seal(this.cipher, { payloadType: PAYLOAD.ipmi, sessionId: this.bmcSessionId, sequence: this.outbound, plaintext: message }));
            this.forgetKeys();
            // Waits until the datagram has left this process (so a process that exits next still closes the session
            // on the BMC), never for the BMC's answer.
            await sent;
        }
        this.binding.release();
    }

    /**
     * @internal After a failed opening: a session that got as far as activation is closed on the BMC (it would
     * otherwise hold one of the BMC's few session slots until it times out); one that did not is simply forgotten.
     */
    abandon(): void {
        void this.close();
    }

    private forgetKeys(): void {
        this.cipher?.k1.fill(0);
        this.cipher?.k2.fill(0);
    }

    /**
     * Sends one pre-session payload (no session id, no integrity) and waits up to `timeoutMs` for the answer that
     * `parse` accepts; anything else arriving meanwhile is ignored. `undefined` when none came; {@link STALE} when the
     * BMC answered from an earlier session on this port (see {@link resetPortState}).
     */
    private exchange<T>(type: number, payload: Buffer, answerType: number, parse: (payload: Buffer) => T | undefined, timeoutMs: number): Promise<T | typeof STALE | undefined> {
        return new Promise((resolve) => {
            const timer = afterPendingIo(() => {
                if (this.expectation === expectation) {
                    this.expectation = undefined;
                    resolve(undefined);
                }
            }, timeoutMs);
            const expectation: Expectation = {
                accept: (datagram) => {
                    if (answerType === PAYLOAD.openSessionResponse && isSessionPacketOfType(datagram, answerType)) {
                        clearTimeout(timer);
                        resolve(STALE);
                        return true;
                    }
                    const d = decodeDatagram(datagram);
                    if (!d || d.format !== "rmcpplus" || d.payloadType !== answerType || d.authenticated || d.encrypted || d.sessionId !== 0) {
                        return false;
                    }
                    const parsed = parse(d.payload);
                    if (parsed === undefined) {
                        return false;
                    }
                    clearTimeout(timer);
                    resolve(parsed);
                    return true;
                },
            };
            this.expectation = expectation;
            this.requestsSent++;
            void this.binding.send(encodeRmcpPlus({ payloadType: type, sessionId: 0, sequence: 0 }, payload));
        });
    }

    /**
     * Workaround for BMCs that key sessions by the console's address and port, not by session id (pyghmi's BMC server,
     * `Session.bmc_handlers`): after a session from this source port, such a BMC answers the next Open Session from
     * its old session, authenticated and encrypted. pyghmi forgets a port's session when an IPMI 1.5 pre-session
     * packet arrives from it ("a new ipmi client happens to get a previously seen ... UDP source port"), so one Get
     * Channel Authentication Capabilities (IPMI 1.5 framing, §22.13) is sent, its answer awaited, and Open Session
     * sent again. Costs two requests, and only with such a BMC.
     */
    private resetPortState(): Promise<void> {
        const timeoutMs = this.target.timeoutSeconds * 1000;
        const rqSeq = this.nextRqSeq();
        const message = encodeRequest({ netFn: NETFN_APP, cmd: CMD_GET_CHANNEL_AUTH_CAPABILITIES, data: Buffer.from([0x8e, PRIVILEGE_LEVEL.ADMINISTRATOR]), rqSeq });
        return new Promise((resolve) => {
            const timer = afterPendingIo(() => {
                if (this.expectation === expectation) {
                    this.expectation = undefined;
                    resolve();
                }
            }, timeoutMs);
            const expectation: Expectation = {
                accept: (datagram) => {
                    const d = decodeDatagram(datagram);
                    const r = d?.format === "ipmi15" ? decodeResponse(d.message) : undefined;
                    if (!r || r.cmd !== CMD_GET_CHANNEL_AUTH_CAPABILITIES || r.rqSeq !== rqSeq) {
                        return false;
                    }
                    clearTimeout(timer);
                    resolve();
                    return true;
                },
            };
            this.expectation = expectation;
            this.requestsSent++;
            void this.binding.send(encodeIpmi15(message));
        });
    }

    private onSessionDatagram(datagram: Buffer): void {
        const packet = open(this.cipher!, datagram);
        if (!packet || packet.sessionId !== this.binding.consoleSessionId || packet.payloadType !== PAYLOAD.ipmi) {
            return;
        }
        // A response carries an odd netFn: a request reflected back at us is not an answer.
        if (packet.plaintext.length < 2 || ((packet.plaintext[1] >> 2) & 1) !== 1) {
            return;
        }
        if (!this.window.accept(packet.sequence)) {
            return;
        }
        const response = decodeResponse(packet.plaintext);
        if (!response) {
            return;
        }
        const waiting = this.pending.get(response.rqSeq);
        if (!waiting || waiting.netFn !== response.netFn || waiting.cmd !== response.cmd) {
            return;
        }
        waiting.resolve({ completionCode: response.completionCode, data: response.data });
    }

    /** The next 6-bit request sequence number not waiting for an answer; cycles, so a late answer rarely finds a reuse. */
    private nextRqSeq(): number {
        for (let i = 0; i < 64; i++) {
            this.rqSeq = (this.rqSeq + 1) & 0x3f;
            if (!this.pending.has(this.rqSeq)) {
                return this.rqSeq;
            }
        }
        throw new Error("64 IPMI requests outstanding in one session");
    }
}

/** An RMCP+ datagram of `type` sent inside a session (a session id, or the authenticated/encrypted bits set). */
function isSessionPacketOfType(datagram: Buffer, type: number): boolean {
    return datagram.length >= 16 && datagram[4] === AUTH_TYPE.rmcpPlus && (datagram[5] & 0x3f) === type && ((datagram[5] & 0xc0) !== 0 || datagram.readUInt32LE(6) !== 0);
}

/**
 * A timeout that first lets the event loop deliver what has already arrived: Node runs expired timers before it polls
 * for I/O, so after the process stalled (a busy host, a long collection) an answer sitting in the socket would lose
 * against its own timeout. The timer's callback defers to `setImmediate`, which runs after the next poll.
 */
function afterPendingIo(fn: () => void, ms: number): NodeJS.Timeout {
    return setTimeout(() => setImmediate(fn), ms);
}
