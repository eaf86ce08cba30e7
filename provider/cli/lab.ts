/**
 * `bmc-credentials lab`: virtual BMCs on this machine until Ctrl-C, for trying stacks and CI without hardware.
 *
 * The one command of this CLI that takes passwords on its command line: the lab's accounts are fixtures, created for
 * the lab and gone with it. Everything else keeps the rule that passwords never travel in argv.
 */

import { isCredentialsError } from "../shared/errors";
import { LAB_VENDORS, LabUser, LabVendor, Privilege, startLab } from "../lab";

/** UDP port of the first BMC when --port is not given: VirtualBMC's customary 6230, free of privileges (623 needs root). */
export const DEFAULT_LAB_PORT = 6230;

/** TCP port of the first BMC's Redfish face when --redfish-port is not given: HTTPS's customary alternative, unprivileged. */
export const DEFAULT_REDFISH_PORT = 8443;

export const LAB_USAGE = `Usage: bmc-credentials lab [options]

Starts virtual BMCs (RMCP+, cipher suites 17 and 3) in this process, one UDP port each, until SIGINT or SIGTERM.
Each also serves Redfish over HTTPS (one TCP port each) on the same accounts, with a certificate made at start.

Options:
  --vendor NAME                 ${LAB_VENDORS.join("|")} (default generic): manufacturer id,
                                factory account, slot count and quirks
  --count N                     how many BMCs (default 1), on ports P, P+1, ...
  --host ADDR                   address to bind (default 127.0.0.1)
  --port P                      UDP port of the first BMC (default ${DEFAULT_LAB_PORT})
  --admin NAME:PASSWORD         the administrator (default: the vendor's factory account)
  --user ID:NAME:PASSWORD:PRIVILEGE
                                one more account (repeatable); PRIVILEGE is
                                callback|user|operator|administrator|no-access
  --lockout N                   lock an account after N bad passwords in a row (default: no lockout)
  --lockout-seconds S           how long it stays locked (default 60; 0 = until re-enabled)
  --max-sessions K              sessions at once per BMC (default 4)
  --state DIR                   keep each BMC's account table in DIR across runs
  --redfish-port P              TCP port of the first BMC's Redfish face (default ${DEFAULT_REDFISH_PORT}), P+1, ...
  --no-redfish                  IPMI only
  --json                        one JSON line per BMC: {"host","port","vendor","manufacturerId","admin",
                                "redfishPort","fingerprint"} (the last two unless --no-redfish)
  -h, --help                    show this help

Passwords on this command line are lab fixtures; never reuse real ones here.
Exit codes: 0 stopped by a signal, 1 the lab could not start, 2 usage error.`;

class UsageError extends Error {}

/** What the lab command needs from its surroundings; tests replace it. */
export interface LabIo {
    out: (line: string) => void;
    err: (line: string) => void;
    /** Resolves when the lab should stop (default: SIGINT or SIGTERM). */
    stopped?: () => Promise<void>;
}

interface LabArgs {
    vendor: LabVendor;
    count: number;
    host: string;
    port: number;
    admin?: { name: string; password: string };
    users: LabUser[];
    lockout?: number;
    lockoutSeconds?: number;
    maxSessions?: number;
    state?: string;
    /** TCP port of the first Redfish face, or undefined for none (--no-redfish). */
    redfishPort?: number;
    json: boolean;
    help: boolean;
}

const PRIVILEGES: readonly Privilege[] = ["callback", "user", "operator", "administrator", "no-access"];

