/**
 * The account table of one virtual BMC, as the BMC holds it: user slots 1..max with 16-byte names, passwords stored in
 * the 16- or 20-byte format they were set with, an enable status kept apart from the per-channel access (privilege
 * limit, IPMI messaging, link authentication, callback-only), fixed-name slots, and bad-password lockout with an
 * injectable clock.
 *
 * Protocol-neutral on purpose: the IPMI face (`commands.ts`, `rmcp-server.ts`) and any other face of the same BMC (a
 * Redfish service, for instance) read and change this one table, so an account set through one shows in the other and
 * a lockout earned through one holds in both. Nothing here knows about completion codes or HTTP statuses: every change
 * returns `"ok"` or an {@link AccountRefusal} that each face maps to its own protocol's error.
 *
 * Vendor differences that belong to the account store itself (slot count, fixed names, password policy, duplicate
 * names, whether a password test compares the storage size) come in as an {@link AccountPolicy}; differences in how a
 * protocol presents the table (HPE's "(Empty User)" names, Lenovo's 0xCC on empty slots) stay with that protocol's face.
 *
 * Semantics follow IPMI v2.0 rev 1.1 §22.26-22.30 (user commands) and §23.2 parameter 26 (Bad Password Threshold),
 * written down where the specification leaves room:
 * - Slot 1 is the null user when the policy says so (`nullUserSlot`): its name is fixed empty and it cannot log in by
 *   name.
 * - An empty name means an unused slot. Clearing a name leaves password, enable status and access as they were (the
 *   specification has no "delete user"); callers that delete also disable and scramble.
 * - Enable status ("enabled/disabled via Set User Password") is its own bit; IPMI messaging is a per-channel flag. A
 *   login needs both (and a privilege limit other than no-access on the channel).
 * - Lockout: `threshold` consecutive failed logins of one slot lock it for `lockoutSeconds` (0 = until it is enabled
 *   again). While locked the slot reports as disabled and every login is refused; enabling it (Set User Password
 *   "enable", or {@link AccountTable.unlock}) lifts the lock. Failures older than `attemptResetSeconds`, counted from
 *   the first failure of the current run (0 = never), are forgotten; a successful login clears the count. Locked slots
 *   collect no further failures.
 */

import { timingSafeEqual } from "node:crypto";

/** Privilege limits (IPMI v2.0 Table 22-26 numbering: 1 callback … 4 administrator, 5 OEM, 0xF no access). */
export type Privilege = "callback" | "user" | "operator" | "administrator" | "oem" | "no-access";

/** Privilege → IPMI privilege-limit number. */
export const PRIVILEGE_CODE: Readonly<Record<Privilege, number>> = { callback: 1, user: 2, operator: 3, administrator: 4, oem: 5, "no-access": 0x0f };

/** IPMI privilege-limit number → privilege, for the numbers that name one. */
export function privilegeFromCode(code: number): Privilege | undefined {
    return (Object.keys(PRIVILEGE_CODE) as Privilege[]).find((p) => PRIVILEGE_CODE[p] === code);
}

/** Rank for comparisons: no-access below callback, administrator below OEM. */
export function privilegeRank(p: Privilege): number {
    return p === "no-access" ? 0 : PRIVILEGE_CODE[p];
}

/** Password storage formats: the IPMI 1.5 16-byte and the IPMI 2.0 20-byte form (§22.30). */
export type PasswordSize = 16 | 20;

/** Why the table refused a change or a login. Each face maps these to its protocol's errors. */
export type AccountRefusal =
    | "slot-out-of-range"
    | "no-such-channel"
    | "null-user"
    | "fixed-name"
    | "duplicate-name"
    | "name-too-long"
    | "password-too-long"
    | "password-size-refused"
    | "password-policy"
    | "invalid-privilege";

/** Why a login was refused before any password was compared. */
export type LoginRefusal = "unknown-name" | "null-name" | "disabled" | "locked" | "no-messaging" | "no-access" | "privilege-mismatch";

/** Per-channel access of one slot (§22.26/22.27). */
export interface ChannelAccess {
    privilege: Privilege;
    ipmiMessaging: boolean;
    linkAuth: boolean;
    /** "User restricted to callback": the privilege applies to callback connections only. */
    callbackOnly: boolean;
    /** Simultaneous session limit for this user on this channel; 0 = only the channel's limit applies. */
    sessionLimit: number;
}

