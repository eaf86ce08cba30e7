/**
 * The RMCP+ session layer of a virtual BMC (IPMI v2.0 rev 1.1 §13): pre-session commands in IPMI 1.5 framing, Open
 * Session, RAKP 1-4, and the authenticated, encrypted packets of active sessions, built on the shared wire layer
 * (`provider/transport/rmcp/`). Sessions live in one map per BMC, keyed by the BMC's session id.
 *
 * Rules the clients rely on (rmcp-native.md §2, §4):
 * - Get Channel Authentication Capabilities and Get Channel Cipher Suites are answered before a session, in the
 *   framing they came in (IPMI 1.5, or RMCP+ unauthenticated with session id 0).
 * - Open Session: the proposed algorithms must be one offered suite (record length 0 = "the BMC's choice"); otherwise
 *   status 0x04/0x05/0x10 for the first algorithm no offered suite has, or 0x11. A full session table answers 0x01
 *   ("insufficient resources"). Privilege 0 ("the highest available") is granted as administrator, never echoed as 0
 *   (FreeIPMI refuses that). An unfinished setup from the same console (address, port, console session id) is
 *   replaced: ipmitool restarts from Open Session with the same id after a timeout.
 * - RAKP 1: name-only or name+privilege lookup in the account table on the session's LAN channel; an unknown, disabled,
 *   locked or no-messaging user, or a name+privilege mismatch, gets status 0x0D; a role above what the user may have
 *   gets 0x09 when the personality refuses it here (else the session is granted at the user's level and Set Session
 *   Privilege Level refuses more).
 * - RAKP 3: a code that does not verify (RAKP 4 status 0x0F) or an error status counts as a failed login; so does a
 *   RAKP 2 that no RAKP 3 follows within the setup timeout — ipmitool, FreeIPMI and pyghmi all simply stop after a
 *   RAKP 2 they cannot verify — unless the same slot logs in from the same console within that time (a retry after a
 *   lost packet is not a wrong password).
 * - Active sessions: both the authenticated and the encrypted bit, a verifying AuthCode, a well-formed pad, and a
 *   sequence number inside the −16…+15 window; anything else is dropped without an answer. Sessions start at user
 *   privilege (or lower, if that is all the user has). Close Session is answered inside the session, then the session
 *   ends. Setups expire after the setup timeout, idle sessions after the idle timeout.
 */

import { randomBytes } from "node:crypto";
import type { Clock } from "./accounts";
import { CommandHost, CommandSession, LEVEL, dispatch, levelOf } from "./commands";
import type { Faults } from "./faults";
import { CIPHER_SUITES, CipherSuite, RakpExchange, macEqual, rakp2Code, rakp3Code, rakp4Icv, sessionIntegrityKey, sessionKeys } from "../transport/rmcp/crypto";
import { InboundWindow, SessionCipher, nextSequence, open, seal } from "../transport/rmcp/envelope";
import { AUTH_TYPE, PAYLOAD, decodeDatagram, decodeRequest, encodeIpmi15, encodeResponse, encodeRmcpPlus, IpmiRequest } from "../transport/rmcp/packet";
import {
    RMCP_STATUS,
    decodeOpenSessionRequest,
    decodeRakp1,
    decodeRakp3,
    encodeOpenSessionResponse,
    encodeRakp2,
    encodeRakp4,
    NAME_ONLY_LOOKUP,
} from "../transport/rmcp/rakp";

/** Where a datagram came from and where its answer goes. */
export interface Peer {
    address: string;
    port: number;
}

/** What the session layer needs from its BMC. */
export interface ServerHost extends CommandHost {
    readonly clock: Clock;
    readonly maxSessions: number;
    /** Milliseconds from Open Session to a finished RAKP 3 (phosphor-net-ipmid: 3 s). */
    readonly setupTimeoutMs: number;
    /** Milliseconds without a valid packet after which an active session ends (§6.12.15: 60 s). */
    readonly idleTimeoutMs: number;
    readonly faults: Faults;
    send(datagram: Buffer, peer: Peer): void;
    /** A session became active (for the lab's counts). */
    loggedIn(suite: number, slot: number): void;
}

