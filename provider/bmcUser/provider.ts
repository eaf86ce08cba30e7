/**
 * The `BmcUser` dynamic provider: `pulumi.dynamic.ResourceProvider` as plain module exports.
 *
 * This module's exports object *is* the provider. The resource passes the module namespace itself, so Pulumi
 * serializes `__provider` as a short `require("pulumi-bmc-credentials/providers/bmc-user")` instead of capturing code
 * by value: the string is tiny, identical across builds and installs, and every operation (including refresh and
 * delete of old state) runs the installed version. Nothing but the provider methods may be exported from here.
 *
 * Every method accepts plain values exactly as the engine passes them (secrets already unwrapped).
 */

import { randomBytes } from "node:crypto";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { CredentialsError, PartialFailureError, isCredentialsError } from "../shared/errors";
import { watchMemory } from "../shared/memory";
import { registerSecrets } from "../shared/redact";
import {
    RawCommand,
    SESSION_PRIVILEGE,
    passwordSizeFor,
    setUserAccess,
    setUserEnabled,
    setUserName,
    setUserPassword,
} from "../ipmi/commands";
import { SlotState, anotherAdministrator, findSlot, isActiveAdministrator, lanChannel, readSlot, readSlotName } from "../ipmi/accounts";
import { Candidate, ProbeOutcome, UserSessionResult, isLoginBudgetSpent, notePasswordWritten, probeLogin, withUserSession } from "../ipmi/login";
import { BmcLogin, resolveLogin } from "../ipmi/target";
import type { IpmiSession } from "../ipmi/session";
import { BmcIdentity, identify, identityKey, withIdentifiedSession } from "../ipmi/identity";
import { VendorProfile, lanChannelProbeOrder } from "../ipmi/vendors";
import { isEmptyName, normaliseSlot, scramblePassword, slotLimit, slotRangeFailure, vendorRuleError, vendorRuleFailures } from "./vendorRules";
import {
    BmcUserOutputs,
    LoginProbe,
    PasswordState,
    canVerifyByLogin,
    diffBmcUser,
    enabledSourceAfterWrite,
    idForSlot,
    isEmptySlot,
    LiveSlot,
    observedOutputs,
    outputsFor,
    passwordNeedsWrite,
    planWrites,
    resourceId,
    slotMismatches,
    VendorOutputs,
} from "./plan";
import { BmcUserInputs, collectSecrets, isInband, selfRenameFailure, sshRoute, transportOf, validateBmcUserInputs } from "./schema";
import { isRedfish } from "./redfishSchema";
import * as redfish from "./redfish";

type Props = Record<string, any>;

/** Validates inputs and fills in defaults. Pure: no BMC is contacted, so preview stays fast and offline. */
export async function check(olds: Props, news: Props): Promise<dynamic.CheckResult> {
    if (isRedfish(news)) return redfish.check(olds, news);
    registerSecrets(...collectSecrets(news ?? {}));
    const { inputs, failures, unknown } = validateBmcUserInputs(news ?? {}, olds ?? undefined);
    if (failures.length > 0 || !inputs || unknown.size > 0) {
        return { inputs: news, failures };
    }
    return { inputs: { ...inputs, ...(news.__provider !== undefined ? { __provider: news.__provider } : {}) }, failures: [] };
}

/** Compares prior (or refreshed) outputs with desired inputs. Pure; ignores `__provider`. */
export async function diff(_id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
    if (isRedfish(olds) || isRedfish(news)) return redfish.diff(olds, news);
    const { replaces, updates } = diffBmcUser(olds as Partial<BmcUserOutputs>, news);
    return {
        changes: replaces.length > 0 || updates.length > 0,
        replaces,
        // The replacement reuses the same account identity on the same BMC far too often (same name, maybe the same
        // slot): creating first would find and adopt the old account, then the delete would remove it.
        deleteBeforeReplace: true,
    };
}

