/**
 * Runs ipmitool on another host over an SSH exec channel (the `ssh2` library), for in-band access (`-I open` on the
 * target host) and for jump hosts (`-I lanplus` from a bastion on the management network).
 *
 * One SSH connection per ipmitool session. The server must present exactly the pinned host key (only its algorithm
 * is offered, and the key blob must match byte for byte) before any credential is sent; a mismatch ends the
 * connection during key exchange. The channel's stdin carries the BMC password (jump host) and then the exec file;
 * the remote command line holds no secret (see `remote.ts`).
 */

import type { Client, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from "ssh2";
import { CredentialsError, isCredentialsError } from "../../shared/errors";
import { registerSecrets } from "../../shared/redact";
import type { IpmitoolChannel, IpmitoolLauncher } from "../ipmitool/session";
import { ssh2 } from "./lib";
import { HOST_KEY_ALGORITHMS, SshContext, classifyRemoteFailure, fingerprint, parseHostKey, remoteCommand } from "./remote";

/** How to reach the host that runs ipmitool. */
export interface SshTarget {
    host: string;
    port: number;
    username: string;
    /** OpenSSH or PEM private key text; or `password`. */
    privateKey?: string;
    /** Passphrase of an encrypted `privateKey`. */
    passphrase?: string;
    password?: string;
    /** The server's public host key, `known_hosts` form; required, compared byte for byte. */
    hostKey: string;
    /** In-band only: run ipmitool through `sudo -n`. */
    sudo?: boolean;
}

/** Seconds to connect, exchange keys and authenticate. */
export const SSH_READY_TIMEOUT_MS = 10000;

/** A launcher that runs ipmitool on `ssh.host` (in-band when the request carries no password). */
export function launchOverSsh(ssh: SshTarget): IpmitoolLauncher {
    registerSecrets(ssh.password, ssh.privateKey, ssh.passphrase);
    return ({ args, password, context }) => {
        const ctx: SshContext = {
            sshHost: ssh.host,
            sshPort: ssh.port,
            sshUser: ssh.username,
            ...(password !== undefined ? { host: context.host, port: context.port } : {}),
            slot: context.userId,
            channel: context.channel,
        };
        return connect(ssh, ctx).then((conn) => execChannel(conn, ssh, ctx, remoteCommand(args, { password: password !== undefined, sudo: !!ssh.sudo }), password));
    };
}

function connect(ssh: SshTarget, ctx: SshContext): Promise<Client> {
    const pinned = parseHostKey(ssh.hostKey);
    if (typeof pinned === "string") {
        return Promise.reject(new CredentialsError("INVALID_INPUT", { message: `ssh.hostKey ${pinned}`, hint: "copy the host key from a trusted source", context: { ...ctx } }));
    }
    return new Promise<Client>((resolve, reject) => {
        const conn = new (ssh2().Client)();
        let presented: string | undefined;
        let settled = false;
        const fail = (e: CredentialsError) => {
            if (!settled) {
                settled = true;
                conn.end();
                reject(e);
            }
        };
        const config: ConnectConfig = {
            host: ssh.host,
            port: ssh.port,
            username: ssh.username,
            readyTimeout: SSH_READY_TIMEOUT_MS,
            // A peer that vanished (host down, path cut) ends the connection after ~15 s instead of TCP's minutes, so
            // the session's own timeouts see it close and the BMC lock and session slot are released.
            keepaliveInterval: 5000,
            keepaliveCountMax: 3,
            // Only the pinned key's algorithms, so a server with several host keys must present the pinned one.
            algorithms: { serverHostKey: [...HOST_KEY_ALGORITHMS[pinned.type]] as ServerHostKeyAlgorithm[] },
            hostVerifier: (key: Buffer) => {
                if (key.length === pinned.blob.length && key.equals(pinned.blob)) {
                    return true;
                }
                presented = fingerprint(key);
                return false;
            },
            // Keys and passwords only: no agent, no keyboard-interactive prompt that could ask for something else.
            tryKeyboard: false,
            ...(ssh.privateKey !== undefined ? { privateKey: ssh.privateKey, passphrase: ssh.passphrase } : { password: ssh.password }),
        };
        conn.once("ready", () => {
            settled = true;
            resolve(conn);
        });
        conn.on("error", (err: Error & { level?: string; code?: string }) => fail(sshError(err, ctx, pinned.blob, presented)));
        conn.once("close", () => fail(sshError(new Error("the connection closed during the handshake"), ctx, pinned.blob, presented)));
        try {
            conn.connect(config);
        } catch (e) {
            // ssh2 throws synchronously for a key it cannot parse (or a wrong passphrase).
            fail(
                new CredentialsError("SSH_AUTH_FAILED", {
                    message: "ssh.privateKey could not be read (not an OpenSSH/PEM private key, or the passphrase is wrong)",
                    hint: "give the private key text (-----BEGIN OPENSSH PRIVATE KEY----- …) and, if it is encrypted, ssh.passphrase",
                    context: { ...ctx },
                    cause: e,
                }),
            );
        }
    });
}

function sshError(err: Error & { level?: string; code?: string }, ctx: SshContext, pinned: Buffer, presented: string | undefined): CredentialsError {
    const where = `${ctx.sshHost}:${ctx.sshPort}`;
    const context = { ...ctx };
    if (presented !== undefined) {
        return new CredentialsError("SSH_HOST_KEY_MISMATCH", {
            message: `${where} presented host key ${presented}, not the pinned ${fingerprint(pinned)}; nothing was sent`,
            hint: "if the host was reinstalled or its keys rotated, verify the new key out of band (console, `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub` on the host) and update ssh.hostKey; otherwise someone may be intercepting the connection",
            context,
        });
    }
    if (err.level === "client-authentication") {
        return new CredentialsError("SSH_AUTH_FAILED", {
            message: `${where} rejected the SSH login of ${ctx.sshUser}`,
            hint: "check ssh.username and ssh.privateKey (its public half must be in the user's authorized_keys) or ssh.password",
            context,
        });
    }
    if (err.level === "client-timeout") {
        return new CredentialsError("SSH_UNREACHABLE", {
            message: `${where} did not complete the SSH handshake within ${SSH_READY_TIMEOUT_MS / 1000} s`,
            hint: "check that the host is up and that TCP port ssh.port is reachable from the machine running Pulumi",
            transient: true,
            context,
        });
    }
    if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") {
        return new CredentialsError("SSH_UNREACHABLE", { message: `${ctx.sshHost} does not resolve`, hint: "check ssh.host", context });
    }
    if (/no matching host key format|handshake failed/i.test(err.message)) {
        return new CredentialsError("SSH_HOST_KEY_MISMATCH", {
            message: `${where} has no host key of the pinned type; nothing was sent`,
            hint: "pin the key the server actually has (`ssh-keyscan <host>`, verified out of band)",
            context,
            cause: err,
        });
    }
    return new CredentialsError("SSH_UNREACHABLE", {
        message: `could not open an SSH connection to ${where}${err.code ? ` (${err.code})` : ""}`,
        hint: "check ssh.host and ssh.port and that sshd runs there",
        transient: err.code === "ECONNRESET" || err.code === "ETIMEDOUT",
        context,
        cause: err,
    });
}

