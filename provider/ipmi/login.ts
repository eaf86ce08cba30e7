/**
 * Logging in to a BMC: the transport that carries the session (native RMCP+, or ipmitool here, in-band or over SSH),
 * the administrator session of an operation with its login candidates, and the one-login probe that proves a password.
 *
 * Lockout safety: a rejected password is never retried. Each candidate password is tried at most once per operation,
 * including across the operation's own retries, and a password a BMC rejected for an account is not tried on that
 * account again by this process ({@link wasRejected}).
 */

import { createHmac, randomBytes } from "node:crypto";
import { CredentialsError, isCredentialsError } from "../shared/errors";
import { KeyedMutex, withBmcSession, withSessionSlot } from "../shared/limiter";
import { registerSecrets } from "../shared/redact";
import { realSleep, withRetry } from "../shared/retry";
import { IpmitoolOptions, IpmitoolSession } from "../transport/ipmitool/session";
import { RmcpOptions, openRmcpSession } from "../transport/rmcp/session";
import type { FailureContext, Session, SessionPrivilege, SessionTarget } from "../transport/session";
import { launchOverSsh } from "../transport/ssh/channel";
import { forgetLanChannel } from "./accounts";
import { decodeBadPasswordThreshold, getBadPasswordThreshold, testUserPassword } from "./commands";
import { IpmiSession } from "./session";
import { BmcLogin, bmcKey, resolveLogin } from "./target";

/** Injection points of the transports, and the slot and channel every error (login failures included) names. */
export interface TransportOptions extends IpmitoolOptions {
    /** Native client injection (tests). */
    rmcp?: RmcpOptions;
    /** The slot and channel the operation concerns. */
    context?: Pick<FailureContext, "userId" | "channel">;
    /** How long a login waits for a BMC with no free session; default `PULUMI_BMC_SESSION_WAIT_SECONDS` or 60 s. */
    sessionWaitMs?: number;
    /** The wait between Open Session attempts on a full BMC (tests). */
    sessionWaitSleep?: (ms: number) => Promise<void>;
}

/** Whether `login`'s sessions are ipmitool processes: in-band, from a jump host, or when the login asks for it. */
function usesIpmitool(login: BmcLogin): boolean {
    return !!login.inband || !!login.ssh || login.transport === "ipmitool";
}

/** Which global cap a session of `login` counts against (`shared/limiter.ts`). */
function slotKind(login: BmcLogin): { native: boolean } {
    return { native: !usesIpmitool(login) };
}

/**
 * Opens a transport session for `login`: the native client over the network unless the login says ipmitool; ipmitool
 * in-band and from a jump host (over SSH), where the native client cannot go. A BMC with no free session
 * (`BMC_SESSION_LIMIT`: RMCP+ status 0x01 at Open Session, before any password is looked at) is asked again after a
 * jittered backoff until {@link sessionWaitMs} has passed; then the error stands. Waiting costs nothing towards a
 * lockout and holds no session.
 */
