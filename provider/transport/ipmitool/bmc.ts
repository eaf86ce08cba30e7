/**
 * BMC operations built on {@link IpmiSession}: logging in with fallback passwords, finding the LAN channel, reading a
 * slot, finding a slot by name, and probing a login. Shared by the `BmcUser` provider and any other caller.
 *
 * Lockout safety: a rejected password is never retried. Each candidate password is tried at most once per operation,
 * including across the operation's own retries, and a password a BMC rejected for an account is not tried on that
 * account again by this process ({@link wasRejected}).
 */

import { createHmac, randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIPv4, isIPv6 } from "node:net";
import { CredentialsError, isCredentialsError } from "../../shared/errors";
import { KeyedMutex, withBmcSession, withSessionSlot } from "../../shared/limiter";
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
    /** The BMC as the resource names it (ids and errors use it); in-band, a label. */
    host: string;
    /**
     * The address this operation's sessions contact, set by {@link resolveLogin}: a DNS name resolved once per
     * operation, an IP literal in canonical form. Keys every per-BMC fact the process keeps ({@link bmcKey}).
     */
    address?: string;
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

// ---------------------------------------------------------------------------------------------------------------------
// Which BMC: one address, one key

/**
 * The canonical text of an IP literal, or undefined for a DNS name: every IPv4 form `inet_aton` (and so ipmitool)
 * accepts — `127.1`, `0x7f.0.0.1`, `2130706433` — becomes dotted quad, and IPv6 is compressed and lower case
 * (`0:0:0:0:0:0:0:1` → `::1`). A zone id (`fe80::1%eth0`) is kept as written, lower case.
 */
export function canonicalIp(host: string): string | undefined {
    if (isIPv6(host)) {
        return host.includes("%") ? host.toLowerCase() : new URL(`http://[${host}]/`).hostname.slice(1, -1);
    }
    if (/^[0-9a-fA-FxX.]+$/.test(host)) {
        try {
            const parsed = new URL(`http://${host}/`).hostname;
            return isIPv4(parsed) ? parsed : undefined;
        } catch {
            return undefined; // e.g. 1.2.3.4.5: no address; ipmitool would fail to resolve it too
        }
    }
    return undefined;
}

/**
 * The login with `address` set: the address this operation's sessions contact. A DNS name is resolved here, once, so
 * the admin session, its verification login and the per-BMC lock all concern one address (the first one the system
 * resolver returns, which is the one ipmitool would have used). Through a jump host the name is the bastion's to
 * resolve, so only IP literals are canonicalised; in-band there is no address.
 */
export async function resolveLogin(login: BmcLogin): Promise<BmcLogin> {
    if (login.address !== undefined || login.inband) {
        return login;
    }
    const literal = canonicalIp(login.host);
    if (literal !== undefined || login.ssh) {
        return { ...login, address: literal ?? login.host.toLowerCase() };
    }
    let address: string;
    try {
        address = (await lookup(login.host)).address;
    } catch (e) {
        throw new CredentialsError("BMC_DNS_FAILED", {
            message: `the BMC host name does not resolve (${(e as NodeJS.ErrnoException).code ?? "lookup failed"})`,
            hint: "check bmc.host (spelling, DNS search domain) or use the BMC's IP address",
            context: { host: login.host, port: login.port },
        });
    }
    return { ...login, address: canonicalIp(address) ?? address };
}

/**
 * Key of everything the process keeps per BMC: the mutex, the identity, the LAN channel, login memory. Over the
 * network it is the address actually contacted and the port, so `localhost`, `127.0.0.1` and `127.1` are one BMC. A
 * jump host's route is part of it (10.0.0.5 behind two bastions may be two BMCs). In-band, `host` is a label and the
 * port means nothing, so the key is the label and the route only.
 */
export function bmcKey(login: Pick<BmcLogin, "host" | "port" | "ssh" | "inband" | "address">): string {
    const via = login.ssh ? `@${hostKeyPart(login.ssh.host)}:${login.ssh.port}` : "";
    if (login.inband) {
        return `${login.host.toLowerCase()}${via}`;
    }
    return `${hostKeyPart(login.address ?? login.host)}:${login.port}${via}`;
}