function execChannel(conn: Client, ssh: SshTarget, ctx: SshContext, command: string, password: string | undefined): Promise<IpmitoolChannel> {
    return new Promise((resolve, reject) => {
        // A server that accepts the login but never answers the exec request must not hold the operation forever.
        const execTimer = setTimeout(() => {
            conn.destroy();
            reject(new CredentialsError("SSH_UNREACHABLE", { message: `${ctx.sshHost} did not start the command within ${SSH_READY_TIMEOUT_MS / 1000} s`, hint: "check the SSH server's load and its MaxSessions setting", transient: true, context: { ...ctx } }));
        }, SSH_READY_TIMEOUT_MS);
        execTimer.unref();
        conn.exec(command, (err: Error | undefined, stream: ClientChannel) => {
            clearTimeout(execTimer);
            if (err) {
                conn.end();
                reject(new CredentialsError("SSH_UNREACHABLE", { message: `${ctx.sshHost} refused to run a command over SSH`, hint: "the SSH account may be restricted (ForceCommand, no shell)", context: { ...ctx }, cause: err }));
                return;
            }
            let seen = "";
            let lostConnection: CredentialsError | undefined;
            const dataListeners: ((chunk: string) => void)[] = [];
            const closeListeners: (() => void)[] = [];
            let closed = false;
            const onClose = () => {
                if (!closed) {
                    closed = true;
                    conn.end();
                    for (const l of closeListeners) l();
                }
            };
            // One socket read can carry the exec reply, the output, the exit status and the close together, all
            // emitted before the session attaches its listeners: keep what came early and replay it.
            const early: string[] = [];
            const deliver = (buf: Buffer) => {
                const text = buf.toString("latin1");
                // Only the beginning matters (the wrapper's own failures); keep it bounded.
                if (seen.length < 4096) seen += text;
                if (dataListeners.length === 0) early.push(text);
                for (const l of dataListeners) l(text);
            };
            stream.on("data", deliver);
            stream.stderr.on("data", deliver);
            // Mirrors the local transport: the process substitution reading the batch lives until its input ends.
            stream.on("exit", () => stream.end());
            stream.on("close", onClose);
            stream.on("error", () => undefined);
            conn.on("error", (e: Error) => {
                lostConnection = new CredentialsError("SSH_UNREACHABLE", { message: `the SSH connection to ${ctx.sshHost}:${ctx.sshPort} broke`, hint: "the command may or may not have been applied", transient: true, context: { ...ctx }, cause: e });
            });
            conn.on("close", onClose);
            if (password !== undefined) {
                stream.write(`${password}\n`);
            }
            resolve({
                write: (text) => {
                    if (!closed) stream.write(text);
                },
                end: () => {
                    if (!closed) stream.end();
                },
                kill: () => {
                    try {
                        stream.signal("KILL");
                    } catch {
                        // not supported by every server
                    }
                    // end() only half-closes: a dead peer would never confirm, and close would never be seen.
                    conn.destroy();
                },
                onData: (l) => {
                    dataListeners.push(l);
                    for (const text of early.splice(0)) l(text);
                },
                onClose: (l) => (closed ? queueMicrotask(l) : closeListeners.push(l)),
                failure: () => classifyRemoteFailure(seen, ctx, !!ssh.sudo) ?? lostConnection,
            });
        });
    });
}

/** True for failures of the SSH leg rather than of ipmitool or the BMC. */
export function isSshFailure(e: unknown): boolean {
    return isCredentialsError(e) && e.code.startsWith("SSH_");
}
