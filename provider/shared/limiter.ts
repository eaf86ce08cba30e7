/**
 * Concurrency control shared by every resource in the provider process.
 *
 * The Pulumi engine sends Create/Read/Update/Delete calls concurrently to one provider process. BMCs allow only a few
 * sessions, and two sessions writing the same user table race, so work on one BMC is serialised by a keyed mutex, a
 * keyed semaphore bounds the sessions open on one BMC (closing ones included), and global semaphores bound the number
 * of ipmitool processes and of native sessions. All live on `globalThis` so that every copy of this
 * module in the process shares them.
 */

/** Counting semaphore with FIFO hand-off. */
export class Semaphore {
    private available: number;
    private readonly waiters: Array<() => void> = [];

    constructor(readonly capacity: number) {
        if (!Number.isInteger(capacity) || capacity < 1) {
            throw new RangeError(`semaphore capacity must be a positive integer, got ${capacity}`);
        }
        this.available = capacity;
    }

    /** Number of holders right now. */
    get inUse(): number {
        return this.capacity - this.available;
    }

    async acquire(): Promise<() => void> {
        if (this.available > 0) {
            this.available--;
        } else {
            await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
        let released = false;
        return () => {
            if (released) {
                return;
            }
            released = true;
            const next = this.waiters.shift();
            if (next) {
                next();
            } else {
                this.available++;
            }
        };
    }

    async run<T>(fn: () => Promise<T>): Promise<T> {
        const release = await this.acquire();
        try {
            return await fn();
        } finally {
            release();
        }
    }
}

/** One mutex per key, created on demand and dropped when idle. */
export class KeyedMutex {
    private readonly tails = new Map<string, Promise<void>>();

    async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
        const previous = this.tails.get(key) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((resolve) => (release = resolve));
        const tail = previous.then(() => mine);
        this.tails.set(key, tail);
        await previous;
        try {
            return await fn();
        } finally {
            release();
            if (this.tails.get(key) === tail) {
                this.tails.delete(key);
            }
        }
    }

    /** Keys with work queued or running. */
    get activeKeys(): number {
        return this.tails.size;
    }
}

/**
 * A {@link Semaphore} per key, created on demand and dropped when nobody holds or waits for it.
 */
export class KeyedSemaphore {
    private readonly entries = new Map<string, { semaphore: Semaphore; users: number }>();

    constructor(readonly capacity: number) {}

    async acquire(key: string): Promise<() => void> {
        let entry = this.entries.get(key);
        if (!entry) {
            entry = { semaphore: new Semaphore(this.capacity), users: 0 };
            this.entries.set(key, entry);
        }
        entry.users++;
        const release = await entry.semaphore.acquire();
        let released = false;
        return () => {
            if (released) {
                return;
            }
            released = true;
            release();
            if (--entry!.users === 0 && this.entries.get(key) === entry) {
                this.entries.delete(key);
            }
        };
    }

    /** Holders of `key` right now. */
    inUse(key: string): number {
        return this.entries.get(key)?.semaphore.inUse ?? 0;
    }
}

/** Default cap on concurrent ipmitool processes; `PULUMI_BMC_MAX_SESSIONS` overrides it. */
export const DEFAULT_MAX_SESSIONS = 16;

/**
 * Default cap on concurrent native RMCP+ sessions; `PULUMI_BMC_MAX_NATIVE_SESSIONS` overrides it. A native session is
 * a few kilobytes of state on sockets the whole process shares (no process, no descriptor), so what bounds it is the
 * BMCs ({@link SESSIONS_PER_BMC}) and the engine's parallelism: 256 lets 128 operations in flight each hold their
 * session and their verification login.
 */
export const DEFAULT_MAX_NATIVE_SESSIONS = 256;

/**
 * Sessions this process may have open on one BMC at once, closing ones included: an operation's own session and its
 * verification login. A next operation's login may start while the previous one's Close Session is still on its way,
 * but its verification login then waits for that close, so a BMC never sees a third session from here (BMCs allow
 * few, and a busy answer to a login costs a retry).
 */
export const SESSIONS_PER_BMC = 2;

