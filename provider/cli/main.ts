#!/usr/bin/env node
/**
 * `bmc-credentials`: break-glass commands for when Pulumi is not the right tool at 3 a.m.
 *
 *   users          list the used user slots of a BMC
 *   verify         prove a password by one login
 *   factory-reset  Supermicro's OEM "restore factory defaults" (raw 0x3c 0x40), only with --yes
 *
 * Passwords never come from argv: `IPMI_PASSWORD` (ipmitool's own convention), `--password-file`, or a prompt on the
 * terminal. Exit codes: 0 success, 1 the BMC or the login failed, 2 usage error (nothing was sent).
 */

import { readFileSync } from "node:fs";
import { CredentialsError, isCredentialsError } from "../shared/errors";
import { registerSecrets } from "../shared/redact";
import { findSlot, readSlot } from "../ipmi/accounts";
import { probeLogin, withAdminSession } from "../ipmi/login";
import type { BmcLogin } from "../ipmi/target";
import type { SessionPrivilege } from "../transport/session";
import { withIdentifiedSession } from "../ipmi/identity";
import { isEmptyName } from "../bmcUser/vendorRules";
import type { SshTarget } from "../transport/ssh/channel";
import { parseHostKey } from "../transport/ssh/remote";
import { decodeDeviceId, decodeUserAccess, getDeviceId, getUserAccess, privilegeFromCode, SESSION_PRIVILEGE } from "../ipmi/commands";
import { profileNamed } from "../ipmi/vendors";
import { runLab } from "./lab";
import { UsageError } from "./usage";
import { IPMI_ONLY_OPTIONS, RedfishCliTarget, redfishUsers, redfishVerify } from "./redfish";

const USAGE = `Usage: bmc-credentials <command> --host HOST [options]

Commands:
  users                         list used user slots: id, name, privilege, messaging, link auth, callin;
                                the header names the detected vendor and manufacturer id
  verify --user NAME            log in once as NAME to prove its password (exit 0 if it works, 1 if not)
  factory-reset --vendor supermicro --yes
                                restore the BMC's factory defaults (Supermicro OEM raw 0x3c 0x40): deletes every
                                user and may reset the network settings; without --yes nothing is sent
  lab [options]                 virtual BMCs on this machine until Ctrl-C (bmc-credentials lab --help)

Target options:
  --host HOST                   BMC address (required)
  --port N                      RMCP+ UDP port (default 623)
  --username NAME               administrator to log in as (default ADMIN; verify uses --user)
  --cipher-suite 17|3           RMCP+ cipher suite (default 17)
  --channel N                   LAN channel for users (default 1)
  --timeout SECONDS             per-request timeout (default 2)
  --retries N                   attempts per request (default 2)
  --privilege LEVEL             session privilege for verify (default USER)
  --transport native|ipmitool   what speaks RMCP+: this program itself (default) or ipmitool; in-band and
                                --via-ssh always use ipmitool

Redfish (for BMCs whose IPMI over LAN is off; users and verify):
  --protocol redfish            use the BMC's Redfish AccountService over HTTPS instead of IPMI
  --tls-fingerprint SHA256      the BMC certificate's SHA-256 fingerprint (colons optional); or
  --tls-ca-file PATH            a PEM CA certificate (or the BMC's own self-signed certificate)
                                One of the two is required: the certificate is always checked (no insecure mode).
  --port N                      HTTPS port (default 443); --timeout per request (default 30)
                                --cipher-suite, --channel, --retries, --privilege, --transport and the route
                                options are IPMI-only

Route options (default: RMCP+ from this machine to --host):
  --inband local                in-band on this machine (ipmitool -I open; needs /dev/ipmi0 and root); no --host
  --ssh-host HOST               in-band on HOST over SSH (ipmitool -I open there); no --host
  --via-ssh                     with --ssh-host: HOST is a jump host that runs ipmitool -I lanplus against --host
  --ssh-port N                  SSH port (default 22)
  --ssh-user NAME               SSH login (default root)
  --ssh-key-file PATH           private key (passphrase from BMC_SSH_PASSPHRASE); or the password from
                                BMC_SSH_PASSWORD / --ssh-password-file
  --ssh-host-key "TYPE BASE64"  the server's public host key, required (or --ssh-host-key-file PATH)
  --ssh-sudo                    in-band over SSH: run ipmitool through sudo -n

Password (never on the command line):
  IPMI_PASSWORD                 environment variable, as ipmitool -E reads it
  --password-file PATH          first line of a file
  (otherwise)                   prompted for on the terminal, without echo

  -h, --help                    show this help

Exit codes: 0 success, 1 the BMC or the login failed, 2 usage error (nothing was sent).`;

