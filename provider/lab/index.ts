/**
 * `pulumi-bmc-credentials/lab`: virtual BMCs in one Node process, one UDP port each, for tests and CI without hardware
 * (what VirtualBMC is to OpenStack, for user accounts). Each speaks RMCP+ with cipher suites 17 and 3, holds an IPMI
 * user table with 16/20-byte passwords, per-channel access, enable status and bad-password lockout, and can show a
 * vendor's quirks and injected faults.
 *
 * ```ts
 * import { startLab } from "pulumi-bmc-credentials/lab";
 * const lab = await startLab({ vendor: "supermicro", count: 3 });
 * const [bmc] = lab.bmcs;                 // bmc.host, bmc.port, bmc.admin.name
 * // … run a stack against them …
 * bmc.account("ops");                     // the slot as the BMC holds it: name, passwordSize, enabled, access per channel
 * bmc.inject({ busy: { count: 2 } });     // faults
 * bmc.redfish;                             // { port, fingerprint, flavour, service }: the same table over Redfish/HTTPS
 * await lab.stop();
 * ```
 *
 * Passwords given to the lab are fixtures: the lab keeps them in memory (and in `stateDir` when asked), as a BMC does.
 */

import { join } from "node:path";
import { CredentialsError } from "../shared/errors";
import { AccountSeed, AccountTable, AccountView, Clock, LockoutPolicy, NO_LOCKOUT, PRIVILEGE_CODE, Privilege, SYSTEM_CLOCK } from "./accounts";
import { VirtualBmc } from "./bmc";
import type { FaultPlan } from "./faults";
import { LAB_VENDORS, LabVendor, PERSONALITIES, Personality } from "./personalities";
import { REDFISH_FLAVOURS, REDFISH_FOR_VENDOR, RedfishFlavour } from "./redfish/personalities";
import { RedfishFace, startRedfishFaces } from "./redfish/server";
import type { RedfishService } from "./redfish/service";

export { AccountTable, PRIVILEGE_CODE, NO_LOCKOUT } from "./accounts";
export type { AccountView, ChannelAccess, LockoutPolicy, Privilege, PasswordSize, Clock, AccountPolicy, AccountSeed, AccountRefusal, LoginRefusal } from "./accounts";
export type { FaultPlan } from "./faults";
export { LAB_VENDORS, PERSONALITIES } from "./personalities";
export type { LabVendor, Personality, Source } from "./personalities";
export { VirtualBmc } from "./bmc";
export { REDFISH_FLAVOURS, REDFISH_PERSONALITIES, REDFISH_FOR_VENDOR } from "./redfish/personalities";
export type { RedfishFlavour, RedfishPersonality } from "./redfish/personalities";
export type { RedfishService, RequestLogEntry } from "./redfish/service";

/** An account put in place when the lab starts. */
export interface LabUser {
    /** Slot (2..the vendor's maximum; not the administrator's slot). */
    id: number;
    /** 1-16 bytes. */
    name: string;
    /** 1-20 bytes; over 16 is stored in the 20-byte format. A fixture: keep real secrets out of labs. */
    password: string;
    privilege: Privilege;
}