interface SharedLimits {
    perBmc: KeyedMutex;
    /** ipmitool processes. */
    sessions: Semaphore;
    /** Native RMCP+ sessions. */
    nativeSessions: Semaphore;
    bmcSessions: KeyedSemaphore;
}

function capFromEnv(name: string, fallback: number): number {
    const fromEnv = Number.parseInt(process.env[name] ?? "", 10);
    return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

const LIMITS_KEY = Symbol.for("pulumi-bmc-credentials.limits");

/** The process-wide limiters. */
export function sharedLimits(): SharedLimits {
    const g = globalThis as unknown as Record<symbol, SharedLimits | undefined>;
    let limits = g[LIMITS_KEY];
    if (!limits || !limits.bmcSessions || !limits.nativeSessions) {
        limits = {
            perBmc: limits?.perBmc ?? new KeyedMutex(),
            sessions: limits?.sessions ?? new Semaphore(capFromEnv("PULUMI_BMC_MAX_SESSIONS", DEFAULT_MAX_SESSIONS)),
            nativeSessions: new Semaphore(capFromEnv("PULUMI_BMC_MAX_NATIVE_SESSIONS", DEFAULT_MAX_NATIVE_SESSIONS)),
            bmcSessions: limits?.bmcSessions ?? new KeyedSemaphore(SESSIONS_PER_BMC),
        };
        g[LIMITS_KEY] = limits;
    }
    return limits;
}

/** How {@link withSessionSlot} counts a session. */
export interface SessionSlotOptions {
    /**
     * Take a global slot too (default). False for a session started by a caller that already holds one and waits for
     * it (the self-rotation proof): waiting for a second global slot there could deadlock sixteen such callers.
     */
    global?: boolean;
    /** Return only once every held tail has settled (a caller whose own slot accounts for this session). */
    waitForTails?: boolean;
    /** Which global cap the session counts against: ipmitool processes (default) or native sessions. */
    native?: boolean;
}

/**
 * Runs `fn` holding one of the BMC's {@link SESSIONS_PER_BMC} session slots and one global session slot (in that
 * order, so waiting for a busy BMC never holds a global slot), but not the BMC's mutex: a login probe that runs beside
 * the operation's own session. The slots are held until `fn` and every promise passed to `holdSlot` have settled.
 */
export async function withSessionSlot<T>(
    bmcKey: string,
    fn: (holdSlot: (tail: Promise<unknown>) => void) => Promise<T>,
    options: SessionSlotOptions = {},
): Promise<T> {
    const limits = sharedLimits();
    const releaseBmc = await limits.bmcSessions.acquire(bmcKey);
    let releaseGlobal: () => void = () => undefined;
    try {
        if (options.global !== false) {
            releaseGlobal = await (options.native ? limits.nativeSessions : limits.sessions).acquire();
        }
    } catch (e) {
        releaseBmc();
        throw e;
    }
    const tails: Promise<unknown>[] = [];
    const released = () => {
        releaseGlobal();
        releaseBmc();
    };
    try {
        return await fn((tail) => tails.push(tail));
    } finally {
        const settled = Promise.allSettled(tails).then(released);
        if (options.waitForTails) {
            await settled;
        }
    }
}

/**
 * Runs `fn` holding the BMC's mutex, one of its session slots and one global session slot (in that order, so waiting
 * never holds a slot).
 *
 * `fn` may hand over the tail of its work with `holdSlot(promise)` (an ipmitool process closing its session): the
 * BMC's mutex is released as soon as `fn` returns, so the operation's result and the BMC's next operation do not wait
 * a round trip for Close Session, while the slots stay taken until every held promise settles, so the number of
 * ipmitool processes never exceeds the cap, and a BMC never has more than {@link SESSIONS_PER_BMC} sessions from here.
 */
export function withBmcSession<T>(bmcKey: string, fn: (holdSlot: (tail: Promise<unknown>) => void) => Promise<T>, options: Pick<SessionSlotOptions, "native"> = {}): Promise<T> {
    const limits = sharedLimits();
    return limits.perBmc.run(bmcKey, () => withSessionSlot(bmcKey, fn, options));
}
