/**
 * Bounded retries with full-jitter exponential backoff. Clock and randomness are injectable so tests run instantly and
 * deterministically.
 */

export interface RetryOptions {
    /** Total attempts including the first. At least 1. */
    attempts: number;
    /** Backoff before the second attempt, in milliseconds; doubles each time. */
    baseDelayMs: number;
    /** Cap for a single backoff, in milliseconds. */
    maxDelayMs: number;
    /** Decides whether an error is worth another attempt. Errors for which it returns false are thrown at once. */
    isTransient: (error: unknown) => boolean;
    /** A server-requested delay (e.g. `Retry-After`) in milliseconds, which replaces the computed backoff. */
    retryAfterMs?: (error: unknown) => number | undefined;
    /** Waits; defaults to a timer. */
    sleep?: (ms: number) => Promise<void>;
    /** Uniform random in [0, 1); defaults to `Math.random`. */
    random?: () => number;
    /** Called before each retry with the attempt number that failed and the chosen delay. */
    onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Full-jitter backoff for the given (1-based) failed attempt. */
export function backoffDelay(attempt: number, base: number, cap: number, random: () => number): number {
    const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
    return Math.floor(random() * ceiling);
}

/** Runs `fn` until it succeeds, fails with a non-transient error, or runs out of attempts. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
    const sleep = options.sleep ?? realSleep;
    const random = options.random ?? Math.random;
    const attempts = Math.max(1, Math.floor(options.attempts));
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn(attempt);
        } catch (e) {
            if (attempt >= attempts || !options.isTransient(e)) {
                throw e;
            }
            const requested = options.retryAfterMs?.(e);
            const delay =
                requested !== undefined
                    ? Math.min(requested, options.maxDelayMs)
                    : backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, random);
            options.onRetry?.(e, attempt, delay);
            await sleep(delay);
        }
    }
}