/** Options of one virtual BMC. */
export interface LabBmcOptions {
    /** Personality (default `generic`): manufacturer id, factory account, slot count, quirks. */
    vendor?: LabVendor;
    /** Replaces the factory administrator's name and password (in the vendor's admin slot). Default: the vendor's. */
    admin?: { name: string; password: string };
    /** Further accounts at start. */
    users?: readonly LabUser[];
    /** Bad-password lockout (LAN parameter 26) at start; default none. `lockoutSeconds` 0 = until re-enabled. */
    lockout?: { threshold: number; lockoutSeconds?: number; attemptResetSeconds?: number };
    /** Sessions at once per BMC, setups included (default 4, the specification's minimum). */
    maxSessions?: number;
    /** LAN channels instead of the vendor's (sessions arrive on the first). */
    lanChannels?: readonly number[];
    /** Cipher suites instead of the vendor's (17 and/or 3). */
    cipherSuites?: readonly (3 | 17)[];
    /** Also offer cipher suite 0, which logs anyone in with any password: only to prove a client refuses it. */
    insecureCipherSuiteZero?: boolean;
    /** Milliseconds to finish a session setup; also how long a RAKP 2 may stay unanswered before it counts as a failed login (default 3000). */
    setupTimeoutMs?: number;
    /** Seconds an active session may stay silent (default 60). */
    idleTimeoutSeconds?: number;
    /**
     * Also serve Redfish over HTTPS on the same account table (an account set over IPMI shows in Redfish and the
     * reverse; failed logins through either count towards one lockout). `true` (default): the vendor's Redfish
     * personality (dell → idrac9, hpe → ilo, lenovo → xcc, openbmc → openbmc, supermicro and generic → dmtf); a
     * personality name (`idrac9`, `ilo`, `openbmc`, `xcc`, `dmtf`); `false`: IPMI only.
     */
    redfish?: boolean | RedfishFlavour;
}

/** Options of a lab. */
export interface LabOptions extends LabBmcOptions {
    /** How many BMCs with the options above (default 1). Ignored when `bmcs` is given. */
    count?: number;
    /** One entry per BMC, each overriding the shared options. */
    bmcs?: readonly LabBmcOptions[];
    /** Address to bind (default 127.0.0.1). */
    host?: string;
    /** First UDP port; BMC i listens on port + i. Default 0: every BMC on a free port of its own. */
    port?: number;
    /**
     * First TCP port of the Redfish faces; BMC i serves HTTPS on redfishPort + i. Default 0: each on a free port. All
     * faces of a lab present one certificate, made at start (its SHA-256 is `bmc.redfish.fingerprint`).
     */
    redfishPort?: number;
    /** Directory that keeps each BMC's account table across runs (`bmc-<port>.json`). */
    stateDir?: string;
    /** Clock for lockout intervals and timeouts (tests). */
    clock?: Clock;
}

/** One virtual BMC of a lab. */
export interface LabBmc {
    readonly index: number;
    readonly host: string;
    readonly port: number;
    readonly vendor: LabVendor;
    readonly manufacturerId: number;
    /** The administrator account the lab started with (its password is the one given, or the vendor's). */
    readonly admin: { name: string; slot: number };
    /** Every slot as the BMC holds it. */
    accounts(): AccountView[];
    /** One slot, by number or name; undefined for a name no slot has. */
    account(slotOrName: number | string): AccountView | undefined;
    /** The account table itself (for other faces of the same BMC, and fixtures). */
    readonly table: AccountTable;
    /** LAN parameter 26 as the BMC holds it. */
    lockout(): LockoutPolicy;
    setLockout(policy: Partial<LockoutPolicy>): void;
    /** Replaces the fault plan (see {@link FaultPlan}). */
    inject(plan: FaultPlan): void;
    /** No faults; datagrams held by a stall are answered now. */
    clearFaults(): void;
    /** Sessions lost; users kept (default) or back to the factory accounts; silent for `downMs`. */
    restart(options?: { users?: "keep" | "reset"; downMs?: number }): void;
    /** Sessions open now (setups included). */
    sessions(): number;
    /** Datagrams received and sent, internal errors (a datagram that broke something), sessions opened per cipher suite. */
    counts(): { received: number; sent: number; errors: number; logins: Record<number, number> };
    /** Calls `listener` after each datagram received is handled, with the count so far; `undefined` removes it. */
    onReceived(listener: ((count: number) => void) | undefined): void;
    /** The underlying virtual BMC. */
    readonly bmc: VirtualBmc;
    /** The BMC's Redfish face (HTTPS on `port`, the certificate's SHA-256 `fingerprint`), unless `redfish: false`. */
    readonly redfish?: LabRedfish;
}