function whole(flag: string, value: string, min: number, max: number): number {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}`);
    return n;
}

/** `NAME:PASSWORD`; the password may hold colons. */
function parseAdmin(value: string): { name: string; password: string } {
    const at = value.indexOf(":");
    if (at <= 0 || at === value.length - 1) throw new UsageError("--admin takes NAME:PASSWORD");
    return { name: value.slice(0, at), password: value.slice(at + 1) };
}

/** `ID:NAME:PASSWORD:PRIVILEGE`; the password may hold colons (the privilege is after the last one). */
function parseUser(value: string): LabUser {
    const first = value.indexOf(":");
    const second = value.indexOf(":", first + 1);
    const last = value.lastIndexOf(":");
    if (first <= 0 || second <= first + 1 || last <= second + 1) throw new UsageError("--user takes ID:NAME:PASSWORD:PRIVILEGE");
    const privilege = value.slice(last + 1) as Privilege;
    if (!PRIVILEGES.includes(privilege)) throw new UsageError(`--user PRIVILEGE must be ${PRIVILEGES.join("|")}`);
    return { id: whole("user ID", value.slice(0, first), 1, 63), name: value.slice(first + 1, second), password: value.slice(second + 1, last), privilege };
}

export function parseLabArgs(argv: readonly string[]): LabArgs {
    const a: LabArgs = { vendor: "generic", count: 1, host: "127.0.0.1", port: DEFAULT_LAB_PORT, users: [], redfishPort: DEFAULT_REDFISH_PORT, json: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "-h" || arg === "--help") {
            a.help = true;
            continue;
        }
        if (arg === "--json") {
            a.json = true;
            continue;
        }
        if (arg === "--no-redfish") {
            a.redfishPort = undefined;
            continue;
        }
        if (!arg.startsWith("--")) throw new UsageError(`unexpected argument ${arg}`);
        const eq = arg.indexOf("=");
        const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
        const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
        if (value === undefined) throw new UsageError(`--${flag} needs a value`);
        switch (flag) {
            case "vendor":
                if (!LAB_VENDORS.includes(value as LabVendor)) throw new UsageError(`--vendor must be ${LAB_VENDORS.join("|")}`);
                a.vendor = value as LabVendor;
                break;
            case "count":
                a.count = whole(flag, value, 1, 10000);
                break;
            case "host":
                a.host = value;
                break;
            case "port":
                a.port = whole(flag, value, 1, 65535);
                break;
            case "admin":
                a.admin = parseAdmin(value);
                break;
            case "user":
                a.users.push(parseUser(value));
                break;
            case "lockout":
                a.lockout = whole(flag, value, 0, 255);
                break;
            case "lockout-seconds":
                a.lockoutSeconds = whole(flag, value, 0, 655350);
                break;
            case "max-sessions":
                a.maxSessions = whole(flag, value, 1, 63);
                break;
            case "state":
                a.state = value;
                break;
            case "redfish-port":
                a.redfishPort = whole(flag, value, 1, 65535);
                break;
            default:
                throw new UsageError(`unknown option --${flag}`);
        }
    }
    if (a.port + a.count - 1 > 65535) throw new UsageError(`--port ${a.port} leaves no room for ${a.count} BMCs below 65536`);
    if (a.redfishPort !== undefined && a.redfishPort + a.count - 1 > 65535) throw new UsageError(`--redfish-port ${a.redfishPort} leaves no room for ${a.count} BMCs below 65536`);
    return a;
}

function untilSignal(): Promise<void> {
    return new Promise((resolve) => {
        const done = () => {
            process.off("SIGINT", done);
            process.off("SIGTERM", done);
            resolve();
        };
        process.on("SIGINT", done);
        process.on("SIGTERM", done);
    });
}

/** Runs `bmc-credentials lab`; resolves with the exit code once the lab has stopped. */
export async function runLab(argv: readonly string[], io: LabIo): Promise<number> {
    let args: LabArgs;
    try {
        args = parseLabArgs(argv);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        io.err(`bmc-credentials lab: ${e.message}\nRun bmc-credentials lab --help for usage.`);
        return 2;
    }
    if (args.help) {
        io.out(LAB_USAGE);
        return 0;
    }
    // Listen for the signal before the first line is printed: whoever reads that line may signal at once.
    const stopped = (io.stopped ?? untilSignal)();
    let lab;
    try {
        lab = await startLab({
            vendor: args.vendor,
            count: args.count,
            host: args.host,
            port: args.port,
            admin: args.admin,
            users: args.users,
            lockout: args.lockout !== undefined || args.lockoutSeconds !== undefined ? { threshold: args.lockout ?? 0, lockoutSeconds: args.lockoutSeconds } : undefined,
            maxSessions: args.maxSessions,
            stateDir: args.state,
            redfish: args.redfishPort !== undefined,
            redfishPort: args.redfishPort,
        });
    } catch (e) {
        if (isCredentialsError(e, "INVALID_INPUT")) {
            // "INVALID_INPUT: lab: admin.name must be … [field=admin.name] — hint": the option named as the API spells it.
            const message = e.message.replace(/^INVALID_INPUT: lab: /, "").replace(/ \[field=[^\]]*\]/, "");
            io.err(`bmc-credentials lab: ${message}`);
            return /^could not bind/.test(message) ? 1 : 2;
        }
        io.err(`bmc-credentials lab: ${(e as Error).message}`);
        return 1;
    }
    if (args.json) {
        for (const b of lab.bmcs) {
            const redfish = b.redfish ? { redfishPort: b.redfish.port, fingerprint: b.redfish.fingerprint } : {};
            io.out(JSON.stringify({ host: b.host, port: b.port, vendor: b.vendor, manufacturerId: b.manufacturerId, admin: b.admin.name, ...redfish }));
        }
    } else {
        const first = lab.bmcs[0];
        const last = lab.bmcs[lab.bmcs.length - 1];
        const ports = first.port === last.port ? `port ${first.port}` : `ports ${first.port}-${last.port}`;
        io.out(`bmc-credentials lab: ${lab.bmcs.length} virtual ${args.vendor} BMC${lab.bmcs.length > 1 ? "s" : ""} on ${args.host}, UDP ${ports}`);
        io.out(`  manufacturer id ${first.manufacturerId}; administrator ${first.admin.name} (slot ${first.admin.slot})${args.admin ? "" : ", the vendor's factory password"}; cipher suites ${first.bmc.cipherSuites.join(", ")}`);
        io.out(`  try: ipmitool -I lanplus -H ${args.host} -p ${first.port} -U ${first.admin.name} -E -C 17 user list 1   (password in IPMI_PASSWORD)`);
        if (first.redfish) {
            const rports = first.redfish.port === last.redfish!.port ? `port ${first.redfish.port}` : `ports ${first.redfish.port}-${last.redfish!.port}`;
            io.out(`  Redfish (${first.redfish.flavour}) over HTTPS on TCP ${rports}; certificate SHA-256 ${first.redfish.fingerprint}`);
            io.out(`  try: bmc-credentials users --protocol redfish --host ${args.host} --port ${first.redfish.port} --username ${first.admin.name} --tls-fingerprint ${first.redfish.fingerprint}`);
        }
        io.out("Passwords given to the lab are fixtures. Ctrl-C stops it.");
    }
    await stopped;
    await lab.stop();
    return 0;
}
