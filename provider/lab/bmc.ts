/**
 * One virtual BMC: a personality, an account table, one UDP socket and the RMCP+ session layer on it, with faults.
 * Cheap on purpose (a socket, a few maps, no timers of its own), so a thousand fit in one process; the lab drives the
 * periodic sweep of every BMC from a single timer.
 */

import dgram from "node:dgram";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { AccountSeed, AccountTable, AccountTableState, Clock, LockoutPolicy, NO_LOCKOUT, SYSTEM_CLOCK } from "./accounts";
import { Faults } from "./faults";
import { Personality, accountPolicy, factorySeeds, lanChannels } from "./personalities";
import { Peer, RmcpServer, ServerHost } from "./rmcp-server";

/** How to build one virtual BMC. */
export interface VirtualBmcOptions {
    personality: Personality;
    /** Address to bind (default 127.0.0.1). */
    host?: string;
    /** UDP port (0 = any free one). */
    port?: number;
    /** The factory administrator replaced: name and password in the personality's admin slot. */
    admin?: { name: string; password: string };
    /** Further accounts in place at start (fixtures). */
    users?: readonly AccountSeed[];
    /** LAN parameter 26 at start. */
    lockout?: Partial<LockoutPolicy>;
    /** Sessions at once, setups included (default 4). */
    maxSessions?: number;
    /** LAN channels instead of the personality's (the first is where sessions arrive). */
    lanChannels?: readonly number[];
    /** Cipher suites instead of the personality's. */
    cipherSuites?: readonly number[];
    /** Also offer cipher suite 0 (no authentication: any password logs in). Only to prove clients refuse it. */
    insecureCipherSuiteZero?: boolean;
    /** Setup timeout and the "RAKP 2 never answered" window, ms (default 3000). */
    setupTimeoutMs?: number;
    /** Idle timeout of active sessions, ms (default 60000). */
    idleTimeoutMs?: number;
    /** File the account table is kept in across lab runs (read at start if present, written on every change). */
    stateFile?: string;
    clock?: Clock;
}

/** One virtual BMC. */
export class VirtualBmc implements ServerHost {
    readonly personality: Personality;
    readonly accounts: AccountTable;
    readonly faults = new Faults();
    readonly guid = randomBytes(16);
    readonly clock: Clock;
    readonly maxSessions: number;
    readonly setupTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly lanChannels: readonly number[];
    readonly cipherSuites: readonly number[];
    setInProgress = 0;
    /** Datagrams received and sent, internal errors, and sessions opened per cipher suite, for benchmarks and tests. */
    readonly counts = { received: 0, sent: 0, errors: 0, logins: {} as Record<number, number> };

    private readonly server: RmcpServer;
    private socket?: dgram.Socket;
    private bound?: { host: string; port: number };
    private readonly channelAccessByChannel = new Map<number, { accessMode: number; privilegeLimit: number }>();
    private held: { buf: Buffer; peer: Peer }[] = [];
    private downUntil = 0;

    constructor(private readonly options: VirtualBmcOptions) {
        const p = options.personality;
        this.personality = p;
        this.clock = options.clock ?? SYSTEM_CLOCK;
        this.maxSessions = options.maxSessions ?? 4;
        this.setupTimeoutMs = options.setupTimeoutMs ?? 3000;
        this.idleTimeoutMs = options.idleTimeoutMs ?? 60000;
        this.lanChannels = options.lanChannels?.length ? [...options.lanChannels] : lanChannels(p);
        const suites = options.cipherSuites?.length ? [...options.cipherSuites] : [...p.ipmi.cipherSuites];
        this.cipherSuites = options.insecureCipherSuiteZero ? [...suites, 0] : suites;
        const factory: AccountSeed[] = factorySeeds(p).map((s) => (options.admin ? { ...s, name: options.admin.name, password: options.admin.password } : s));
        this.accounts = new AccountTable(accountPolicy(p, this.lanChannels), factory, this.clock);
        for (const user of options.users ?? []) {
            this.accounts.seed(user);
        }
        this.accounts.setLockout({ ...NO_LOCKOUT, ...(options.lockout ?? {}) });
        this.server = new RmcpServer(this);
        if (options.stateFile) {
            this.loadState(options.stateFile);
            this.accounts.onChange(() => this.saveState(options.stateFile!));
        }
    }

