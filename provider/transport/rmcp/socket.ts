/**
 * The UDP sockets every native RMCP+ session of the process shares, and the demultiplexer that hands each datagram to
 * its session (IPMI v2.0 §13.6: a BMC addresses its packets to the console's session id, SIDm).
 *
 * A session is placed on a "lane": one socket per address family, and a further lane only when a lane already carries
 * a session with the same BMC. Some BMCs key sessions by the console's address and port instead of the session id
 * (pyghmi's BMC server keeps one session per client address and port, `Session.bmc_handlers`), so two concurrent
 * sessions with one BMC (an operation's admin session and its verification login) must not share a source port.
 * An operation holds at most three sessions with one BMC, so a process holds two or three sockets per address family,
 * whatever the number of BMCs: 1000 concurrent sessions cost no process and no descriptor each.
 *
 * Demultiplexing: an in-session datagram carries SIDm in its header; a pre-session answer (Open Session Response,
 * RAKP 2, RAKP 4) carries it in its payload (bytes 4-7). A datagram naming no SIDm held on the lane (OpenIPMI's short
 * Open Session error carries only tag and status; pyghmi answers a reused port from its earlier session) goes to the
 * lane's one session with that BMC, which checks it like any other. A datagram for a session of another BMC, or from
 * an address no session on the lane talks to, is dropped; nothing a peer sends can throw here.
 *
 * Sockets are unref'd: they never keep the process alive (a waiting request's timer does). They live for the process.
 */

import * as dgram from "node:dgram";
import { randomInt } from "node:crypto";
import { AUTH_TYPE, PAYLOAD, RMCP_HEADER } from "./packet";

/** What a session registers to receive its datagrams. */
export interface DatagramSink {
    /** Called with every datagram for this session's SIDm from its BMC. Must not throw (a throw is swallowed). */
    deliver(datagram: Buffer): void;
}

/** One registration: the session's SIDm on a lane, and how it sends. */
export interface LaneBinding {
    /** The console session id (SIDm): random, non-zero, unique on its lane. */
    readonly consoleSessionId: number;
    /** Sends a datagram to the session's BMC; `false` when the socket refused it (the caller treats it as lost). */
    send(datagram: Buffer): Promise<boolean>;
    /** Takes a fresh SIDm (a restarted session opening), so late answers to the old one are dropped. */
    renew(): void;
    /** Releases the SIDm and the lane's slot for this BMC. Idempotent. */
    release(): void;
}

interface Registration {
    peer: string;
    address: string;
    port: number;
    sink: DatagramSink;
}

/** One socket and the sessions on it. */
class Lane {
    readonly bySession = new Map<number, Registration>();
    readonly byPeer = new Map<string, number>();
    private readonly ready: Promise<void>;

    constructor(
        readonly socket: dgram.Socket,
        private readonly sessionIds: () => number,
    ) {
        socket.on("message", (msg, rinfo) => {
            try {
                this.route(msg, rinfo);
            } catch {
                // A hostile or broken datagram never takes the process down.
            }
        });
        // Errors on an unconnected UDP socket (ICMP, EMSGSIZE) concern one send; the session's timer handles them.
        socket.on("error", () => undefined);
        this.ready = new Promise((resolve) => socket.bind(0, () => resolve()));
        socket.unref();
    }

    register(address: string, port: number, sink: DatagramSink): number {
        const peer = peerKey(address, port);
        const sid = this.freeSessionId();
        this.bySession.set(sid, { peer, address, port, sink });
        this.byPeer.set(peer, sid);
        return sid;
    }

    renew(sid: number): number {
        const reg = this.bySession.get(sid);
        if (!reg) {
            throw new Error("renewing a released RMCP+ lane binding");
        }
        this.bySession.delete(sid);
        const next = this.freeSessionId();
        this.bySession.set(next, reg);
        this.byPeer.set(reg.peer, next);
        return next;
    }

    release(sid: number): void {
        const reg = this.bySession.get(sid);
        if (!reg) {
            return;
        }
        this.bySession.delete(sid);
        if (this.byPeer.get(reg.peer) === sid) {
            this.byPeer.delete(reg.peer);
        }
    }

    async send(datagram: Buffer, address: string, port: number): Promise<boolean> {
        await this.ready;
        return new Promise((resolve) => {
            try {
                this.socket.send(datagram, port, address, (err) => resolve(!err));
            } catch {
                resolve(false);
            }
        });
    }

