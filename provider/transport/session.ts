/**
 * The contract between the IPMI layer and a transport: one authenticated session with one BMC that carries raw IPMI
 * requests and brings back their answers. Two transports implement it: the native RMCP+ client (`rmcp/session.ts`,
 * UDP from this process) and an ipmitool process (`ipmitool/session.ts`, here, in-band or over SSH).
 *
 * A transport knows how to log in and how to move bytes; it knows nothing of user slots, channels or vendors, and
 * imports nothing from `provider/ipmi/`. The IPMI layer cannot tell which transport it talks to.
 *
 * Failures a transport reports are `CredentialsError`s with the codes users already know: `BMC_UNREACHABLE`,
 * `BMC_DNS_FAILED`, `BMC_LOGIN_REJECTED` (context `reason`: `password` or `user`), `BMC_CIPHER_REFUSED`,
 * `BMC_INSUFFICIENT_PRIVILEGE` while opening; `BMC_TIMEOUT` for a request the BMC never answered. A completion code
 * is not a failure here: the IPMI layer decides what 0xCC or 0x80 means for the command it sent.
 */

/** Session privilege levels (IPMI v2.0 §6.8, Table 6-2), by their ipmitool `-L` names. */
export type SessionPrivilege = "CALLBACK" | "USER" | "OPERATOR" | "ADMINISTRATOR";

/** The privilege nibble of each level (RAKP 1 role, Set Session Privilege Level). */
export const PRIVILEGE_LEVEL: Readonly<Record<SessionPrivilege, number>> = {
    CALLBACK: 1,
    USER: 2,
    OPERATOR: 3,
    ADMINISTRATOR: 4,
};

/** Which transport carries a session. */
export type TransportName = "native" | "ipmitool";

/** Where and how to log in. */
export interface SessionTarget {
    /** The BMC as named in errors (in-band: a label). */
    host: string;
    /** The address to contact when resolved apart from `host` (an IP literal, or a name a jump host resolves). */
    address?: string;
    port: number;
    username: string;
    /** RMCP+ cipher suite: 17 (SHA-256) or 3 (SHA-1). Nothing else is ever proposed. */
    cipherSuite: 3 | 17;
    /** Session privilege to request. */
    privilege: SessionPrivilege;
    /** Seconds to wait for each answer before sending again. */
    timeoutSeconds: number;
    /** Attempts per request (at least 1): how many times a request is sent before giving up; opening gets one more. */
    retries: number;
    /**
     * The session only proves the login and will carry no command: a transport that can stops after the key exchange
     * (the native client skips Set Session Privilege Level; the password is proven by RAKP 2 and RAKP 4).
     */
    proofOnly?: boolean;
    /**
     * In-band: the host's own BMC through its kernel IPMI device (ipmitool `-I open`), no address, no login, no
     * password; `host`/`port` only label errors. Only the ipmitool transport can do this.
     */
    inband?: boolean;
}

/** Where a failure happened, named in every error (never a secret). */
export interface FailureContext {
    host: string;
    port: number;
    username?: string;
    userId?: number;
    channel?: number;
}

/** One answer: the completion code (0 = success) and the response data after it. */
export interface IpmiReply {
    completionCode: number;
    data: Buffer;
}

/** One raw request. */
export interface IpmiRequest {
    netFn: number;
    cmd: number;
    data: readonly number[] | Uint8Array;
    /** What the request is for, named in errors. Never contains a secret. */
    label: string;
    /** True when `data` carries a secret (Set User Password): a transport must never echo it anywhere. */
    secret?: boolean;
}

/** An open session. */
export interface Session {
    /** Which transport carries it. */
    readonly transport: TransportName;
    /**
     * True when requests may be outstanding at the same time (the IPMI layer may then send independent reads
     * together). An ipmitool process runs one request at a time.
     */
    readonly concurrent: boolean;
    /**
     * Sends one request and resolves with its answer, whatever the completion code. Rejects with `BMC_TIMEOUT`
     * (transient) when no answer came within the transport's budget; the request may or may not have been applied.
     */
    send(request: IpmiRequest): Promise<IpmiReply>;
    /**
     * Ends the session. Resolves once nothing of the session is left running here: at once for the native client
     * (Close Session is sent and not waited for), when the process has exited for ipmitool.
     */
    close(): Promise<void>;
    /** Requests sent so far (round-trip accounting). */
    readonly requestsSent: number;
}

/** Opens a session: the transport's login, with `password` (absent in-band). */
export type SessionOpener = (target: SessionTarget, password: string | undefined, context: FailureContext) => Promise<Session>;
