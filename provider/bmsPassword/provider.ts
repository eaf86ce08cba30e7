/**
 * The `BmsPassword` dynamic provider. Exports exactly the provider methods, so the module namespace object itself is
 * the provider and `__provider` serializes to `require("pulumi-bmc-credentials/providers/bms-password")`.
 *
 * Flow of create/update: details (exists? settled? OS?) → OS-specific password rules → `os-resetpwd-flag` → PUT
 * reset (204) → per `restart`, HARD reboot and poll the job. Credentials come from `configure` (stack config
 * `huaweicloud:*`) or, when absent, the `HW_*` environment variables at call time; they never enter inputs, outputs
 * or `__provider`.
 */

import type * as pulumi from "@pulumi/pulumi";
import { CredentialsError, PartialFailureError } from "../shared/errors";
import { watchMemory } from "../shared/memory";
import { registerSecrets } from "../shared/redact";
import { failuresFromZod, stripUnknowns, type CheckFailure } from "../shared/validation";
import type { HuaweiClient, ServerDetails } from "../transport/huaweicloud/client";
import { DEPRECATED_ALIASES, settingSecrets, SETTINGS, type HuaweiConfig } from "../transport/huaweicloud/settings";
import { connect } from "./connect";
import {
    diffBmsPassword,
    digestPassword,
    isTransitional,
    needsReset,
    pendingAfterRead,
    restartDecision,
    PASSWORD_NOTE,
    SCHEMA_VERSION,
    type BmsPasswordOutputs,
} from "./plan";
import { bmsPasswordRuntime, setHuaweiConfig, type BmsPasswordRuntime } from "./runtime";
import { inputsSchema, osFromMetadata, passwordViolations, type BmsPasswordInputs, type KnownOs } from "./schema";

/** Every `huaweicloud:*` key read by `configure`: the official provider's keys plus the deprecated `authToken`. */
const CONFIG_KEYS = [...Object.keys(SETTINGS), ...Object.keys(DEPRECATED_ALIASES)] as Array<keyof HuaweiConfig>;

/**
 * Reads `huaweicloud:*` config. Synchronous in effect (no await before the state is stored), because the dynamic
 * provider host may start CRUD calls before the promise it got from `configure` resolves. Values are checked when
 * an operation uses them, so a bad key fails that operation with a clear message instead of the whole host.
 */
export async function configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const config: HuaweiConfig = {};
    for (const key of CONFIG_KEYS) {
        const v: unknown = req.config.get(`huaweicloud:${key}`);
        if (v !== undefined && v !== null && v !== "") {
            config[key] = v;
        }
    }
    registerSecrets(...settingSecrets(config, {}));
    setHuaweiConfig(config);
    watchMemory();
}

/** Validates inputs and the password rules that do not depend on the OS; fills defaults. Never echoes a value. */
export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    registerSecrets(news.password);
    const { __provider, ...rest } = news;
    const { value, unknown } = stripUnknowns(rest);
    const parsed = inputsSchema.safeParse(value);
    const inputs = { ...news, osType: news.osType ?? "auto", restart: news.restart ?? "never" };
    const failures: CheckFailure[] = [];
    if (!parsed.success) {
        failures.push(...failuresFromZod(parsed.error, [news.password]).filter((f) => !unknown.has(f.property)));
    } else if (!unknown.has("password")) {
        const os = parsed.data.osType === "auto" ? "unknown" : parsed.data.osType;
        const username = unknown.has("username") ? undefined : parsed.data.username;
        for (const v of passwordViolations(parsed.data.password, os, username)) {
            failures.push({ property: "password", reason: v.reason });
        }
    }
    return failures.length > 0 ? { inputs, failures } : { inputs };
}

/** Pure: live outputs against desired inputs. */
export async function diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.DiffResult> {
    return diffBmsPassword(olds, news);
}

export async function create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const desired = parseInputs(inputs);
    const outs = await converge(desired, undefined, inputs.__provider);
    return { id: desired.serverId, outs };
}