async function openTransport(login: BmcLogin, target: SessionTarget, password: string | undefined, options: TransportOptions): Promise<IpmiSession> {
    const deadline = Date.now() + sessionWaitMs(options);
    for (let attempt = 1; ; attempt++) {
        try {
            return await openTransportOnce(login, target, password, options);
        } catch (e) {
            const left = deadline - Date.now();
            if (!isCredentialsError(e, "BMC_SESSION_LIMIT") || left <= 0) {
                throw e;
            }
            const step = Math.min(SESSION_WAIT_MAX_STEP_MS, SESSION_WAIT_FIRST_STEP_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
            await (options.sessionWaitSleep ?? realSleep)(Math.min(step, left));
        }
    }
}

/** Default wait for a free session on a full BMC: about the idle timeout after which BMCs free a forgotten session. */
export const DEFAULT_SESSION_WAIT_SECONDS = 60;
const SESSION_WAIT_FIRST_STEP_MS = 250;
const SESSION_WAIT_MAX_STEP_MS = 4000;

/** How long one login waits for a free session: `options.sessionWaitMs`, else `PULUMI_BMC_SESSION_WAIT_SECONDS`, else 60 s. */
function sessionWaitMs(options: TransportOptions): number {
    if (options.sessionWaitMs !== undefined) {
        return options.sessionWaitMs;
    }
    const fromEnv = Number(process.env.PULUMI_BMC_SESSION_WAIT_SECONDS);
    return (Number.isFinite(fromEnv) && fromEnv >= 0 && process.env.PULUMI_BMC_SESSION_WAIT_SECONDS !== "" ? fromEnv : DEFAULT_SESSION_WAIT_SECONDS) * 1000;
}

async function openTransportOnce(login: BmcLogin, target: SessionTarget, password: string | undefined, options: TransportOptions): Promise<IpmiSession> {
    const context: FailureContext = { host: login.host, port: login.port, username: target.username, ...options.context };
    let session: Session;
    if (usesIpmitool(login)) {
        const launcher = options.launcher ?? (login.ssh ? launchOverSsh(login.ssh) : undefined);
        session = await IpmitoolSession.open(target, password, context, { ...options, launcher });
    } else {
        session = await openRmcpSession(target, password ?? "", context, options.rmcp);
    }
    return new IpmiSession(session, context);
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
     * One login attempt at a time per account: a second login with the same password waits for the first and sees its
     * rejection, and one with another password sees the budget the first one spent, so concurrent operations cannot
     * each spend one.
     */
    attempts: KeyedMutex;
    /**
     * Per BMC (`bmcKey`): the bad-password threshold it reported (LAN configuration parameter 26, read once per run
     * in the first administrator session); 0 when it locks no account or does not report one.
     */
    thresholds: Map<string, number>;
    /** Per account (`<bmc>/<user>`): rejected logins this process spent on it. */
    spent: Map<string, number>;
    /**
     * Rejection keys of passwords that opened their account in this process, or that this process wrote onto it since:
     * what the account holds, so the lockout budget does not hold a login with one back.
     */
    accepted: Set<string>;
}

/**
 * What this provider process (one `pulumi up`) knows about logins, shared by every copy of this module. Rejections
 * keep a typo in a fleet stack from spending one failed login per resource (BMCs lock accounts after a few); the
 * written password keeps later operations from spending one on a `bmc.password` this very run has replaced.
 */
function loginMemory(): LoginMemory {
    const g = globalThis as unknown as Record<symbol, LoginMemory | undefined>;
    return (g[LOGIN_MEMORY_KEY] ??= {
        hmacKey: randomBytes(32),
        rejected: new Set(),
        written: new Map(),
        attempts: new KeyedMutex(),
        thresholds: new Map(),
        spent: new Map(),
        accepted: new Set(),
    });
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
const BUDGET_SPENT = Symbol("lockout budget spent");

/**
 * The lockout budget of an account: `threshold − 1` rejected logins per run, when its BMC reported a threshold of
 * `threshold` this run; undefined when none is known (then only the rejection memory bounds the cost).
 */
export function loginBudget(login: AccountRef, username: string): { threshold: number; budget: number; spent: number } | undefined {
    const memory = loginMemory();
    const threshold = memory.thresholds.get(bmcKey(login));
    if (!threshold) {
        return undefined;
    }
    return { threshold, budget: threshold - 1, spent: memory.spent.get(accountKey(login, username)) ?? 0 };
}

/** Records the bad-password threshold a BMC reported (0: none). */
export function noteLockoutThreshold(login: AccountRef, threshold: number): void {
    loginMemory().thresholds.set(bmcKey(login), threshold);
}

/** Whether this process has asked the BMC for its bad-password threshold already. */
export function knowsLockoutThreshold(login: AccountRef): boolean {
    return loginMemory().thresholds.has(bmcKey(login));
}

/**
 * Runs one login attempt with `password` as `username` unless the BMC already rejected that password for that account
 * in this process ({@link ALREADY_REJECTED}), or the account's lockout budget is spent and this password has not
 * opened it in this run ({@link BUDGET_SPENT}); never beside another attempt on the same account. `attempt` records
 * its own rejection (before the next waiting attempt looks); an attempt that did not throw and did not record a
 * rejection opened the account.
 */
async function loginAttempt<T>(login: AccountRef, username: string, password: string, attempt: () => Promise<T>): Promise<T | typeof ALREADY_REJECTED | typeof BUDGET_SPENT> {
    const key = rejectionKey(login, username, password);
    const memory = loginMemory();
    return memory.attempts.run(accountKey(login, username), async () => {
        if (memory.rejected.has(key)) {
            return ALREADY_REJECTED;
        }
        const budget = loginBudget(login, username);
        if (budget && budget.spent >= budget.budget && !memory.accepted.has(key)) {
            return BUDGET_SPENT;
        }
        const result = await attempt();
        if (!memory.rejected.has(key) && result !== "no-such-user") {
            memory.accepted.add(key);
        }
        return result;
    });
}

/** The failure of a login the lockout budget forbids: nothing was sent. */
function budgetSpentError(login: BmcLogin, username: string, labels: readonly string[], context: TransportOptions["context"]): CredentialsError {
    const b = loginBudget(login, username)!;
    return new CredentialsError("BMC_LOGIN_REJECTED", {
        message:
            `not tried, to keep ${username} from being locked out: the BMC locks an account after ${b.threshold} failed login${b.threshold === 1 ? "" : "s"} ` +
            `(its bad-password threshold), and this run has spent its budget of ${b.budget} rejected login${b.budget === 1 ? "" : "s"} on this account` +
            (labels.length > 0 ? ` (${labels.join(", ")} not tried)` : ""),
        hint:
            "set bmc.password (or the resource's password) to the account's current password; the provider spends at most threshold − 1 rejected logins " +
            "per account in one run, and tries again in the next run",
        context: { host: login.host, port: login.port, user: username, slot: context?.userId, channel: context?.channel, reason: "password", lockoutThreshold: b.threshold },
    });
}

/** True for the error of a login the lockout budget forbade (nothing was sent). */
export function isLoginBudgetSpent(e: unknown): boolean {
    return isCredentialsError(e, "BMC_LOGIN_REJECTED") && e.context.lockoutThreshold !== undefined;
}

/** Records that this BMC rejected `password` for `username`: it is not tried again in this process. */
export function recordRejection(login: AccountRef, username: string, password: string): void {
    const memory = loginMemory();
    const key = accountKey(login, username);
    memory.rejected.add(rejectionKey(login, username, password));
    memory.accepted.delete(rejectionKey(login, username, password));
    memory.spent.set(key, (memory.spent.get(key) ?? 0) + 1);
    if (memory.written.get(key) === password) {
        memory.written.delete(key);
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
    // Whatever opened the account before no longer does: trying it again would be a rejected login.
    const account = `${accountKey(login, username)}/`;
    for (const key of memory.accepted) {
        if (key.startsWith(account)) {
            memory.accepted.delete(key);
        }
    }
    // The password just written is what the account holds now: its proof (the verification login) is not a guess, so
    // the lockout budget does not hold it back (a rejection of it still counts, and firmware that mangled it is told).
    memory.accepted.add(rejectionKey(login, username, password));
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
    memory.thresholds.clear();
    memory.spent.clear();
    memory.accepted.clear();
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
        // Work beside this session (a verification login) spends logins: when this run does not know the BMC's
        // bad-password threshold yet, it starts once the session below has read it.
        let onLocked = options.onLocked;
        const learn = !login.inband && !knowsLockoutThreshold(login);
        if (!learn) {
            onLocked?.();
            onLocked = undefined;
        }
        return withRetry(
            async () => {
                const { session, label, password } = await loginWithCandidates(login, "ADMINISTRATOR", login.username, candidates, rejected, options);
                if (learn) {
                    await learnLockoutThreshold(session, login);
                    onLocked?.();
                    onLocked = undefined;
                }
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
                // A full BMC was waited for already, for the whole session budget.
                isTransient: (e) => isCredentialsError(e) && e.transient && e.code !== "BMC_UNREACHABLE" && e.code !== "BMC_SESSION_LIMIT",
            },
        );
    }, slotKind(login));
}

/**
 * Reads the BMC's bad-password threshold (LAN parameter 26) once per run, in the first administrator session: from
 * then on, no account there is spent more than threshold − 1 rejected logins in this run ({@link loginBudget}). A BMC
 * that does not report it (an error completion code) counts as reporting none; no answer leaves it unknown, asked again
 * by the next session.
 */
async function learnLockoutThreshold(session: IpmiSession, login: BmcLogin): Promise<void> {
    if (login.inband || knowsLockoutThreshold(login)) {
        return;
    }
    try {
        const [r] = await session.run([getBadPasswordThreshold()]);
        if (r.ok) {
            noteLockoutThreshold(login, decodeBadPasswordThreshold(r.data).threshold);
        } else if (r.error.context.completionCode !== "0xd4") {
            // Refused as such (not supported): the BMC reports no threshold. Refused for privilege (0xD4, an operator
            // session on firmware that wants more): unknown, the next administrator session asks.
            noteLockoutThreshold(login, 0);
        }
    } catch {
        // No answer: the operation's own commands will say so; the threshold stays unknown.
    }
}

/** The session target of a login as `username` at `privilege`. */
function sessionTarget(login: BmcLogin, username: string, privilege: SessionPrivilege, proofOnly = false): SessionTarget {
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
        ...(proofOnly ? { proofOnly } : {}),
    };
}

