/**
 * `BmcUser` over Redfish (`bmc.protocol: "redfish"`): create, read, update and delete of a ManagerAccount. The provider
 * module dispatches here; the IPMI path never sees a Redfish resource.
 *
 * One operation on one BMC, in order, holding the BMC's lock throughout (so parallel resources never multiply failed
 * logins): discover the service root (no credentials sent) → one admin session (each candidate password at most once;
 * a 401 is final for it) → AccountService → the account (found by URI, by UserName, or made: PATCH of an empty slot, or
 * POST) → writes with If-Match → read back → logout → one session login as the user to prove the password (POST, then
 * DELETE). Rotating the login account's own password is the last call of its session and is proven by a fresh one.
 */

import { randomBytes } from "node:crypto";
import { CredentialsError, PartialFailureError, isCredentialsError } from "../shared/errors";
import { withBmcSession } from "../shared/limiter";
import { registerSecrets } from "../shared/redact";
import { AccountServiceInfo, RedfishAccount, findByUserName, freeSlot, listAccounts, listRoles, looksSlotted, readAccount, readAccountService } from "../redfish/accounts";
import { RedfishSession, ServiceRoot, Where, discover, login, pathOf } from "../redfish/client";
import { responseError } from "../redfish/errors";
import { HttpTransport, HttpsTarget, httpsTransport } from "../redfish/http";
import type { PasswordState } from "./plan";
import {
    AccountTarget,
    RedfishProbe,
    RedfishUserOutputs,
    accountMismatches,
    canProbe,
    diffRedfishUser,
    observedRedfishOutputs,
    patchBody,
    redfishOutputs,
    redfishPasswordNeedsWrite,
    redfishResourceId,
    roleFor,
    scramblePassword,
} from "./redfishPlan";
import { RedfishConnection, RedfishUserInputs, validateRedfishInputs } from "./redfishSchema";
import { PriorIdentity, collectSecrets } from "./schema";

type Props = Record<string, any>;

// ---- the provider methods (called by provider.ts for Redfish resources) ------------------------------------------------

export function check(olds: Props, news: Props): { inputs: Props; failures: { property: string; reason: string }[] } {
    const secrets = collectSecrets(news ?? {});
    registerSecrets(...secrets);
    const { inputs, failures, unknown } = validateRedfishInputs(news ?? {}, secrets, (olds ?? undefined) as PriorIdentity | undefined);
    if (failures.length > 0 || !inputs || unknown.size > 0) {
        return { inputs: news, failures };
    }
    return { inputs: { ...inputs, ...(news.__provider !== undefined ? { __provider: news.__provider } : {}) }, failures: [] };
}

export function diff(olds: Props, news: Props): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
    const { replaces, updates } = diffRedfishUser(olds ?? {}, news ?? {});
    return { changes: replaces.length > 0 || updates.length > 0, replaces, deleteBeforeReplace: true };
}

export async function create(props: Props): Promise<{ id: string; outs: RedfishUserOutputs }> {
    const inputs = parseInputs(props);
    const outs = await converge(props, inputs, undefined);
    return { id: redfishResourceId(inputs.bmc.host, inputs.bmc.port, outs.accountId), outs };
}

export async function update(id: string, olds: Props, news: Props): Promise<{ outs: RedfishUserOutputs }> {
    const inputs = parseInputs(news);
    const prior = priorOutputs(id, olds);
    registerSecrets(prior.password, ...collectSecrets(olds));
    if (prior.username === prior.bmc.username && inputs.username !== prior.username && !inputs.allowSelfLockout) {
        throw new CredentialsError("SELF_LOCKOUT_REFUSED", {
            message: `refusing to rename ${prior.username} to ${inputs.username}: it is the account the provider logs in with (bmc.username)`,
            hint: "create the new name as a second administrator account, move bmc.username to it, then remove the old one",
            context: { host: prior.host, port: prior.port, account: prior.accountId },
        });
    }
    return { outs: await converge(news, inputs, prior, id) };
}

/** Refresh: reads the account and probes the password once. No id when the account is gone. */
export async function read(id: string, props: Props): Promise<{ id?: string; props: Props }> {
    const prior = priorOutputs(id, props);
    registerSecrets(prior.password, ...collectSecrets(props));
    return withBmc(prior.bmc, async (conn) => {
        let live: RedfishAccount | undefined;
        let threshold: number | undefined;
        const admin = await conn.openAdmin(priorLoginCandidates(prior));
        try {
            const svc = await readAccountService(admin.session, conn.root, conn.where);
            rememberThreshold(conn.where, svc);
            threshold = svc.lockoutThreshold;
            live = await readAccount(admin.session, prior.accountUri, conn.where);
        } finally {
            await admin.session.logout();
        }
        if (!live || live.userName === "") {
            return { id: undefined, props: {} };
        }
        let probe: RedfishProbe = "skipped";
        // A password already seen to drift is not probed again (each probe with it is a failed login), nor on a service
        // where one failed login locks the account.
        if (canProbe(live, prior.verifyPassword) && prior.passwordState !== "mismatch" && threshold !== 1) {
            probe = (await conn.probe(live.userName, prior.password)).outcome;
        }
        return { id, props: observedRedfishOutputs(prior, live, probe, admin.label, conn.root.vendor) };
    });
}