const FACTORY_RESET_WARNING = `factory-reset restores the BMC's factory defaults. It deletes EVERY user account (the BMC
comes back with its factory administrator and the password on its label) and may reset its network settings (the
address can fall back to DHCP, cutting off remote access). The BMC reboots and is unreachable for about a minute.
Nothing was sent. Re-run with --yes to confirm.`;


interface Options {
    command: string;
    flags: Map<string, string | true>;
}

const VALUE_FLAGS = new Set([
    "protocol", "tls-fingerprint", "tls-ca-file",
    "host", "port", "username", "cipher-suite", "channel", "timeout", "retries", "user", "vendor", "password-file", "privilege", "transport",
    "inband", "ssh-host", "ssh-port", "ssh-user", "ssh-key-file", "ssh-password-file", "ssh-host-key", "ssh-host-key-file",
]);
const BOOLEAN_FLAGS = new Set(["yes", "help", "via-ssh", "ssh-sudo"]);

export function parseArgs(argv: readonly string[]): Options {
    const flags = new Map<string, string | true>();
    let command = "";
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "-h") {
            flags.set("help", true);
        } else if (a.startsWith("--")) {
            const [name, inline] = a.slice(2).split("=", 2);
            if (name === "password" || name === "pass" || name === "ssh-password" || name === "ssh-passphrase") {
                throw new UsageError("passwords are never taken from the command line: set IPMI_PASSWORD, use --password-file, or answer the prompt");
            }
            if (BOOLEAN_FLAGS.has(name)) {
                flags.set(name, true);
            } else if (VALUE_FLAGS.has(name)) {
                const value = inline ?? argv[++i];
                if (value === undefined) throw new UsageError(`--${name} needs a value`);
                flags.set(name, value);
            } else {
                throw new UsageError(`unknown option --${name}`);
            }
        } else if (!command) {
            command = a;
        } else {
            throw new UsageError(`unexpected argument ${a}`);
        }
    }
    return { command, flags };
}

function intFlag(o: Options, name: string, fallback: number, min: number, max: number): number {
    const v = o.flags.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
    return n;
}

function str(o: Options, name: string): string | undefined {
    const v = o.flags.get(name);
    return typeof v === "string" ? v : undefined;
}

async function readPassword(o: Options, io: Io, maxLength = 20): Promise<string> {
    const file = str(o, "password-file");
    let pw: string | undefined;
    if (file) {
        pw = readOptionFile("password-file", file).split(/\r?\n/)[0];
    } else if (io.env.IPMI_PASSWORD !== undefined) {
        pw = io.env.IPMI_PASSWORD;
    } else if (io.prompt) {
        pw = await io.prompt("Password: ");
    }
    if (!pw) {
        throw new UsageError("no password: set IPMI_PASSWORD, use --password-file, or run in a terminal to be prompted");
    }
    if (pw.length > maxLength || !/^[\x20-\x7e]+$/.test(pw)) {
        throw new UsageError(`the password must be 1-${maxLength} printable ASCII characters`);
    }
    registerSecrets(pw);
    return pw;
}

/** True when the target is reached in-band (no BMC login, no --host). */
function isInbandTarget(o: Options): boolean {
    if (str(o, "inband") !== undefined && str(o, "inband") !== "local") throw new UsageError('--inband takes "local"; for another host use --ssh-host');
    if (str(o, "inband") && str(o, "ssh-host")) throw new UsageError("--inband local and --ssh-host contradict each other: choose one");
    if (o.flags.has("via-ssh") && !str(o, "ssh-host")) throw new UsageError("--via-ssh needs --ssh-host (the jump host)");
    return str(o, "inband") === "local" || (!!str(o, "ssh-host") && !o.flags.has("via-ssh"));
}

/**
 * The text of a file named by `--<option>`; a file that cannot be read is a usage error naming the option and the path
 * (never the content), raised before anything is sent.
 */
function readOptionFile(option: string, path: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : (code ?? "unreadable");
        throw new UsageError(`--${option} ${path}: cannot read it (${why})`);
    }
}

