/**
 * Keeps the provider process's resident memory near its working set during fleet-sized operations.
 *
 * The dynamic-provider host is a Node process the Pulumi engine starts with default V8 settings. Across a 1000-resource
 * `up` or `refresh`, V8 runs no full collection at all (its first old-generation limit is far above what the host
 * needs): every session's objects and the SDK's gRPC/protobuf buffers that survive two scavenges pile up in the old
 * generation as garbage, and the 32 MB young generation stays at full size. Resident memory climbs from ~120 MB to
 * 170-210 MB although the live heap grows by a few MB. Allocating less did not move that peak (measured in DESIGN.md),
 * because the garbage is collected only when V8 decides to.
 *
 * So the provider asks V8 for one memory-reducing collection when resident memory has grown past a soft limit, at most
 * twice a second and only if memory grew again since the last one. Only the memory-reducing kind helps: a plain full
 * collection (`gc()` under `--expose-gc`) frees the garbage but keeps its pages and the young generation, so resident
 * memory does not drop at all (measured: 148 → 148 MB, fleet peak 188 MB). The memory-reducing kind (what V8 runs on
 * a low-memory notification: all spaces, young generation shrunk to 1 MB, free pages returned) is reached through the
 * inspector protocol's `HeapProfiler.collectGarbage`, on an in-process `inspector.Session` (no port, no debugger;
 * the collection runs as a task between two callbacks). Where Node has no inspector, `v8.queryObjects` (Node ≥ 20.13,
 * experimental) runs the same collection but then walks the whole heap, which costs 3-5× more (0.6-1 s per collection
 * on a loaded machine at fleet scale: the fleet bench's Creates took 2.0× their floor with it, 1.3× through the
 * inspector); where neither exists the watch does nothing. No V8 flag is set. `PULUMI_BMC_RSS_SOFT_LIMIT_MB` sets the
 * limit (0 turns the watch off).
 */

import type * as inspectorModule from "node:inspector";
import * as v8 from "node:v8";

/** Resident memory (MB) above which a collection is asked for; the host alone sits at ~120 MB. */
export const DEFAULT_SOFT_LIMIT_MB = 135;
/** Growth (MB) since the last collection's result needed before another: a larger live set is not re-collected. */
export const REGROWTH_MB = 8;
/** Minimum time from the end of one collection to the start of the next. */
export const MIN_INTERVAL_MS = 500;
/** How often resident memory is sampled while the provider works. */
const SAMPLE_MS = 100;

/** Never instantiated: `queryObjects` walks the heap to count it, finding none, after collecting. */
class NeverInstantiated {}

interface Watch {
    timer: NodeJS.Timeout;
    lastMb: number;
    lastAt: number;
    collecting: boolean;
    collections: number;
}

const WATCH_KEY = Symbol.for("pulumi-bmc-credentials.memory-watch");

type QueryObjects = (ctor: new () => unknown, options: { format: "count" }) => number;

function queryObjects(): QueryObjects | undefined {
    const q = (v8 as unknown as { queryObjects?: QueryObjects }).queryObjects;
    return typeof q === "function" ? q : undefined;
}

/** The process's in-process inspector session, connected on first use; null where Node was built without one. */
let session: inspectorModule.Session | null | undefined;

function inspectorSession(): inspectorModule.Session | null {
    if (session === undefined) {
        try {
            // Required here, not imported: on a Node built without the inspector the module throws when loaded.
            const { Session } = require("node:inspector") as typeof inspectorModule;
            const s = new Session();
            s.connect();
            session = s;
        } catch {
            session = null;
        }
    }
    return session;
}

/** The memory-reducing collection through the inspector; false where it cannot be asked for. */
function collectThroughInspector(): Promise<boolean> {
    const s = inspectorSession();
    if (!s) {
        return Promise.resolve(false);
    }
    return new Promise((resolve) => {
        try {
            s.post("HeapProfiler.collectGarbage", (err) => resolve(!err));
        } catch {
            resolve(false);
        }
    });
}

/**
 * The same collection through `v8.queryObjects`. Its one-time ExperimentalWarning is not printed: it would reach the
 * update log as if something were wrong.
 */
function collectThroughQueryObjects(): boolean {
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
 * Runs one memory-reducing collection: through the inspector, else through `v8.queryObjects`. Resolves once it has
 * run, with false where neither API is there (or both failed).
 */
export async function collectGarbage(): Promise<boolean> {
    return (await collectThroughInspector()) || collectThroughQueryObjects();
}

/** Whether a collection is due: over the limit, grown since the last one, and not too soon after it. */
export function collectionDue(rss: number, limit: number, last: { mb: number; at: number }, now: number): boolean {
    return limit > 0 && rss > limit && rss > last.mb + REGROWTH_MB && now - last.at >= MIN_INTERVAL_MS;
}

/**
 * Starts the watch (once per process; every provider operation calls this). The timer is unref'd: it never keeps the
 * host alive. One collection at a time: the inspector runs it as a task, after the sample that asked for it.
 */
export function watchMemory(): void {
    const g = globalThis as unknown as Record<symbol, Watch | undefined>;
    const limit = softLimitMb();
    if (g[WATCH_KEY] || limit === 0 || (!inspectorSession() && !queryObjects())) {
        return;
    }
    const w: Watch = { lastMb: 0, lastAt: 0, collecting: false, collections: 0, timer: undefined as unknown as NodeJS.Timeout };
    w.timer = setInterval(() => {
        if (w.collecting || !collectionDue(rssMb(), limit, { mb: w.lastMb, at: w.lastAt }, Date.now())) {
            return;
        }
        w.collecting = true;
        void collectGarbage().then((ran) => {
            w.collecting = false;
            w.lastAt = Date.now();
            if (ran) {
                w.collections++;
                w.lastMb = rssMb();
            }
        });
    }, SAMPLE_MS);
    w.timer.unref();
    g[WATCH_KEY] = w;
}

/** Collections run so far by the watch in this process (for tests and benchmarks). */
export function memoryCollections(): number {
    return (globalThis as unknown as Record<symbol, Watch | undefined>)[WATCH_KEY]?.collections ?? 0;
}