/** Deletes the account: DELETE of a collection member, or a slot cleared (disabled, no role, scrambled, no name). */
export async function remove(id: string, props: Props): Promise<void> {
    const prior = priorOutputs(id, props);
    registerSecrets(prior.password, ...collectSecrets(props));
    if (prior.username === prior.bmc.username && !prior.allowSelfLockout) {
        throw new CredentialsError("SELF_LOCKOUT_REFUSED", {
            message: `refusing to delete ${prior.username}: it is the account the provider logs in with (bmc.username)`,
            hint: "remove it from a second administrator account, or set allowSelfLockout: true and run `pulumi up` before destroying",
            context: { host: prior.host, port: prior.port, account: prior.accountId },
        });
    }
    await withBmc(prior.bmc, async (conn) => {
        const admin = await conn.openAdmin(priorLoginCandidates(prior));
        try {
            const s = admin.session;
            const live = await readAccount(s, prior.accountUri, conn.where);
            if (!live || live.userName !== prior.username) {
                return;
            }
            const svc = await readAccountService(s, conn.root, conn.where);
            if (!prior.allowSelfLockout && isActiveAdministrator(live)) {
                await guardLastAdministrator(s, conn, svc, live, "delete");
            }
            if (prior.model === "collection") {
                const res = await s.request("DELETE", live.uri, { ifMatch: live.etag, accept: [405], doing: `deleting ${live.userName}` });
                if (res.status !== 405) return;
            }
            await clearSlot(s, conn, svc, live);
        } finally {
            await admin.session.logout();
        }
    });
}

// ---- converge: create and update are one procedure ---------------------------------------------------------------------

/**
 * Brings the account to `inputs`: finds it (the recorded URI, else by UserName), or makes it (PATCH of a free slot, or
 * POST), writes what differs, reads it back, then proves the password. `prior` is set for updates.
 */
async function converge(props: Props, inputs: RedfishUserInputs, prior: RedfishUserOutputs | undefined, existingId?: string): Promise<RedfishUserOutputs> {
    const bmc = inputs.bmc;
    const self = inputs.username === bmc.username;
    let chosen: { account: RedfishAccount; model: "slot" | "collection" } | undefined;
    let loginLabel = prior?.bmcLogin ?? "password";
    let vendor: string | undefined;
    const partial = (e: unknown, passwordState: PasswordState = "unknown") => partialFailure(e, props, inputs, chosen, loginLabel, vendor, existingId, passwordState);
    try {
        return await withBmc(bmc, async (conn) => {
            vendor = conn.root.vendor;
            const candidates = [...selfRotationCandidates(inputs), ...(prior ? priorLoginCandidates(prior, inputs) : [])];
            let admin = await conn.openAdmin(candidates, { mayChangeOwnPassword: self ? inputs.password : undefined });
            loginLabel = admin.label;
            let readBack: RedfishAccount | undefined;
            let rotation: "none" | "proven" = "none";
            let setPassword = prior ? redfishPasswordNeedsWrite(prior, inputs) : true;
            try {
                if (admin.session.passwordChange) {
                    // Only reachable for the login account with a new password (openAdmin refuses the rest): change it
                    // first, as the service demands, then carry on in a fresh session that proves it.
                    admin = await rotateOwnPasswordFirst(conn, admin, inputs);
                    loginLabel = admin.label;
                    setPassword = false;
                    rotation = "proven";
                }
                const s = admin.session;
                const svc = await readAccountService(s, conn.root, conn.where);
                rememberThreshold(conn.where, svc);
                // The login account's password equal to the one it logged in with needs no write (the login proved it).
                if (self && admin.password === inputs.password) setPassword = false;
                if (setPassword) enforcePasswordPolicy(inputs.password, svc, conn.where);
                const roles = inputs.privilege === "no-access" ? await listRoles(s, svc) : undefined;
                const target: AccountTarget = {
                    username: inputs.username,
                    roleId: roleFor(inputs.privilege, roles, conn.where),
                    enabled: inputs.enabled,
                    ...(inputs.ipmiMessaging !== undefined ? { ipmiMessaging: inputs.ipmiMessaging } : {}),
                };
                const found = await locate(s, conn, svc, inputs, prior);
                if (found.kind === "existing" && !inputs.allowSelfLockout && isActiveAdministrator(found.account) && !(target.roleId === "Administrator" && target.enabled)) {
                    await guardLastAdministrator(s, conn, svc, found.account, "demote or disable");
                }
                // The login account's own new password is written last, in a request of its own (see rotateOwnPassword).
                const ownRotation = self && setPassword;
                // Only once a write is on its way is the account "chosen": a failure before that left nothing behind,
                // so it is no partial failure and a refused create records nothing.
                const onWrite = (account: RedfishAccount, model: "slot" | "collection") => (chosen = { account, model });
                const written = await write(s, conn, found, { ...target, ...(setPassword && !ownRotation ? { password: inputs.password } : {}) }, onWrite);
                readBack = await readBackAndCheck(s, conn, written, target, inputs);
                chosen = { account: readBack, model: written.model };
                if (ownRotation) {
                    await rotateOwnPassword(conn, admin, readBack, inputs);
                    rotation = "proven";
                    // The logout that follows is best effort: iDRAC has ended this session already (401), bmcweb keeps
                    // it alive, and a session left open would hold one of the BMC's few session slots until it idles out.
                }
            } finally {
                await admin.session.logout();
            }
            const account = readBack!;
            const proven = rotation === "proven" || (self && !setPassword);
            const passwordState = proven ? "verified" : await proveByLogin(conn, account, inputs, partial);
            return redfishOutputs(inputs, account, chosen!.model, { passwordState, bmcLogin: loginLabel, vendor });
        });
    } catch (e) {
        if (e instanceof PartialFailureError) throw e;
        throw partial(e);
    }
}