interface Session extends CommandSession {
    state: "opened" | "rakp2" | "active";
    consoleSessionId: number;
    peer: Peer;
    suite: CipherSuite;
    /** Privilege asked for in Open Session (0 = the highest available). */
    openPrivilege: number;
    deadline: number;
    lastActivity: number;
    rakp?: { exchange: RakpExchange; slot: number; key: Buffer; sentAt: number; tag: number };
    cipher?: SessionCipher;
    window?: InboundWindow;
    outSequence: number;
}

/** A RAKP 2 sent and not yet answered by a RAKP 3 (counted as a failed login when it expires). */
interface UnansweredRakp2 {
    slot: number;
    peer: Peer;
    sentAt: number;
    bmcSessionId: number;
}

const samePeer = (a: Peer, b: Peer) => a.address === b.address && a.port === b.port;

export class RmcpServer {
    private sessions = new Map<number, Session>();
    private unanswered: UnansweredRakp2[] = [];

    constructor(private readonly host: ServerHost) {}

    /** Sessions in the table (setups included): what the session limit counts. */
    get sessionCount(): number {
        return this.sessions.size;
    }

    /** Active sessions only. */
    get activeSessionCount(): number {
        let n = 0;
        for (const s of this.sessions.values()) if (s.state === "active") n++;
        return n;
    }

    /** Ends a session now (Close Session of another session, restarts). */
    close(bmcSessionId: number): boolean {
        return this.sessions.delete(bmcSessionId);
    }

    /** Ends every session (restart, factory reset); unanswered RAKP 2s are forgotten, not counted. */
    closeAll(): void {
        this.sessions.clear();
        this.unanswered = [];
    }

    /** Whether a datagram belongs to an active session (stall faults with scope "session" hold only those). */
    isInSession(buf: Buffer): boolean {
        if (buf.length < 16 || buf[4] !== AUTH_TYPE.rmcpPlus) return false;
        const s = this.sessions.get(buf.readUInt32LE(6));
        return s?.state === "active";
    }

    /** Expires setups and idle sessions and counts unanswered RAKP 2s. Called periodically by the lab. */
    sweep(): void {
        if (this.sessions.size === 0 && this.unanswered.length === 0) return;
        const now = this.host.clock.now();
        for (const [id, s] of this.sessions) {
            if (s.state !== "active" ? now >= s.deadline : now - s.lastActivity >= this.host.idleTimeoutMs) {
                this.sessions.delete(id);
            }
        }
        const due = this.unanswered.filter((u) => now - u.sentAt >= this.host.setupTimeoutMs);
        if (due.length) {
            this.unanswered = this.unanswered.filter((u) => !due.includes(u));
            for (const u of due) this.host.accounts.recordLogin(u.slot, false);
        }
    }

    /** Handles one datagram. Never throws on hostile input: what does not parse is dropped. */
    receive(buf: Buffer, peer: Peer): void {
        if (buf.length >= 16 && buf[4] === AUTH_TYPE.rmcpPlus && buf.readUInt32LE(6) !== 0) {
            this.inSession(buf, peer);
            return;
        }
        const d = decodeDatagram(buf, 0);
        if (!d) return;
        if (d.format === "ipmi15") {
            if (d.authType === AUTH_TYPE.none && d.sessionId === 0) {
                this.preSessionCommand(d.message, peer, (m) => encodeIpmi15(m));
            }
            return;
        }
        if (d.authenticated || d.encrypted) return;
        switch (d.payloadType) {
            case PAYLOAD.ipmi:
                this.preSessionCommand(d.payload, peer, (m) => encodeRmcpPlus({ payloadType: PAYLOAD.ipmi, sessionId: 0, sequence: 0 }, m));
                return;
            case PAYLOAD.openSessionRequest:
                this.openSession(d.payload, peer);
                return;
            case PAYLOAD.rakp1:
                this.rakp1(d.payload, peer);
                return;
            case PAYLOAD.rakp3:
                this.rakp3(d.payload, peer);
                return;
            default:
                return;
        }
    }

