/**
 * Concurrency control shared by every resource in the provider process.
 *
 * The Pulumi engine sends Create/Read/Update/Delete calls concurrently to one provider process. BMCs allow only a few
 * sessions, and two sessions writing the same user table race, so work on one BMC is serialised by a keyed mutex while
 * a global semaphore bounds the number of ipmitool processes. Both live on `globalThis` so that every copy of this
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

/** Default cap on concurrent ipmitool processes; `PULUMI_BMC_MAX_SESSIONS` overrides it. */
export const DEFAULT_MAX_SESSIONS = 16;

interface SharedLimits {
    perBmc: KeyedMutex;
    sessions: Semaphore;
}

const LIMITS_KEY = Symbol.for("pulumi-bmc-credentials.limits");

/** The process-wide limiter pair. */
export function sharedLimits(): SharedLimits {
    const g = globalThis as unknown as Record<symbol, SharedLimits | undefined>;
    let limits = g[LIMITS_KEY];
    if (!limits) {
        const fromEnv = Number.parseInt(process.env.PULUMI_BMC_MAX_SESSIONS ?? "", 10);
        const cap = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_MAX_SESSIONS;
        limits = { perBmc: new KeyedMutex(), sessions: new Semaphore(cap) };
        g[LIMITS_KEY] = limits;
    }
    return limits;
}

/**
 * Runs `fn` holding one global session slot but not the BMC's mutex: a login probe that runs beside the operation's
 * own session. The slot is held until `fn` and every promise passed to `holdSlot` have settled.
 */
export async function withSessionSlot<T>(fn: (holdSlot: (tail: Promise<unknown>) => void) => Promise<T>): Promise<T> {
    const release = await sharedLimits().sessions.acquire();
    const tails: Promise<unknown>[] = [];
    try {
        return await fn((tail) => tails.push(tail));
    } finally {
        void Promise.allSettled(tails).then(release);
    }
}

/**
 * Runs `fn` holding the BMC's mutex and one global session slot (in that order, so waiting never holds a slot).
 *
 * `fn` may hand over the tail of its work with `holdSlot(promise)` (an ipmitool process closing its session): the
 * BMC's mutex is released as soon as `fn` returns, so the operation's result and the BMC's next operation do not wait
 * a round trip for Close Session, while the global slot stays taken until every held promise settles, so the number of
 * ipmitool processes never exceeds the cap.
 */
export function withBmcSession<T>(bmcKey: string, fn: (holdSlot: (tail: Promise<unknown>) => void) => Promise<T>): Promise<T> {
    const limits = sharedLimits();
    return limits.perBmc.run(bmcKey, () => withSessionSlot(fn));
}
