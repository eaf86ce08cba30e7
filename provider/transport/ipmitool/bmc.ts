/**
 * BMC operations built on {@link IpmiSession}: logging in with fallback passwords, finding the LAN channel, reading a
 * slot, finding a slot by name, and probing a login. Shared by the `BmcUser` provider and any other caller.
 *
 * Lockout safety: a rejected password is never retried within an operation. Each candidate password is tried at most
 * once per operation, including across the operation's own retries.
 */

import { CredentialsError, isCredentialsError } from "../../shared/errors";
import { withBmcSession, withSessionSlot } from "../../shared/limiter";
import { registerSecrets } from "../../shared/redact";
import { withRetry } from "../../shared/retry";
import {
    decodeChannelInfo,
    decodeUserAccess,
    decodeUserName,
    getChannelInfo,
    getUserAccess,
    getUserName,
    testUserPassword,
    UserAccess,
} from "./codec";
import { launchOverSsh, SshTarget } from "../ssh/channel";
import { IpmiSession, SessionTarget, TransportOptions } from "./session";

/** How to reach and log in to a BMC. */
export interface BmcLogin {
    host: string;
    port: number;
    username: string;
    password: string;
    cipherSuite: 3 | 17;
    timeoutSeconds: number;
    retries: number;
    fallbackPasswords: readonly string[];
    /**
     * In-band (`ipmitool -I open` on the host whose BMC it is): no login and no password; `host`/`port` only name the
     * BMC in ids and errors.
     */
    inband?: boolean;
    /** Run ipmitool on this host over SSH: in-band on it, or (not in-band) from it as a jump host. */
    ssh?: SshTarget;
}

/** Transport options for a login: ipmitool over SSH when the login names a host, unless a launcher was injected. */
function routed(login: BmcLogin, options: TransportOptions): TransportOptions {
    return login.ssh && !options.launcher ? { ...options, launcher: launchOverSsh(login.ssh) } : options;
}

/** The pseudo-label of an in-band "login": nothing is proven by it. */
export const INBAND_LABEL = "in-band";

/** Names a login candidate without revealing it: `password` or `fallbackPasswords[i]` (or a caller-given label). */
export interface Candidate {
    label: string;
    password: string;
}

/** Options of one operation. */
export interface OperationOptions extends TransportOptions {
    /** Extra candidates tried after `password` and before the fallbacks (e.g. the password being rotated in). */
    extraCandidates?: readonly Candidate[];
    /** Attempts for transient failures inside the session; default 3. */
    attempts?: number;
    /** Backoff between attempts (tests pass a no-op). */
    sleep?: (ms: number) => Promise<void>;
    /**
     * Called once the BMC's mutex and a session slot are held, before logging in: work that may run beside this
     * operation's session on the same BMC (a verification login) starts here, so it never piles up on a BMC while
     * operations queue for it.
     */
    onLocked?: () => void;
}

/** Key of the per-BMC mutex. */
export function bmcKey(login: Pick<BmcLogin, "host" | "port" | "ssh">): string {
    // Through a jump host the address is the bastion's view: 10.0.0.5 behind two bastions may be two BMCs.
    const via = login.ssh ? `@${login.ssh.host.toLowerCase()}:${login.ssh.port}` : "";
    return `${login.host.toLowerCase()}:${login.port}${via}`;
}

const LOGINS_KEY = Symbol.for("pulumi-bmc-credentials.logins");

/**
 * The login password that last worked per BMC account, for this provider process (one `pulumi up`). Once a run has
 * rotated the login account's password, or found that only a fallback works, every later operation on that BMC tries
 * that password first instead of spending one rejected login per resource on a stale `bmc.password`: against a BMC
 * with a lockout threshold, ten resources each failing once would lock the account. Kept on `globalThis` so every
 * copy of this module shares it; values are registered as secrets.
 */
function knownLogins(): Map<string, string> {
    const g = globalThis as unknown as Record<symbol, Map<string, string> | undefined>;
    return (g[LOGINS_KEY] ??= new Map());
}

function loginKey(login: Pick<BmcLogin, "host" | "port" | "ssh" | "username">): string {
    return `${bmcKey(login)}/${login.username}`;
}

/** Records that `password` now opens `login.username` on this BMC (e.g. right after rotating it). */
export function rememberLogin(login: Pick<BmcLogin, "host" | "port" | "ssh" | "username">, password: string): void {
    registerSecrets(password);
    knownLogins().set(loginKey(login), password);
}

/** Forgets what {@link rememberLogin} recorded (tests; or when the remembered password was rejected). */
export function forgetLogin(login: Pick<BmcLogin, "host" | "port" | "ssh" | "username">): void {
    knownLogins().delete(loginKey(login));
}

