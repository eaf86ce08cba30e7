/**
 * `bmc-credentials users|verify --protocol redfish`: the break-glass commands over a BMC's Redfish service, with the
 * same client the `BmcUser` resource uses (pinned TLS, one session, no Basic auth, passwords in JSON bodies only).
 */

import { readFileSync } from "node:fs";
import { listAccounts, readAccountService } from "../redfish/accounts";
import { RedfishSession, ServiceRoot, discover, login } from "../redfish/client";
import { HttpTransport, httpsTransport } from "../redfish/http";
import { TlsPin, certificateFingerprint, normaliseFingerprint } from "../redfish/tls";
import { CredentialsError } from "../shared/errors";
import { UsageError } from "./usage";

/** What the Redfish commands read from the command line. */
export interface RedfishCliTarget {
    host?: string;
    port: number;
    username: string;
    timeoutSeconds: number;
    tlsFingerprint?: string;
    tlsCaFile?: string;
}

/** Options that mean something for IPMI only, and are refused with `--protocol redfish`. */
export const IPMI_ONLY_OPTIONS = ["cipher-suite", "channel", "retries", "privilege", "transport", "inband", "ssh-host", "via-ssh", "ssh-port", "ssh-user", "ssh-key-file", "ssh-password-file", "ssh-host-key", "ssh-host-key-file", "ssh-sudo"];

function pin(t: RedfishCliTarget): TlsPin {
    if ((t.tlsFingerprint === undefined) === (t.tlsCaFile === undefined)) {
        throw new UsageError("--protocol redfish needs exactly one of --tls-fingerprint SHA256 or --tls-ca-file PEM: the BMC's certificate is always checked (there is no insecure mode)");
    }
    if (t.tlsFingerprint !== undefined) {
        const fp = normaliseFingerprint(t.tlsFingerprint);
        if (!fp) throw new UsageError("--tls-fingerprint must be a SHA-256 fingerprint: 64 hex digits, optionally in pairs separated by colons");
        return { fingerprint: fp };
    }
    let pem: string;
    try {
        pem = readFileSync(t.tlsCaFile!, "utf8");
    } catch {
        throw new UsageError(`--tls-ca-file ${t.tlsCaFile}: cannot read the file`);
    }
    if (!certificateFingerprint(pem)) throw new UsageError(`--tls-ca-file ${t.tlsCaFile}: not a PEM certificate`);
    return { caCertificate: pem };
}

interface Opened {
    root: ServiceRoot;
    session: RedfishSession;
    where: { host: string; port: number };
}

/** Opens one session as `user` (one login attempt), runs `fn`, logs out. */
async function withSession<T>(t: RedfishCliTarget, user: string, password: string, fn: (s: Opened) => Promise<T>): Promise<T | "rejected"> {
    const tls = pin(t);
    if (!t.host) throw new UsageError("--host is required");
    const transport = httpsTransport({ host: t.host, port: t.port, tls, timeoutSeconds: t.timeoutSeconds });
    const where = { host: t.host, port: t.port };
    try {
        const s = await open(transport, where, user, password);
        if (s === "rejected") return s;
        try {
            return await fn(s);
        } finally {
            await s.session.logout();
        }
    } finally {
        transport.close();
    }
}

async function open(transport: HttpTransport, where: { host: string; port: number }, user: string, password: string): Promise<Opened | "rejected"> {
    const root = await discover(transport, where);
    const r = await login(transport, where, root, user, password);
    if (!r.ok) return "rejected";
    return { root, session: r.session, where };
}

/** `users`: one line per account (Id, UserName, RoleId, Enabled, Locked, IPMI type), empty slots left out. */
export async function redfishUsers(t: RedfishCliTarget, password: string, out: (line: string) => void): Promise<number> {
    const result = await withSession(t, t.username, password, async ({ root, session, where }) => {
        if (session.passwordChange) {
            throw new CredentialsError("REDFISH_PASSWORD_CHANGE_REQUIRED", { message: `the BMC requires the password of ${t.username} to be changed first`, hint: "change it in the BMC's web UI, or with a BmcUser", context: where });
        }
        const svc = await readAccountService(session, root, where);
        const { model, accounts } = await listAccounts(session, svc, root, where);
        out(`ID        NAME             ROLE           ENABLED  LOCKED  IPMI  (${[root.vendor, root.product].filter(Boolean).join(" ") || "Redfish service"}; ${model} model)`);
        for (const a of accounts) {
            if (a.userName === "") continue;
            const yes = (v: boolean | undefined) => (v === undefined ? "-" : v ? "yes" : "no");
            out([a.id.padEnd(9), a.userName.padEnd(16), (a.roleId ?? "-").padEnd(14), yes(a.enabled).padEnd(8), yes(a.locked).padEnd(7), yes(a.accountTypes?.includes("IPMI") ?? undefined)].join(" "));
        }
        return 0;
    });
    if (result === "rejected") {
        throw new CredentialsError("BMC_LOGIN_REJECTED", { message: `the BMC's Redfish service refused ${t.username} (one attempt)`, hint: "check --username and the password", context: { host: t.host, port: t.port } });
    }
    return result;
}

/** `verify`: one session login as `user` (and its logout); 0 when it works. */
export async function redfishVerify(t: RedfishCliTarget, user: string, password: string, io: { out: (l: string) => void; err: (l: string) => void }): Promise<number> {
    const result = await withSession(t, user, password, async ({ session }) => session.passwordChange);
    if (result === "rejected") {
        io.err(`rejected: the BMC's Redfish service refused ${user} (one login attempt; wrong password, or the account is disabled or locked)`);
        return 1;
    }
    io.out(`ok: ${user} logged in over Redfish${result ? " (the BMC requires this account to change its password before anything else)" : ""}`);
    return 0;
}
