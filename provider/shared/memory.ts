/**
 * Keeps the provider process's resident memory near its working set during fleet-sized operations.
 *
 * The dynamic-provider host is a Node process the Pulumi engine starts with default V8 settings. Across a 1000-resource
 * `up` or `refresh`, V8 runs no full collection at all (its first old-generation limit is far above what the host
 * needs): every ipmitool session's child-process, stream and session objects that survive two scavenges pile up in
 * the old generation as garbage, and the 32 MB young generation stays at full size. Resident memory climbs from
 * ~120 MB to 170-210 MB although the live heap grows by ~2 MB. Allocating less did not move that peak (measured in
 * DESIGN.md), because the garbage is collected only when V8 decides to.
 *
 * So the provider asks V8 for one memory-reducing collection when resident memory has grown past a soft limit, at most
 * twice a second and only if memory grew again since the last one. The only public API that runs that collection
 * (the one V8 uses for heap snapshots: all spaces, young generation shrunk) is `v8.queryObjects`, which then counts
 * the instances of a class nobody instantiates. It is experimental (Node ≥ 20.13, 22): where it is missing the watch
 * does nothing. Nothing global changes: no V8 flag, no `--expose-gc`; the cost is a pause of ~30-80 ms per collection.
 * `PULUMI_BMC_RSS_SOFT_LIMIT_MB` sets the limit (0 turns the watch off).
 */

import * as v8 from "node:v8";

/** Resident memory (MB) above which a collection is asked for; the host alone sits at ~120 MB. */
export const DEFAULT_SOFT_LIMIT_MB = 135;
/** Growth (MB) since the last collection's result needed before another: a larger live set is not re-collected. */
export const REGROWTH_MB = 8;
/** Minimum time between two collections. */
export const MIN_INTERVAL_MS = 500;
/** How often resident memory is sampled while the provider works. */
const SAMPLE_MS = 100;

/** Never instantiated: `queryObjects` walks the heap to count it, finding none, after collecting. */
class NeverInstantiated {}

interface Watch {
    timer: NodeJS.Timeout;
    lastMb: number;
    lastAt: number;
    collections: number;
}

const WATCH_KEY = Symbol.for("pulumi-bmc-credentials.memory-watch");

type QueryObjects = (ctor: new () => unknown, options: { format: "count" }) => number;

function queryObjects(): QueryObjects | undefined {
    const q = (v8 as unknown as { queryObjects?: QueryObjects }).queryObjects;
    return typeof q === "function" ? q : undefined;
}

function rssMb(): number {
    return process.memoryUsage.rss() / 1048576;
}

/** The soft limit in MB from the environment, or the default; 0 (or no usable API) means off. */
export function softLimitMb(env: NodeJS.ProcessEnv = process.env): number {
    const raw = env.PULUMI_BMC_RSS_SOFT_LIMIT_MB;
    const n = raw === undefined || raw.trim() === "" ? DEFAULT_SOFT_LIMIT_MB : Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : DEFAULT_SOFT_LIMIT_MB;
}

/**
 * Runs one memory-reducing collection now. Returns false where Node has no `v8.queryObjects`. The API's one-time
 * ExperimentalWarning is not printed: it would reach the update log as if something were wrong.
 */
export function collectGarbage(): boolean {
    const q = queryObjects();
    if (!q) {
        return false;
    }
    const emit = process.emitWarning;
    process.emitWarning = (() => undefined) as typeof process.emitWarning;
    try {
        q(NeverInstantiated, { format: "count" });
        return true;
    } catch {
        return false;
    } finally {
        process.emitWarning = emit;
    }
}

/** Whether a collection is due: over the limit, grown since the last one, and not too soon after it. */
export function collectionDue(rss: number, limit: number, last: { mb: number; at: number }, now: number): boolean {
    return limit > 0 && rss > limit && rss > last.mb + REGROWTH_MB && now - last.at >= MIN_INTERVAL_MS;
}

/**
 * Starts the watch (once per process; every provider operation calls this). The timer is unref'd: it never keeps the
 * host alive.
 */
export function watchMemory(): void {
    const g = globalThis as unknown as Record<symbol, Watch | undefined>;
    const limit = softLimitMb();
    if (g[WATCH_KEY] || limit === 0 || !queryObjects()) {
        return;
    }
    const w: Watch = { lastMb: 0, lastAt: 0, collections: 0, timer: undefined as unknown as NodeJS.Timeout };
    w.timer = setInterval(() => {
        const now = Date.now();
        if (collectionDue(rssMb(), limit, { mb: w.lastMb, at: w.lastAt }, now) && collectGarbage()) {
            w.collections++;
            w.lastMb = rssMb();
            w.lastAt = now;
        }
    }, SAMPLE_MS);
    w.timer.unref();
    g[WATCH_KEY] = w;
}

/** Collections run so far by the watch in this process (for tests and benchmarks). */
export function memoryCollections(): number {
    return (globalThis as unknown as Record<symbol, Watch | undefined>)[WATCH_KEY]?.collections ?? 0;
}