/**
 * Reads the account back after the write (unless the write's own GET was that) and fails on any field that did not
 * take, or on a first-login password change the BMC imposed (the password set here would not be the one it keeps).
 */
async function readBackAndCheck(
    s: RedfishSession,
    conn: Connection,
    written: { account: RedfishAccount; readBack?: RedfishAccount },
    target: AccountTarget,
    inputs: RedfishUserInputs,
): Promise<RedfishAccount> {
    const readBack = written.readBack ?? (await readAccount(s, written.account.uri, conn.where));
    if (!readBack) {
        throw new CredentialsError("BMC_READBACK_MISMATCH", {
            message: `the BMC accepted the write but ${written.account.uri} is gone when read back`,
            hint: "another client may have removed the account; run the operation again",
            context: { ...conn.where, account: written.account.id },
        });
    }
    const wrong = accountMismatches(readBack, target);
    if (wrong.length > 0) {
        throw new CredentialsError("BMC_READBACK_MISMATCH", {
            message: `the BMC accepted the write but reads back different ${wrong.join(", ")}`,
            hint: "the firmware may restrict these settings (fixed names, roles, account types); check the account in the BMC's web UI",
            context: { ...conn.where, account: readBack.id },
        });
    }
    if (readBack.passwordChangeRequired === true && inputs.username !== inputs.bmc.username) {
        throw new CredentialsError("REDFISH_PASSWORD_CHANGE_REQUIRED", {
            message: `the BMC marks ${inputs.username} as having to change its password at first login (PasswordChangeRequired), so the password set here is not the one it will keep`,
            hint: "turn off the BMC's first-login password change policy (XCC: PasswordChangeOnFirstAccess), or log in as the account once and change it; the provider does not loop on this",
            context: { ...conn.where, account: readBack.id },
        });
    }
    return readBack;
}

/**
 * Proves the password with exactly one session login as the user (and its logout), when a login can prove it at all.
 * A refusal is a partial failure with the password state `mismatch`; a login that could not be made, `unknown`.
 */
async function proveByLogin(conn: Connection, account: RedfishAccount, inputs: RedfishUserInputs, partial: (e: unknown, state?: PasswordState) => Error): Promise<PasswordState> {
    if (!canProbe(account, inputs.verifyPassword)) {
        return "not-checked";
    }
    const probe = await conn.probe(inputs.username, inputs.password).catch((e) => {
        throw partial(e);
    });
    if (probe.outcome !== "ok") {
        throw partial(
            new CredentialsError("BMC_PASSWORD_NOT_VERIFIED", {
                message: `the BMC accepted the new password for ${inputs.username} but refuses it at login`,
                hint: 'the firmware may apply its own password rules or truncate long passwords; check MaxPasswordLength, or set verifyPassword: "off"',
                context: { ...conn.where, account: account.id },
            }),
            "mismatch",
        );
    }
    return "verified";
}

type Located =
    | { kind: "existing"; account: RedfishAccount; model: "slot" | "collection"; fresh?: boolean }
    | { kind: "slot"; account: RedfishAccount }
    | { kind: "post"; accountsUri: string; sample?: RedfishAccount; slotFallback: () => Promise<RedfishAccount> };