/** LAN configuration parameter 26, Bad Password Threshold (§23.2), with the intervals in seconds. */
export interface LockoutPolicy {
    /** Consecutive failed logins that lock a slot; 0 = no lockout. */
    threshold: number;
    /** Seconds after the first failure of a run when the count is forgotten; 0 = never. */
    attemptResetSeconds: number;
    /** Seconds a slot stays locked; 0 = until it is enabled again. */
    lockoutSeconds: number;
    /** Byte 1 bit 0: generate a Session Audit event when a user is disabled (stored and reported, not acted on). */
    auditEvent: boolean;
}

export const NO_LOCKOUT: LockoutPolicy = Object.freeze({ threshold: 0, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });

/** The account-store half of a vendor personality. */
export interface AccountPolicy {
    /** Highest slot number (Get User Access byte 1); slots are 1..maxUsers. */
    maxUsers: number;
    /** Channels that carry per-user access (the LAN channels). */
    channels: readonly number[];
    /** Slot of the null user (fixed empty name, no login by name), if the firmware has one. */
    nullUserSlot?: number;
    /** Slots whose name cannot be changed, with that name. */
    fixedNames?: Readonly<Record<number, string>>;
    /** Refuse a name another slot already has (most firmware does; the specification is silent). */
    uniqueNames: boolean;
    /** Refuse the 20-byte storage format (firmware that keeps 16 bytes only). */
    refuses20BytePasswords?: boolean;
    /** Extra password rule of the firmware; called for non-empty passwords set by a user, not for factory seeds. */
    passwordRule?: (password: Buffer) => boolean;
    /**
     * Whether a password test reports a size mismatch (the specification's 0x81) instead of comparing the text only.
     * phosphor-host-ipmid compares the text and never reports the size, "for security reasons".
     */
    testComparesSize: boolean;
}

/** One account as the factory (or a lab user) puts it in place. */
export interface AccountSeed {
    slot: number;
    name: string;
    password: string;
    privilege: Privilege;
    enabled?: boolean;
    /** Channels to grant `privilege` on with IPMI messaging and link auth; default: every channel of the policy. */
    channels?: readonly number[];
}

/** A read-only view of one slot for assertions and other faces. Never holds the password itself. */
export interface AccountView {
    slot: number;
    /** The name up to its first NUL, as latin1 text; "" for an unused slot. */
    name: string;
    /** The format the password was stored with, or undefined when none was ever set. */
    passwordSize?: PasswordSize;
    /** Administrative enable status (Set User Password enable/disable). */
    enabled: boolean;
    /** Locked by the bad-password threshold right now. */
    locked: boolean;
    /** When the lock ends (ms, on the table's clock); undefined when not locked or locked until enabled. */
    lockedUntil?: number;
    /** Consecutive failed logins counted towards the threshold. */
    failedLogins: number;
    /** Every failed password proof of this slot since the lab started (also while locked); never reset. */
    rejectedLogins: number;
    fixedName: boolean;
    access: Readonly<Record<number, ChannelAccess>>;
}

/** What a login needs once the name is accepted: the slot, the key to check the proof with, and the limits. */
export interface LoginCandidate {
    slot: number;
    /** The stored password bytes, NUL-padded to 20 (the RAKP Kuid; HMAC pads shorter keys the same way). */
    key: Buffer;
    /** Privilege limit on the channel asked about (on the first channel of the policy when none was given). */
    privilegeLimit: Privilege;
}

/** Milliseconds since some epoch; injectable so lockout intervals can be tested without waiting. */
export interface Clock {
    now(): number;
}

export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

interface Slot {
    name: Buffer;
    password?: { bytes: Buffer; size: PasswordSize };
    enabled: boolean;
    access: Map<number, ChannelAccess>;
    failures: number;
    /** Every failed password proof since the lab started, locked or not: never reset (what tests count). */
    rejectedLogins?: number;
    firstFailureAt: number;
    /** ms on the clock, or Infinity for "until enabled again". */
    lockedUntil?: number;
}

const NO_ACCESS: ChannelAccess = Object.freeze({ privilege: "no-access", ipmiMessaging: false, linkAuth: false, callbackOnly: false, sessionLimit: 0 });

const MAX_NAME_BYTES = 16;

function text(buf: Buffer): string {
    return buf.toString("latin1");
}

/** The bytes of a name up to its first NUL (names travel NUL-padded to 16 bytes). */
export function trimName(raw: Buffer): Buffer {
    const end = raw.indexOf(0);
    return Buffer.from(end === -1 ? raw : raw.subarray(0, end));
}