/** Creates (or adopts) the account: one admin session for lookups, writes and read-back, then one login probe. */
export async function create(props: Props): Promise<dynamic.CreateResult> {
    if (isRedfish(props)) return redfish.create(props);
    const inputs = parseInputs(props);
    const selfRotation = selfRotationCandidates(inputs);
    const login = await resolveLogin(toLogin(inputs.bmc));
    let slot: number | undefined;
    let channel: number | undefined;
    let loginLabel = "password";
    let rotationProven = false;
    let vendor: VendorOutputs = {};
    let probe: Promise<ProbeOutcome> | undefined;
    let readBack: LiveSlot | undefined;
    const context = { userId: inputs.userId, channel: inputs.channel };
    try {
        await withIdentifiedSession(login, { declaredVendor: inputs.vendorProfile, extraCandidates: selfRotation, context }, async (session, identity, label, loginPassword) => {
            loginLabel = label;
            vendor = vendorOutputs(identity);
            const { profile } = identity;
            enforceVendorRules(inputs, profile, inputs.userId);
            channel = inputs.channel ?? (await lanChannel(session, login, lanChannelProbeOrder(profile)));
            session.setContext({ channel });
            const resolved = await resolveSlot(session, inputs, channel, profile);
            session.setContext({ userId: resolved.slot });
            if (!resolved.empty) {
                // An empty slot holds no administrator to guard.
                await guardLastAdministrator(session, inputs, channel, resolved.slot, resolved.live ?? (await readLive(session, channel, resolved.slot, profile)), profile);
            }
            // Only now can a write happen: a failure before this point leaves nothing behind, so it is no partial failure.
            slot = resolved.slot;
            readBack = await applyAndReadBack(session, login, inputs, channel, slot, undefined, true, profile, () => (probe ??= earlyWriteProbe(login, inputs, channel!, slot!)));
            rotationProven = await proveSelfRotation(session, login, inputs, channel, slot, loginPassword, true);
        });
    } catch (e) {
        throw partialIfCreated(e, props, inputs, channel, slot, loginLabel, undefined, "unknown", vendor);
    }
    const outs = await verified(props, login, inputs, channel!, slot!, loginLabel, undefined, rotationProven, vendor, probe, readBack);
    return { id: resourceId(inputs.bmc.host, inputs.bmc.port, channel!, slot!), outs };
}

/**
 * Reads the managed slot (Get User Access + Get User Name only) and, when `verifyPassword` is `login`, proves the
 * password with one login. Returns no id when the account is gone, so the engine drops it (and `up --refresh`
 * recreates it): the slot was emptied, or it holds a name other than the recorded one that the recorded password does
 * not open ({@link ownsRenamedAccount}, the rule `update` applies too). Side-effect free.
 */
export async function read(id: string, props: Props): Promise<dynamic.ReadResult> {
    if (isRedfish(props)) return redfish.read(id, props);
    const prior = priorOutputs(id, props);
    registerSecrets(prior.password, ...collectSecrets(props));
    // After an update moved the account to another slot, the id still names the old one: refresh corrects it.
    const current = idForSlot(id, prior.channel, prior.userId);
    const login = await resolveLogin(toLogin(prior.bmc));
    let loginLabel = prior.bmcLogin ?? "password";
    const context = { userId: prior.userId, channel: prior.channel };
    let vendor: VendorOutputs = {};
    let early: Promise<LoginProbe> | undefined;
    const own = await readAsTheAccount(login, prior);
    if (own?.outcome === "ok" && "value" in own && own.value.live.name === prior.username && own.value.live.access.privilege === prior.privilege) {
        // One session did it all: the recorded password opened the account, and the slot still holds it as recorded.
        return { id: current, props: observedOutputs(prior, own.value.live, "ok", loginLabel, vendorOutputs(own.value.identity)) };
    }
    if (own) {
        // The login's answer stands (one login per refresh); what the slot holds now is read by the administrator.
        early = Promise.resolve(own.outcome);
    }
    const onLocked = () => (early ??= earlyReadProbe(login, prior));
    const live = await withIdentifiedSession(login, { declaredVendor: prior.vendorProfile, extraCandidates: priorLoginCandidates(prior), context, onLocked }, async (session, identity, label) => {
        loginLabel = label;
        vendor = vendorOutputs(identity);
        session.setContext({ channel: prior.channel, userId: prior.userId });
        return readLive(session, prior.channel, prior.userId, identity.profile);
    });
    const gone = { id: undefined, props: {} };
    if (isEmptySlot(live.name)) {
        return gone;
    }
    let probe: LoginProbe = "skipped";
    const privilege = live.access.privilege;
    if (live.name !== prior.username) {
        if (!(await ownsRenamedAccount(login, live, prior, { context }))) {
            return gone;
        }
        probe = prior.verifyPassword === "login" ? "ok" : "skipped";
    } else if (prior.verifyPassword === "login" && privilege !== "no-access" && privilege !== "oem" && privilege !== "reserved") {
        // The early login asked for the recorded privilege: its answer stands when that is still the slot's, and a
        // rejected password stands whatever the privilege (one rejected login per refresh, not two).
        const earlier = early ? (privilege === prior.privilege ? await early : await early.catch(() => undefined)) : undefined;
        probe = privilege === prior.privilege || earlier === "bad-password" ? (earlier ?? "skipped") : "skipped";
        if (probe === "skipped") {
            probe = await unlessOverBudget(probeLogin(login, live.name, prior.password, SESSION_PRIVILEGE[privilege], { context }));
        }
    }
    return { id: current, props: observedOutputs(prior, live, probe, loginLabel, vendor) };
}

/**
 * Applies only what differs from the live slot, in one session, then verifies the password. The recorded slot decides
 * what happens first, by the rule `read` applies: our account (the recorded or declared name, or another name the
 * recorded password opens) is converged in place; an emptied slot gets the account back, password included; a slot
 * holding another account is left alone and the account is created again where `create` would put it.
 */