/** Where the account is or will be. */
async function locate(s: RedfishSession, conn: Connection, svc: AccountServiceInfo, inputs: RedfishUserInputs, prior: RedfishUserOutputs | undefined): Promise<Located> {
    if (prior) {
        const live = await readAccount(s, prior.accountUri, conn.where);
        if (live && (live.userName === prior.username || live.userName === inputs.username)) {
            return { kind: "existing", account: live, model: prior.model, fresh: true };
        }
        if (live && live.userName !== "") {
            throw slotTaken(conn.where, live, inputs.username);
        }
        // Gone or emptied since the last run: made again below, like a create.
    }
    const listing = await listAccounts(s, svc, conn.root, conn.where);
    const model = listing.model === "unknown" ? (looksSlotted(listing.accounts) ? "slot" : "collection") : listing.model;
    const ctx = { ...conn.where };
    if (inputs.userId !== undefined) {
        if (model === "collection") {
            throw new CredentialsError("REDFISH_NOT_SUPPORTED", {
                message: `userId ${inputs.userId}: this BMC creates accounts by POST and chooses their Ids itself (collection model), so a slot cannot be picked`,
                hint: "remove userId",
                context: ctx,
            });
        }
        const member = listing.accounts.find((a) => a.id === String(inputs.userId));
        if (!member) {
            throw new CredentialsError("BMC_SLOT_OUT_OF_RANGE", {
                message: `userId ${inputs.userId}: the BMC has no account slot with that Id (Ids: ${listing.accounts.map((a) => a.id).join(", ")})`,
                hint: "choose one of the Ids listed, or omit userId to use the first free slot",
                context: ctx,
            });
        }
        if (member.userName === inputs.username) return { kind: "existing", account: member, model };
        if (member.userName !== "" || member.enabled === true) throw slotTaken(conn.where, member, inputs.username);
        return { kind: "slot", account: member };
    }
    const existing = findByUserName(listing.accounts, inputs.username);
    if (existing) return { kind: "existing", account: existing, model };
    if (model === "slot") return { kind: "slot", account: freeSlotOrFail(listing.accounts, ctx) };
    return { kind: "post", accountsUri: svc.accountsUri, sample: listing.accounts[0], slotFallback: async () => freeSlotOrFail(listing.accounts, ctx) };
}

function freeSlotOrFail(accounts: readonly RedfishAccount[], where: Where): RedfishAccount {
    const free = freeSlot(accounts);
    if (!free) {
        throw new CredentialsError("BMC_NO_FREE_SLOT", {
            message: `no free account slot: every slot but Id 1 holds an account or is enabled (${accounts.length} slots)`,
            hint: "remove an unused account from the BMC (a disabled account that still has a name is never reused)",
            context: where,
        });
    }
    return free;
}

function slotTaken(where: Where, live: RedfishAccount, wanted: string): CredentialsError {
    return new CredentialsError("BMC_SLOT_TAKEN", {
        message: `account ${live.id} holds another account, not ${wanted}`,
        hint: "the provider does not overwrite accounts it did not create: pick another userId, omit it, or clear that slot first",
        context: { ...where, account: live.id },
    });
}

/** Writes `target`: one PATCH of a slot or an existing account (If-Match from a fresh GET), or one POST. */
/** Called right before a write request is sent (and after a POST created the account). */
type OnWrite = (account: RedfishAccount, model: "slot" | "collection") => void;

async function write(
    s: RedfishSession,
    conn: Connection,
    found: Located,
    target: AccountTarget,
    onWrite: OnWrite,
): Promise<{ account: RedfishAccount; model: "slot" | "collection"; readBack?: RedfishAccount }> {
    if (found.kind === "post") {
        // What the service's accounts cannot express is refused before the POST, judged by an account it already has.
        if (found.sample) patchBody(found.sample, target, conn.where);
        const body: Record<string, unknown> = { UserName: target.username, Password: target.password, RoleId: target.roleId };
        // Enabled only when it says something the default does not (iLO has no Enabled); AccountTypes follow in a PATCH
        // that edits the service's own default set.
        if (!target.enabled) body.Enabled = false;
        const res = await s.request("POST", found.accountsUri, { body, accept: [405], doing: `creating ${target.username}` });
        if (res.status === 405) {
            // No POST after all: a slot-model service whose collection sent no Allow header.
            return patchInto(s, conn, await found.slotFallback(), target, "slot", onWrite);
        }
        const location = res.headers.location ?? (res.body as { "@odata.id"?: string } | undefined)?.["@odata.id"];
        if (!location) {
            throw responseError({ ...res, status: 502 }, { ...conn.where, doing: `creating ${target.username}: the BMC said 201 but gave no Location`, method: "POST", path: found.accountsUri });
        }
        const uri = pathOf(location);
        const made = await readAccount(s, uri, conn.where);
        if (!made) throw new CredentialsError("BMC_READBACK_MISMATCH", { message: `the BMC created ${uri} but it is not there`, hint: "run the operation again", context: conn.where });
        onWrite(made, "collection");
        // Enabled/AccountTypes the POST could not carry (the service's defaults) are put right by a PATCH.
        const rest = patchBody(made, { ...target, password: undefined }, conn.where);
        if (Object.keys(rest).length > 0) return patchInto(s, conn, made, { ...target, password: undefined }, "collection", onWrite, true);
        // The GET after the POST is the read-back.
        return { account: made, model: "collection", readBack: made };
    }
    const model = found.kind === "existing" ? found.model : "slot";
    return patchInto(s, conn, found.account, target, model, onWrite, found.kind === "existing" && found.fresh === true);
}