/** The label of the candidate remembered from earlier in this run. */
export const REMEMBERED_LABEL = "the password that worked earlier in this run";

function candidatesOf(login: BmcLogin, extra: readonly Candidate[] = []): Candidate[] {
    const remembered = knownLogins().get(loginKey(login));
    const all: Candidate[] = [
        ...(remembered !== undefined ? [{ label: REMEMBERED_LABEL, password: remembered }] : []),
        { label: "password", password: login.password },
        ...extra,
        ...login.fallbackPasswords.map((p, i) => ({ label: `fallbackPasswords[${i}]`, password: p })),
    ];
    const seen = new Set<string>();
    return all.filter((c) => (seen.has(c.password) ? false : (seen.add(c.password), true)));
}

/** True for the login failure that means "wrong password" (as opposed to an unknown user or no answer). */
export function isPasswordRejected(e: unknown): boolean {
    return isCredentialsError(e, "BMC_LOGIN_REJECTED") && e.context.reason === "password";
}

/**
 * Runs `fn` inside one administrator session on the BMC, holding the BMC's mutex and a global session slot. Logs in
 * with `password`, then the extra candidates, then `fallbackPasswords`, each at most once for the whole operation.
 * Transient failures (timeouts, busy BMC) are retried with jittered backoff; `fn` must therefore be idempotent.
 */
export async function withAdminSession<T>(
    login: BmcLogin,
    options: OperationOptions,
    fn: (session: IpmiSession, loginLabel: string, loginPassword: string) => Promise<T>,
): Promise<T> {
    const candidates = login.inband ? [{ label: INBAND_LABEL, password: "" }] : candidatesOf(login, options.extraCandidates);
    registerSecrets(...candidates.map((c) => c.password));
    const rejected = new Set<string>();
    return withBmcSession(bmcKey(login), (holdSlot) => {
        options.onLocked?.();
        return withRetry(
            async () => {
                const { session, label, password } = await loginWithCandidates(login, "ADMINISTRATOR", login.username, candidates, rejected, options);
                if (!login.inband) {
                    rememberLogin(login, password);
                }
                try {
                    return await fn(session, label, password);
                } catch (e) {
                    forgetLanChannel(login);
                    throw e;
                } finally {
                    // Close Session is one more round trip that decides nothing: the result does not wait for it.
                    holdSlot(session.close());
                }
            },
            {
                attempts: options.attempts ?? 3,
                baseDelayMs: 500,
                maxDelayMs: 4000,
                sleep: options.sleep,
                // The BMC did not answer at all: ipmitool already retried -R times, so another round only doubles
                // the wait. Inside a session, a stall or a busy answer is worth another try.
                isTransient: (e) => isCredentialsError(e) && e.transient && e.code !== "BMC_UNREACHABLE",
            },
        );
    });
}

async function loginWithCandidates(
    login: BmcLogin,
    privilege: string,
    username: string,
    candidates: readonly Candidate[],
    rejected: Set<string>,
    options: TransportOptions,
): Promise<{ session: IpmiSession; label: string; password: string }> {
    const target: SessionTarget = {
        host: login.host,
        port: login.port,
        username,
        cipherSuite: login.cipherSuite,
        privilege,
        timeoutSeconds: login.timeoutSeconds,
        retries: login.retries,
        inband: login.inband,
    };
    for (const c of candidates) {
        if (rejected.has(c.label)) {
            continue;
        }
        try {
            return { session: await IpmiSession.open(target, login.inband ? undefined : c.password, routed(login, options)), label: c.label, password: c.password };
        } catch (e) {
            if (!isPasswordRejected(e)) {
                throw e;
            }
            rejected.add(c.label);
            if (c.label === REMEMBERED_LABEL) {
                forgetLogin(login);
            }
        }
    }
    throw new CredentialsError("BMC_LOGIN_REJECTED", {
        message: `the BMC rejected every password tried for ${username} (${candidates.map((c) => c.label).join(", ")})`,
        hint:
            "set bmc.password to the BMC's current password, or list it in bmc.fallbackPasswords. " +
            "Each password was tried once; the provider never loops on rejected passwords, to avoid locking the account",
        context: { host: login.host, port: login.port, user: username, slot: options.context?.userId, channel: options.context?.channel, reason: "password" },
    });
}

const CHANNELS_KEY = Symbol.for("pulumi-bmc-credentials.lan-channels");

/**
 * The LAN channel found per BMC (`host:port`) in this provider process. A fleet stack manages several accounts per
 * BMC; each would otherwise spend Get Channel Info round trips on a fact that does not change between them. Forgotten
 * when an operation on that BMC fails, so a wrong or stale answer is never reused after a problem.
 */
function knownChannels(): Map<string, number> {
    const g = globalThis as unknown as Record<symbol, Map<string, number> | undefined>;
    return (g[CHANNELS_KEY] ??= new Map());
}