export async function update(id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
    if (isRedfish(news)) return redfish.update(id, olds, news);
    const inputs = parseInputs(news);
    const prior = priorOutputs(id, olds);
    registerSecrets(prior.password, ...collectSecrets(olds));
    const channel = prior.channel;
    let slot = prior.userId;
    let setPassword = passwordNeedsWrite(prior, inputs);
    const rename = selfRenameFailure(inputs, prior);
    if (rename) {
        // check() refuses this too; the engine may skip check (e.g. state edited by hand), so refuse before any write.
        throw new CredentialsError("SELF_LOCKOUT_REFUSED", {
            message: `refusing to rename ${prior.username} to ${inputs.username}: ${rename.reason}`,
            hint: "create the new name as a second administrator account, move bmc.username to it, then remove the old one",
            context: { host: prior.host, port: prior.port, slot },
        });
    }
    const login = await resolveLogin(toLogin(inputs.bmc));
    let loginLabel = prior.bmcLogin ?? "password";
    let rotationProven = false;
    let vendor: VendorOutputs = {};
    let probe: Promise<ProbeOutcome> | undefined;
    let readBack: LiveSlot | undefined;
    let slotIsOurs = true;
    const context = { userId: slot, channel };
    try {
        await withIdentifiedSession(
            login,
            { declaredVendor: inputs.vendorProfile, extraCandidates: [...selfRotationCandidates(inputs), ...priorLoginCandidates(prior, inputs)], context },
            async (session, identity, label, loginPassword) => {
                loginLabel = label;
                vendor = vendorOutputs(identity);
                const { profile } = identity;
                session.setContext({ channel, userId: slot });
                let live = await readLive(session, channel, slot, profile);
                if (isEmptySlot(live.name)) {
                    // Emptied out of band (a delete scrambles the password): the account comes back as create makes it.
                    setPassword = true;
                } else if (live.name !== prior.username && live.name !== inputs.username && !(await ownsRenamedAccount(login, live, prior, { context, ownSlot: false }))) {
                    // Another account holds the slot: ours is gone. Never touch that one; put ours where create would.
                    slotIsOurs = false;
                    const resolved = await resolveSlot(session, inputs, channel, profile);
                    slot = resolved.slot;
                    slotIsOurs = true;
                    session.setContext({ userId: slot });
                    live = resolved.live ?? (await readLive(session, channel, slot, profile));
                    setPassword = true;
                }
                enforceVendorRules(inputs, profile, slot, setPassword);
                await guardLastAdministrator(session, inputs, channel, slot, live, profile);
                readBack = await applyAndReadBack(session, login, inputs, channel, slot, live, setPassword, profile, () => (probe ??= earlyWriteProbe(login, inputs, channel, slot)));
                rotationProven = await proveSelfRotation(session, login, inputs, channel, slot, loginPassword, setPassword);
            },
        );
    } catch (e) {
        // Failing before a slot of ours was found (no free slot, the declared userId taken): nothing was written, and
        // the recorded slot is somebody else's, so nothing may be recorded for it.
        throw slotIsOurs ? partialIfCreated(e, news, inputs, channel, slot, loginLabel, id, "unknown", vendor) : e;
    }
    return { outs: await verified(news, login, inputs, channel, slot, loginLabel, id, rotationProven, vendor, probe, readBack) };
}

/**
 * Removes the account: no-access privilege with every flag off, disabled, password scrambled, name cleared. Refuses to
 * remove the account the provider logs in with unless `allowSelfLockout` is set. A slot that is already empty or now
 * holds another name is left alone (even our account renamed out of band: delete never probes, and clears only the
 * recorded name).
 */
async function deleteResource(id: string, props: Props): Promise<void> {
    if (isRedfish(props)) return redfish.remove(id, props);
    const prior = priorOutputs(id, props);
    registerSecrets(prior.password, ...collectSecrets(props));
    if (prior.username === prior.bmc?.username && !prior.allowSelfLockout) {
        throw new CredentialsError("SELF_LOCKOUT_REFUSED", {
            message: `refusing to delete ${prior.username}: it is the account the provider logs in with (bmc.username)`,
            hint: "remove it from a second administrator account, or set allowSelfLockout: true and run `pulumi up` before destroying",
            context: { host: prior.host, port: prior.port, slot: prior.userId },
        });
    }
    const { channel, userId } = prior;
    const login = await resolveLogin(toLogin(prior.bmc));
    await withIdentifiedSession(login, { declaredVendor: prior.vendorProfile, extraCandidates: priorLoginCandidates(prior), context: { userId, channel } }, async (session, { profile }) => {
        session.setContext({ channel, userId });
        const live = await readLive(session, channel, userId, profile);
        if (isEmptySlot(live.name) || live.name !== prior.username) {
            return;
        }
        await guardLastAdministrator(session, undefined, channel, userId, live, profile, prior);
        // A random password first: should the slot ever be re-enabled, the old password no longer opens it.
        // Long and mixed enough for the vendor's policy, so the firmware does not refuse it.
        const scramble = scramblePassword(profile, randomBytes);
        registerSecrets(scramble);
        for (const c of [
            setUserAccess(channel, userId, { privilege: "no-access", ipmiMessaging: false, linkAuth: false, callin: false }),
            setUserEnabled(userId, false),
            setUserPassword(userId, scramble, passwordSizeFor(scramble)),
        ]) {
            await session.one(c);
        }
        notePasswordWritten(login, prior.username, scramble);
        const [cleared] = await session.run([setUserName(userId, "")]);
        // Some BMCs keep fixed names (0xCC); the account is disabled with no access and an unknown password either way.
        if (!cleared.ok && cleared.error.context.completionCode !== "0xcc") {
            throw cleared.error;
        }
    });
}
export { deleteResource as delete };

