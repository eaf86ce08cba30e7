/**
 * The session contract (`transport/session.ts`) over one ipmitool process, driven line by line: one RMCP+ session
 * (`-I lanplus`, here or from a jump host) or in-band access (`-I open`, here or on an SSH host).
 *
 * ipmitool's `exec` reads its command file incrementally, so the provider keeps the file open as a pipe and writes raw
 * commands as it decides them: a lookup's answer can choose the writes that follow, all inside one session. Each
 * command is followed by an `echo @@<n>` marker, which tells where its output ends.
 *
 * Secrets never reach argv: the login password goes through `-f` on a pipe and the target password travels inside
 * the batch as raw hex. ipmitool runs detached (no controlling terminal) with stdin ignored, so it can never prompt,
 * and with an environment of PATH, locale and a HOME holding a small IANA registry only ({@link registryHome}).
 *
 * ipmitool runs with `-v` so that a failed login says why (bad password vs unknown user vs no answer); the first batch
 * line `set verbose 0` turns verbosity off before any request is sent, so request bytes are never echoed back.
 *
 * Where ipmitool runs is the {@link IpmitoolLauncher}'s business: by default a child process here
 * ({@link launchLocal}); `transport/ssh` runs it on another host over an SSH exec channel. The session only needs a
 * line-driven pipe in and the merged output back.
 */

import { spawn } from "node:child_process";
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CredentialsError } from "../../shared/errors";
import type { FailureContext, IpmiReply, IpmiRequest, Session, SessionTarget } from "../session";
import { classifyLoginFailure, completionCodeOf, isNoise, noAnswer } from "./classify";

export type { SessionTarget } from "../session";

/**
 * A running ipmitool fed an exec file line by line: what a launcher hands the session. Output is stdout and stderr
 * merged, as text.
 */
export interface IpmitoolChannel {
    /** Appends text to the exec file. */
    write(text: string): void;
    /** Ends the exec file: ipmitool closes the session and exits. */
    end(): void;
    /** Stops ipmitool at once. */
    kill(): void;
    /** Output as it arrives (latin1 text). */
    onData(listener: (chunk: string) => void): void;
    /** Called once, after ipmitool is gone and all of its output was delivered. */
    onClose(listener: () => void): void;
    /**
     * After close: a failure of the transport itself (remote ipmitool missing, sudo refused, connection lost), which
     * explains an early end better than ipmitool's text would.
     */
    failure?(): CredentialsError | undefined;
}

/** What a launcher starts: ipmitool with `args`, the login password (if any) on a pipe, the exec file on another. */
export interface LaunchRequest {
    /** ipmitool arguments before `-f` and `exec` (interface, address, user, cipher suite, timeouts, `-v`). */
    args: string[];
    /** The login password (`-f` on a pipe); absent in-band. */
    password?: string;
    /** Where errors point. */
    context: FailureContext;
}

/** Starts ipmitool somewhere; rejects with a `CredentialsError` if it cannot even be started. */
export type IpmitoolLauncher = (request: LaunchRequest) => Promise<IpmitoolChannel>;

/** Injection points for tests and for hosts that keep ipmitool elsewhere. */
export interface IpmitoolOptions {
    /** ipmitool executable; default: `PULUMI_BMC_IPMITOOL`, then `ipmitool` on PATH. */
    ipmitoolPath?: string;
    /** Replaces `child_process.spawn` (fixture tests). */
    spawnImpl?: typeof spawn;
    /** Where ipmitool runs; default {@link launchLocal} with the two options above. */
    launcher?: IpmitoolLauncher;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(2, "0")}`;

/** The `ipmitool exec` line for a raw request. Raw hex sidesteps exec-file parsing (`#`, `~`, quotes). */
export function rawLine(r: IpmiRequest): string {
    return ["raw", hex(r.netFn), hex(r.cmd), ...Array.from(r.data, hex)].join(" ");
}

// bash's own complaints go to stdout too (`exec 2>&1` first), so the child needs no stderr pipe: one pipe fewer per
// ipmitool process, which a fleet operation starts thousands of.
const SCRIPT = 'exec 2>&1; exec stdbuf -oL -eL "$0" "$@" -f <(cat <&3) exec <(cat <&4)';
const SCRIPT_INBAND = 'exec 2>&1; exec stdbuf -oL -eL "$0" "$@" exec <(cat <&4)';
const HEX_LINE = /^(?: [0-9a-f]{2})+\s*$/i;
const SEARCH_DIRS = ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin"];

/** Where ipmitool was last found, per lookup (explicit path, or the PATH searched). */
const found = new Map<string, string>();

