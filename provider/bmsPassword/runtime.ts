/**
 * Process-wide state of the `BmsPassword` provider: the credentials read by `configure`, and the injectable runtime
 * (transport, clock, sleep, randomness, log, polling limits).
 *
 * It lives on `globalThis` so it is shared by every copy of the module and never captured by value into
 * `__provider`. Tests replace parts of the runtime with {@link setBmsPasswordRuntime}.
 */

import { randomBytes } from "crypto";
import { readFileSync } from "fs";
import { homedir } from "os";
import { realSleep } from "../shared/retry";
import { sharedBuckets } from "../transport/huaweicloud/buckets";
import type { ClientRuntime } from "../transport/huaweicloud/client";
import { clearCredentialCache } from "../transport/huaweicloud/credentials";
import type { HttpTransport } from "../transport/huaweicloud/http";
import type { HuaweiConfig } from "../transport/huaweicloud/settings";

export type { HuaweiConfig } from "../transport/huaweicloud/settings";

/**
 * Test seam for the ECS metadata service's address. Accepted only when it points at loopback (the emulator), so it
 * cannot send the provider's requests anywhere else; unset, the real `http://169.254.169.254/…` is used.
 */
export const METADATA_URL_VARIABLE = "PULUMI_BMC_HW_METADATA_URL";

export interface BmsPasswordRuntime extends Omit<ClientRuntime, "transport" | "attempts"> {
    /** Replaces the transport built from the settings (CA file, insecure, proxies). Tests only. */
    transport?: HttpTransport;
    /** Attempts per call including the first; default `huaweicloud:maxRetries` + 1. */
    attempts?: number;
    /** The ECS metadata service's temporary-credential address; see {@link METADATA_URL_VARIABLE}. */
    metadataUrl?: string;
    /** Reads the shared config file and the CA file. */
    readFile: (path: string) => string;
    homeDir: string;
    /** Lifetime asked for agency credentials (IAM allows 900 to 86400 s). */
    agencyDurationSeconds: number;
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
    /** Project ids found through IAM, by endpoint, region and identity. */
    projectIds: Map<string, string>;
    /** The insecure warning is printed once per process. */
    insecureWarned?: boolean;
}

const STATE_KEY = Symbol.for("pulumi-bmc-credentials.bmsPassword");

export function bmsPasswordState(): BmsPasswordState {
    const g = globalThis as unknown as Record<symbol, BmsPasswordState | undefined>;
    return (g[STATE_KEY] ??= { config: {}, overrides: {}, projectIds: new Map() });
}

/** The runtime in effect: defaults with any overrides applied. */
export function bmsPasswordRuntime(): BmsPasswordRuntime {
    return {
        now: () => new Date(),
        sleep: realSleep,
        random: Math.random,
        buckets: sharedBuckets(),
        log: (line) => process.stderr.write(`${line}\n`),
        timeoutMs: 30_000,
        baseDelayMs: 1_000,
        maxDelayMs: 30_000,
        randomBytes,
        jobPollIntervalMs: 5_000,
        jobMaxPolls: 360,
        settlePollIntervalMs: 10_000,
        settleMaxPolls: 30,
        env: () => process.env,
        metadataUrl: process.env[METADATA_URL_VARIABLE],
        readFile: (path) => readFileSync(path, "utf8"),
        homeDir: homedir(),
        agencyDurationSeconds: 3600,
        ...bmsPasswordState().overrides,
    };
}

/**
 * Replaces parts of the runtime (tests, embedding). Pass `{}` to restore the defaults. Clears the project-id cache and
 * the temporary credentials obtained so far.
 */
export function setBmsPasswordRuntime(overrides: Partial<BmsPasswordRuntime>): void {
    const state = bmsPasswordState();
    state.overrides = { ...overrides };
    state.projectIds.clear();
    clearCredentialCache();
}

/** Replaces the configured credentials (what `configure` does). */
export function setHuaweiConfig(config: HuaweiConfig): void {
    bmsPasswordState().config = { ...config };
}