/**
 * No provider-level configuration: every BMC's connection is a resource input. The host calls this once before any
 * other method, so it starts the process's memory watch (`shared/memory.ts`).
 */
export async function configure(_req: dynamic.ConfigureRequest): Promise<void> {
    // Nothing to wait for, so CRUD calls the SDK starts before this settles (it may) see the same state.
    watchMemory();
}

// ---------------------------------------------------------------------------------------------------------------------

function parseInputs(props: Props): BmcUserInputs {
    registerSecrets(...collectSecrets(props ?? {}));
    const { inputs, failures } = validateBmcUserInputs(props ?? {});
    if (!inputs || failures.length > 0) {
        throw new CredentialsError("INVALID_INPUT", {
            message: failures.map((f) => `${f.property}: ${f.reason}`).join("; ") || "inputs are incomplete",
            hint: "fix the inputs named above",
        });
    }
    return inputs;
}

/**
 * Prior outputs as `read`, `update` and `delete` receive them. State written by hand, or by an import without
 * properties, may lack the connection or the slot: that is an input problem, reported as such instead of a TypeError.
 */
function priorOutputs(id: string, props: Props): BmcUserOutputs {
    const prior = (props ?? {}) as Partial<BmcUserOutputs>;
    const missing = [
        !prior.bmc || typeof prior.bmc !== "object" || typeof prior.bmc.host !== "string" || (!isInband(prior.bmc) && (typeof prior.bmc.username !== "string" || typeof prior.bmc.password !== "string"))
            ? "bmc (host, username, password)"
            : "",
        typeof prior.channel !== "number" ? "channel" : "",
        typeof prior.userId !== "number" ? "userId" : "",
    ].filter(Boolean);
    if (missing.length > 0) {
        throw new CredentialsError("INVALID_INPUT", {
            message: `the stored state of ${id} lacks ${missing.join(", ")}`,
            hint: "the state was not written by this provider (hand edit or import without properties): remove it with `pulumi state delete` and let `pulumi up` adopt the account",
        });
    }
    return prior as BmcUserOutputs;
}

/**
 * Refresh of an operator or administrator account in one session instead of two: logged in as the account itself
 * with its recorded password and privilege, which proves the password, it reads its own slot (Get User Access and Get
 * User Name need operator privilege) and the BMC's identity. Undefined when the account cannot do this (a lower
 * privilege, verification off, disabled, in-band, or the login account itself, which the admin session reads) or the
 * session failed before the login answered; then the administrator reads the slot as before.
 */
async function readAsTheAccount(login: BmcLogin, prior: BmcUserOutputs): Promise<UserSessionResult<{ live: SlotState; identity: BmcIdentity }> | undefined> {
    const privilege = prior.privilege;
    if (prior.verifyPassword !== "login" || (privilege !== "operator" && privilege !== "administrator") || !prior.enabled || !prior.ipmiMessaging || login.inband || prior.username === login.username) {
        return undefined;
    }
    const context = { userId: prior.userId, channel: prior.channel };
    return withUserSession(login, prior.username, prior.password, SESSION_PRIVILEGE[privilege], { context }, async (session) => {
        const identity = await identify(session, identityKey(login), prior.vendorProfile);
        return { live: await readLive(session, prior.channel, prior.userId, identity.profile), identity };
    }).catch(() => undefined);
}

/**
 * Refresh proves the password with the name and privilege the state recorded, in parallel with the admin session that
 * reads the slot (started once that operation holds the BMC, so at most two of its sessions are open there at once):
 * the two logins overlap instead of following each other. The result counts only when the slot still
 * holds that name at that privilege; otherwise `read` probes again with what it found (a drifted slot, rare).
 */
function earlyReadProbe(login: BmcLogin, prior: BmcUserOutputs): Promise<LoginProbe> | undefined {
    const privilege = prior.privilege as string;
    if (prior.verifyPassword !== "login" || !(privilege in SESSION_PRIVILEGE)) {
        return undefined;
    }
    return quiet(
        unlessOverBudget(
            probeLogin(login, prior.username, prior.password, SESSION_PRIVILEGE[privilege as keyof typeof SESSION_PRIVILEGE], {
                context: { userId: prior.userId, channel: prior.channel },
            }),
        ),
    );
}