/** Forgets the LAN channel cached for this BMC (after a failure, and in tests). */
export function forgetLanChannel(login: Pick<BmcLogin, "host" | "port" | "ssh">): void {
    knownChannels().delete(bmcKey(login));
}

/** The BMC's LAN channel: from this process's cache, else detected (and cached) in `session`. */
export async function lanChannel(session: IpmiSession, login: Pick<BmcLogin, "host" | "port" | "ssh">, order?: readonly number[]): Promise<number> {
    const key = bmcKey(login);
    const cached = knownChannels().get(key);
    if (cached !== undefined) {
        return cached;
    }
    const channel = await detectLanChannel(session, login, order);
    knownChannels().set(key, channel);
    return channel;
}

/** Channels probed for the 802.3 LAN medium when the channel is not given. */
const LAN_CHANNEL_PROBE = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/**
 * The first channel whose medium is 802.3 LAN (as xCAT and vendors do: usually 1, on some HPE models 2), probing in
 * `order` (the vendor profile's: `lanChannelProbeOrder`).
 */
export async function detectLanChannel(session: IpmiSession, ctx: { host: string; port: number }, order: readonly number[] = LAN_CHANNEL_PROBE): Promise<number> {
    for (const ch of order) {
        const [r] = await session.run([getChannelInfo(ch)]);
        if (r.ok && r.data.length >= 2 && decodeChannelInfo(r.data).isLan) {
            return ch;
        }
        // A stall or a passing error (0xC0 busy, 0xFF unspecified: a BMC whose controller is down answers every
        // command with it) says nothing about the channel: report it, and let the operation retry, instead of
        // probing on and blaming a missing LAN channel.
        if (!r.ok && r.error.transient) {
            throw r.error;
        }
    }
    throw new CredentialsError("BMC_NO_LAN_CHANNEL", {
        message: "no 802.3 LAN channel found on channels 1-11",
        hint: "set channel explicitly to the BMC's LAN channel number",
        context: ctx,
    });
}

/** One slot as the BMC reports it. An empty name means the slot is free. */
export interface SlotState {
    name: string;
    access: UserAccess;
}

/** Reads one slot: Get User Access + Get User Name (never `user list`). */
export async function readSlot(session: IpmiSession, channel: number, userId: number): Promise<SlotState> {
    const access = decodeUserAccess(await session.one(getUserAccess(channel, userId)));
    const [nameResult] = await session.run([getUserName(userId)]);
    if (!nameResult.ok) {
        // Lenovo XCC answers 0xCC for empty slots.
        if (nameResult.error.context.completionCode === "0xcc") {
            return { name: "", access };
        }
        throw nameResult.error;
    }
    return { name: decodeUserName(nameResult.data), access };
}

/**
 * Whether a slot is an administrator that can log in over this channel: a name, administrator privilege, IPMI
 * messaging on, and not reported disabled. (BMCs that do not report enable status fold it into IPMI messaging.)
 */
export function isActiveAdministrator(slot: SlotState): boolean {
    return slot.name !== "" && slot.access.privilege === "administrator" && slot.access.ipmiMessaging && slot.access.enableStatus !== "disabled";
}

/**
 * True when some slot other than `except` on `channel` is an active administrator. Reads access first and the name
 * only for administrator candidates, and stops at the first one found.
 */
export async function anotherAdministrator(session: IpmiSession, channel: number, except: number, maxUsers: number): Promise<boolean> {
    for (let id = 2; id <= maxUsers; id++) {
        if (id === except) {
            continue;
        }
        const [a] = await session.run([getUserAccess(channel, id)]);
        if (!a.ok) {
            throw a.error;
        }
        const access = decodeUserAccess(a.data);
        if (access.privilege !== "administrator" || !access.ipmiMessaging || access.enableStatus === "disabled") {
            continue;
        }
        const [n] = await session.run([getUserName(id)]);
        if (n.ok && isActiveAdministrator({ name: decodeUserName(n.data), access })) {
            return true;
        }
    }
    return false;
}

/** Result of looking for a slot by name. */
export interface SlotSearch {
    /** The slot holding the name, if any. */
    match?: number;
    /** The lowest empty slot at or above `firstFree`, if any. */
    free?: number;
    maxUsers: number;
}

/** Vendor knowledge for {@link findSlot}. */
export interface SlotSearchOptions {
    /** Names the firmware reports for unused slots besides the empty one (HPE: "(Empty User)"). */
    emptyNames?: readonly string[];
    /** Highest slot the vendor manages, when lower than what the BMC reports (Dell: 16). */
    maxUsers?: number;
}

/**
 * Looks for `username` in slots 2..max and notes the lowest empty slot at or above `firstFree` (3 by default: slot 2
 * is every vendor's default administrator). Slot 1, the anonymous user, is never considered.
 */