/**
 * PATCH what differs, with If-Match from a GET of the member (done here unless `isFresh`: the account was just read on
 * its own, ETag header included). Nothing is sent when nothing differs.
 */
async function patchInto(
    s: RedfishSession,
    conn: Connection,
    account: RedfishAccount,
    target: AccountTarget,
    model: "slot" | "collection",
    onWrite: OnWrite,
    isFresh = false,
): Promise<{ account: RedfishAccount; model: "slot" | "collection" }> {
    const fresh = isFresh ? account : ((await readAccount(s, account.uri, conn.where)) ?? account);
    const body = patchBody(fresh, target, conn.where);
    if (Object.keys(body).length === 0) {
        return { account: fresh, model };
    }
    onWrite(fresh, model);
    await s.request("PATCH", fresh.uri, { body, ifMatch: fresh.etag, doing: `writing ${target.username}` });
    // A rename on a service whose Ids are user names moves the account: find it under its new name.
    if (body.UserName !== undefined && fresh.userName !== "" && fresh.id === fresh.userName) {
        const moved = fresh.uri.slice(0, fresh.uri.length - encodeURIComponent(fresh.id).length) + encodeURIComponent(target.username);
        return { account: { ...fresh, uri: moved, id: target.username }, model };
    }
    return { account: fresh, model };
}

/** Clears a slot: first disabled with no role and a scrambled password, then the name (iDRAC refuses the other order). */
async function clearSlot(s: RedfishSession, conn: Connection, svc: AccountServiceInfo, live: RedfishAccount): Promise<void> {
    const roles = await listRoles(s, svc);
    const noRole = ["None", "NoAccess"].find((r) => roles.includes(r)) ?? "ReadOnly";
    const scramble = scramblePassword(randomBytes, svc.minPasswordLength, svc.maxPasswordLength);
    registerSecrets(scramble);
    const first: Record<string, unknown> = { RoleId: noRole, Password: scramble, ...(live.enabled !== undefined ? { Enabled: false } : {}) };
    await s.request("PATCH", live.uri, { body: first, ifMatch: live.etag, doing: `disabling ${live.userName}` });
    const fresh = (await readAccount(s, live.uri, conn.where)) ?? live;
    await s.request("PATCH", live.uri, { body: { UserName: "" }, ifMatch: fresh.etag, doing: `clearing the name of ${live.userName}` });
}

// ---- own password, lockout guards, policy --------------------------------------------------------------------------

/**
 * The login account's own new password, as the last request of its session: PATCH Password (If-Match), then a fresh
 * session with the new password proves it (and is closed again). If that login fails, the old password is written back
 * in the old session if the BMC kept it (bmcweb does, iDRAC does not), and the operation fails either way.
 */
async function rotateOwnPassword(conn: Connection, admin: AdminSession, account: RedfishAccount, inputs: RedfishUserInputs): Promise<void> {
    const s = admin.session;
    const fresh = (await readAccount(s, account.uri, conn.where)) ?? account;
    await s.request("PATCH", fresh.uri, { body: { Password: inputs.password }, ifMatch: fresh.etag, doing: `changing the password of ${inputs.username} (the login account)` });
    const proof = await proveOwnRotation(conn, admin, fresh.uri, inputs);
    await proof.logout();
}

/**
 * The standard PasswordChangeRequired at login, for the login account given a new password: change it as the service
 * demands, then go on in the fresh session that proved it.
 */
async function rotateOwnPasswordFirst(conn: Connection, admin: AdminSession, inputs: RedfishUserInputs): Promise<AdminSession> {
    const s = admin.session;
    // The account's URI comes from the message (MessageArgs[0]), never guessed (infra-controller#4724).
    const uri = s.passwordChange?.uri ? pathOf(s.passwordChange.uri) : undefined;
    const account = uri ? await readAccount(s, uri, conn.where) : undefined;
    if (!account || account.userName !== inputs.bmc.username) {
        throw passwordChangeRequired(conn.where, inputs.bmc.username);
    }
    await s.request("PATCH", account.uri, { body: { Password: inputs.password }, ifMatch: account.etag, doing: `changing the required password of ${inputs.username}` });
    const next = await proveOwnRotation(conn, admin, account.uri, inputs);
    await s.logout();
    return { session: next, label: "password (the managed account's new password)", password: inputs.password };
}