/**
 * A refresh whose password proof the lockout budget forbids (the account has had threshold − 1 rejected logins in this
 * run) reports the password as not checked instead of failing: refresh stays read-only, and the account stays usable.
 */
function unlessOverBudget(probe: Promise<ProbeOutcome>): Promise<LoginProbe> {
    return probe.catch((e) => {
        if (isLoginBudgetSpent(e)) {
            return "skipped" as const;
        }
        throw e;
    });
}

/**
 * The verification login of create and update, started as soon as the writes are acknowledged so that it overlaps
 * the read-back in the admin session. Not for the login account itself: its rotation is proven (and rolled back) by
 * {@link proveSelfRotation} inside the admin session.
 */
function earlyWriteProbe(login: BmcLogin, inputs: BmcUserInputs, channel: number, slot: number): Promise<ProbeOutcome> | undefined {
    if (!canVerifyByLogin(inputs) || inputs.username === inputs.bmc.username) {
        return undefined;
    }
    const privilege = inputs.privilege as Exclude<typeof inputs.privilege, "no-access">;
    return quiet(probeLogin(login, inputs.username, inputs.password, SESSION_PRIVILEGE[privilege], { context: { userId: slot, channel } }));
}

/**
 * Whether a slot showing a name other than the recorded one still holds our account, renamed out of band. The BMC
 * cannot say who created an account, so the rule is: the recorded password opens it, by one login as the name the slot
 * shows at the privilege it shows. Anything else — the login is rejected, the account cannot log in (disabled,
 * no-access) — is another account, which the provider never writes to or clears. `read` and `update` both apply this
 * rule, so whether a refresh ran first never changes the outcome. The cost: when the slot does hold another account,
 * this is one failed login on it, once — the resource then leaves that slot (dropped by refresh, moved by update), and
 * the rejection is remembered for the rest of the run.
 */
async function ownsRenamedAccount(
    login: BmcLogin,
    live: SlotState,
    prior: Pick<BmcUserOutputs, "password">,
    options: { context: { userId?: number; channel?: number }; ownSlot?: boolean },
): Promise<boolean> {
    const privilege = live.access.privilege;
    if (!(privilege in SESSION_PRIVILEGE)) {
        return false;
    }
    const sessionPrivilege = SESSION_PRIVILEGE[privilege as keyof typeof SESSION_PRIVILEGE];
    return (await probeLogin(login, live.name, prior.password, sessionPrivilege, options)) === "ok";
}

/** Marks a promise that may end up unused (its operation failed first) as handled; awaiting it still throws. */
function quiet<T>(p: Promise<T>): Promise<T> {
    p.catch(() => undefined);
    return p;
}

function toLogin(bmc: BmcUserInputs["bmc"]): BmcLogin {
    return {
        host: bmc.host,
        port: bmc.port ?? 623,
        username: bmc.username ?? "",
        password: bmc.password ?? "",
        cipherSuite: (bmc.cipherSuite ?? 17) as 3 | 17,
        timeoutSeconds: bmc.timeoutSeconds ?? 2,
        retries: bmc.retries ?? 2,
        fallbackPasswords: bmc.fallbackPasswords ?? [],
        transport: transportOf(bmc),
        ...sshRoute(bmc),
    };
}

/** When the managed account is the login account, a crash after setting its password leaves the new one in force. */
function selfRotationCandidates(inputs: BmcUserInputs): Candidate[] {
    return inputs.username === inputs.bmc.username && inputs.password !== inputs.bmc.password
        ? [{ label: "password (the managed account's new password)", password: inputs.password }]
        : [];
}

/** The login that worked last time, in case the program's `bmc.password` has moved on. */
function priorLoginCandidates(prior: BmcUserOutputs, inputs?: BmcUserInputs): Candidate[] {
    const out: Candidate[] = [];
    if (prior.bmc?.password && prior.bmc.password !== inputs?.bmc.password) {
        out.push({ label: "the previous bmc.password", password: prior.bmc.password });
    }
    if (prior.username === prior.bmc?.username && prior.password) {
        out.push({ label: "the managed account's recorded password", password: prior.password });
    }
    return out;
}

/**
 * The slot to create the account in. When `userId` is given, the slot's live state read to check it comes back too, so
 * the lockout guard needs no second read of it.
 */
