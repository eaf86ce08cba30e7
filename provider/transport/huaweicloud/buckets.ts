/**
 * Client-side rate limiting with the documented per-API limits of the BMS API.
 *
 * A token bucket per API, shared by every resource in the provider process (kept on `globalThis`, so two copies of
 * this module share it too). Callers reserve a token and sleep until it is theirs, so the bucket works with any
 * injected clock and sleep: it never spins re-reading the clock.
 */

/** The APIs a `BmsPassword` calls. */
export type BmsApi = "reset" | "flag" | "action" | "jobs" | "details" | "projects" | "securitytokens";

/** Documented limits, requests per minute (BMS API overview, "BMS接口使用限制"). The IAM ones are not documented. */
export const DOCUMENTED_LIMITS_PER_MINUTE: Readonly<Record<BmsApi, number>> = {
    reset: 50,
    flag: 500,
    action: 50,
    jobs: 2000,
    details: 1000,
    projects: 100,
    securitytokens: 100,
};

/**
 * A token bucket of `capacity` tokens in which each token comes back exactly `periodMs` after it was taken. That keeps
 * every window of `periodMs` (sliding, hence also the gateway's fixed minutes, whichever it uses) at or under the
 * documented limit, where a continuously refilling bucket would allow up to twice the limit across a window boundary.
 */
export class TokenBucket {
    /** When each of the last `capacity` tokens was (or will be) used, oldest first. */
    private readonly taken: number[] = [];

    constructor(
        readonly capacity: number,
        readonly periodMs = 60_000,
    ) {
        if (!Number.isInteger(capacity) || capacity < 1) {
            throw new RangeError(`bucket capacity must be a positive integer, got ${capacity}`);
        }
    }

    /**
     * Takes one token and returns how long the caller must wait before using it (0 when one is free now). Waiting
     * callers hold reservations, so concurrent callers are spaced out rather than released together.
     */
    reserve(nowMs: number): number {
        let at = nowMs;
        if (this.taken.length >= this.capacity) {
            at = Math.max(nowMs, this.taken[this.taken.length - this.capacity] + this.periodMs);
        }
        this.taken.push(at);
        if (this.taken.length > this.capacity) {
            this.taken.splice(0, this.taken.length - this.capacity);
        }
        return at - nowMs;
    }
}

export type BucketSet = Record<BmsApi, TokenBucket>;

export function newBucketSet(limits: Readonly<Record<BmsApi, number>> = DOCUMENTED_LIMITS_PER_MINUTE): BucketSet {
    const out = {} as BucketSet;
    for (const api of Object.keys(limits) as BmsApi[]) {
        out[api] = new TokenBucket(limits[api]);
    }
    return out;
}

const BUCKETS_KEY = Symbol.for("pulumi-bmc-credentials.huaweicloud.buckets");

/** The process-wide buckets. */
export function sharedBuckets(): BucketSet {
    const g = globalThis as unknown as Record<symbol, BucketSet | undefined>;
    return (g[BUCKETS_KEY] ??= newBucketSet());
}