function isExecutable(file: string): boolean {
    try {
        accessSync(file, fsConstants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/**
 * Finds ipmitool, or fails with instructions to install it. Every session start asks, so the answer is remembered and
 * only re-checked (one `access` call): the full search costs a failed `access`, and with it an exception object, per
 * PATH entry before ipmitool's directory (measured: ~16 KB of garbage per session, 33 MB over a 1000-resource `up`).
 */
export function findIpmitool(explicit?: string): string {
    const wanted = explicit ?? process.env.PULUMI_BMC_IPMITOOL;
    const key = wanted !== undefined ? `=${wanted}` : `PATH=${process.env.PATH ?? ""}`;
    const known = found.get(key);
    if (known !== undefined && isExecutable(known)) {
        return known;
    }
    found.delete(key);
    const candidates = wanted
        ? [wanted]
        : [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...SEARCH_DIRS].map((d) => path.join(d, "ipmitool"));
    const hit = candidates.find(isExecutable);
    if (hit !== undefined) {
        found.set(key, hit);
        return hit;
    }
    throw new CredentialsError("IPMITOOL_MISSING", {
        message: wanted ? `ipmitool was not found at ${wanted}` : "ipmitool is not installed on the machine running Pulumi",
        hint: "install it (Debian/Ubuntu: `apt-get install ipmitool`; RHEL: `dnf install ipmitool`) or set PULUMI_BMC_IPMITOOL to its path",
    });
}

let registryHomeDir: string | null | undefined;

/**
 * A HOME for ipmitool holding a one-entry IANA enterprise-number registry. Every ipmitool process parses the registry
 * before it sends anything (`$HOME/.local/usr/share/misc/enterprise-numbers[.txt]` first, else the 4.7 MB system copy);
 * it only names manufacturers in human-readable output, which raw commands never print. With the small copy a session
 * starts about 40 ms sooner (72 → 28 ms per session against a local simulator). Created once per process in a fresh
 * private temporary directory, removed at exit; `undefined` (system registry) if it cannot be created.
 */
export function registryHome(): string | undefined {
    if (registryHomeDir === undefined) {
        try {
            const dir = mkdtempSync(path.join(os.tmpdir(), "pulumi-bmc-ipmitool-"));
            const misc = path.join(dir, ".local", "usr", "share", "misc");
            mkdirSync(misc, { recursive: true });
            const registry = "0\n  Reserved\n  Internet Assigned Numbers Authority\n    iana&iana.org\n";
            // Upstream reads `enterprise-numbers`; Debian's build reads `enterprise-numbers.txt`.
            for (const name of ["enterprise-numbers", "enterprise-numbers.txt"]) {
                writeFileSync(path.join(misc, name), registry, { mode: 0o600 });
            }
            process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
            registryHomeDir = dir;
        } catch {
            registryHomeDir = null;
        }
    }
    return registryHomeDir ?? undefined;
}

/** Seconds ipmitool may spend opening a session: measured ≈ N·R·(R+1), plus slack. */
export function loginBudgetMs(t: Pick<SessionTarget, "timeoutSeconds" | "retries">): number {
    return (t.timeoutSeconds * t.retries * (t.retries + 1) + 5) * 1000;
}

/** Seconds one in-session request may take: N·(R+1), plus slack. */
export function commandBudgetMs(t: Pick<SessionTarget, "timeoutSeconds" | "retries">): number {
    return (t.timeoutSeconds * (t.retries + 1) + 3) * 1000;
}

/**
 * What a child process that could not run says: bash itself not started (the spawn `'error'` event), or bash unable to
 * find `stdbuf` or ipmitool (`exec: NAME: not found`, exit 127). Names the program and where it was looked for.
 */
export function toolMissing(program: string, why: string, context: FailureContext): CredentialsError {
    const ipmitool = /(^|\/)ipmitool$/.test(program);
    return new CredentialsError(ipmitool ? "IPMITOOL_MISSING" : "TOOL_MISSING", {
        message: `${program} could not be run on the machine running Pulumi (${why})`,
        hint: ipmitool
            ? "install ipmitool (Debian/Ubuntu: `apt-get install ipmitool`) or set PULUMI_BMC_IPMITOOL to its path"
            : `the ipmitool route needs bash and coreutils' stdbuf on the PATH of the process running Pulumi: install it (stdbuf and cat are in coreutils), or add its directory to PATH`,
        context: { host: context.host, port: context.port, slot: context.userId, channel: context.channel },
    });
}

/** bash's "cannot exec" lines (`<$0>: line 1: exec: stdbuf: not found`) and stdbuf's when ipmitool is gone. */
const NOT_FOUND = [/^(?:\S+: )?(?:line \d+: )?(?:exec: )?(\S+): (?:command )?not found$/gm, /^stdbuf: failed to run command '([^']+)': No such file/gm];

/** Programs the script needed and did not find, from the output bash printed before ipmitool could start. */
export function scriptFailure(text: string, context: FailureContext): CredentialsError | undefined {
    const missing = [...new Set(NOT_FOUND.flatMap((re) => [...text.matchAll(re)].map((m) => m[1])))];
    return missing.length > 0 ? toolMissing(missing.join(" and "), "not found on PATH", context) : undefined;
}

/**
 * Runs ipmitool as a child process here: bash turns fds 3 (password) and 4 (exec file) into real pipes, ipmitool runs
 * detached (its own process group, no terminal, stdin ignored) with an environment of PATH and locale only. A program
 * that cannot be started (bash, stdbuf, ipmitool) fails the session with a typed error naming it; it never reaches
 * the provider host as an unhandled `'error'` event.
 */
export function launchLocal(options: Pick<IpmitoolOptions, "ipmitoolPath" | "spawnImpl"> = {}): IpmitoolLauncher {
    return async ({ args, password, context }) => {
        const ipmitool = findIpmitool(options.ipmitoolPath);
        const PATH = process.env.PATH ?? "/usr/bin:/bin";
        const child = (options.spawnImpl ?? spawn)("bash", ["-c", password === undefined ? SCRIPT_INBAND : SCRIPT, ipmitool, ...args], {
            stdio: ["ignore", "pipe", "ignore", "pipe", "pipe"],
            detached: true,
            env: { PATH, LANG: "C", LC_ALL: "C", ...(registryHome() ? { HOME: registryHome() } : {}) },
        });
        let failure: CredentialsError | undefined;
        let output = "";
        // Without a listener, a failed spawn (ENOENT: no bash on PATH) is an unhandled 'error' event that ends the
        // whole provider host. 'close' still follows, and the session reads the failure from here.
        child.on("error", (e: NodeJS.ErrnoException) => {
            failure ??= toolMissing("bash", `${e.code ?? "spawn failed"}; PATH=${PATH}`, context);
        });
        const batch = child.stdio[4] as NodeJS.WritableStream;
        // Writes to a pipe whose reader died raise EPIPE; the close handler reports the failure instead.
        for (const fd of [3, 4]) {
            (child.stdio[fd] as NodeJS.WritableStream | null)?.on?.("error", () => undefined);
        }
        // The process substitution feeding the batch (`cat <&4`) outlives ipmitool until its input ends; end it so
        // that all pipes close and the exit is seen.
        child.on("exit", () => batch.end());
        (child.stdio[3] as NodeJS.WritableStream).end(password === undefined ? "" : `${password}\n`);
        return {
            write: (text) => batch.write(text),
            end: () => batch.end(),
            kill: () => {
                if (child.pid !== undefined) {
                    try {
                        process.kill(-child.pid, "SIGKILL");
                    } catch {
                        // already gone
                    }
                }
            },
            onData: (listener) => {
                child.stdout!.setEncoding("latin1");
                child.stdout!.on("data", (chunk: string) => {
                    // Only the first lines matter: bash's complaint comes before ipmitool prints anything.
                    if (output.length < 4096) output += chunk;
                    listener(chunk);
                });
            },
            onClose: (listener) => child.on("close", () => listener()),
            failure: () => failure ?? (child.exitCode === 127 ? scriptFailure(output, context) : undefined),
        };
    };
}

interface Waiter {
    marker: string;
    resolve: (lines: string[]) => void;
    reject: (e: CredentialsError) => void;
}

/** An open session. Requests run one at a time, in order; `close()` ends the session and the process. */
export class IpmitoolSession implements Session {
    readonly transport = "ipmitool" as const;
    readonly concurrent = false;
    private readonly lines: string[] = [];
    private partial = "";
    private waiter: Waiter | undefined;
    private seq = 0;
    private exited = false;
    private exitPromise: Promise<void>;
    private failure: CredentialsError | undefined;
    /** Raw requests sent in this session (round-trip accounting; ipmitool adds its own, see DESIGN.md). */
    requestsSent = 0;

    private constructor(
        private readonly channel: IpmitoolChannel,
        private readonly target: SessionTarget,
        private readonly ctx: FailureContext,
    ) {
        channel.onData((chunk: string) => this.onData(chunk));
        this.exitPromise = new Promise<void>((resolve) => {
            channel.onClose(() => {
                this.exited = true;
                if (this.partial) {
                    this.lines.push(this.partial);
                    this.partial = "";
                }
                this.pump();
                resolve();
            });
        });
    }

    /**
     * Logs in and returns the open session, or throws the classified login failure. `password` goes to ipmitool
     * through a pipe, never through argv or the environment; in-band (`target.inband`) there is none.
     */
    static async open(target: SessionTarget, password: string | undefined, context: FailureContext, options: IpmitoolOptions = {}): Promise<IpmitoolSession> {
        const args = target.inband
            ? ["-I", "open", "-v"]
            : [
                  "-I", "lanplus",
                  "-H", target.address ?? target.host,
                  "-p", String(target.port),
                  "-U", target.username,
                  "-C", String(target.cipherSuite),
                  "-L", target.privilege,
                  "-N", String(target.timeoutSeconds),
                  "-R", String(target.retries),
                  "-v",
              ];
        const ctx: FailureContext = { ...context, host: target.host, port: target.port, username: target.username };
        const launcher = options.launcher ?? launchLocal(options);
        const channel = await launcher({ args, password: target.inband ? undefined : (password ?? ""), context: ctx });
        const session = new IpmitoolSession(channel, target, ctx);
        try {
            await session.exchange("set verbose 0", loginBudgetMs(target), "@@open");
        } catch (e) {
            session.kill();
            throw e;
        }
        return session;
    }

    /**
     * Runs one raw request (`raw <netfn> <cmd> <data…>`) and returns the BMC's answer: the data bytes, or the completion
     * code ipmitool reports (`rsp=0xNN`). No answer at all is `BMC_TIMEOUT`.
     */
    async send(request: IpmiRequest): Promise<IpmiReply> {
        const lines = await this.exchange(rawLine(request), commandBudgetMs(this.target));
        this.requestsSent++;
        const failure = lines.find((l) => l.startsWith("Unable to send RAW command"));
        if (failure) {
            const cc = completionCodeOf(failure);
            if (cc === undefined) {
                throw noAnswer(request.label, this.ctx);
            }
            return { completionCode: cc, data: Buffer.alloc(0) };
        }
        const data: number[] = [];
        for (const l of lines) {
            if (HEX_LINE.test(l)) {
                for (const b of l.trim().split(/\s+/)) {
                    data.push(Number.parseInt(b, 16));
                }
            }
        }
        return { completionCode: 0, data: Buffer.from(data) };
    }

    /** Ends the session (ipmitool sends Close Session at end of input) and waits for the process. */
    async close(): Promise<void> {
        if (!this.exited) {
            this.channel.end();
            const timer = setTimeout(() => this.kill(), commandBudgetMs(this.target));
            await this.exitPromise;
            clearTimeout(timer);
        }
    }

    /** Stops the process group at once. */
    kill(): void {
        if (!this.exited) {
            this.channel.kill();
        }
    }

    private exchange(line: string, budgetMs: number, marker = `@@${++this.seq}`): Promise<string[]> {
        if (this.waiter) {
            throw new Error("IpmitoolSession.send called while a request is in flight");
        }
        return new Promise<string[]>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.failure = new CredentialsError("BMC_TIMEOUT", {
                    message: marker === "@@open" ? "opening the session took too long" : "the BMC stopped answering inside the session",
                    hint: "the BMC or the network stalled; the last command may or may not have been applied",
                    transient: true,
                    context: { host: this.ctx.host, port: this.ctx.port, slot: this.ctx.userId },
                });
                this.kill();
            }, budgetMs);
            this.waiter = {
                marker,
                resolve: (ls) => {
                    clearTimeout(timer);
                    resolve(ls);
                },
                reject: (e) => {
                    clearTimeout(timer);
                    reject(e);
                },
            };
            if (this.exited) {
                this.pump();
                return;
            }
            this.channel.write(`${line}\necho ${marker}\n`);
        });
    }

    private onData(chunk: string): void {
        const text = this.partial + chunk;
        const parts = text.split("\n");
        this.partial = parts.pop() ?? "";
        for (const p of parts) {
            this.lines.push(p.replace(/\r$/, ""));
        }
        this.pump();
    }

    private pump(): void {
        const w = this.waiter;
        if (!w) {
            return;
        }
        const idx = this.lines.findIndex((l) => l.trim() === w.marker);
        if (idx !== -1) {
            const out = this.lines.splice(0, idx + 1).slice(0, idx).filter((l) => !isNoise(l));
            this.waiter = undefined;
            w.resolve(out);
            return;
        }
        if (this.exited) {
            this.waiter = undefined;
            const text = this.lines.splice(0).join("\n");
            const transportFailure = this.channel.failure?.();
            if (this.failure) {
                w.reject(this.failure);
            } else if (transportFailure) {
                w.reject(transportFailure);
            } else if (w.marker === "@@open") {
                w.reject(classifyLoginFailure(text, this.ctx, this.target.cipherSuite, this.target.inband));
            } else {
                w.reject(
                    new CredentialsError("BMC_TIMEOUT", {
                        message: "the session ended before the command completed",
                        hint: "the BMC dropped the session; the command may or may not have been applied",
                        transient: true,
                        context: { host: this.ctx.host, port: this.ctx.port, slot: this.ctx.userId },
                    }),
                );
            }
        }
    }
}
