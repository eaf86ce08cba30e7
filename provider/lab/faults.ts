/**
 * Faults a virtual BMC can be asked to show, so the tiers can test what clients do when a BMC misbehaves without
 * stopping processes or editing kernels: lost and late datagrams, a BMC that stops answering, busy (0xC0) and broken
 * (0xFF) management controllers, an impostor that cannot prove the password, garbage on the wire. Restarts (sessions
 * lost, users kept or reset) are a BMC operation (`VirtualBmc.restart`).
 *
 * The session layer keeps working under the command faults, as on real hardware where the LAN stack and the management
 * controller are separate: Get Channel Authentication Capabilities, the cipher-suite list, Set Session Privilege Level
 * and Close Session are never busy or broken, so logins succeed and commands fail.
 */

/** What to inject. Every field is optional; {@link Faults.set} replaces the whole plan. */
export interface FaultPlan {
    /** Drop datagrams at random (`rate`, 0..1) or the `next` N, coming in (requests, default), going out, or both. */
    drop?: { rate?: number; next?: number; direction?: "in" | "out" | "both" };
    /** Delay every datagram the BMC sends by `ms`, plus a uniform 0..`jitterMs`. */
    delay?: { ms: number; jitterMs?: number };
    /**
     * Hold incoming datagrams unanswered until the plan is cleared, then answer them in order (what a SIGSTOPped BMC
     * does). `scope: "session"` holds only in-session packets: logins still work, commands hang.
     */
    stall?: { scope: "all" | "session" };
    /**
     * Answer in-session commands with 0xC0 (node busy): the next `count`, or every one when `count` is omitted; only
     * the command `netFn`/`cmd` when given (clients send probes of their own after logging in).
     */
    busy?: { count?: number; netFn?: number; cmd?: number };
    /** Answer every in-session command with 0xFF (unspecified error); logins still succeed. */
    unspecified?: boolean;
    /** Answer RAKP 1 with an HMAC made with the wrong key: a careful client refuses to go on. */
    impostor?: boolean;
    /** Send `count` datagrams of random bytes to the client before each real one (default 1). */
    garbage?: { count?: number };
}

/** Commands of the session layer, never subject to busy/unspecified faults (netFn 0x06). */
const SESSION_LAYER = new Set([0x38, 0x3b, 0x3c, 0x54]);

export class Faults {
    private plan: FaultPlan = {};
    private dropsLeft = 0;
    private busyLeft = 0;
    /** Datagrams the faults dropped so far (both directions). */
    dropped = 0;

    constructor(private readonly random: () => number = Math.random) {}

    /** Replaces the plan. */
    set(plan: FaultPlan): void {
        this.plan = { ...plan };
        this.dropsLeft = plan.drop?.next ?? 0;
        this.busyLeft = plan.busy?.count ?? 0;
    }

    /** No faults. */
    clear(): void {
        this.set({});
    }

    /** The plan in force. */
    get current(): FaultPlan {
        return { ...this.plan };
    }

    /** Whether to drop this incoming (`in`) or outgoing (`out`) datagram. */
    drop(direction: "in" | "out"): boolean {
        const d = this.plan.drop;
        const applies = d && (d.direction === "both" || (d.direction ?? "in") === direction);
        if (!applies) {
            return false;
        }
        let hit = false;
        if (d.next !== undefined) {
            hit = this.dropsLeft > 0;
            if (hit) this.dropsLeft--;
        } else if (d.rate !== undefined) {
            hit = this.random() < d.rate;
        }
        if (hit) this.dropped++;
        return hit;
    }

    /** Milliseconds to hold an outgoing datagram. */
    delayMs(): number {
        const d = this.plan.delay;
        return d ? Math.max(0, d.ms + (d.jitterMs ? this.random() * d.jitterMs : 0)) : 0;
    }

    /** Whether an incoming datagram is held (`inSession`: it belongs to an active session). */
    stalls(inSession: boolean): boolean {
        const s = this.plan.stall;
        return !!s && (s.scope === "all" || inSession);
    }

    /** The completion code a fault imposes on an in-session command, if any. */
    commandCompletion(netFn: number, cmd: number): number | undefined {
        if (netFn === 0x06 && SESSION_LAYER.has(cmd)) {
            return undefined;
        }
        if (this.plan.unspecified) {
            return 0xff;
        }
        const b = this.plan.busy;
        if (b && (b.netFn === undefined || b.netFn === netFn) && (b.cmd === undefined || b.cmd === cmd)) {
            if (b.count === undefined) return 0xc0;
            if (this.busyLeft > 0) {
                this.busyLeft--;
                return 0xc0;
            }
        }
        return undefined;
    }

    get impostor(): boolean {
        return this.plan.impostor === true;
    }

    /** Garbage datagrams to send before each real one. */
    garbageCount(): number {
        return this.plan.garbage ? (this.plan.garbage.count ?? 1) : 0;
    }
}
