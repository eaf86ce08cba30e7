/**
 * Commands over an open transport session ({@link Session}): what a completion code means, which slot and channel an
 * error names, and independent reads sent together when the transport allows several requests outstanding.
 *
 * Whether the session is the native RMCP+ client or an ipmitool process makes no difference here or above.
 */

import { CredentialsError, isCredentialsError } from "../shared/errors";
import type { FailureContext, Session, TransportName } from "../transport/session";
import { COMPLETION_CODES, RawCommand, TRANSIENT_COMPLETION_CODES } from "./commands";

/** Result of one command: its data, or the failure it stands for. */
export type CommandResult = { ok: true; data: number[] } | { ok: false; error: CredentialsError };

/**
 * The user slot a user-management command addresses (§22.26-22.30: Set/Get User Access carry it in byte 2, Set/Get User
 * Name and Set User Password in byte 1; the low 6 bits), or undefined for other commands.
 */
export function userSlotOf(command: Pick<RawCommand, "netFn" | "cmd" | "data">): number | undefined {
    if (command.netFn !== 0x06) {
        return undefined;
    }
    if (command.cmd === 0x43 || command.cmd === 0x44) {
        return command.data[1] === undefined ? undefined : command.data[1] & 0x3f;
    }
    if (command.cmd === 0x45 || command.cmd === 0x46 || command.cmd === 0x47) {
        return command.data[0] === undefined ? undefined : command.data[0] & 0x3f;
    }
    return undefined;
}

/**
 * What a non-zero completion code means for the command that got it. With the command itself, 0xC9 (parameter out
 * of range) on a user-management command names the `userId` input: the slot is beyond what this BMC manages.
 */
export function completionError(completionCode: number, label: string, ctx: FailureContext, command?: Pick<RawCommand, "netFn" | "cmd" | "data">): CredentialsError {
    const code = `0x${completionCode.toString(16)}`;
    const context = { host: ctx.host, port: ctx.port, slot: ctx.userId, channel: ctx.channel, completionCode: code };
    const message = `${label} failed with completion code ${code} (${COMPLETION_CODES[completionCode] ?? "unknown completion code"})`;
    const slot = command ? userSlotOf(command) : undefined;
    if (completionCode === 0xc9 && slot !== undefined) {
        const access = command!.cmd === 0x43 || command!.cmd === 0x44;
        return new CredentialsError("BMC_SLOT_OUT_OF_RANGE", {
            message: `userId ${slot} is beyond this BMC's user slots: ${message}${access ? ` (or channel ${ctx.channel ?? command!.data[0] & 0x0f} is not one of its channels)` : ""}`,
            hint: "choose a userId within the BMC's slot count (`ipmitool user summary` shows it as Maximum IDs), or omit userId to use the lowest free slot",
            context: { ...context, slot },
        });
    }
    if (completionCode === 0xd4) {
        return new CredentialsError("BMC_INSUFFICIENT_PRIVILEGE", { message, hint: "log in with an administrator account (bmc.username)", context });
    }
    if (completionCode === 0xc1) {
        return new CredentialsError("BMC_UNSUPPORTED_COMMAND", { message, hint: "this BMC does not implement the command; report the vendor and firmware", context });
    }
    const transient = TRANSIENT_COMPLETION_CODES.has(completionCode);
    return new CredentialsError("BMC_COMMAND_REJECTED", {
        message,
        hint:
            completionCode === 0xcc
                ? "the BMC refused the value: the user name may already exist in another slot, the slot may have a fixed name, or the channel may not exist"
                : completionCode === 0xc8 || completionCode === 0xc7
                  ? "the BMC may not support 20-byte passwords; use a password of at most 16 characters"
                  : transient
                    ? "the BMC reported a passing error; the operation is retried a bounded number of times"
                    : "check the BMC's documentation for this completion code",
        transient,
        context,
    });
}

/** An open session as the IPMI layer uses it: commands in, results out, errors naming the slot and channel. */
export class IpmiSession {
    private readonly ctx: FailureContext;

    constructor(
        private readonly session: Session,
        context: FailureContext,
    ) {
        this.ctx = { ...context };
    }

    /** Which transport carries the session. */
    get transport(): TransportName {
        return this.session.transport;
    }

    /** Requests sent so far. */
    get requestsSent(): number {
        return this.session.requestsSent;
    }

    /** Sets the slot and channel shown in later errors. */
    setContext(ctx: Partial<FailureContext>): void {
        Object.assign(this.ctx, ctx);
    }

    /** Runs commands in order; each gets its own result. A request the BMC never answered is a transient failure. */
    async run(commands: readonly RawCommand[]): Promise<CommandResult[]> {
        const results: CommandResult[] = [];
        for (const c of commands) {
            results.push(await this.request(c));
        }
        return results;
    }

    /**
     * Runs independent commands (reads) together when the transport allows several outstanding requests (the native
     * client: one round trip for all of them), else in order. Results in the order given.
     */
    all(commands: readonly RawCommand[]): Promise<CommandResult[]> {
        return this.session.concurrent ? Promise.all(commands.map((c) => this.request(c))) : this.run(commands);
    }

    /** Runs one command and returns its data, or throws its failure. */
    async one(command: RawCommand): Promise<number[]> {
        const [r] = await this.run([command]);
        if (!r.ok) {
            throw r.error;
        }
        return r.data;
    }

    /** Ends the session (see {@link Session.close}). */
    close(): Promise<void> {
        return this.session.close();
    }

    private async request(c: RawCommand): Promise<CommandResult> {
        try {
            const reply = await this.session.send(c);
            return reply.completionCode === 0 ? { ok: true, data: [...reply.data] } : { ok: false, error: completionError(reply.completionCode, c.label, this.ctx, c) };
        } catch (e) {
            if (isCredentialsError(e, "BMC_TIMEOUT")) {
                // The transport's timeout, located: the slot and channel this command concerned.
                return {
                    ok: false,
                    error: new CredentialsError("BMC_TIMEOUT", {
                        message: `${c.label}: no response from the BMC inside the session`,
                        hint: e.hint,
                        cause: e,
                        transient: true,
                        context: { host: this.ctx.host, port: this.ctx.port, slot: this.ctx.userId, channel: this.ctx.channel },
                    }),
                };
            }
            throw e;
        }
    }
}