/** The SSH leg from the flags (secrets from files and the environment only), or undefined. */
function sshTarget(o: Options, io: Io): SshTarget | undefined {
    const host = str(o, "ssh-host");
    if (!host) return undefined;
    const hostKeyFile = str(o, "ssh-host-key-file");
    const hostKey = str(o, "ssh-host-key") ?? (hostKeyFile ? readOptionFile("ssh-host-key-file", hostKeyFile).split(/\r?\n/)[0] : undefined);
    if (!hostKey) throw new UsageError("--ssh-host needs the server's host key: --ssh-host-key \"ssh-ed25519 AAAA…\" or --ssh-host-key-file (verify it out of band)");
    const parsed = parseHostKey(hostKey);
    if (typeof parsed === "string") throw new UsageError(`--ssh-host-key ${parsed}`);
    const keyFile = str(o, "ssh-key-file");
    const pwFile = str(o, "ssh-password-file");
    const privateKey = keyFile ? readOptionFile("ssh-key-file", keyFile) : undefined;
    const password = privateKey ? undefined : pwFile ? readOptionFile("ssh-password-file", pwFile).split(/\r?\n/)[0] : io.env.BMC_SSH_PASSWORD;
    if (!privateKey && !password) throw new UsageError("--ssh-host needs --ssh-key-file, or an SSH password in BMC_SSH_PASSWORD or --ssh-password-file");
    const passphrase = privateKey ? io.env.BMC_SSH_PASSPHRASE || undefined : undefined;
    registerSecrets(privateKey, password, passphrase);
    return {
        host,
        port: intFlag(o, "ssh-port", 22, 1, 65535),
        username: str(o, "ssh-user") ?? "root",
        hostKey,
        sudo: o.flags.has("ssh-sudo"),
        ...(privateKey ? { privateKey, passphrase } : { password }),
    };
}

function target(o: Options, password: string, username: string, io: Io): BmcLogin {
    const transport = str(o, "transport");
    if (transport !== undefined && transport !== "native" && transport !== "ipmitool") {
        throw new UsageError("--transport must be native (RMCP+ spoken by this program) or ipmitool");
    }
    if (transport === "native" && (isInbandTarget(o) || o.flags.has("via-ssh"))) {
        throw new UsageError("--transport native speaks RMCP+ from this machine; in-band (the kernel's IPMI device) and --via-ssh (SSH carries TCP, not UDP) need ipmitool: drop --transport");
    }
    const ssh = sshTarget(o, io);
    if (isInbandTarget(o)) {
        if (str(o, "host")) throw new UsageError("--host names a BMC on the network; in-band (--inband local, --ssh-host) reaches the host's own BMC: drop --host, or add --via-ssh");
        const label = `inband@${ssh ? ssh.host : "local"}`;
        return { host: label, port: 0, username: "", password: "", cipherSuite: 17, timeoutSeconds: 2, retries: 2, fallbackPasswords: [], inband: true, ...(ssh ? { ssh } : {}) };
    }
    const host = str(o, "host");
    if (!host) throw new UsageError("--host is required (or --inband local / --ssh-host for in-band access)");
    const suite = intFlag(o, "cipher-suite", 17, 0, 255);
    if (suite !== 17 && suite !== 3) {
        throw new UsageError("--cipher-suite must be 17 or 3: other suites lack authentication or encryption (suite 0 accepts any password, CVE-2013-4782)");
    }
    return {
        host,
        port: intFlag(o, "port", 623, 1, 65535),
        username,
        password,
        cipherSuite: suite,
        timeoutSeconds: intFlag(o, "timeout", 2, 1, 60),
        retries: intFlag(o, "retries", 2, 1, 10),
        fallbackPasswords: [],
        transport: ssh ? "ipmitool" : (transport ?? "native"),
        ...(ssh ? { ssh } : {}),
    };
}

/** What the CLI needs from its surroundings; tests replace it. */
export interface Io {
    env: NodeJS.ProcessEnv;
    out: (line: string) => void;
    err: (line: string) => void;
    prompt?: (question: string) => Promise<string>;
}

