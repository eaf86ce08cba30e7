/**
 * The pure half of the SSH transport: what the remote command line says, how a pinned host key is read, and what the
 * remote wrapper's own failures mean.
 *
 * The remote command is fixed text plus non-secret ipmitool arguments (interface, BMC address, user name, cipher
 * suite, timeouts), each single-quoted for the remote shell. Secrets never appear in it: the BMC login password is the
 * first line the channel's stdin carries, read by bash's `read` builtin and handed to ipmitool through a process
 * substitution fed by the `printf` builtin (so it is never an argument of any process), and everything after that
 * line is the exec file.
 */

import { createHash } from "node:crypto";
import { CredentialsError } from "../../shared/errors";
import { ssh2 } from "./lib";

/** Printed by the wrapper when ipmitool is not on the remote PATH. */
export const MISSING_IPMITOOL_MARKER = "@@ssh:ipmitool-missing";

/** Host key types accepted for pinning, with the signature algorithms each allows the server to use. */
export const HOST_KEY_ALGORITHMS: Readonly<Record<string, readonly string[]>> = {
    "ssh-ed25519": ["ssh-ed25519"],
    "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
    "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
    "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
    "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/** A pinned host key: its type and the raw public key blob. */
export interface PinnedHostKey {
    type: string;
    blob: Buffer;
}

/**
 * Reads a host key in `known_hosts` / `.pub` form: `ssh-ed25519 AAAA… [comment]`, optionally preceded by host names
 * as in a `known_hosts` line. Returns an error message (naming no value) when it is not one.
 */
export function parseHostKey(text: string): PinnedHostKey | string {
    const tokens = text.trim().split(/\s+/);
    const at = tokens.findIndex((t) => t in HOST_KEY_ALGORITHMS);
    if (at === -1 || at > 1) {
        return `must be a public host key in known_hosts form, "<type> <base64>", with type one of ${Object.keys(HOST_KEY_ALGORITHMS).join(", ")} (e.g. the output of \`ssh-keyscan -t ed25519 <host>\` or /etc/ssh/ssh_host_ed25519_key.pub)`;
    }
    const type = tokens[at];
    const b64 = tokens[at + 1] ?? "";
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
        return `must be followed by the key's base64 text after "${type}"`;
    }
    const blob = Buffer.from(b64, "base64");
    // The blob begins with its own type as an SSH string: a truncated or mislabelled key is caught here.
    const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    const parsed = ssh2().utils.parseKey(`${type} ${b64}`);
    if (len < 0 || 4 + len > blob.length || blob.subarray(4, 4 + len).toString("latin1") !== type || parsed instanceof Error) {
        return `is not a valid ${type} key (its base64 does not decode to a ${type} public key)`;
    }
    return { type, blob };
}

/** OpenSSH's fingerprint of a key blob (`SHA256:…`), as `ssh-keygen -lf` prints it. */
export function fingerprint(blob: Buffer): string {
    return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What runs on the remote host. */
export interface RemoteCommandOptions {
    /** True when the first stdin line is the BMC login password (`-I lanplus` from a jump host). */
    password: boolean;
    /** Run ipmitool through `sudo -n` (in-band only: sudo closes the descriptors the password would travel on). */
    sudo: boolean;
}

/**
 * The remote command line: `bash -c '<fixed script>' ipmitool <quoted ipmitool args>`. ipmitool's output is
 * line-buffered (`stdbuf -oL`) so that each `echo @@n` marker arrives as soon as it is printed.
 */
export function remoteCommand(args: readonly string[], options: RemoteCommandOptions): string {
    const check = `command -v ipmitool >/dev/null 2>&1 || { echo ${MISSING_IPMITOOL_MARKER}; exit 127; }`;
    let run: string;
    if (options.password) {
        // fd 3 keeps the channel for the batch; ipmitool's own stdin and fd 3 are closed, so only the pipes remain.
        run = `IFS= read -r p || exit 1; exec 3<&0; exec stdbuf -oL -eL ipmitool "$@" -f <(printf "%s\\n" "$p") exec <(cat <&3) 0</dev/null 3<&- 2>&1`;
    } else if (options.sudo) {
        // sudo closes every descriptor above 2, so the batch must be ipmitool's stdin itself; -n never prompts.
        run = `exec 2>&1; exec sudo -n stdbuf -oL -eL ipmitool "$@" exec /dev/stdin`;
    } else {
        run = `exec 3<&0; exec stdbuf -oL -eL ipmitool "$@" exec <(cat <&3) 0</dev/null 3<&- 2>&1`;
    }
    return `exec bash -c ${shellQuote(`${check}; ${run}`)} ipmitool ${args.map(shellQuote).join(" ")}`;
}

/** Where an SSH failure happened, for error context. */
export interface SshContext {
    sshHost: string;
    sshPort: number;
    sshUser: string;
    /** The BMC's address when going through a jump host. */
    host?: string;
    port?: number;
    slot?: number;
    channel?: number;
}

/**
 * The remote wrapper's own failures, read from the output seen before ipmitool opened its session: ipmitool missing,
 * sudo refusing, bash missing. Undefined when the output is ipmitool's own (classified by the ipmitool classifier).
 */
export function classifyRemoteFailure(text: string, ctx: SshContext, sudo: boolean): CredentialsError | undefined {
    const context = { ...ctx };
    const where = `${ctx.sshUser}@${ctx.sshHost}:${ctx.sshPort}`;
    if (text.includes(MISSING_IPMITOOL_MARKER)) {
        return new CredentialsError("IPMITOOL_MISSING", {
            message: `ipmitool is not installed on ${ctx.sshHost} (not on the PATH of ${ctx.sshUser}'s SSH sessions)`,
            hint: "install it on that host (Debian/Ubuntu: `apt-get install ipmitool`; RHEL: `dnf install ipmitool`), or make the SSH user's PATH include it",
            context,
        });
    }
    if (/^sudo: .*(password is required|terminal is required)/m.test(text)) {
        return new CredentialsError("SSH_SUDO_FAILED", {
            message: `sudo on ${ctx.sshHost} wants a password for ${ctx.sshUser}; the provider runs \`sudo -n\` and never types one`,
            hint: `add a sudoers rule such as \`${ctx.sshUser} ALL=(root) NOPASSWD: /usr/bin/stdbuf -oL -eL ipmitool *\`, or log in as a user that may open /dev/ipmi0 and drop ssh.sudo`,
            context,
        });
    }
    if (/^sudo: |is not in the sudoers file|is not allowed to execute/m.test(text) && sudo) {
        return new CredentialsError("SSH_SUDO_FAILED", {
            message: `${where} may not run ipmitool through sudo`,
            hint: `allow it in sudoers (\`${ctx.sshUser} ALL=(root) NOPASSWD: /usr/bin/stdbuf -oL -eL ipmitool *\`), or drop ssh.sudo and log in as root`,
            context,
        });
    }
    if (/bash: (command )?not found|bash: No such file/.test(text)) {
        return new CredentialsError("TOOL_MISSING", {
            message: `${ctx.sshHost} has no bash on the SSH user's PATH`,
            hint: "the remote side needs bash and coreutils (stdbuf, cat) besides ipmitool",
            context,
        });
    }
    if (/exec: stdbuf: not found|stdbuf: (command )?not found/.test(text)) {
        return new CredentialsError("TOOL_MISSING", {
            message: `${ctx.sshHost} has no stdbuf (coreutils) on the SSH user's PATH`,
            hint: "the remote side needs bash and coreutils (stdbuf, cat) besides ipmitool",
            context,
        });
    }
    return undefined;
}