/** One BMC's Redfish face. */
export interface LabRedfish {
    readonly port: number;
    /** SHA-256 of the certificate, `AB:CD:…` (what `bmc.tls.fingerprint` pins). */
    readonly fingerprint: string;
    readonly certificatePem: string;
    readonly flavour: RedfishFlavour;
    /** The service: its request log, test hooks and faults (see `provider/lab/redfish/service.ts`). */
    readonly service: RedfishService;
}

export interface Lab {
    readonly bmcs: readonly LabBmc[];
    /** Closes every socket. */
    stop(): Promise<void>;
}

function invalid(field: string, message: string): CredentialsError {
    return new CredentialsError("INVALID_INPUT", { message: `lab: ${field} ${message}`, context: { field } });
}

const PRINTABLE = /^[\x21-\x7e]+$/;

function checkName(field: string, name: string): void {
    if (typeof name !== "string" || !PRINTABLE.test(name) || Buffer.byteLength(name, "latin1") > 16) {
        throw invalid(field, "must be 1-16 printable ASCII characters without spaces");
    }
}

function checkPassword(field: string, password: string): void {
    if (typeof password !== "string" || !/^[\x20-\x7e]{1,20}$/.test(password)) {
        // The value is never quoted.
        throw invalid(field, "must be 1-20 printable ASCII characters");
    }
}

function checkInt(field: string, v: number | undefined, min: number, max: number): void {
    if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
        throw invalid(field, `must be a whole number from ${min} to ${max}`);
    }
}

function seedsFor(o: LabBmcOptions, p: Personality, at: string): AccountSeed[] {
    if (o.admin) {
        checkName(`${at}admin.name`, o.admin.name);
        checkPassword(`${at}admin.password`, o.admin.password);
        const fixed = p.accounts.fixedNames?.[p.factoryAdmin.slot];
        if (fixed !== undefined && fixed !== o.admin.name) {
            throw invalid(`${at}admin.name`, `must be ${fixed}: ${p.vendor} fixes the name of slot ${p.factoryAdmin.slot}`);
        }
    }
    const names = new Set([o.admin?.name ?? p.factoryAdmin.name]);
    return (o.users ?? []).map((u, i) => {
        const f = `${at}users[${i}]`;
        checkInt(`${f}.id`, u.id, 1, p.accounts.maxUsers);
        if (u.id === p.factoryAdmin.slot || u.id === p.accounts.nullUserSlot) {
            throw invalid(`${f}.id`, `cannot be ${u.id}: that slot is the ${u.id === p.factoryAdmin.slot ? "administrator's (use admin)" : "null user's"}`);
        }
        checkName(`${f}.name`, u.name);
        checkPassword(`${f}.password`, u.password);
        if (!(u.privilege in PRIVILEGE_CODE) || u.privilege === "oem") {
            throw invalid(`${f}.privilege`, "must be callback, user, operator, administrator or no-access");
        }
        if (names.has(u.name)) {
            throw invalid(`${f}.name`, `repeats the name ${u.name}`);
        }
        names.add(u.name);
        return { slot: u.id, name: u.name, password: u.password, privilege: u.privilege };
    });
}

function lockoutFor(o: LabBmcOptions, at: string): Partial<LockoutPolicy> | undefined {
    if (!o.lockout) return undefined;
    checkInt(`${at}lockout.threshold`, o.lockout.threshold, 0, 255);
    checkInt(`${at}lockout.lockoutSeconds`, o.lockout.lockoutSeconds, 0, 655350);
    checkInt(`${at}lockout.attemptResetSeconds`, o.lockout.attemptResetSeconds, 0, 655350);
    return { ...NO_LOCKOUT, threshold: o.lockout.threshold, lockoutSeconds: o.lockout.lockoutSeconds ?? 60, attemptResetSeconds: o.lockout.attemptResetSeconds ?? 0 };
}