    private freeSessionId(): number {
        for (;;) {
            // Random, non-zero (0 means "no session", §13.6), and not in use on this lane.
            const sid = this.sessionIds() >>> 0;
            if (sid !== 0 && !this.bySession.has(sid)) {
                return sid;
            }
        }
    }

    private route(msg: Buffer, rinfo: dgram.RemoteInfo): void {
        const peer = peerKey(rinfo.address, rinfo.port);
        const sid = consoleSessionIdOf(msg);
        const bySid = sid === undefined ? undefined : this.bySession.get(sid);
        if (bySid) {
            if (bySid.peer === peer) {
                bySid.sink.deliver(msg);
            }
            return;
        }
        // No SIDm, or one no session here holds (a short error answer, or a BMC still talking to an earlier session
        // from this port): the lane's one session with that BMC, which checks everything itself.
        const holder = this.byPeer.get(peer);
        const reg = holder === undefined ? undefined : this.bySession.get(holder);
        reg?.sink.deliver(msg);
    }
}

/**
 * The SIDm a BMC-to-console datagram is for: the header's session id in a session, the payload's bytes 4-7 in a
 * pre-session answer; `undefined` when the datagram names none (a short Open Session error), or is not RMCP+.
 */
export function consoleSessionIdOf(msg: Buffer): number | undefined {
    if (msg.length < 16 || msg[0] !== RMCP_HEADER[0] || msg[2] !== RMCP_HEADER[2] || (msg[3] & 0x1f) !== RMCP_HEADER[3] || (msg[4] & 0x0f) !== AUTH_TYPE.rmcpPlus) {
        return undefined;
    }
    const header = msg.readUInt32LE(6);
    if (header !== 0) {
        return header;
    }
    const type = msg[5] & 0x3f;
    const length = msg.readUInt16LE(14);
    const preSession = type === PAYLOAD.openSessionResponse || type === PAYLOAD.rakp2 || type === PAYLOAD.rakp4;
    if (!preSession || length < 8 || msg.length < 16 + 8) {
        return undefined;
    }
    const sid = msg.readUInt32LE(16 + 4);
    return sid === 0 ? undefined : sid;
}

function peerKey(address: string, port: number): string {
    return `${address.toLowerCase()}|${port}`;
}

/** Every lane of the process, per address family. */
export class RmcpSockets {
    private readonly lanes: Record<"udp4" | "udp6", Lane[]> = { udp4: [], udp6: [] };

    /** `sessionIds`: where console session ids come from (default random; tests replay captures with fixed ones). */
    constructor(private readonly sessionIds: () => number = () => randomInt(1, 0x1_0000_0000)) {}

    /**
     * Registers a session with the BMC at `address`:`port` (an IP address, already resolved) on the first lane that
     * holds no other session with that BMC.
     */
    bind(address: string, port: number, family: 4 | 6, sink: DatagramSink): LaneBinding {
        const type = family === 6 ? "udp6" : "udp4";
        const peer = peerKey(address, port);
        let lane = this.lanes[type].find((l) => !l.byPeer.has(peer));
        if (!lane) {
            lane = new Lane(dgram.createSocket({ type, ipv6Only: type === "udp6" }), this.sessionIds);
            this.lanes[type].push(lane);
        }
        const chosen = lane;
        let sid = chosen.register(address, port, sink);
        let released = false;
        return {
            get consoleSessionId() {
                return sid;
            },
            send: (datagram) => (released ? Promise.resolve(false) : chosen.send(datagram, address, port)),
            renew: () => {
                if (!released) {
                    sid = chosen.renew(sid);
                }
            },
            release: () => {
                if (!released) {
                    released = true;
                    chosen.release(sid);
                }
            },
        };
    }

    /** Sockets open right now (diagnostics and tests). */
    get socketCount(): number {
        return this.lanes.udp4.length + this.lanes.udp6.length;
    }

    /** Sessions registered right now (diagnostics and tests). */
    get sessionCount(): number {
        return [...this.lanes.udp4, ...this.lanes.udp6].reduce((n, l) => n + l.bySession.size, 0);
    }
}

const SOCKETS_KEY = Symbol.for("pulumi-bmc-credentials.rmcp-sockets.v1");

/** The process's shared sockets (on `globalThis`, so every copy of this module shares them). */
export function sharedSockets(): RmcpSockets {
    const g = globalThis as unknown as Record<symbol, RmcpSockets | undefined>;
    return (g[SOCKETS_KEY] ??= new RmcpSockets());
}