async function loginWithCandidates(
    login: BmcLogin,
    privilege: SessionPrivilege,
    username: string,
    candidates: readonly Candidate[],
    rejected: Set<string>,
    options: TransportOptions,
): Promise<{ session: IpmiSession; label: string; password: string }> {
    const target = sessionTarget(login, username, privilege);
    const rejectedEarlier: string[] = [];
    const overBudget: string[] = [];
    for (const c of candidates) {
        if (rejected.has(c.label)) {
            continue;
        }
        const open = () => openTransport(login, target, login.inband ? undefined : c.password, options);
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
        } else if (attempt === BUDGET_SPENT) {
            overBudget.push(c.label);
        } else if (attempt === undefined) {
            rejected.add(c.label);
        } else {
            return { session: attempt, label: c.label, password: c.password };
        }
    }
    if (overBudget.length > 0) {
        throw budgetSpentError(login, username, overBudget, options.context);
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
    sessionPrivilege: SessionPrivilege,
    options: TransportOptions & { ownSlot?: boolean } = {},
): Promise<ProbeOutcome> {
    registerSecrets(password);
    const login = await resolveLogin(unresolved);
    const inSlot = options.ownSlot === false;
    const outcome = await loginAttempt(login, username, password, async () => {
        const result = await withSessionSlot(bmcKey(login), (holdSlot) => probeOnce(login, username, password, sessionPrivilege, options, holdSlot), {
            global: !inSlot,
            waitForTails: inSlot,
            ...slotKind(login),
        });
        if (result === "bad-password") {
            recordRejection(login, username, password);
        }
        return result;
    });
    if (outcome === BUDGET_SPENT) {
        throw budgetSpentError(login, username, [], options.context);
    }
    return outcome === ALREADY_REJECTED ? "bad-password" : outcome;
}