/** One fresh session with the new password; on refusal, the old password is restored if the old session still can. */
async function proveOwnRotation(conn: Connection, admin: AdminSession, uri: string, inputs: RedfishUserInputs): Promise<RedfishSession> {
    let why: string;
    try {
        const r = await conn.login(inputs.username, inputs.password);
        if (r.ok) {
            rememberLogin(conn.where, inputs.username, inputs.password);
            return r.session;
        }
        why = "a fresh session with the new password was refused";
    } catch (e) {
        why = `the fresh session failed (${isCredentialsError(e) ? e.code : "unexpected error"})`;
    }
    const restored = await restorePassword(conn, admin, uri);
    throw new CredentialsError(restored ? "BMC_ROTATION_ROLLED_BACK" : "BMC_ROTATION_FAILED", {
        message: restored
            ? `rotating the login account ${inputs.username}: ${why}; the previous password was restored`
            : `rotating the login account ${inputs.username}: ${why}, and the old session could not restore the previous password (the BMC ended it)`,
        hint: restored
            ? "the firmware may apply its own password rules: check AccountService MinPasswordLength/MaxPasswordLength"
            : "the BMC may now hold either password: keep both in bmc.password / bmc.fallbackPasswords for the next run",
        context: { ...conn.where, account: inputs.username },
    });
}

async function restorePassword(conn: Connection, admin: AdminSession, uri: string): Promise<boolean> {
    try {
        const fresh = await readAccount(admin.session, uri, conn.where);
        if (!fresh) return false;
        await admin.session.request("PATCH", uri, { body: { Password: admin.password }, ifMatch: fresh.etag, doing: "restoring the previous password" });
        return true;
    } catch {
        return false;
    }
}

function passwordChangeRequired(where: Where, user: string): CredentialsError {
    return new CredentialsError("REDFISH_PASSWORD_CHANGE_REQUIRED", {
        message: `the BMC requires the password of ${user} (the login account) to be changed before anything else`,
        hint: "declare a BmcUser for bmc.username with a new password (the provider changes it once and logs in with it), or change it in the BMC's web UI and update bmc.password; the provider never loops on this",
        context: { ...where, account: user },
    });
}

function isActiveAdministrator(a: RedfishAccount): boolean {
    return a.roleId === "Administrator" && a.enabled !== false && a.locked !== true && a.userName !== "";
}

/** Refuses to take away the last enabled administrator: nobody could manage the BMC over Redfish afterwards. */
async function guardLastAdministrator(s: RedfishSession, conn: Connection, svc: AccountServiceInfo, live: RedfishAccount, verb: string): Promise<void> {
    const { accounts } = await listAccounts(s, svc, conn.root, conn.where);
    if (accounts.some((a) => a.uri !== live.uri && isActiveAdministrator(a))) return;
    throw new CredentialsError("SELF_LOCKOUT_REFUSED", {
        message: `refusing to ${verb} ${live.userName}: it is the BMC's last enabled Administrator, and nobody could manage this BMC over Redfish afterwards`,
        hint: "enable a second administrator account first (another BmcUser that this one dependsOn), or set allowSelfLockout: true if that is intended",
        context: { ...conn.where, account: live.id },
    });
}

/** The service's password length rules, before any write (so a refused create leaves nothing behind). */
function enforcePasswordPolicy(password: string, svc: AccountServiceInfo, where: Where): void {
    const { minPasswordLength: min, maxPasswordLength: max } = svc;
    if ((min !== undefined && password.length < min) || (max !== undefined && max > 0 && password.length > max)) {
        throw new CredentialsError("BMC_VENDOR_RULE", {
            message: `the password's length is outside what this BMC accepts (AccountService: MinPasswordLength ${min ?? "not given"}, MaxPasswordLength ${max ?? "not given"})`,
            hint: "choose a password within those lengths",
            context: where,
        });
    }
}

// ---- connection, logins, probes ------------------------------------------------------------------------------------

interface Candidate {
    label: string;
    password: string;
}

interface AdminSession {
    session: RedfishSession;
    label: string;
    password: string;
}

interface Connection {
    where: Where;
    root: ServiceRoot;
    openAdmin(extra: readonly Candidate[], options?: { mayChangeOwnPassword?: string }): Promise<AdminSession>;
    /** One session login (the caller logs out). */
    login(user: string, password: string): ReturnType<typeof login>;
    /** One session login as `user`, then its logout: the password probe. */
    probe(user: string, password: string): Promise<{ outcome: "ok" | "bad-password"; changeRequired: boolean }>;
}

/** How Redfish requests reach a BMC; tests may replace it. */
export type TransportFactory = (target: HttpsTarget) => HttpTransport;
let transportFactory: TransportFactory = httpsTransport;