async function resolveSlot(session: IpmiSession, inputs: BmcUserInputs, channel: number, profile: VendorProfile): Promise<{ slot: number; live?: SlotState; empty?: boolean }> {
    const ctx = { host: inputs.bmc.host, port: inputs.bmc.port, channel };
    if (inputs.userId !== undefined) {
        // The name first: an empty slot needs nothing more before it is written (one request, not two); its range is
        // the vendor's known limit here, and the BMC's own (Get User Access) in the read-back. A name, or a refusal to
        // say one (out of range, Lenovo's 0xCC), needs the whole slot.
        const outOfRange = slotRangeFailure(inputs.userId, profile);
        if (outOfRange) {
            // The vendor's firmware manages fewer slots than IPMI allows (Dell: 16): say so before the BMC's 0xC9.
            throw new CredentialsError("BMC_SLOT_OUT_OF_RANGE", { message: outOfRange.reason, hint: "nothing was written", context: { ...ctx, slot: inputs.userId, vendor: profile.name } });
        }
        const name = await readSlotName(session, inputs.userId);
        if (name !== undefined && isEmptyName(name, profile)) {
            return { slot: inputs.userId, empty: true };
        }
        const live = await readLive(session, channel, inputs.userId, profile);
        const max = slotLimit(live.access.maxUsers, profile);
        if (inputs.userId > max) {
            throw slotOutOfRange(inputs.userId, `this BMC's ${max} user slots`, max, ctx);
        }
        if (!isEmptySlot(live.name) && live.name !== inputs.username) {
            throw slotTaken(inputs, channel, inputs.userId);
        }
        return { slot: inputs.userId, live };
    }
    const found = await findSlot(session, channel, inputs.username, 3, { emptyNames: profile.emptySlotNames, maxUsers: profile.maxUsers });
    if (found.match !== undefined) {
        return { slot: found.match };
    }
    if (found.free === undefined) {
        throw new CredentialsError("BMC_NO_FREE_SLOT", {
            message: `no free user slot: slots 3-${found.maxUsers} all hold accounts`,
            hint: "remove an unused account from the BMC, or give userId to take over a specific slot you have cleared",
            context: ctx,
        });
    }
    return { slot: found.free };
}

function slotOutOfRange(userId: number, whose: string, max: number, context: Record<string, string | number | undefined>): CredentialsError {
    return new CredentialsError("BMC_SLOT_OUT_OF_RANGE", {
        message: `userId ${userId} is above ${whose}`,
        hint: `choose a userId from 2 to ${max}, or omit userId to use the lowest free slot`,
        context: { ...context, slot: userId },
    });
}

function slotTaken(inputs: BmcUserInputs, channel: number, slot: number): CredentialsError {
    return new CredentialsError("BMC_SLOT_TAKEN", {
        message: `slot ${slot} holds another account, not ${inputs.username}`,
        hint: "the provider does not overwrite accounts it did not create: pick another userId, omit userId, or clear that slot first",
        context: { host: inputs.bmc.host, port: inputs.bmc.port, channel, slot },
    });
}

/**
 * Refuses to take the last administrator of the LAN channel away: a write that demotes, disables or cuts IPMI
 * messaging of an active administrator (or, with `desired` undefined, deletes it) when no other slot is an active
 * administrator (slot 1 included where the vendor profile says it holds a real account). Recovering from that needs
 * in-band access or a factory reset. `allowSelfLockout` overrides.
 */
async function guardLastAdministrator(
    session: IpmiSession,
    desired: BmcUserInputs | undefined,
    channel: number,
    slot: number,
    live: SlotState,
    profile: VendorProfile,
    prior?: Pick<BmcUserOutputs, "allowSelfLockout" | "host" | "port">,
): Promise<void> {
    const allow = desired ? desired.allowSelfLockout : prior?.allowSelfLockout;
    const keepsAdmin = desired !== undefined && desired.privilege === "administrator" && desired.enabled && desired.ipmiMessaging;
    if (allow || keepsAdmin || !isActiveAdministrator(live)) {
        return;
    }
    // Slot 1 counts where the vendor keeps a real account there (OpenBMC's root), not where it is the anonymous user.
    if (await anotherAdministrator(session, channel, slot, live.access.maxUsers, profile.firstAccountSlot)) {
        return;
    }
    const verb = desired ? "demote, disable or cut IPMI messaging of" : "delete";
    throw new CredentialsError("SELF_LOCKOUT_REFUSED", {
        message: `refusing to ${verb} ${live.name}: it is the last administrator on LAN channel ${channel}, and nobody could manage this BMC over the network afterwards`,
        hint:
            "enable a second administrator account first (e.g. another BmcUser with privilege administrator that this one dependsOn), " +
            "or set allowSelfLockout: true if losing LAN administration is intended",
        context: { host: desired?.bmc.host ?? prior?.host, port: desired?.bmc.port ?? prior?.port, channel, slot },
    });
}

/**
 * Rotating the login account's own password, inside the still-open admin session: after the new password is written
 * and read back, a fresh session must open with it before success is reported. If it does not, the password this
 * session logged in with is written back, so the BMC stays reachable with the credentials the stack knows, and the
 * operation fails. On success, later operations in this run log in with the new password first.
 *
 * Returns true when the new password is proven (no separate verification login is needed afterwards).
 */