async function probeOnce(
    login: BmcLogin,
    username: string,
    password: string,
    sessionPrivilege: SessionPrivilege,
    options: TransportOptions,
    holdSlot: (closing: Promise<unknown>) => void,
): Promise<ProbeOutcome> {
    if (login.inband) {
        return testPasswordInband(login, password, options);
    }
    try {
        // Proof only: the login is the proof, no command follows (the native client skips Set Session Privilege).
        const session = await openTransport(login, sessionTarget(login, username, sessionPrivilege, true), password, options);
        // The login is the proof; Close Session (one more round trip) finishes in the background.
        holdSlot(session.close());
        return "ok";
    } catch (e) {
        // A refused password or name answers the probe; anything else (a key-exchange mismatch, no answer) does not.
        if (isCredentialsError(e, "BMC_LOGIN_REJECTED") && (e.context.reason === "password" || e.context.reason === "user")) {
            return e.context.reason === "password" ? "bad-password" : "no-such-user";
        }
        throw e;
    }
}

/** What {@link withUserSession} found: the login refused, or accepted and what the session did (or how it failed). */
export type UserSessionResult<T> = { outcome: "bad-password" | "no-such-user" } | { outcome: "ok"; value: T } | { outcome: "ok"; error: unknown };

/**
 * One session as the managed account itself (not the administrator), at its own privilege, holding the BMC's mutex and
 * session slots like an operation's session: the login proves the password exactly as {@link probeLogin} does (once,
 * never beside another attempt with the same password, never after a rejection of it in this process), and the open
 * session then runs `fn` (an operator may read its own slot). A refused login answers like the probe; any other
 * failure to log in (no answer, a privilege the BMC will not grant) is thrown. Over the network only.
 */
export async function withUserSession<T>(
    unresolved: BmcLogin,
    username: string,
    password: string,
    privilege: SessionPrivilege,
    options: TransportOptions,
    fn: (session: IpmiSession) => Promise<T>,
): Promise<UserSessionResult<T>> {
    registerSecrets(password);
    const login = await resolveLogin(unresolved);
    return withBmcSession(bmcKey(login), async (holdSlot) => {
        const attempt = await loginAttempt(login, username, password, async () => {
            try {
                return await openTransport(login, sessionTarget(login, username, privilege), password, options);
            } catch (e) {
                if (isCredentialsError(e, "BMC_LOGIN_REJECTED") && e.context.reason === "password") {
                    recordRejection(login, username, password);
                    return "bad-password" as const;
                }
                if (isCredentialsError(e, "BMC_LOGIN_REJECTED") && e.context.reason === "user") {
                    return "no-such-user" as const;
                }
                throw e;
            }
        });
        if (attempt === ALREADY_REJECTED) {
            return { outcome: "bad-password" };
        }
        if (attempt === BUDGET_SPENT) {
            throw budgetSpentError(login, username, [], options.context);
        }
        if (typeof attempt === "string") {
            return { outcome: attempt };
        }
        try {
            if (privilege === "OPERATOR" || privilege === "ADMINISTRATOR") {
                // A refresh as the account itself may be the run's first session on this BMC: the threshold is read
                // here too (Get LAN Configuration Parameters needs an operator), so later probes respect it.
                await learnLockoutThreshold(attempt, login);
            }
            return { outcome: "ok", value: await fn(attempt) };
        } catch (error) {
            return { outcome: "ok", error };
        } finally {
            holdSlot(attempt.close());
        }
    }, slotKind(login));
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
    const session = await openTransport(login, sessionTarget(login, "", "ADMINISTRATOR"), undefined, options);
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