function wrap(bmc: VirtualBmc, index: number, admin: { name: string; slot: number }, face?: RedfishFace, flavour?: RedfishFlavour): LabBmc {
    const { host, port } = bmc.address;
    return {
        index,
        host,
        port,
        vendor: bmc.personality.vendor,
        manufacturerId: bmc.personality.manufacturerId,
        admin,
        table: bmc.accounts,
        bmc,
        accounts: () => bmc.accounts.list(),
        account: (slotOrName) => {
            const slot = typeof slotOrName === "number" ? slotOrName : bmc.accounts.findByName(slotOrName);
            return slot !== undefined && bmc.accounts.isSlot(slot) ? bmc.accounts.view(slot) : undefined;
        },
        lockout: () => bmc.accounts.lockout,
        setLockout: (policy) => bmc.accounts.setLockout({ ...bmc.accounts.lockout, ...policy }),
        inject: (plan) => bmc.faults.set(plan),
        clearFaults: () => {
            bmc.faults.clear();
            bmc.sweep();
        },
        restart: (options) => {
            bmc.restart(options);
            face?.service.endSessions();
        },
        sessions: () => bmc.sessionCount(),
        counts: () => ({ ...bmc.counts, logins: { ...bmc.counts.logins } }),
        onReceived: (listener) => {
            bmc.onReceived = listener;
        },
        ...(face && flavour ? { redfish: { port: face.port, fingerprint: face.fingerprint, certificatePem: face.certificatePem, flavour, service: face.service } } : {}),
    };
}

/** The Redfish personality a BMC's options ask for, or undefined for none. */
function redfishFlavour(o: LabBmcOptions, at: string): RedfishFlavour | undefined {
    const r = o.redfish ?? true;
    if (r === false) return undefined;
    if (r === true) return REDFISH_FOR_VENDOR[o.vendor ?? "generic"];
    if (!REDFISH_FLAVOURS.includes(r)) throw invalid(`${at}redfish`, `must be true, false or one of ${REDFISH_FLAVOURS.join(", ")}`);
    return r;
}

/** How often every BMC's sessions and unanswered RAKP 2s are checked. */
const SWEEP_MS = 100;