async function proveSelfRotation(
    session: IpmiSession,
    login: BmcLogin,
    inputs: BmcUserInputs,
    channel: number,
    slot: number,
    loginPassword: string,
    passwordWritten: boolean,
): Promise<boolean> {
    if (inputs.username !== inputs.bmc.username || !passwordWritten) {
        return false;
    }
    if (loginPassword === inputs.password) {
        // This session logged in with the new password (a rerun after an interrupted rotation): already proven.
        notePasswordWritten(login, inputs.username, inputs.password, true);
        return true;
    }
    let why: string;
    try {
        // Inside the admin session, which holds a session slot already.
        const outcome = await probeLogin(login, inputs.username, inputs.password, "ADMINISTRATOR", { ownSlot: false });
        if (outcome === "ok") {
            // Later operations of this run that log in as this account try it first (their bmc.password is stale).
            notePasswordWritten(login, inputs.username, inputs.password, true);
            return true;
        }
        why = outcome === "bad-password" ? "the BMC rejected the new password at login" : "the BMC did not let the account log in";
    } catch (e) {
        why = `the fresh session failed (${isCredentialsError(e) ? e.code : "unexpected error"})`;
    }
    const ctx = { host: inputs.bmc.host, port: inputs.bmc.port, channel, slot };
    const [restored] = await session.run([setUserPassword(slot, loginPassword, passwordSizeFor(loginPassword))]).catch((e) => [
        { ok: false as const, error: e as CredentialsError },
    ]);
    if (restored.ok) {
        notePasswordWritten(login, inputs.username, loginPassword, true);
    } else {
        throw new CredentialsError("BMC_ROTATION_FAILED", {
            message: `rotating the login account ${inputs.username}: ${why}, and restoring the previous password failed too`,
            hint:
                "the BMC may now hold either password: keep both in bmc.password / bmc.fallbackPasswords for the next run, " +
                "or reset the account from a second administrator",
            context: ctx,
        });
    }
    throw new CredentialsError("BMC_ROTATION_ROLLED_BACK", {
        message: `rotating the login account ${inputs.username}: ${why}; the previous password was restored`,
        hint:
            "the firmware may truncate 20-byte passwords or apply its own rules: try a password of at most 16 characters " +
            "that meets the vendor's complexity rules",
        context: ctx,
    });
}

/** Writes what differs, then reads the slot back in the same session and fails if it does not match. */
async function applyAndReadBack(
    session: IpmiSession,
    login: BmcLogin,
    inputs: BmcUserInputs,
    channel: number,
    slot: number,
    live: Awaited<ReturnType<typeof readSlot>> | undefined,
    setPassword: boolean,
    profile: VendorProfile,
    afterWrites?: () => void,
): Promise<LiveSlot> {
    const writes = planWrites(inputs, channel, slot, live, setPassword, profile);
    for (const w of writes) {
        await session.one(w);
    }
    if (setPassword) {
        notePasswordWritten(login, inputs.username, inputs.password);
    }
    afterWrites?.();
    const after = live && writes.every(isPasswordSet) ? await readBackName(session, channel, slot, live, profile) : await readLive(session, channel, slot, profile);
    const wrong = slotMismatches(inputs, after);
    if (!isEmptySlot(after.name) && after.name !== inputs.username && after.name !== live?.name) {
        // A name that neither this session wrote nor was there (ours) before: another client put its own account here
        // while this session wrote (the lock serialises this process only). Not ours, so no state may record it.
        throw new CredentialsError("BMC_SLOT_TAKEN", {
            message: `slot ${slot} holds another account after the writes: another client took it at the same time`,
            hint: "nothing is recorded for this slot; check who else manages this BMC's accounts, then run `pulumi up` again",
            context: { host: inputs.bmc.host, port: inputs.bmc.port, channel, slot },
        });
    }
    if (wrong.length > 0) {
        throw new CredentialsError("BMC_READBACK_MISMATCH", {
            message: `the BMC accepted the writes but reads back different ${wrong.join(", ")}`,
            hint: "the firmware may restrict these settings (fixed names, vendor rules); check the BMC's user settings",
            context: { host: inputs.bmc.host, port: inputs.bmc.port, channel, slot },
        });
    }
    return after;
}