export async function findSlot(session: IpmiSession, channel: number, username: string, firstFree = 3, vendor: SlotSearchOptions = {}): Promise<SlotSearch> {
    const reported = decodeUserAccess(await session.one(getUserAccess(channel, 2))).maxUsers;
    const maxUsers = Math.min(reported, vendor.maxUsers ?? reported);
    let free: number | undefined;
    for (let id = 2; id <= maxUsers; id++) {
        const [r] = await session.run([getUserName(id)]);
        let name: string;
        if (r.ok) {
            name = decodeUserName(r.data);
        } else if (r.error.context.completionCode === "0xcc") {
            name = "";
        } else {
            throw r.error;
        }
        if (name === username) {
            return { match: id, free, maxUsers };
        }
        if (vendor.emptyNames?.includes(name)) {
            name = "";
        }
        if (name === "" && id >= firstFree && free === undefined) {
            free = id;
        }
    }
    return { free, maxUsers };
}

/** Outcome of logging in as a user to prove its password. */
export type ProbeOutcome = "ok" | "bad-password" | "no-such-user";

/**
 * Logs in once as `username` with `password`, requesting the session privilege `sessionPrivilege` (the user's own
 * limit: a real BMC refuses a higher role), and closes the session. Exactly one attempt, to respect lockout
 * thresholds. Failures other than a rejected login (no answer, DNS) are thrown.
 *
 * The probe takes a global session slot (it is one more ipmitool process), unless `options.ownSlot` is false: a
 * caller that already holds a slot and waits for the probe inside it (the self-rotation proof) must not wait for a
 * second one, or sixteen such callers would wait on each other for ever.
 */
export async function probeLogin(
    login: BmcLogin,
    username: string,
    password: string,
    sessionPrivilege: string,
    options: TransportOptions & { ownSlot?: boolean } = {},
): Promise<ProbeOutcome> {
    if (options.ownSlot === false) {
        // Inside the caller's slot: wait for Close Session too, so no ipmitool process outlives the slot's accounting.
        const closings: Promise<unknown>[] = [];
        const outcome = await probeOnce(login, username, password, sessionPrivilege, options, (closing) => void closings.push(closing));
        await Promise.allSettled(closings);
        return outcome;
    }
    return withSessionSlot((holdSlot) => probeOnce(login, username, password, sessionPrivilege, options, holdSlot));
}

async function probeOnce(
    login: BmcLogin,
    username: string,
    password: string,
    sessionPrivilege: string,
    options: TransportOptions,
    holdSlot: (closing: Promise<unknown>) => void,
): Promise<ProbeOutcome> {
    registerSecrets(password);
    if (login.inband) {
        return testPasswordInband(login, password, options);
    }
    const target: SessionTarget = {
        host: login.host,
        port: login.port,
        username,
        cipherSuite: login.cipherSuite,
        privilege: sessionPrivilege,
        timeoutSeconds: login.timeoutSeconds,
        retries: login.retries,
    };
    try {
        const session = await IpmiSession.open(target, password, routed(login, options));
        // The login is the proof; Close Session (one more round trip) finishes in the background.
        holdSlot(session.close());
        return "ok";
    } catch (e) {
        if (isCredentialsError(e, "BMC_LOGIN_REJECTED")) {
            return e.context.reason === "password" ? "bad-password" : "no-such-user";
        }
        throw e;
    }
}

/**
 * In-band there is no LAN login to prove a password with; Set User Password's "test password" operation asks the BMC
 * to compare instead (completion code 0x80: wrong password, 0x81: wrong size). Needs the slot (`options.context`).
 */
async function testPasswordInband(login: BmcLogin, password: string, options: TransportOptions): Promise<ProbeOutcome> {
    const userId = options.context?.userId;
    if (userId === undefined) {
        throw new CredentialsError("INVALID_INPUT", {
            message: "an in-band password test needs the user slot (Test Password addresses a slot, not a name)",
            hint: "this is a bug in the caller: report it",
        });
    }
    // Only what names the BMC: the session object never holds the login's passwords or SSH credentials.
    const target: SessionTarget = {
        host: login.host,
        port: login.port,
        username: "",
        cipherSuite: login.cipherSuite,
        privilege: "ADMINISTRATOR",
        timeoutSeconds: login.timeoutSeconds,
        retries: login.retries,
        inband: true,
    };
    const session = await IpmiSession.open(target, undefined, routed(login, options));
    try {
        const [r] = await session.run([testUserPassword(userId, password)]);
        if (r.ok) {
            return "ok";
        }
        const cc = r.error.context.completionCode;
        if (cc === "0x80" || cc === "0x81") {
            return "bad-password";
        }
        throw r.error;
    } finally {
        await session.close();
    }
}