/** Starts a lab. Fails with `INVALID_INPUT` naming the option, or when a port is taken (every started BMC is stopped). */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
    const specs = options.bmcs?.length ? options.bmcs.map((b) => ({ ...options, ...b })) : Array.from({ length: options.count ?? 1 }, () => options);
    checkInt("count", options.bmcs?.length ? undefined : options.count, 1, 10000);
    checkInt("port", options.port, 0, 65535);
    if (options.port && options.port + specs.length - 1 > 65535) {
        throw invalid("port", `leaves no room for ${specs.length} BMCs below 65536`);
    }
    checkInt("redfishPort", options.redfishPort, 0, 65535);
    if (options.redfishPort && options.redfishPort + specs.length - 1 > 65535) {
        throw invalid("redfishPort", `leaves no room for ${specs.length} BMCs below 65536`);
    }
    const flavours = specs.map((o, i) => redfishFlavour(o, options.bmcs?.length ? `bmcs[${i}].` : ""));
    const clock = options.clock ?? SYSTEM_CLOCK;
    const bmcs = specs.map((o, i) => {
        const at = options.bmcs?.length ? `bmcs[${i}].` : "";
        const vendor = o.vendor ?? "generic";
        if (!LAB_VENDORS.includes(vendor)) {
            throw invalid(`${at}vendor`, `must be one of ${LAB_VENDORS.join(", ")}`);
        }
        const personality = PERSONALITIES[vendor];
        checkInt(`${at}maxSessions`, o.maxSessions, 1, 63);
        checkInt(`${at}idleTimeoutSeconds`, o.idleTimeoutSeconds, 1, 86400);
        checkInt(`${at}setupTimeoutMs`, o.setupTimeoutMs, 10, 600000);
        for (const s of o.cipherSuites ?? []) if (s !== 17 && s !== 3) throw invalid(`${at}cipherSuites`, "may hold 17 and 3 only (suite 0 has its own, explicit option)");
        for (const c of o.lanChannels ?? []) checkInt(`${at}lanChannels`, c, 1, 11);
        const port = options.port ? options.port + i : 0;
        return new VirtualBmc({
            personality,
            host: options.host ?? "127.0.0.1",
            port,
            admin: o.admin,
            users: seedsFor(o, personality, at),
            lockout: lockoutFor(o, at),
            maxSessions: o.maxSessions,
            lanChannels: o.lanChannels,
            cipherSuites: o.cipherSuites,
            insecureCipherSuiteZero: o.insecureCipherSuiteZero,
            setupTimeoutMs: o.setupTimeoutMs,
            idleTimeoutMs: o.idleTimeoutSeconds !== undefined ? o.idleTimeoutSeconds * 1000 : undefined,
            stateFile: options.stateDir && port ? join(options.stateDir, `bmc-${port}.json`) : options.stateDir ? join(options.stateDir, `bmc-${i}.json`) : undefined,
            clock,
        });
    });
    const started: VirtualBmc[] = [];
    try {
        // Bound a few hundred at a time: quick, and far from the process's descriptor limit on the way.
        for (let i = 0; i < bmcs.length; i += 256) {
            await Promise.all(
                bmcs.slice(i, i + 256).map(async (b) => {
                    await b.start();
                    started.push(b);
                }),
            );
        }
    } catch (e) {
        await Promise.all(started.map((b) => b.stop()));
        const code = (e as NodeJS.ErrnoException)?.code;
        throw new CredentialsError("INVALID_INPUT", {
            message: `lab: could not bind ${bmcs.length} UDP port(s) on ${options.host ?? "127.0.0.1"}${options.port ? ` from ${options.port}` : ""}: ${code ?? (e as Error).message}`,
            hint: code === "EADDRINUSE" ? "choose another --port (another process holds one of the ports)" : undefined,
            context: { field: "port" },
            cause: e,
        });
    }
    // The Redfish faces: one HTTPS port per BMC that has one, over the BMC's own account table, one certificate for all.
    const withRedfish = bmcs.map((b, i) => ({ b, i, flavour: flavours[i] })).filter((x): x is { b: VirtualBmc; i: number; flavour: RedfishFlavour } => x.flavour !== undefined);
    let faces: RedfishFace[] = [];
    try {
        faces = await startRedfishFaces(
            withRedfish.map(({ b, i, flavour }) => ({ table: b.accounts, personality: flavour, clock, port: options.redfishPort ? options.redfishPort + i : 0 })),
            { host: options.host ?? "127.0.0.1" },
        );
    } catch (e) {
        await Promise.all(bmcs.map((b) => b.stop()));
        const code = (e as NodeJS.ErrnoException)?.code;
        throw new CredentialsError("INVALID_INPUT", {
            message: `lab: could not bind the Redfish TCP port(s) on ${options.host ?? "127.0.0.1"}${options.redfishPort ? ` from ${options.redfishPort}` : ""}: ${code ?? (e as Error).message}`,
            hint: code === "EADDRINUSE" ? "choose another --redfish-port (another process holds one of the ports)" : undefined,
            context: { field: "redfishPort" },
            cause: e,
        });
    }
    const faceOf = new Map(withRedfish.map(({ i, flavour }, k) => [i, { face: faces[k], flavour }]));
    const timer = setInterval(() => {
        for (const b of bmcs) b.sweep();
    }, SWEEP_MS);
    timer.unref();
    const handles = bmcs.map((b, i) => {
        const spec = specs[i];
        return wrap(b, i, { name: spec.admin?.name ?? b.personality.factoryAdmin.name, slot: b.personality.factoryAdmin.slot }, faceOf.get(i)?.face, faceOf.get(i)?.flavour);
    });
    return {
        bmcs: handles,
        async stop() {
            clearInterval(timer);
            await Promise.all([...bmcs.map((b) => b.stop()), ...faces.map((f) => f.stop())]);
        },
    };
}