    // ----------------------------------------------------------------------------------------------------------------

    private preSessionCommand(message: Buffer, peer: Peer, frame: (m: Buffer) => Buffer): void {
        const req = decodeRequest(message);
        if (!req) return;
        const result = dispatch(this.host, req.netFn, req.cmd, req.data, undefined);
        if (!result) return;
        this.host.send(frame(responseTo(req, result.cc, result.data)), peer);
    }

    private openSession(payload: Buffer, peer: Peer): void {
        const req = decodeOpenSessionRequest(payload);
        if (!req) return;
        const reply = (status: number, fields: { privilege?: number; bmcSessionId?: number; suite?: CipherSuite } = {}) =>
            this.sendSetup(
                PAYLOAD.openSessionResponse,
                encodeOpenSessionResponse({
                    tag: req.tag,
                    status,
                    privilege: fields.privilege ?? 0,
                    consoleSessionId: req.consoleSessionId,
                    bmcSessionId: fields.bmcSessionId,
                    algorithms: fields.suite && { auth: fields.suite.authAlg, integrity: fields.suite.integrityAlg, confidentiality: fields.suite.confidentialityAlg },
                }),
                peer,
            );
        const choice = this.chooseSuite(req.algorithms);
        if (typeof choice === "number") {
            reply(choice);
            return;
        }
        if (req.privilege > LEVEL.oem) {
            reply(RMCP_STATUS.invalidRole);
            return;
        }
        // A retransmitted or restarted setup from the same console replaces the unfinished one.
        for (const [id, s] of this.sessions) {
            if (s.state !== "active" && s.consoleSessionId === req.consoleSessionId && samePeer(s.peer, peer)) {
                this.sessions.delete(id);
            }
        }
        if (this.sessions.size >= this.host.maxSessions) {
            reply(RMCP_STATUS.insufficientResources);
            return;
        }
        const now = this.host.clock.now();
        const session: Session = {
            state: "opened",
            bmcSessionId: this.newSessionId(),
            consoleSessionId: req.consoleSessionId,
            peer: { ...peer },
            suite: choice,
            openPrivilege: req.privilege,
            channel: this.host.lanChannels[0],
            privilege: LEVEL.none,
            maxPrivilege: LEVEL.none,
            deadline: now + this.host.setupTimeoutMs,
            lastActivity: now,
            outSequence: 0,
        };
        this.sessions.set(session.bmcSessionId, session);
        reply(RMCP_STATUS.ok, { privilege: req.privilege || LEVEL.administrator, bmcSessionId: session.bmcSessionId, suite: choice });
    }

    /** The offered suite matching the proposal, or the status that says which algorithm matched none. */
    private chooseSuite(p: { auth: number; integrity: number; confidentiality: number }): CipherSuite | number {
        const offered = this.host.cipherSuites.map((id) => CIPHER_SUITES[id as 0 | 3 | 17]).filter(Boolean);
        const fits = (want: number, have: number) => want === -1 || want === have;
        const match = offered.find((s) => fits(p.auth, s.authAlg) && fits(p.integrity, s.integrityAlg) && fits(p.confidentiality, s.confidentialityAlg));
        if (match) return match;
        if (!offered.some((s) => fits(p.auth, s.authAlg))) return RMCP_STATUS.invalidAuthAlgorithm;
        if (!offered.some((s) => fits(p.integrity, s.integrityAlg))) return RMCP_STATUS.invalidIntegrityAlgorithm;
        if (!offered.some((s) => fits(p.confidentiality, s.confidentialityAlg))) return RMCP_STATUS.invalidConfidentialityAlgorithm;
        return RMCP_STATUS.noCipherSuiteMatch;
    }