/** Proves the new password by logging in as the user, when that is possible; returns the final outputs. */
async function verified(
    props: Props,
    login: BmcLogin,
    inputs: BmcUserInputs,
    channel: number,
    slot: number,
    loginLabel: string,
    existingId?: string,
    alreadyVerified = false,
    vendor: VendorOutputs = {},
    early?: Promise<ProbeOutcome>,
    readBack?: LiveSlot,
): Promise<BmcUserOutputs> {
    let passwordState: PasswordState = "not-checked";
    if (alreadyVerified) {
        passwordState = "verified";
    } else if (canVerifyByLogin(inputs)) {
        let outcome: ProbeOutcome;
        try {
            outcome = early
                ? await early
                : await probeLogin(login, inputs.username, inputs.password, SESSION_PRIVILEGE[inputs.privilege as Exclude<typeof inputs.privilege, "no-access">], {
                      context: { userId: slot, channel },
                  });
        } catch (e) {
            // The account is written; only its proof failed (timeout, BMC out of sessions): record it, retry next up.
            throw partialIfCreated(e, props, inputs, channel, slot, loginLabel, existingId, "unknown", vendor);
        }
        if (outcome !== "ok") {
            const error = new CredentialsError("BMC_PASSWORD_NOT_VERIFIED", {
                message:
                    outcome === "bad-password"
                        ? `the BMC accepted the new password for ${inputs.username} but rejects it at login`
                        : `the BMC does not let ${inputs.username} log in after the update`,
                hint:
                    "some firmware truncates 20-byte passwords or enforces its own rules; try a password of at most 16 characters, " +
                    "check the channel's privilege limit, or set verifyPassword: \"off\"",
                context: { host: inputs.bmc.host, port: inputs.bmc.port, channel, slot },
            });
            throw partialIfCreated(error, props, inputs, channel, slot, loginLabel, existingId, "mismatch", vendor);
        }
        passwordState = "verified";
    }
    const enabledSource = readBack ? enabledSourceAfterWrite(readBack.access, passwordState) : undefined;
    return outputsFor(inputs, channel, slot, { passwordState, bmcLogin: loginLabel, enabledSource, ...vendor });
}

/**
 * Wraps a failure after the slot was chosen as a partial failure, so the engine records the resource (id, outputs
 * with `__provider`) and forces an update on the next `up`. Before a slot is chosen nothing was written: the plain
 * error keeps `create` transactional.
 */
function partialIfCreated(
    e: unknown,
    props: Props,
    inputs: BmcUserInputs,
    channel: number | undefined,
    slot: number | undefined,
    loginLabel: string,
    existingId?: string,
    passwordState: PasswordState = "unknown",
    vendor: VendorOutputs = {},
): Error {
    const error = isCredentialsError(e)
        ? e
        : new CredentialsError("IPMITOOL_FAILED", { message: "unexpected failure", cause: e, hint: "report this as a bug" });
    if (channel === undefined || slot === undefined || isCredentialsError(error, "BMC_SLOT_TAKEN")) {
        // Nothing written yet, or the slot is somebody else's: recording it would make this resource own their account.
        return error;
    }
    const id = existingId ?? resourceId(inputs.bmc.host, inputs.bmc.port, channel, slot);
    const outs = {
        ...outputsFor(inputs, channel, slot, { passwordState, bmcLogin: loginLabel, ...vendor }),
        passwordSize: passwordSizeFor(inputs.password),
        ...(props.__provider !== undefined ? { __provider: props.__provider } : {}),
    };
    return new PartialFailureError(id, outs, error);
}

/** Set User Password's "set password" operation (the other operations enable, disable or test). */
function isPasswordSet(c: RawCommand): boolean {
    return c.cmd === 0x47 && c.data[1] === 0x02;
}

/**
 * The read-back after the password alone was written: a password cannot be read, and the access this session read a
 * moment ago is untouched by it, so only the name is read again (did another client take the slot meanwhile?); the
 * login as the user proves the password.
 */
async function readBackName(session: IpmiSession, channel: number, slot: number, live: SlotState, profile: VendorProfile): Promise<SlotState> {
    const name = await readSlotName(session, slot);
    return name === undefined ? readLive(session, channel, slot, profile) : normaliseSlot({ name, access: live.access }, profile);
}

/** One slot as read, with the vendor's placeholder name for unused slots (HPE "(Empty User)") read as empty. */
async function readLive(session: IpmiSession, channel: number, slot: number, profile: VendorProfile): Promise<SlotState> {
    return normaliseSlot(await readSlot(session, channel, slot), profile);
}

/** The outputs that report the BMC's maker. */
function vendorOutputs(identity: BmcIdentity): VendorOutputs {
    return { vendor: identity.profile.name, manufacturerId: identity.manufacturerId };
}

/**
 * Refuses, before any write, what the vendor's firmware would refuse or mangle (fixed slot names, password cap and
 * policy). The password rules apply only when the password is about to be written: an update that leaves the password
 * alone does not fail for a password the firmware already holds.
 */
function enforceVendorRules(inputs: BmcUserInputs, profile: VendorProfile, slot: number | undefined, passwordWritten = true): void {
    // The slot range is resolveSlot's to report (BMC_SLOT_OUT_OF_RANGE, as when only the BMC knows it).
    const failures = vendorRuleFailures(inputs, profile, slot).filter((f) => f.property !== "userId" && (passwordWritten || f.property !== "password"));
    if (failures.length > 0) {
        throw vendorRuleError(failures, profile, { host: inputs.bmc.host, port: inputs.bmc.port, slot });
    }
}