function asBytes(v: string | Buffer): Buffer {
    return typeof v === "string" ? Buffer.from(v, "latin1") : v;
}

/** JSON form of a table, for `--state DIR`. Passwords are hex, as readable as a BMC's own flash: lab fixtures only. */
export interface AccountTableState {
    version: 1;
    slots: {
        slot: number;
        name: string;
        password?: { hex: string; size: PasswordSize };
        enabled: boolean;
        access: Record<string, ChannelAccess>;
    }[];
    lockout: LockoutPolicy;
}

/** The user table of one BMC. */
export class AccountTable {
    private slots = new Map<number, Slot>();
    private lockoutPolicy: LockoutPolicy = NO_LOCKOUT;
    private listeners: (() => void)[] = [];
    /** Incremented on every change: a cheap ETag for faces that need one. */
    revision = 0;

    constructor(
        readonly policy: AccountPolicy,
        private readonly factory: readonly AccountSeed[],
        private readonly clock: Clock = SYSTEM_CLOCK,
    ) {
        this.resetToFactory();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Reading

    /** Slot numbers 1..maxUsers. */
    get maxUsers(): number {
        return this.policy.maxUsers;
    }

    /** Whether `slot` is a valid slot number. */
    isSlot(slot: number): boolean {
        return Number.isInteger(slot) && slot >= 1 && slot <= this.policy.maxUsers;
    }

    /** Whether `channel` carries per-user access. */
    isChannel(channel: number): boolean {
        return this.policy.channels.includes(channel);
    }

    /** The name of a slot (bytes up to the first NUL); empty for an unused slot. */
    name(slot: number): Buffer {
        return Buffer.from(this.slots.get(slot)?.name ?? Buffer.alloc(0));
    }

    /** Per-channel access of a slot (no-access, all flags off, for a slot never given any). */
    access(slot: number, channel: number): ChannelAccess {
        return { ...(this.slots.get(slot)?.access.get(channel) ?? NO_ACCESS) };
    }

    /** The administrative enable status. */
    isEnabled(slot: number): boolean {
        return this.slots.get(slot)?.enabled ?? false;
    }

    /** Enabled and not locked: what Get User Access reports as "enabled". */
    isEffectivelyEnabled(slot: number): boolean {
        return this.isEnabled(slot) && !this.isLocked(slot);
    }

    /** Locked by the bad-password threshold right now (a lock whose interval ran out is lifted here). */
    isLocked(slot: number): boolean {
        const s = this.slots.get(slot);
        if (s?.lockedUntil === undefined) {
            return false;
        }
        if (s.lockedUntil !== Infinity && this.clock.now() >= s.lockedUntil) {
            s.lockedUntil = undefined;
            s.failures = 0;
            return false;
        }
        return true;
    }

    /** Whether a slot's name is fixed (the null user's included). */
    isFixedName(slot: number): boolean {
        return slot === this.policy.nullUserSlot || this.policy.fixedNames?.[slot] !== undefined;
    }

    /** Slots that are enabled right now (Get User Access byte 2). */
    enabledCount(): number {
        let n = 0;
        for (const slot of this.slots.keys()) {
            if (this.isEffectivelyEnabled(slot)) {
                n++;
            }
        }
        return n;
    }

    /** Slots with fixed names, the null user included (Get User Access byte 3). */
    fixedNameCount(): number {
        const fixed = new Set(Object.keys(this.policy.fixedNames ?? {}).map(Number));
        if (this.policy.nullUserSlot !== undefined) {
            fixed.add(this.policy.nullUserSlot);
        }
        return fixed.size;
    }

    /** The lowest slot holding `name` (non-empty), if any. */
    findByName(name: string | Buffer): number | undefined {
        const wanted = asBytes(name);
        if (wanted.length === 0) {
            return undefined;
        }
        for (let slot = 1; slot <= this.policy.maxUsers; slot++) {
            const s = this.slots.get(slot);
            if (s && s.name.equals(wanted)) {
                return slot;
            }
        }
        return undefined;
    }

    /** One slot as the BMC holds it, for assertions and other faces. */
    view(slot: number): AccountView {
        const s = this.slots.get(slot);
        const locked = this.isLocked(slot);
        const access: Record<number, ChannelAccess> = {};
        for (const ch of this.policy.channels) {
            access[ch] = this.access(slot, ch);
        }
        return {
            slot,
            name: text(s?.name ?? Buffer.alloc(0)),
            passwordSize: s?.password?.size,
            enabled: s?.enabled ?? false,
            locked,
            lockedUntil: locked && s?.lockedUntil !== Infinity ? s?.lockedUntil : undefined,
            failedLogins: s?.failures ?? 0,
            rejectedLogins: s?.rejectedLogins ?? 0,
            fixedName: this.isFixedName(slot),
            access,
        };
    }

    /** Every slot 1..maxUsers. */
    list(): AccountView[] {
        return Array.from({ length: this.policy.maxUsers }, (_, i) => this.view(i + 1));
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Changing

    /** Sets a slot's name (1-16 bytes; empty clears it). */
    setName(slot: number, name: string | Buffer): "ok" | AccountRefusal {
        const bytes = trimName(asBytes(name));
        if (!this.isSlot(slot)) {
            return "slot-out-of-range";
        }
        if (bytes.length > MAX_NAME_BYTES) {
            return "name-too-long";
        }
        if (slot === this.policy.nullUserSlot) {
            return bytes.length === 0 ? "ok" : "null-user";
        }
        const fixed = this.policy.fixedNames?.[slot];
        if (fixed !== undefined) {
            // Restating the fixed name is accepted (assumed: firmware that refuses a rename has nothing to refuse here).
            return bytes.equals(Buffer.from(fixed, "latin1")) ? "ok" : "fixed-name";
        }
        const holder = this.findByName(bytes);
        if (this.policy.uniqueNames && holder !== undefined && holder !== slot) {
            return "duplicate-name";
        }
        this.slot(slot).name = bytes;
        this.changed();
        return "ok";
    }

    /**
     * Stores a password in the 16- or 20-byte format. `size` is the format asked for; the password must fit it. An
     * empty password is stored as all NULs (IPMI allows it; the firmware's rule may not).
     */
    setPassword(slot: number, password: string | Buffer, size: PasswordSize): "ok" | AccountRefusal {
        const bytes = trimName(asBytes(password));
        if (!this.isSlot(slot)) {
            return "slot-out-of-range";
        }
        if (bytes.length > size) {
            return "password-too-long";
        }
        if (size === 20 && this.policy.refuses20BytePasswords) {
            return "password-size-refused";
        }
        if (this.policy.passwordRule && !this.policy.passwordRule(bytes)) {
            return "password-policy";
        }
        this.store(slot, bytes, size);
        this.changed();
        return "ok";
    }

    /**
     * Compares a password with the stored one (§22.30 "test password"): `"wrong-size"` when the format differs from the
     * stored one and the policy reports sizes (0x81), `"mismatch"` when the bytes differ (0x80). Counts nothing towards
     * the lockout (the specification ties lockout to session activation).
     */
    testPassword(slot: number, password: string | Buffer, size: PasswordSize): "match" | "mismatch" | "wrong-size" | "slot-out-of-range" {
        if (!this.isSlot(slot)) {
            return "slot-out-of-range";
        }
        const stored = this.slots.get(slot)?.password;
        const candidate = trimName(asBytes(password));
        if (!stored) {
            return "mismatch";
        }
        if (this.policy.testComparesSize && stored.size !== size) {
            return "wrong-size";
        }
        return keysEqual(pad(candidate, 20), pad(stored.bytes, 20)) ? "match" : "mismatch";
    }

    /** Enables or disables a slot. Enabling lifts a lockout (§23.2: "until re-enabled via Set User Password"). */
    setEnabled(slot: number, enabled: boolean): "ok" | AccountRefusal {
        if (!this.isSlot(slot)) {
            return "slot-out-of-range";
        }
        const s = this.slot(slot);
        s.enabled = enabled;
        if (enabled) {
            s.lockedUntil = undefined;
            s.failures = 0;
        }
        this.changed();
        return "ok";
    }

    /** Lifts a lockout without changing the enable status (what a Redfish `Locked: false` does). */
    unlock(slot: number): "ok" | AccountRefusal {
        if (!this.isSlot(slot)) {
            return "slot-out-of-range";
        }
        const s = this.slots.get(slot);
        if (s) {
            s.lockedUntil = undefined;
            s.failures = 0;
            this.changed();
        }
        return "ok";
    }

    /**
     * Sets a slot's access on a channel (§22.26). `flags` undefined leaves messaging, link auth and callback-only as
     * they are (Set User Access with "change bits" clear); the privilege is always written.
     */
    setAccess(
        slot: number,
        channel: number,
        change: { privilege: Privilege; flags?: Pick<ChannelAccess, "ipmiMessaging" | "linkAuth" | "callbackOnly">; sessionLimit?: number },
    ): "ok" | AccountRefusal {
        if (!this.isSlot(slot)) {
            return "slot-out-of-range";
        }
        if (!this.isChannel(channel)) {
            return "no-such-channel";
        }
        if (!(change.privilege in PRIVILEGE_CODE)) {
            return "invalid-privilege";
        }
        const s = this.slot(slot);
        const now = s.access.get(channel) ?? NO_ACCESS;
        s.access.set(channel, {
            ...now,
            ...(change.flags ?? {}),
            privilege: change.privilege,
            sessionLimit: change.sessionLimit ?? now.sessionLimit,
        });
        this.changed();
        return "ok";
    }

    /** The lockout policy (LAN parameter 26). */
    get lockout(): LockoutPolicy {
        return { ...this.lockoutPolicy };
    }

    /** Changes the lockout policy; counts in progress keep going under the new threshold. */
    setLockout(policy: LockoutPolicy): void {
        this.lockoutPolicy = { ...policy };
        this.changed();
    }

    /** Back to the factory accounts (Supermicro's OEM factory reset, a "users reset" restart). */
    resetToFactory(): void {
        this.slots = new Map();
        for (const seed of this.factory) {
            this.seed(seed);
        }
        this.changed();
    }

    /** Puts one account in place without the firmware's rules (factory accounts and `--user` fixtures). */
    seed(seed: AccountSeed): void {
        if (!this.isSlot(seed.slot)) {
            throw new RangeError(`slot ${seed.slot} is outside 1..${this.policy.maxUsers}`);
        }
        const name = Buffer.from(seed.name, "latin1");
        const password = Buffer.from(seed.password, "latin1");
        if (name.length > MAX_NAME_BYTES || password.length > 20) {
            throw new RangeError("a name is at most 16 bytes and a password at most 20");
        }
        const s = this.slot(seed.slot);
        s.name = name;
        this.store(seed.slot, password, password.length > 16 ? 20 : 16);
        s.enabled = seed.enabled ?? true;
        for (const ch of seed.channels ?? this.policy.channels) {
            s.access.set(ch, { privilege: seed.privilege, ipmiMessaging: true, linkAuth: true, callbackOnly: false, sessionLimit: 0 });
        }
        this.changed();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Logging in

    /**
     * Looks a login up by name, before any password proof (IPMI: RAKP 1). With `channel`, the slot must have IPMI
     * messaging and a privilege other than no-access there; `nameAndPrivilege` asks for a slot whose limit equals
     * `privilege` (IPMI's "username/privilege lookup"). The caller compares the proof with `key` and reports the outcome
     * with {@link recordLogin}.
     */
    findLogin(request: { name: string | Buffer; channel?: number; privilege?: Privilege; nameAndPrivilege?: boolean }): { ok: true; candidate: LoginCandidate } | { ok: false; refusal: LoginRefusal; slot?: number } {
        const name = asBytes(request.name);
        if (name.length === 0) {
            return { ok: false, refusal: "null-name" };
        }
        const slot = this.findByName(name);
        if (slot === undefined || slot === this.policy.nullUserSlot) {
            return { ok: false, refusal: "unknown-name" };
        }
        const s = this.slots.get(slot)!;
        if (this.isLocked(slot)) {
            return { ok: false, refusal: "locked", slot };
        }
        if (!s.enabled || !s.password) {
            return { ok: false, refusal: "disabled", slot };
        }
        const access = this.access(slot, request.channel ?? this.policy.channels[0]);
        if (request.channel !== undefined) {
            if (!access.ipmiMessaging) {
                return { ok: false, refusal: "no-messaging", slot };
            }
            if (access.privilege === "no-access") {
                return { ok: false, refusal: "no-access", slot };
            }
        }
        const privilegeLimit = access.privilege;
        if (request.nameAndPrivilege && request.privilege !== privilegeLimit) {
            return { ok: false, refusal: "privilege-mismatch", slot };
        }
        return { ok: true, candidate: { slot, key: pad(s.password.bytes, 20), privilegeLimit } };
    }

    /**
     * Records the outcome of a password proof for the lockout count. Returns true when this failure locked the slot.
     * Failures of a slot that is already locked are not counted.
     */
    recordLogin(slot: number, success: boolean): boolean {
        const s = this.slots.get(slot);
        if (!s) {
            return false;
        }
        if (success) {
            if (s.failures !== 0) {
                s.failures = 0;
                this.changed();
            }
            return false;
        }
        s.rejectedLogins = (s.rejectedLogins ?? 0) + 1;
        if (this.isLocked(slot)) {
            return false;
        }
        const now = this.clock.now();
        const { threshold, attemptResetSeconds, lockoutSeconds } = this.lockoutPolicy;
        if (s.failures > 0 && attemptResetSeconds > 0 && now - s.firstFailureAt >= attemptResetSeconds * 1000) {
            s.failures = 0;
        }
        if (s.failures === 0) {
            s.firstFailureAt = now;
        }
        s.failures++;
        let locked = false;
        if (threshold > 0 && s.failures >= threshold) {
            s.lockedUntil = lockoutSeconds > 0 ? now + lockoutSeconds * 1000 : Infinity;
            locked = true;
        }
        this.changed();
        return locked;
    }

    /**
     * One whole login by name and password, for faces that receive the password itself (HTTP Basic, Redfish
     * sessions): looks the name up, compares in constant time, records the outcome.
     */
    authenticate(name: string, password: string): { ok: true; slot: number; privilegeLimit: Privilege } | { ok: false; refusal: LoginRefusal | "bad-password" } {
        const found = this.findLogin({ name });
        if (!found.ok) {
            return { ok: false, refusal: found.refusal };
        }
        const given = Buffer.from(password, "latin1");
        const ok = given.length <= 20 && keysEqual(pad(given, 20), found.candidate.key);
        this.recordLogin(found.candidate.slot, ok);
        return ok ? { ok: true, slot: found.candidate.slot, privilegeLimit: found.candidate.privilegeLimit } : { ok: false, refusal: "bad-password" };
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Change notification and persistence

    /** Calls `listener` after every change (persistence, ETags). Returns a function that removes it. */
    onChange(listener: () => void): () => void {
        this.listeners.push(listener);
        return () => {
            this.listeners = this.listeners.filter((l) => l !== listener);
        };
    }

    /** The table as JSON (see {@link AccountTableState}); lockout counters are not kept. */
    toState(): AccountTableState {
        return {
            version: 1,
            slots: [...this.slots.entries()]
                .sort(([a], [b]) => a - b)
                .map(([slot, s]) => ({
                    slot,
                    name: text(s.name),
                    ...(s.password ? { password: { hex: s.password.bytes.toString("hex"), size: s.password.size } } : {}),
                    enabled: s.enabled,
                    access: Object.fromEntries(s.access),
                })),
            lockout: this.lockout,
        };
    }

    /** Replaces the table with a saved one. */
    restoreState(state: AccountTableState): void {
        if (state?.version !== 1 || !Array.isArray(state.slots)) {
            throw new Error("not an account table state (version 1)");
        }
        this.slots = new Map();
        for (const saved of state.slots) {
            if (!this.isSlot(saved.slot)) {
                continue;
            }
            const s = this.slot(saved.slot);
            s.name = Buffer.from(saved.name, "latin1").subarray(0, MAX_NAME_BYTES);
            if (saved.password) {
                s.password = { bytes: Buffer.from(saved.password.hex, "hex"), size: saved.password.size === 20 ? 20 : 16 };
            }
            s.enabled = saved.enabled === true;
            for (const [ch, a] of Object.entries(saved.access ?? {})) {
                if (this.isChannel(Number(ch))) {
                    s.access.set(Number(ch), { ...NO_ACCESS, ...a });
                }
            }
        }
        this.lockoutPolicy = { ...NO_LOCKOUT, ...(state.lockout ?? {}) };
        this.changed();
    }

    private slot(slot: number): Slot {
        let s = this.slots.get(slot);
        if (!s) {
            s = { name: Buffer.alloc(0), enabled: false, access: new Map(), failures: 0, firstFailureAt: 0 };
            this.slots.set(slot, s);
        }
        return s;
    }

    private store(slot: number, bytes: Buffer, size: PasswordSize): void {
        this.slot(slot).password = { bytes: pad(bytes, size), size };
    }

    private changed(): void {
        this.revision++;
        for (const l of this.listeners) {
            l();
        }
    }
}

function pad(bytes: Buffer, size: number): Buffer {
    const out = Buffer.alloc(size);
    bytes.copy(out, 0, 0, Math.min(bytes.length, size));
    return out;
}

function keysEqual(a: Buffer, b: Buffer): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
}