/** Runs the CLI and returns its exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
    if (argv[0] === "lab") return runLab(argv.slice(1), io);
    let o: Options;
    try {
        o = parseArgs(argv);
        if (o.flags.has("help") || o.command === "help") {
            io.out(USAGE);
            return 0;
        }
        if (!o.command) throw new UsageError("no command given");
        if (!["users", "verify", "factory-reset"].includes(o.command)) throw new UsageError(`unknown command ${o.command}`);
        if (o.command === "factory-reset") {
            if (str(o, "vendor") !== "supermicro") {
                throw new UsageError("factory-reset needs --vendor supermicro: the OEM command differs between vendors and only Supermicro's is known");
            }
            if (!o.flags.has("yes")) {
                io.err(FACTORY_RESET_WARNING);
                return 2;
            }
        }
        if (o.command === "verify" && !str(o, "user")) throw new UsageError("verify needs --user NAME");
        if (str(o, "protocol") !== undefined) return await runRedfish(o, io);
        // In-band there is no BMC login: only verify needs a password (the one it tests).
        const password = isInbandTarget(o) && o.command !== "verify" ? "" : await readPassword(o, io);
        if (o.command === "users") return await listUsers(o, password, io);
        if (o.command === "verify") return await verify(o, password, io);
        return await factoryReset(o, password, io);
    } catch (e) {
        if (e instanceof UsageError) {
            io.err(`bmc-credentials: ${e.message}\nRun bmc-credentials --help for usage.`);
            return 2;
        }
        io.err(`bmc-credentials: ${isCredentialsError(e) ? e.message : String((e as Error)?.message ?? e)}`);
        return 1;
    }
}

/** `--protocol redfish`: users and verify over the BMC's Redfish service. */
async function runRedfish(o: Options, io: Io): Promise<number> {
    const protocol = str(o, "protocol");
    if (protocol === "ipmi") throw new UsageError("--protocol ipmi is the default: leave it out");
    if (protocol !== "redfish") throw new UsageError('--protocol must be "redfish" (IPMI is the default)');
    if (o.command === "factory-reset") throw new UsageError("factory-reset is an IPMI OEM command; it has no Redfish form here");
    const ipmiOnly = IPMI_ONLY_OPTIONS.filter((f) => o.flags.has(f));
    if (ipmiOnly.length) throw new UsageError(`--${ipmiOnly[0]} is an IPMI option; with --protocol redfish use --host, --port, --username, --tls-fingerprint/--tls-ca-file, --timeout`);
    const t: RedfishCliTarget = {
        host: str(o, "host"),
        port: intFlag(o, "port", 443, 1, 65535),
        username: str(o, "username") ?? "root",
        timeoutSeconds: intFlag(o, "timeout", 30, 1, 300),
        tlsFingerprint: str(o, "tls-fingerprint"),
        tlsCaFile: str(o, "tls-ca-file"),
    };
    if (!t.host) throw new UsageError("--host is required");
    if (!t.tlsFingerprint && !t.tlsCaFile) {
        throw new UsageError("--protocol redfish needs --tls-fingerprint SHA256 or --tls-ca-file PEM: the BMC's certificate is always checked (there is no insecure mode)");
    }
    const password = await readPassword(o, io, 127);
    return o.command === "users" ? redfishUsers(t, password, io.out) : redfishVerify(t, str(o, "user")!, password, io);
}

async function listUsers(o: Options, password: string, io: Io): Promise<number> {
    const login = target(o, password, str(o, "username") ?? "ADMIN", io);
    const channel = intFlag(o, "channel", 1, 1, 11);
    let vendor = "";
    const rows = await withIdentifiedSession(login, {}, async (session, { profile, manufacturerId }) => {
        vendor = `vendor ${profile.name}${manufacturerId !== undefined ? `, manufacturer id ${manufacturerId}` : ""}`;
        const max = decodeUserAccess(await session.one(getUserAccess(channel, 1))).maxUsers;
        const found: string[] = [];
        for (let id = 1; id <= max; id++) {
            const slot = await readSlot(session, channel, id);
            // The anonymous user (slot 1) has no name; it counts as used when it can log in. HPE names unused slots
            // "(Empty User)".
            if (isEmptyName(slot.name, profile) && !(id === 1 && slot.access.ipmiMessaging)) continue;
            const a = slot.access;
            found.push(
                [String(id).padEnd(3), (slot.name || "(anonymous)").padEnd(16), privilegeFromCode(a.privilegeCode).padEnd(13),
                    `msg=${a.ipmiMessaging ? "on" : "off"}`, `link=${a.linkAuth ? "on" : "off"}`, `callin=${a.callin ? "on" : "off"}`,
                    `enabled=${a.enableStatus}`].join(" "),
            );
        }
        return found;
    });
    io.out(`ID  NAME             PRIVILEGE     FLAGS (channel ${channel}; ${vendor})`);
    rows.forEach((r) => io.out(r));
    return 0;
}