export async function update(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.UpdateResult> {
    const desired = parseInputs(news);
    const outs = await converge(desired, olds as Partial<BmsPasswordOutputs>, news.__provider ?? olds.__provider);
    return { outs };
}

/**
 * Refreshes existence, OS, status, the reset flag and `pendingRestart`. Only GETs: refresh previews call it too.
 * The password itself cannot be read back (see `passwordNote`).
 */
export async function read(id: string, props: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
    const olds = props as Partial<BmsPasswordOutputs> & Record<string, unknown>;
    const rt = bmsPasswordRuntime();
    const client = await connect(rt, { projectId: olds.projectId, region: olds.region, endpoint: olds.endpoint }, []);
    const server = await client.getServer(id);
    if (!server) {
        return {};
    }
    const resetSupported = await client.getResetFlag(id);
    const detected = osFromMetadata(server.osType);
    const osType = olds.requestedOsType && olds.requestedOsType !== "auto" ? olds.requestedOsType : (detected ?? olds.osType);
    return {
        id,
        props: {
            ...props,
            schemaVersion: SCHEMA_VERSION,
            osType,
            serverStatus: server.status,
            resetSupported,
            pendingRestart: pendingAfterRead({
                pendingRestart: olds.pendingRestart === true,
                resetAt: olds.resetAt,
                launchedAt: server.launchedAt,
                previousStatus: olds.serverStatus,
                status: server.status,
            }),
            passwordNote: PASSWORD_NOTE,
        },
    };
}

/** A password reset cannot be undone: the server keeps the password, the resource is only forgotten. */
async function deleteResource(id: string, _props: Record<string, unknown>): Promise<void> {
    bmsPasswordRuntime().log(`BmsPassword ${id}: nothing to undo — the OS password stays as last set; the resource is removed from the stack only.`);
}
export { deleteResource as delete };

function parseInputs(inputs: Record<string, unknown>): BmsPasswordInputs {
    registerSecrets(inputs.password);
    const { __provider, ...rest } = inputs;
    const parsed = inputsSchema.safeParse(rest);
    if (!parsed.success) {
        const failures = failuresFromZod(parsed.error, [inputs.password]);
        throw new CredentialsError("INVALID_INPUT", {
            message: failures.map((f) => `${f.property}: ${f.reason}`).join("; "),
            hint: "fix the inputs of the BmsPassword resource",
            secrets: [inputs.password],
        });
    }
    return parsed.data;
}

/** Polls details while the server is rebooting/building, bounded by `settleMaxPolls`. */
async function settledServer(client: HuaweiClient, rt: BmsPasswordRuntime, serverId: string): Promise<ServerDetails> {
    for (let poll = 0; ; poll++) {
        const server = await client.getServer(serverId);
        if (!server) {
            throw new CredentialsError("HWC_NOT_FOUND", {
                message: "the bare-metal server does not exist (or is DELETED)",
                hint: "check serverId, projectId and region; if the server was deleted, remove this resource",
                context: { serverId },
            });
        }
        if (!isTransitional(server.status, server.taskState)) {
            return server;
        }
        if (poll >= rt.settleMaxPolls) {
            throw new CredentialsError("HWC_SERVER_STATE", {
                message: `the server stayed in status ${server.status}${server.taskState ? `/${server.taskState}` : ""}`,
                hint: "wait until the server is ACTIVE or SHUTOFF, then run `pulumi up` again",
                transient: true,
                context: { serverId },
            });
        }
        await rt.sleep(rt.settlePollIntervalMs);
    }
}

function resolveOs(declared: BmsPasswordInputs["osType"], server: ServerDetails): KnownOs {
    if (declared !== "auto") {
        return declared;
    }
    const os = osFromMetadata(server.osType);
    if (!os) {
        throw new CredentialsError("HWC_SERVER_STATE", {
            message: "the server's metadata has no recognisable os_type",
            hint: "set osType to linux or windows so the right password rules apply",
            context: { serverId: server.id },
        });
    }
    return os;
}

/**
 * Brings the server to the desired state. Once the reset has been accepted, any later failure is reported as a
 * partial failure carrying outputs with `pendingRestart: true`, so the next `up` retries only what is missing.
 */
async function converge(desired: BmsPasswordInputs, olds: Partial<BmsPasswordOutputs> | undefined, provider: unknown): Promise<BmsPasswordOutputs> {
    const rt = bmsPasswordRuntime();
    const secrets = [desired.password];
    const client = await connect(rt, desired, secrets);
    const serverId = desired.serverId;

    let server = await settledServer(client, rt, serverId);
    if (server.status === "ERROR") {
        throw new CredentialsError("HWC_SERVER_STATE", { message: "the server is in status ERROR", hint: "repair the server in the console, then run `pulumi up` again", context: { serverId } });
    }
    if (server.locked) {
        throw new CredentialsError("HWC_SERVER_STATE", { message: "the server is locked", hint: "unlock the server in the console, then run `pulumi up` again", context: { serverId } });
    }
    const os = resolveOs(desired.osType, server);
    const violations = passwordViolations(desired.password, os, desired.username);
    if (violations.length > 0) {
        throw new CredentialsError("HWC_PASSWORD_RULE", {
            message: violations.map((v) => v.reason).join("; "),
            hint: `choose a password that meets the ${os === "linux" ? "Linux" : "Windows"} rules (the reset API does not check them itself)`,
            context: { serverId, osType: os },
            secrets,
        });
    }
    const resetSupported = await client.getResetFlag(serverId);
    if (!resetSupported) {
        throw new CredentialsError("HWC_RESET_AGENT_MISSING", {
            message: "the server does not support one-click password reset (os-resetpwd-flag is \"False\")",
            hint: "install the CloudResetPwdAgent and CloudResetPwdUpdateAgent plug-ins in the OS (public images have them; private images and reinstalled OSes need them installed), make sure the metadata service 169.254.169.254 is reachable, then run `pulumi up` again",
            context: { serverId },
        });
    }

    const reset = needsReset(olds, desired.password);
    let resetAt = olds?.resetAt ?? "";
    let pendingRestart = olds?.pendingRestart === true;
    let passwordDigest = olds?.passwordDigest ?? "";
    if (reset) {
        await client.resetPassword(serverId, desired.password);
        resetAt = rt.now().toISOString();
        pendingRestart = true;
        passwordDigest = digestPassword(desired.password, rt.randomBytes(16));
    }

    let restartJobId: string | undefined = olds?.restartJobId;
    const outputs = (): BmsPasswordOutputs => ({
        schemaVersion: SCHEMA_VERSION,
        serverId,
        projectId: client.projectId,
        ...(desired.region !== undefined ? { region: desired.region } : {}),
        ...(desired.endpoint !== undefined ? { endpoint: desired.endpoint } : {}),
        requestedOsType: desired.osType,
        osType: os,
        ...(desired.username !== undefined ? { username: desired.username } : {}),
        restart: desired.restart,
        resetAt,
        pendingRestart,
        resetSupported,
        serverStatus: server.status,
        ...(restartJobId !== undefined ? { restartJobId } : {}),
        passwordDigest,
        passwordNote: PASSWORD_NOTE,
    });

    try {
        const decision = restartDecision(desired.restart, pendingRestart, server.status);
        if (decision === "stopped") {
            rt.log(`BmsPassword ${serverId}: the server is SHUTOFF; the new password applies when it is next started.`);
        } else if (decision === "reboot") {
            const jobId = await client.rebootHard(serverId);
            restartJobId = jobId;
            await waitForJob(client, rt, jobId, serverId);
            pendingRestart = false;
            server = (await client.getServer(serverId)) ?? server;
        }
    } catch (e) {
        const cause =
            e instanceof CredentialsError
                ? e
                : new CredentialsError("HWC_SERVER_ERROR", { message: "the restart failed unexpectedly", hint: "run `pulumi up` again", cause: e, secrets });
        throw new PartialFailureError(serverId, { ...outputs(), ...(provider !== undefined ? { __provider: provider } : {}) }, cause);
    }
    return outputs();
}

/** Polls the job until SUCCESS (returns) or FAIL (throws), at most `jobMaxPolls` times. */
async function waitForJob(client: HuaweiClient, rt: BmsPasswordRuntime, jobId: string, serverId: string): Promise<void> {
    for (let poll = 1; poll <= rt.jobMaxPolls; poll++) {
        await rt.sleep(rt.jobPollIntervalMs);
        const job = await client.getJob(jobId);
        if (job.status === "SUCCESS") {
            return;
        }
        if (job.status === "FAIL") {
            throw new CredentialsError("HWC_JOB_FAILED", {
                message: `the HARD reboot job failed${job.errorCode ? ` with ${job.errorCode}` : ""}${job.failReason ? `: ${job.failReason}` : ""}`,
                hint: "the password was reset but is not applied yet: restart the server from the console, or run `pulumi up` again to retry the reboot",
                context: { serverId, jobId },
            });
        }
    }
    throw new CredentialsError("HWC_TIMEOUT", {
        message: `the HARD reboot job did not finish after ${rt.jobMaxPolls} polls`,
        hint: "the password was reset; check the server in the console — `pulumi up` again retries the reboot if it is still pending",
        transient: true,
        context: { serverId, jobId },
    });
}