/** Replaces the transport (tests); returns the previous one. */
export function setRedfishTransport(factory: TransportFactory): TransportFactory {
    const previous = transportFactory;
    transportFactory = factory;
    return previous;
}

/** Runs `fn` holding the BMC's lock, over one keep-alive HTTPS connection whose certificate was checked first. */
async function withBmc<T>(bmc: RedfishConnection, fn: (conn: Connection) => Promise<T>): Promise<T> {
    const target: HttpsTarget = { host: bmc.host, port: bmc.port, tls: bmc.tls, timeoutSeconds: bmc.timeoutSeconds };
    const where = { host: bmc.host, port: bmc.port };
    return withBmcSession(`redfish:${bmc.host.toLowerCase()}:${bmc.port}`, async () => {
        const transport = transportFactory(target);
        try {
            const root = await discover(transport, where);
            const conn: Connection = {
                where,
                root,
                openAdmin: (extra, options) => openAdmin(transport, where, root, bmc, extra, options),
                login: (user, password) => login(transport, where, root, user, password),
                probe: async (user, password) => {
                    const r = await login(transport, where, root, user, password);
                    if (!r.ok) return { outcome: "bad-password", changeRequired: false };
                    await r.session.logout();
                    return { outcome: "ok", changeRequired: r.session.passwordChange !== undefined };
                },
            };
            return await fn(conn);
        } finally {
            transport.close();
        }
    });
}

/**
 * The admin session: each candidate password once, in order (the one that worked last in this process first); a 401
 * moves to the next candidate and is never retried. A session that must change its password first is refused unless
 * the operation is about to give the login account a new password (`mayChangeOwnPassword`).
 */
async function openAdmin(
    transport: HttpTransport,
    where: Where,
    root: ServiceRoot,
    bmc: RedfishConnection,
    extra: readonly Candidate[],
    options: { mayChangeOwnPassword?: string } = {},
): Promise<AdminSession> {
    // Each refused candidate is a failed login on this account: stay below the lockout threshold when an earlier
    // operation read it (one attempt is always made).
    const threshold = knownThresholds().get(loginKey(bmc, ""));
    const all = loginCandidates(bmc, extra);
    const candidates = threshold !== undefined && threshold > 0 ? all.slice(0, Math.max(1, threshold - 1)) : all;
    const tried: string[] = [];
    for (const c of candidates) {
        const r = await login(transport, where, root, bmc.username, c.password);
        if (!r.ok) {
            tried.push(c.label);
            // A remembered password the BMC no longer takes is not tried first again.
            if (knownLogins().get(loginKey(bmc, bmc.username))?.password === c.password) knownLogins().delete(loginKey(bmc, bmc.username));
            continue;
        }
        rememberLogin({ host: bmc.host, port: bmc.port }, bmc.username, c.password);
        if (r.session.passwordChange && (options.mayChangeOwnPassword === undefined || options.mayChangeOwnPassword === c.password)) {
            await r.session.logout();
            throw passwordChangeRequired(where, bmc.username);
        }
        return { session: r.session, label: c.label, password: c.password };
    }
    const skipped = all.length - candidates.length;
    throw new CredentialsError("BMC_LOGIN_REJECTED", {
        message:
            `the BMC's Redfish service refused ${bmc.username} with every password tried (${tried.join(", ")}), each once` +
            (skipped > 0 ? `; ${skipped} more not tried, to stay below the BMC's AccountLockoutThreshold of ${threshold}` : ""),
        hint: "check bmc.username and bmc.password (and fallbackPasswords); the account may also be locked or disabled. Each refused password counted as one failed login",
        context: where,
    });
}

/**
 * Candidates in order, each password once: the one that worked last in this process (under the name of the candidate it
 * came from, when it is one of them), `password`, extras, fallbacks.
 */
function loginCandidates(bmc: RedfishConnection, extra: readonly Candidate[]): Candidate[] {
    const declared: Candidate[] = [{ label: "password", password: bmc.password }, ...extra, ...bmc.fallbackPasswords.map((password, i) => ({ label: `fallbackPasswords[${i}]`, password }))];
    const remembered = knownLogins().get(loginKey(bmc, bmc.username));
    const first = remembered === undefined ? [] : [declared.find((c) => c.password === remembered.password) ?? { label: remembered.label ?? "password", password: remembered.password }];
    const seen = new Set<string>();
    return [...first, ...declared].filter((c) => (seen.has(c.password) ? false : (seen.add(c.password), true)));
}

/** When the managed account is the login account, a crash after setting its password leaves the new one in force. */
function selfRotationCandidates(inputs: RedfishUserInputs): Candidate[] {
    return inputs.username === inputs.bmc.username && inputs.password !== inputs.bmc.password ? [{ label: "password (the managed account's new password)", password: inputs.password }] : [];
}