function hostKeyPart(host: string): string {
    const h = canonicalIp(host) ?? host.toLowerCase();
    return h.includes(":") ? `[${h}]` : h;
}

// ---------------------------------------------------------------------------------------------------------------------
// Login memory: rejections, and the password a rotation wrote

const LOGIN_MEMORY_KEY = Symbol.for("pulumi-bmc-credentials.login-memory");

interface LoginMemory {
    /** Per-process random HMAC key: the rejection set holds keyed hashes, never a password. */
    hmacKey: Buffer;
    /** `<bmc>/<user>/<HMAC(password)>` of every password a BMC rejected for that user in this process. */
    rejected: Set<string>;
    /** `<bmc>/<user>` → the password this process wrote onto that login account while rotating it, and proved. */
    written: Map<string, string>;
    /**
     * One attempt at a time per rejection key: a second login with the same password on the same account waits for
     * the first and sees its rejection, so concurrent operations cannot each spend one.
     */
    attempts: KeyedMutex;
}

/**
 * What this provider process (one `pulumi up`) knows about logins, shared by every copy of this module. Rejections
 * keep a typo in a fleet stack from spending one failed login per resource (BMCs lock accounts after a few); the
 * written password keeps later operations from spending one on a `bmc.password` this very run has replaced.
 */
function loginMemory(): LoginMemory {
    const g = globalThis as unknown as Record<symbol, LoginMemory | undefined>;
    return (g[LOGIN_MEMORY_KEY] ??= { hmacKey: randomBytes(32), rejected: new Set(), written: new Map(), attempts: new KeyedMutex() });
}

type AccountRef = Pick<BmcLogin, "host" | "port" | "ssh" | "inband" | "address">;

function accountKey(login: AccountRef, username: string): string {
    return `${bmcKey(login)}/${username}`;
}

function rejectionKey(login: AccountRef, username: string, password: string): string {
    const memory = loginMemory();
    return `${accountKey(login, username)}/${createHmac("sha256", memory.hmacKey).update(password, "latin1").digest("base64")}`;
}

/** True when this BMC rejected `password` for `username` earlier in this process. */
export function wasRejected(login: AccountRef, username: string, password: string): boolean {
    return loginMemory().rejected.has(rejectionKey(login, username, password));
}

const ALREADY_REJECTED = Symbol("already rejected");

/**
 * Runs one login attempt with `password` as `username` unless the BMC already rejected that password for that account
 * in this process; never beside another attempt with the same password on the same account. `attempt` records its
 * own rejection (before the next waiting attempt looks).
 */
async function loginAttempt<T>(login: AccountRef, username: string, password: string, attempt: () => Promise<T>): Promise<T | typeof ALREADY_REJECTED> {
    const key = rejectionKey(login, username, password);
    return loginMemory().attempts.run(key, async () => (loginMemory().rejected.has(key) ? ALREADY_REJECTED : attempt()));
}

/** Records that this BMC rejected `password` for `username`: it is not tried again in this process. */
export function recordRejection(login: AccountRef, username: string, password: string): void {
    loginMemory().rejected.add(rejectionKey(login, username, password));
    const key = accountKey(login, username);
    if (loginMemory().written.get(key) === password) {
        loginMemory().written.delete(key);
    }
}

/**
 * This process wrote `password` onto `username`'s slot: a rejection of it no longer holds, and whatever password an
 * earlier rotation wrote there no longer opens it. `opensLoginAccount`: the write rotated (or restored) the login
 * account and a session has opened with it, so later operations on this BMC that log in as `username` try it first.
 */
export function notePasswordWritten(login: AccountRef, username: string, password: string, opensLoginAccount = false): void {
    registerSecrets(password);
    const memory = loginMemory();
    memory.rejected.delete(rejectionKey(login, username, password));
    if (opensLoginAccount) {
        memory.written.set(accountKey(login, username), password);
    } else {
        memory.written.delete(accountKey(login, username));
    }
}

