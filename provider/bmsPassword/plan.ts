/**
 * Pure decision logic for `BmsPassword`: the stored outputs, the password digest, diff, and what create/update do.
 * No I/O and no Pulumi SDK, so every branch is unit-tested directly.
 */

import { createHmac, timingSafeEqual } from "crypto";
import { isUnknown } from "../shared/validation";
import type { KnownOs, OsTypeInput, RestartPolicy } from "./schema";

/** Bumped when the outputs change shape; newer code must read every older version. */
export const SCHEMA_VERSION = 1;

/** Stated in the outputs, because users look for the password there. */
export const PASSWORD_NOTE =
    "The OS password cannot be read back from Huawei Cloud; passwordDigest only lets the provider detect a changed input. The one-click reset API reports no failure of the in-OS reset, and the password applies only after the server starts or restarts.";

/** What `create`/`update` return and `read` refreshes. Diff's `olds` have this shape. */
export interface BmsPasswordOutputs {
    schemaVersion: number;
    serverId: string;
    /** Resolved project id (input, config, environment or IAM lookup). */
    projectId: string;
    region?: string;
    endpoint?: string;
    /** The `osType` input as given (`auto`, `linux`, `windows`). */
    requestedOsType: OsTypeInput;
    /** The OS whose rules were applied: declared, or read from `server.metadata.os_type`. */
    osType: KnownOs;
    username?: string;
    restart: RestartPolicy;
    /** ISO time of the last reset call that returned 204. */
    resetAt: string;
    /** True until a restart after the reset is confirmed (job SUCCESS, or a boot later than `resetAt`). */
    pendingRestart: boolean;
    /** Last seen `os-resetpwd-flag`. */
    resetSupported: boolean;
    /** Last seen `server.status`. */
    serverStatus: string;
    /** Job id of the last HARD reboot, when one was issued. */
    restartJobId?: string;
    /** `hmac-sha256:<salt hex>:<mac hex>` of the password; secret. */
    passwordDigest: string;
    passwordNote: string;
}

/** HMAC of the password under a random per-resource salt; lets diff detect a change without storing the password. */
export function digestPassword(password: string, salt: Buffer): string {
    return `hmac-sha256:${salt.toString("hex")}:${createHmac("sha256", salt).update(password, "utf8").digest("hex")}`;
}

/** True when `password` is the one the digest was made from. A malformed digest never matches. */
export function digestMatches(digest: unknown, password: string): boolean {
    if (typeof digest !== "string") {
        return false;
    }
    const m = /^hmac-sha256:([0-9a-f]+):([0-9a-f]{64})$/.exec(digest);
    if (!m) {
        return false;
    }
    const expected = Buffer.from(m[2], "hex");
    const actual = createHmac("sha256", Buffer.from(m[1], "hex")).update(password, "utf8").digest();
    return timingSafeEqual(expected, actual);
}

/** Same shape as `pulumi.dynamic.DiffResult` (declared here so pure code does not load the SDK). */
export interface DiffResult {
    changes: boolean;
    replaces: string[];
    deleteBeforeReplace: boolean;
}

/**
 * Compares the live outputs (`olds`) with the desired inputs (`news`); `__provider` is never looked at. Unknown values
 * (preview) count as changes. A server id change replaces the resource (a reset cannot be moved); so does an explicit
 * project id change. A pending restart with `restart: hard` is a change, so a failed reboot is retried on the next up —
 * unless the server was last seen `SHUTOFF`: its next start applies the password, this resource never starts a server,
 * so an update could do nothing and the plan would never settle.
 */
export function diffBmsPassword(olds: Partial<BmsPasswordOutputs> & Record<string, unknown>, news: Record<string, unknown>): DiffResult {
    const replaces: string[] = [];
    const changed = new Set<string>();
    const differs = (a: unknown, b: unknown) => isUnknown(b) || a !== b;

    if (differs(olds.serverId, news.serverId)) {
        replaces.push("serverId");
    }
    if (news.projectId !== undefined && differs(olds.projectId, news.projectId)) {
        replaces.push("projectId");
    }
    if (isUnknown(news.password) || typeof news.password !== "string" || !digestMatches(olds.passwordDigest, news.password)) {
        changed.add("password");
    }
    const restart = news.restart ?? "never";
    if (differs(olds.restart, restart)) {
        changed.add("restart");
    }
    if (restart === "hard" && olds.pendingRestart === true && olds.serverStatus !== "SHUTOFF") {
        changed.add("restart");
    }
    for (const key of ["region", "endpoint", "username"] as const) {
        if (differs(olds[key], news[key])) {
            changed.add(key);
        }
    }
    if (differs(olds.requestedOsType ?? "auto", news.osType ?? "auto")) {
        changed.add("osType");
    }
    return { changes: replaces.length > 0 || changed.size > 0, replaces, deleteBeforeReplace: false };
}

/** Whether create/update must call the reset API: always on create, on update only for a different password. */
export function needsReset(olds: Partial<BmsPasswordOutputs> | undefined, password: string): boolean {
    return olds === undefined || !digestMatches(olds.passwordDigest, password);
}

export type RestartDecision = "reboot" | "none" | "stopped";

/**
 * Whether to HARD-reboot now. Only with `restart: hard` and a reset not yet applied. A stopped server is not started:
 * the password applies when it next starts, and powering on a server the user stopped is not this resource's call.
 */
export function restartDecision(policy: RestartPolicy, pendingRestart: boolean, serverStatus: string): RestartDecision {
    if (policy !== "hard" || !pendingRestart) {
        return "none";
    }
    return serverStatus === "SHUTOFF" ? "stopped" : "reboot";
}

/** Statuses in which a reset or reboot must wait. */
export function isTransitional(status: string, taskState: string): boolean {
    return ["REBOOT", "HARD_REBOOT", "BUILD"].includes(status) || taskState !== "";
}

/** What a refresh knows about whether the password has taken effect. */
export interface PendingObservation {
    /** Recorded `pendingRestart`. */
    pendingRestart: boolean;
    /** Recorded `resetAt`. */
    resetAt?: string;
    /** `OS-SRV-USG:launched_at` now. */
    launchedAt?: string;
    /** Recorded `serverStatus`: observed at or after the reset. */
    previousStatus?: string;
    /** `server.status` now. */
    status: string;
}

/**
 * After a refresh: the password counts as applied once the server has booted since the reset. Two signs of a boot:
 * `launched_at` later than `resetAt`, or a server recorded `SHUTOFF` (seen at or after the reset) that is `ACTIVE` now —
 * it was started since, whether or not the service moved `launched_at` (undocumented for BMS).
 */
export function pendingAfterRead(seen: PendingObservation): boolean {
    if (!seen.pendingRestart) {
        return false;
    }
    if (seen.previousStatus === "SHUTOFF" && seen.status === "ACTIVE") {
        return false;
    }
    if (!seen.resetAt || !seen.launchedAt) {
        return true;
    }
    const reset = Date.parse(seen.resetAt);
    // launched_at comes without a zone ("2018-09-18T02:46:07.954587"); the service reports UTC.
    const launched = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(seen.launchedAt) ? seen.launchedAt : `${seen.launchedAt}Z`);
    if (Number.isNaN(reset) || Number.isNaN(launched)) {
        return true;
    }
    return !(launched > reset);
}