    private rakp1(payload: Buffer, peer: Peer): void {
        const r = decodeRakp1(payload);
        if (!r) return;
        const session = this.sessions.get(r.bmcSessionId);
        const refuse = (status: number, consoleSessionId = session?.consoleSessionId ?? 0) => {
            this.sendSetup(PAYLOAD.rakp2, encodeRakp2({ tag: r.tag, status, consoleSessionId }), peer);
            if (session && status !== RMCP_STATUS.invalidSessionId) this.sessions.delete(session.bmcSessionId);
        };
        if (!session || session.state === "active" || !samePeer(session.peer, peer)) {
            refuse(RMCP_STATUS.invalidSessionId, 0);
            return;
        }
        if (!r.nameLengthValid) {
            refuse(RMCP_STATUS.invalidNameLength);
            return;
        }
        const role = r.role & 0x0f;
        const nameOnly = (r.role & NAME_ONLY_LOOKUP) !== 0;
        if ((r.role & 0xe0) !== 0 || role < LEVEL.callback || role > LEVEL.administrator || (session.openPrivilege !== 0 && role > session.openPrivilege)) {
            refuse(RMCP_STATUS.invalidRole);
            return;
        }
        const channelLimit = this.host.channelAccess(session.channel);
        if (channelLimit.accessMode === 0) {
            refuse(RMCP_STATUS.unauthorizedName);
            return;
        }
        const found = this.host.accounts.findLogin({ name: r.username, channel: session.channel, privilege: privilegeName(role), nameAndPrivilege: !nameOnly });
        if (!found.ok) {
            refuse(RMCP_STATUS.unauthorizedName);
            return;
        }
        const allowed = Math.min(levelOf(found.candidate.privilegeLimit), channelLimit.privilegeLimit);
        if (role > allowed && this.host.personality.ipmi.roleAboveLimit === "rakp") {
            refuse(RMCP_STATUS.invalidRole);
            return;
        }
        const exchange: RakpExchange = {
            consoleSessionId: session.consoleSessionId,
            bmcSessionId: session.bmcSessionId,
            consoleRandom: r.consoleRandom,
            bmcRandom: randomBytes(16),
            bmcGuid: this.host.guid,
            role: r.role,
            username: r.username,
        };
        const key = found.candidate.key;
        // RAKP-none (suite 0, only when asked for) proves nothing: no code, and any RAKP 3 is accepted.
        const authenticates = session.suite.authAlg !== 0;
        const code = authenticates ? rakp2Code(session.suite, this.host.faults.impostor ? randomBytes(20) : key, exchange) : Buffer.alloc(0);
        const now = this.host.clock.now();
        session.state = "rakp2";
        session.maxPrivilege = Math.min(role, allowed);
        session.rakp = { exchange, slot: found.candidate.slot, key, sentAt: now, tag: r.tag };
        this.unanswered = this.unanswered.filter((u) => u.bmcSessionId !== session.bmcSessionId);
        // An impostor cannot expect an answer: the client is right to stop, and nothing counts against the account.
        if (authenticates && !this.host.faults.impostor) {
            this.unanswered.push({ slot: found.candidate.slot, peer: { ...peer }, sentAt: now, bmcSessionId: session.bmcSessionId });
        }
        this.sendSetup(
            PAYLOAD.rakp2,
            encodeRakp2({ tag: r.tag, status: RMCP_STATUS.ok, consoleSessionId: session.consoleSessionId, bmcRandom: exchange.bmcRandom, bmcGuid: exchange.bmcGuid, code }),
            peer,
        );
    }

