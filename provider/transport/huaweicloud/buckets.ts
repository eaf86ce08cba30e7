/**
 * Client-side rate limiting with the documented per-API limits of the BMS API.
 *
 * A token bucket per API, shared by every resource in the provider process (kept on `globalThis`, so two copies of
 * this module share it too). Callers reserve a token and sleep for the debt, so the bucket works with any injected
 * clock and sleep: it never spins re-reading the clock.
 */

/** The APIs a `BmsPassword` calls. */
export type BmsApi = "reset" | "flag" | "action" | "jobs" | "details" | "projects";

/** Documented limits, requests per minute (BMS API overview, "BMS接口使用限制"). `projects` is IAM's, not documented. */
export const DOCUMENTED_LIMITS_PER_MINUTE: Readonly<Record<BmsApi, number>> = {
    reset: 50,
    flag: 500,
    action: 50,
    jobs: 2000,
    details: 1000,
    projects: 100,
};

export class TokenBucket {
    private tokens: number;
    private last: number | undefined;

    /** @param capacity burst size and the refill per `periodMs`. */
    constructor(
        readonly capacity: number,
        readonly periodMs = 60_000,
    ) {
        this.tokens = capacity;
    }

    /**
     * Takes one token and returns how long the caller must wait before using it (0 when one was available). Tokens
     * go negative while callers are queued, so concurrent callers are spaced out rather than released together.
     */
    reserve(nowMs: number): number {
        const rate = this.capacity / this.periodMs;
        if (this.last !== undefined) {
            this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, nowMs - this.last) * rate);
        }
        this.last = nowMs;
        this.tokens -= 1;
        return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / rate);
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