/** The login that worked last time, in case the program's `bmc.password` has moved on. */
function priorLoginCandidates(prior: RedfishUserOutputs, inputs?: RedfishUserInputs): Candidate[] {
    const out: Candidate[] = [];
    if (prior.bmc?.password && prior.bmc.password !== inputs?.bmc.password) out.push({ label: "the previous bmc.password", password: prior.bmc.password });
    if (prior.username === prior.bmc?.username && prior.password) out.push({ label: "the managed account's recorded password", password: prior.password });
    return out;
}

const THRESHOLDS_KEY = Symbol.for("pulumi-bmc-credentials.redfish-lockout");

/** AccountLockoutThreshold per BMC, as an earlier operation of this process read it. */
function knownThresholds(): Map<string, number> {
    const g = globalThis as unknown as Record<symbol, Map<string, number> | undefined>;
    return (g[THRESHOLDS_KEY] ??= new Map());
}

/** Remembers the BMC's lockout threshold, so later logins in this process stay within it. */
function rememberThreshold(where: Where, svc: AccountServiceInfo): void {
    if (svc.lockoutThreshold !== undefined) knownThresholds().set(loginKey(where, ""), svc.lockoutThreshold);
}

const LOGINS_KEY = Symbol.for("pulumi-bmc-credentials.redfish-logins");

function knownLogins(): Map<string, { password: string; label?: string }> {
    const g = globalThis as unknown as Record<symbol, Map<string, { password: string; label?: string }> | undefined>;
    return (g[LOGINS_KEY] ??= new Map());
}

function loginKey(where: Where, user: string): string {
    return `${where.host.toLowerCase()}:${where.port}/${user}`;
}

/** Later operations in this process log in with the password that worked (or was just rotated in) first. */
function rememberLogin(where: Where, user: string, password: string): void {
    knownLogins().set(loginKey(where, user), { password, label: "password (the last one that worked)" });
}

// ---- inputs, state, partial failures -------------------------------------------------------------------------------

function parseInputs(props: Props): RedfishUserInputs {
    const secrets = collectSecrets(props ?? {});
    registerSecrets(...secrets);
    const { inputs, failures } = validateRedfishInputs(props ?? {}, secrets);
    if (!inputs || failures.length > 0) {
        throw new CredentialsError("INVALID_INPUT", {
            message: failures.map((f) => `${f.property}: ${f.reason}`).join("; ") || "inputs are incomplete",
            hint: "fix the inputs named above",
        });
    }
    return inputs;
}

function priorOutputs(id: string, props: Props): RedfishUserOutputs {
    const prior = (props ?? {}) as Partial<RedfishUserOutputs>;
    const bmc = prior.bmc as Partial<RedfishConnection> | undefined;
    const missing = [
        !bmc || typeof bmc.host !== "string" || typeof bmc.username !== "string" || typeof bmc.password !== "string" || !bmc.tls ? "bmc (host, username, password, tls)" : "",
        typeof prior.accountUri !== "string" ? "accountUri" : "",
        typeof prior.username !== "string" ? "username" : "",
    ].filter(Boolean);
    if (missing.length > 0) {
        throw new CredentialsError("INVALID_INPUT", {
            message: `the state of ${id} lacks ${missing.join(", ")}`,
            hint: "the resource's state was written by hand or by an import without properties: remove it from state (pulumi state delete) and let create adopt the account",
        });
    }
    return {
        ...(prior as RedfishUserOutputs),
        bmc: { ...({ port: 443, fallbackPasswords: [], timeoutSeconds: 30 } as Partial<RedfishConnection>), ...bmc, protocol: "redfish" } as RedfishConnection,
        model: prior.model === "slot" ? "slot" : "collection",
    };
}

/**
 * A failure after the account was chosen or made is a partial failure: the engine records the id and outputs (with
 * `__provider`) and finishes the account on the next `up`. Before that nothing was written, and the plain error keeps
 * create transactional.
 */
function partialFailure(
    e: unknown,
    props: Props,
    inputs: RedfishUserInputs,
    chosen: { account: RedfishAccount; model: "slot" | "collection" } | undefined,
    loginLabel: string,
    vendor: string | undefined,
    existingId: string | undefined,
    passwordState: PasswordState,
): Error {
    const error = isCredentialsError(e) ? e : new CredentialsError("REDFISH_BAD_RESPONSE", { message: "unexpected failure", cause: e, hint: "report this as a bug" });
    if (!chosen) {
        return error;
    }
    const id = existingId ?? redfishResourceId(inputs.bmc.host, inputs.bmc.port, chosen.account.id);
    const outs = {
        ...redfishOutputs(inputs, chosen.account, chosen.model, { passwordState, bmcLogin: loginLabel, vendor }),
        ...(props.__provider !== undefined ? { __provider: props.__provider } : {}),
    };
    return new PartialFailureError(id, outs, error);
}
