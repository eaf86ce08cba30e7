/**
 * Process-wide state of the `BmsPassword` provider: the credentials read by `configure`, and the injectable runtime
 * (transport, clock, sleep, randomness, log, polling limits).
 *
 * It lives on `globalThis` so it is shared by every copy of the module and never captured by value into
 * `__provider`. Tests replace parts of the runtime with {@link setBmsPasswordRuntime}.
 */

import { randomBytes } from "crypto";
import { realSleep } from "../shared/retry";
import { sharedBuckets } from "../transport/huaweicloud/buckets";
import type { ClientRuntime } from "../transport/huaweicloud/client";
import { nodeTransport } from "../transport/huaweicloud/http";

/** Values from Pulumi config (`huaweicloud:*`). Absent keys fall back to the environment at call time. */
export interface HuaweiConfig {
    accessKey?: string;
    secretKey?: string;
    securityToken?: string;
    authToken?: string;
    region?: string;
    projectId?: string;
}

export interface BmsPasswordRuntime extends ClientRuntime {
    /** Salt source for the password digest. */
    randomBytes: (n: number) => Buffer;
    /** Delay between job polls. */
    jobPollIntervalMs: number;
    /** Polls before giving up on a reboot job (bounded: no unbounded waits). */
    jobMaxPolls: number;
    /** Delay between polls while the server is in a transitional state. */
    settlePollIntervalMs: number;
    settleMaxPolls: number;
    /** Environment consulted for credentials when config lacks them. */
    env: () => Readonly<Record<string, string | undefined>>;
}

interface BmsPasswordState {
    config: HuaweiConfig;
    overrides: Partial<BmsPasswordRuntime>;
    /** Project ids found through IAM, by endpoint and region. */
    projectIds: Map<string, string>;
}

const STATE_KEY = Symbol.for("pulumi-bmc-credentials.bmsPassword");

export function bmsPasswordState(): BmsPasswordState {
    const g = globalThis as unknown as Record<symbol, BmsPasswordState | undefined>;
    return (g[STATE_KEY] ??= { config: {}, overrides: {}, projectIds: new Map() });
}

/** The runtime in effect: defaults with any overrides applied. */
export function bmsPasswordRuntime(): BmsPasswordRuntime {
    return {
        transport: nodeTransport,
        now: () => new Date(),
        sleep: realSleep,
        random: Math.random,
        buckets: sharedBuckets(),
        log: (line) => process.stderr.write(`${line}\n`),
        timeoutMs: 30_000,
        attempts: 5,
        baseDelayMs: 1_000,
        maxDelayMs: 30_000,
        randomBytes,
        jobPollIntervalMs: 5_000,
        jobMaxPolls: 360,
        settlePollIntervalMs: 10_000,
        settleMaxPolls: 30,
        env: () => process.env,
        ...bmsPasswordState().overrides,
    };
}

/** Replaces parts of the runtime (tests, embedding). Pass `{}` to restore the defaults. Clears the project-id cache. */
export function setBmsPasswordRuntime(overrides: Partial<BmsPasswordRuntime>): void {
    const state = bmsPasswordState();
    state.overrides = { ...overrides };
    state.projectIds.clear();
}

/** Replaces the configured credentials (what `configure` does). */
export function setHuaweiConfig(config: HuaweiConfig): void {
    bmsPasswordState().config = { ...config };
}