/** Forgets every rejection and written password: what a new provider process starts with (tests model a crash). */
export function forgetLoginMemory(): void {
    const memory = loginMemory();
    memory.rejected.clear();
    memory.written.clear();
}

/** The label of the password this process wrote onto the login account while rotating it. */
export const WRITTEN_LABEL = "the password this run wrote onto the login account";

function candidatesOf(login: BmcLogin, extra: readonly Candidate[] = []): Candidate[] {
    const written = loginMemory().written.get(accountKey(login, login.username));
    const all: Candidate[] = [
        // Known to open the account (this run wrote it and logged in with it): trying the declared, now stale,
        // bmc.password first would be a rejected login for certain.
        ...(written !== undefined ? [{ label: WRITTEN_LABEL, password: written }] : []),
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
 * with the password this run wrote onto the login account (if it rotated it), `password`, the extra candidates, then
 * `fallbackPasswords`, each at most once for the whole operation and none the BMC already rejected for this account
 * in this process. Transient failures (timeouts, busy BMC) are retried with jittered backoff; `fn` must therefore be
 * idempotent. `fn` receives the login as resolved ({@link resolveLogin}): the address every session of the operation
 * contacts.
 */
export async function withAdminSession<T>(
    unresolved: BmcLogin,
    options: OperationOptions,
    fn: (session: IpmiSession, loginLabel: string, loginPassword: string, login: BmcLogin) => Promise<T>,
): Promise<T> {
    const login = await resolveLogin(unresolved);
    const candidates = login.inband ? [{ label: INBAND_LABEL, password: "" }] : candidatesOf(login, options.extraCandidates);
    registerSecrets(...candidates.map((c) => c.password));
    const rejected = new Set<string>();
    return withBmcSession(bmcKey(login), (holdSlot) => {
        options.onLocked?.();
        return withRetry(
            async () => {
                const { session, label, password } = await loginWithCandidates(login, "ADMINISTRATOR", login.username, candidates, rejected, options);
                try {
                    return await fn(session, label, password, login);
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

/** The session target of a login as `username` at `privilege`. */
function sessionTarget(login: BmcLogin, username: string, privilege: string): SessionTarget {
    return {
        host: login.host,
        address: login.address,
        port: login.port,
        username,
        cipherSuite: login.cipherSuite,
        privilege,
        timeoutSeconds: login.timeoutSeconds,
        retries: login.retries,
        inband: login.inband,
    };
}

async function loginWithCandidates(
    login: BmcLogin,
    privilege: string,
    username: string,
    candidates: readonly Candidate[],
    rejected: Set<string>,
    options: TransportOptions,
): Promise<{ session: IpmiSession; label: string; password: string }> {
    const target = sessionTarget(login, username, privilege);
    const rejectedEarlier: string[] = [];
    for (const c of candidates) {
        if (rejected.has(c.label)) {
            continue;
        }
        const open = () => IpmiSession.open(target, login.inband ? undefined : c.password, routed(login, options));
        const attempt = login.inband
            ? await open()
            : await loginAttempt(login, username, c.password, () =>
                  open().catch((e) => {
                      if (!isPasswordRejected(e)) {
                          throw e;
                      }
                      recordRejection(login, username, c.password);
                      return undefined;
                  }),
              );
        if (attempt === ALREADY_REJECTED) {
            rejectedEarlier.push(c.label);
        } else if (attempt === undefined) {
            rejected.add(c.label);
        } else {
            return { session: attempt, label: c.label, password: c.password };
        }
    }
    const tried = candidates.filter((c) => !rejectedEarlier.includes(c.label)).map((c) => c.label);
    const earlier = rejectedEarlier.length > 0 ? `already rejected earlier in this run, not tried again: ${rejectedEarlier.join(", ")}` : "";
    throw new CredentialsError("BMC_LOGIN_REJECTED", {
        message:
            tried.length === 0
                ? `every password for ${username} was ${earlier}`
                : `the BMC rejected every password tried for ${username} (${tried.join(", ")})${earlier ? `; ${earlier}` : ""}`,
        hint:
            "set bmc.password to the BMC's current password, or list it in bmc.fallbackPasswords. " +
            "Each password was tried once; the provider never loops on rejected passwords, and a password a BMC rejected is " +
            "not tried again on that account in the same run, to avoid locking the account",
        context: { host: login.host, port: login.port, user: username, slot: options.context?.userId, channel: options.context?.channel, reason: "password" },
    });
}

const CHANNELS_KEY = Symbol.for("pulumi-bmc-credentials.lan-channels");

type BmcRef = Pick<BmcLogin, "host" | "port" | "ssh" | "inband" | "address">;

/**
 * The LAN channel found per BMC ({@link bmcKey}) and probe order in this provider process. A fleet stack manages
 * several accounts per BMC; each would otherwise spend Get Channel Info round trips on a fact that does not change
 * between them. Keyed by the probe order too: on a BMC with two LAN channels, "the first LAN channel" depends on the
 * order (HPE's profile probes 2 first), and a resource must get what it would get on its own, whichever resource ran
 * first. Forgotten when an operation on that BMC fails, so a wrong or stale answer is never reused after a problem.
 */
function knownChannels(): Map<string, Map<string, number>> {
    const g = globalThis as unknown as Record<symbol, Map<string, Map<string, number>> | undefined>;
    return (g[CHANNELS_KEY] ??= new Map());
}

/** Forgets the LAN channels cached for this BMC, in every probe order (after a failure, and in tests). */
export function forgetLanChannel(login: BmcRef): void {
    knownChannels().delete(bmcKey(login));
}

/** The BMC's LAN channel: from this process's cache for this probe order, else detected (and cached) in `session`. */
export async function lanChannel(session: IpmiSession, login: BmcRef, order: readonly number[] = LAN_CHANNEL_PROBE): Promise<number> {
    const key = bmcKey(login);
    const orderKey = order.join(",");
    const cached = knownChannels().get(key)?.get(orderKey);
    if (cached !== undefined) {
        return cached;
    }
    const channel = await detectLanChannel(session, login, order);
    let byOrder = knownChannels().get(key);
    if (!byOrder) {
        byOrder = new Map();
        knownChannels().set(key, byOrder);
    }
    byOrder.set(orderKey, channel);
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
 * thresholds, and none when the BMC already rejected this password for this user in this process (the answer is
 * `bad-password` again). Failures other than a rejected login (no answer, DNS) are thrown.
 *
 * The probe takes one of the BMC's session slots and a global one. `options.ownSlot: false` is for a caller that
 * holds a global slot already and waits for the probe inside it (the self-rotation proof): it must not wait for a
 * second global slot, or sixteen such callers would wait on each other for ever, and it returns only once the probe's
 * Close Session is done, so no ipmitool process outlives the caller's accounting.
 */
export async function probeLogin(
    unresolved: BmcLogin,
    username: string,
    password: string,
    sessionPrivilege: string,
    options: TransportOptions & { ownSlot?: boolean } = {},
): Promise<ProbeOutcome> {
    registerSecrets(password);
    const login = await resolveLogin(unresolved);
    const inSlot = options.ownSlot === false;
    const outcome = await loginAttempt(login, username, password, async () => {
        const result = await withSessionSlot(bmcKey(login), (holdSlot) => probeOnce(login, username, password, sessionPrivilege, options, holdSlot), {
            global: !inSlot,
            waitForTails: inSlot,
        });
        if (result === "bad-password") {
            recordRejection(login, username, password);
        }
        return result;
    });
    return outcome === ALREADY_REJECTED ? "bad-password" : outcome;
}

async function probeOnce(
    login: BmcLogin,
    username: string,
    password: string,
    sessionPrivilege: string,
    options: TransportOptions,
    holdSlot: (closing: Promise<unknown>) => void,
): Promise<ProbeOutcome> {
    if (login.inband) {
        return testPasswordInband(login, password, options);
    }
    try {
        const session = await IpmiSession.open(sessionTarget(login, username, sessionPrivilege), password, routed(login, options));
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
    const session = await IpmiSession.open(sessionTarget(login, "", "ADMINISTRATOR"), undefined, routed(login, options));
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