    private rakp3(payload: Buffer, peer: Peer): void {
        const r = decodeRakp3(payload);
        if (!r) return;
        const session = this.sessions.get(r.bmcSessionId);
        if (!session || session.state !== "rakp2" || !session.rakp || !samePeer(session.peer, peer)) {
            this.sendSetup(PAYLOAD.rakp4, encodeRakp4({ tag: r.tag, status: RMCP_STATUS.invalidSessionId, consoleSessionId: session?.consoleSessionId ?? 0 }), peer);
            return;
        }
        const { exchange, slot, key } = session.rakp;
        this.unanswered = this.unanswered.filter((u) => u.bmcSessionId !== session.bmcSessionId);
        const fail = (status: number) => {
            this.sessions.delete(session.bmcSessionId);
            this.host.accounts.recordLogin(slot, false);
            this.sendSetup(PAYLOAD.rakp4, encodeRakp4({ tag: r.tag, status, consoleSessionId: session.consoleSessionId }), peer);
        };
        if (r.status !== RMCP_STATUS.ok) {
            fail(r.status);
            return;
        }
        const authenticates = session.suite.authAlg !== 0;
        if (authenticates && (!r.code || !macEqual(r.code, rakp3Code(session.suite, key, exchange)))) {
            fail(RMCP_STATUS.invalidIntegrityCheckValue);
            return;
        }
        this.host.accounts.recordLogin(slot, true);
        // A retry that got through: the RAKP 2s this console left unanswered for this slot were lost packets.
        this.unanswered = this.unanswered.filter((u) => !(u.slot === slot && samePeer(u.peer, peer)));
        const sik = authenticates ? sessionIntegrityKey(session.suite, key, exchange) : Buffer.alloc(0);
        const keys = authenticates ? sessionKeys(session.suite, sik) : { k1: Buffer.alloc(0), k2: Buffer.alloc(0) };
        const now = this.host.clock.now();
        session.state = "active";
        session.cipher = { suite: session.suite, k1: keys.k1, k2: keys.k2 };
        session.window = new InboundWindow();
        session.privilege = Math.min(LEVEL.user, session.maxPrivilege);
        session.lastActivity = now;
        this.host.loggedIn(session.suite.id, slot);
        this.sendSetup(PAYLOAD.rakp4, encodeRakp4({ tag: r.tag, status: RMCP_STATUS.ok, consoleSessionId: session.consoleSessionId, icv: authenticates ? rakp4Icv(session.suite, sik, exchange) : Buffer.alloc(0) }), peer);
    }

    private inSession(buf: Buffer, peer: Peer): void {
        const session = this.sessions.get(buf.readUInt32LE(6));
        if (!session || session.state !== "active" || !session.cipher || !session.window || session.peer.address !== peer.address) return;
        const packet = open(session.cipher, buf);
        if (!packet || packet.payloadType !== PAYLOAD.ipmi || !session.window.accept(packet.sequence)) return;
        session.lastActivity = this.host.clock.now();
        const req = decodeRequest(packet.plaintext);
        if (!req) return;
        const imposed = this.host.faults.commandCompletion(req.netFn, req.cmd);
        const result = imposed !== undefined ? { cc: imposed } : (dispatch(this.host, req.netFn, req.cmd, req.data, session) ?? { cc: 0xc1 });
        session.outSequence = nextSequence(session.outSequence);
        this.host.send(seal(session.cipher, { payloadType: PAYLOAD.ipmi, sessionId: session.consoleSessionId, sequence: session.outSequence, plaintext: responseTo(req, result.cc, result.data) }), session.peer);
        result.after?.();
    }

    private sendSetup(payloadType: number, payload: Buffer, peer: Peer): void {
        this.host.send(encodeRmcpPlus({ payloadType, sessionId: 0, sequence: 0 }, payload), peer);
    }

    private newSessionId(): number {
        for (;;) {
            const id = randomBytes(4).readUInt32LE(0);
            if (id !== 0 && !this.sessions.has(id)) return id;
        }
    }
}

function responseTo(req: IpmiRequest, cc: number, data: Buffer | readonly number[] = []): Buffer {
    return encodeResponse({
        netFn: req.netFn,
        cmd: req.cmd,
        completionCode: cc,
        data: Buffer.from(data as readonly number[]),
        rqSeq: req.rqSeq,
        rqAddr: req.rqAddr,
        rsAddr: req.rsAddr,
        rqLun: req.rqLun,
        rsLun: req.rsLun,
    });
}

function privilegeName(level: number): "callback" | "user" | "operator" | "administrator" {
    return (["callback", "user", "operator", "administrator"] as const)[level - 1];
}