async function verify(o: Options, password: string, io: Io): Promise<number> {
    const user = str(o, "user")!;
    const privilege = (str(o, "privilege") ?? "USER").toUpperCase() as SessionPrivilege;
    if (!Object.values(SESSION_PRIVILEGE).includes(privilege)) {
        throw new UsageError("--privilege must be CALLBACK, USER, OPERATOR or ADMINISTRATOR");
    }
    const login = target(o, password, user, io);
    let context: { userId?: number; channel?: number } = {};
    if (login.inband) {
        // In-band the BMC compares the password itself (Test User Password), which needs the slot.
        const channel = intFlag(o, "channel", 1, 1, 11);
        const { match } = await withAdminSession(login, {}, (session) => findSlot(session, channel, user, 2));
        if (match === undefined) {
            io.err(`rejected: the BMC knows no user ${user}`);
            return 1;
        }
        context = { userId: match, channel };
    }
    const outcome = await probeLogin(login, user, password, privilege, { context });
    if (outcome === "ok") {
        io.out(`ok: ${user} logged in at ${privilege} privilege`);
        return 0;
    }
    io.err(outcome === "bad-password" ? `rejected: the BMC refused the password for ${user}` : `rejected: the BMC knows no enabled user ${user}`);
    return 1;
}

/**
 * Supermicro's OEM "restore factory defaults", sent only to a BMC whose Get Device ID names Supermicro: netfn 0x3c
 * is OEM space, and the same bytes may mean anything on another maker's firmware. The check is asked fresh in the
 * session that sends the command (never from a cache: the address may answer for another board now).
 */
async function factoryReset(o: Options, password: string, io: Io): Promise<number> {
    const login = target(o, password, str(o, "username") ?? "ADMIN", io);
    const supermicro = profileNamed("supermicro");
    await withAdminSession(login, { attempts: 1 }, async (session) => {
        const [id] = await session.run([getDeviceId()]);
        const manufacturerId = id.ok && id.data.length >= 11 ? decodeDeviceId(id.data).manufacturerId : undefined;
        if (manufacturerId === undefined || !supermicro.manufacturerIds.includes(manufacturerId)) {
            throw new CredentialsError("BMC_VENDOR_RULE", {
                message:
                    `refusing factory-reset: the BMC reports ${manufacturerId === undefined ? "no manufacturer id" : `manufacturer id ${manufacturerId}`}, ` +
                    `not Supermicro's (${supermicro.manufacturerIds.join(", ")}); only Get Device ID was sent`,
                hint: "the OEM command 0x3c 0x40 is Supermicro's; use the vendor's own tool or web interface for this BMC",
                context: { host: login.host, port: login.port },
            });
        }
        await session.one({ netFn: 0x3c, cmd: 0x40, data: [], label: "Supermicro restore factory defaults (raw 0x3c 0x40)" });
    });
    io.out("factory-reset sent: the BMC restores its defaults and reboots (about a minute); log in with its factory credentials");
    return 0;
}

function promptHidden(question: string): Promise<string> {
    return new Promise((resolve) => {
        const stdin = process.stdin;
        process.stderr.write(question);
        stdin.setRawMode?.(true);
        stdin.resume();
        let value = "";
        const onData = (buf: Buffer) => {
            for (const ch of buf.toString("utf8")) {
                if (ch === "\r" || ch === "\n" || ch === "\u0004") {
                    stdin.setRawMode?.(false);
                    stdin.pause();
                    stdin.off("data", onData);
                    process.stderr.write("\n");
                    resolve(value);
                    return;
                }
                if (ch === "\u0003") {
                    stdin.setRawMode?.(false);
                    process.exit(130);
                }
                value = ch === "\u007f" ? value.slice(0, -1) : value + ch;
            }
        };
        stdin.on("data", onData);
    });
}

if (require.main === module) {
    run(process.argv.slice(2), {
        env: process.env,
        out: (l) => process.stdout.write(`${l}\n`),
        err: (l) => process.stderr.write(`${l}\n`),
        prompt: process.stdin.isTTY ? promptHidden : undefined,
    }).then((code) => {
        process.exitCode = code;
    });
}