    /** Binds the socket. */
    async start(): Promise<{ host: string; port: number }> {
        const host = this.options.host ?? "127.0.0.1";
        const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
        socket.on("message", (buf, rinfo) => this.onDatagram(buf, { address: rinfo.address, port: rinfo.port }));
        socket.on("error", () => {
            this.counts.errors++;
        });
        await new Promise<void>((resolve, reject) => {
            socket.once("error", reject);
            socket.bind(this.options.port ?? 0, host, () => {
                socket.off("error", reject);
                resolve();
            });
        });
        this.socket = socket;
        this.bound = { host, port: socket.address().port };
        return this.bound;
    }

    /** Closes the socket; sessions end. */
    async stop(): Promise<void> {
        this.server.closeAll();
        const s = this.socket;
        this.socket = undefined;
        if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    }

    /** Where the BMC listens (after {@link start}). */
    get address(): { host: string; port: number } {
        if (!this.bound) throw new Error("the virtual BMC is not started");
        return this.bound;
    }

    /**
     * Restarts the BMC: every session is lost, the user table kept (`users: "keep"`, a reboot) or back to the factory
     * accounts (`"reset"`), and for `downMs` nothing is answered, as while firmware boots.
     */
    restart(options: { users?: "keep" | "reset"; downMs?: number } = {}): void {
        this.server.closeAll();
        this.held = [];
        if (options.users === "reset") {
            this.accounts.resetToFactory();
        }
        this.downUntil = options.downMs ? this.clock.now() + options.downMs : 0;
    }

    loggedIn(suite: number): void {
        this.counts.logins[suite] = (this.counts.logins[suite] ?? 0) + 1;
    }

    /** Sessions in the table, setups included. */
    sessionCount(): number {
        return this.server.sessionCount;
    }

    closeSession(bmcSessionId: number): boolean {
        return this.server.close(bmcSessionId);
    }

    factoryReset(): void {
        this.restart({ users: "reset" });
    }

    channelAccess(channel: number): { accessMode: number; privilegeLimit: number } {
        return this.channelAccessByChannel.get(channel) ?? { accessMode: 2, privilegeLimit: 4 };
    }

    setChannelAccess(channel: number, change: { accessMode?: number; privilegeLimit?: number }): void {
        this.channelAccessByChannel.set(channel, { ...this.channelAccess(channel), ...change });
    }

    /** Expires sessions, counts unanswered RAKP 2s, releases held datagrams once a stall is cleared. */
    sweep(): void {
        this.server.sweep();
        if (this.held.length && !this.faults.current.stall) {
            const held = this.held;
            this.held = [];
            for (const h of held) this.process(h.buf, h.peer);
        }
    }

    send(datagram: Buffer, peer: Peer): void {
        const socket = this.socket;
        if (!socket || this.faults.drop("out")) return;
        const out = () => {
            for (let i = this.faults.garbageCount(); i > 0; i--) {
                socket.send(randomBytes(8 + (datagram.length % 48)), peer.port, peer.address);
            }
            this.counts.sent++;
            socket.send(datagram, peer.port, peer.address);
        };
        const delay = this.faults.delayMs();
        if (delay > 0) {
            setTimeout(out, delay).unref();
        } else {
            out();
        }
    }

    /** Handles a datagram as if it had arrived on the socket (faults apply). Answers go out through {@link send}. */
    receive(buf: Buffer, peer: Peer): void {
        this.onDatagram(buf, peer);
    }

    /**
     * Called after each datagram the BMC received was handled (answered, dropped or held), with the count received so
     * far: tests act at an exact point of an exchange (e.g. kill the client after the k-th datagram).
     */
    onReceived: ((count: number) => void) | undefined;

    private onDatagram(buf: Buffer, peer: Peer): void {
        this.handle(buf, peer);
        this.onReceived?.(this.counts.received);
    }

    private handle(buf: Buffer, peer: Peer): void {
        this.counts.received++;
        if (this.downUntil && this.clock.now() < this.downUntil) return;
        if (this.faults.drop("in")) return;
        if (this.faults.current.stall && this.faults.stalls(this.server.isInSession(buf))) {
            if (this.held.length < 1024) this.held.push({ buf, peer });
            return;
        }
        this.process(buf, peer);
    }

    private process(buf: Buffer, peer: Peer): void {
        try {
            this.server.receive(buf, peer);
        } catch {
            // A datagram that gets past the decoders and still breaks something must not take the lab down.
            this.counts.errors++;
        }
    }

    private loadState(file: string): void {
        let text: string;
        try {
            text = readFileSync(file, "utf8");
        } catch {
            return;
        }
        this.accounts.restoreState(JSON.parse(text) as AccountTableState);
    }

    private saveState(file: string): void {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        const tmp = `${file}.tmp`;
        writeFileSync(tmp, `${JSON.stringify(this.accounts.toState(), null, 2)}\n`, { mode: 0o600 });
        renameSync(tmp, file);
    }
}
