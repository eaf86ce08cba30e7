/**
 * Classification of ipmitool's output into the provider's error family.
 *
 * ipmitool exits 1 for nearly every failure, so the reason is read from its text. Only lines the provider knows are
 * used; anything else becomes a generic failure that quotes no output, because ipmitool output is not guaranteed to be
 * free of request data.
 */

import { CredentialsError, ErrorCode } from "../../shared/errors";
import type { FailureContext } from "../session";
import { SESSION_LIMIT_HINT } from "../rmcp/failures";

export type { FailureContext } from "../session";

/** Lines ipmitool prints that carry no meaning for us (vendor probes, -v chatter). */
const NOISE = [
    /^Loading IANA PEN Registry/,
    /^Running Get VSO Capabilities/,
    /^Invalid completion code received/,
    /^Discovered IPMB address/,
    /^Get HPM\.x Capabilities request failed/,
    /^Error response 0x[0-9a-f]+ from Get PICMG Properties/i,
    /^RAW REQ \(/,
    /^RAW RSP \(/,
    /^Close Session command failed/,
];

export function isNoise(line: string): boolean {
    return NOISE.some((re) => re.test(line));
}

/** The reason a session could not be opened, from the text printed before ipmitool gave up. */
export function classifyLoginFailure(text: string, ctx: FailureContext, cipherSuite: number, inband = false): CredentialsError {
    const base = { host: ctx.host, port: ctx.port, user: ctx.username, slot: ctx.userId, channel: ctx.channel };
    const make = (code: ErrorCode, message: string, hint: string, transient = false, reason?: string) =>
        new CredentialsError(code, { message, hint, transient, context: { ...base, reason } });

    if (inband) {
        return classifyInbandFailure(text, make);
    }

    if (/Address lookup for .* failed/.test(text)) {
        return make(
            "BMC_DNS_FAILED",
            "the BMC host name does not resolve",
            "check bmc.host (spelling, DNS search domain) or use the BMC's IP address",
        );
    }
    if (/RAKP 2 HMAC is invalid/.test(text)) {
        return make(
            "BMC_LOGIN_REJECTED",
            "the BMC rejected the password",
            "check the login password; list earlier or factory passwords in bmc.fallbackPasswords. " +
                "The provider does not retry rejected passwords, to stay clear of the BMC's lockout threshold",
            false,
            "password",
        );
    }
    if (/unauthorized name/.test(text)) {
        return make(
            "BMC_LOGIN_REJECTED",
            "the BMC knows no enabled user by this name",
            "check the user name (it is case-sensitive) and that the account is enabled with IPMI messaging on the LAN channel; " +
                "newer iDRAC/iLO/XCC firmware ships with IPMI over LAN disabled",
            false,
            "user",
        );
    }
    if (/^Set Session Privilege Level to \S+ failed\s*$/im.test(text)) {
        // No completion code after "failed": ipmitool got no answer (lanplus.c prints ": <code text>" for a refusal).
        return make(
            "BMC_TIMEOUT",
            "the BMC stopped answering while the session was being opened (no answer to Set Session Privilege Level)",
            "the BMC or the network stalled; the operation is retried a bounded number of times",
            true,
        );
    }
    if (/(invalid|unauthorized) role|privilege level cannot be obtained|Set Session Privilege Level to \S+ failed:/i.test(text)) {
        return make(
            "BMC_INSUFFICIENT_PRIVILEGE",
            "the BMC refused the requested session privilege",
            "the account's privilege limit (or the channel's) is below what the operation needs; managing users needs an administrator login",
        );
    }
    if (/invalid authentication algorithm|no (matching )?cipher suite|Assertion .* failed|invalid (integrity|confidentiality) algorithm/i.test(text)) {
        return make(
            "BMC_CIPHER_REFUSED",
            `the BMC does not accept cipher suite ${cipherSuite}`,
            cipherSuite === 17
                ? "older BMCs lack cipher suite 17 (SHA-256); set bmc.cipherSuite to 3"
                : "the BMC refuses cipher suite 3; enable it on the BMC or use 17 if supported",
        );
    }
    if (/insufficient resources for session/i.test(text)) {
        // ipmitool's text for RMCP+ status 0x01 at Open Session ("Error in open session response message :
        // insufficient resources for session"), followed by "Unable to establish …": the BMC answered, it is full.
        return make("BMC_SESSION_LIMIT", "the BMC has reached its session limit: no free session (Open Session: insufficient resources for session)", SESSION_LIMIT_HINT, true);
    }
    if (/Get Auth Capabilities error|Error issuing Get Channel Authentication Capabilities|No response from remote controller|Unable to establish/i.test(text)) {
        return make(
            "BMC_UNREACHABLE",
            "the BMC did not answer",
            "check that the host and UDP port are reachable from here and that IPMI over LAN is enabled; raise bmc.timeoutSeconds on slow networks",
            true,
        );
    }
    return make(
        "IPMITOOL_FAILED",
        "ipmitool could not open a session for an unrecognised reason",
        "run `ipmitool -I lanplus -H <host> -U <user> -E -v raw 6 1` by hand to see the BMC's answer",
    );
}

/**
 * The completion code in ipmitool's line for a failed raw command (`Unable to send RAW command (… rsp=0xNN): …`), or
 * undefined when the BMC did not answer at all. What the code means is the IPMI layer's business.
 */
export function completionCodeOf(line: string): number | undefined {
    const m = /rsp=0x([0-9a-f]{1,2})\)/i.exec(line);
    return m ? Number.parseInt(m[1], 16) : undefined;
}

/** A raw request the BMC never answered (ipmitool gave up after its `-N`/`-R`). */
export function noAnswer(label: string, ctx: FailureContext): CredentialsError {
    return new CredentialsError("BMC_TIMEOUT", {
        message: `${label}: no response from the BMC inside the session`,
        hint: "the BMC or the network stalled; the command may or may not have been applied, so the provider re-reads before retrying",
        transient: true,
        context: { host: ctx.host, port: ctx.port, slot: ctx.userId, channel: ctx.channel },
    });
}

/**
 * Why `ipmitool -I open` could not start: the IPMI device is missing (no BMC, or the kernel modules are not loaded),
 * or the user may not open it. ipmitool prints `Could not open device at /dev/ipmi0 or /dev/ipmi/0 or
 * /dev/ipmidev/0: <strerror>`.
 */
function classifyInbandFailure(
    text: string,
    make: (code: ErrorCode, message: string, hint: string, transient?: boolean, reason?: string) => CredentialsError,
): CredentialsError {
    const device = /Could not open device at \S+(?: or \S+)*: (.*)/.exec(text);
    if (device && /permission denied|operation not permitted/i.test(device[1])) {
        return make(
            "BMC_INBAND_PERMISSION_DENIED",
            "ipmitool may not open the host's IPMI device (/dev/ipmi0): permission denied",
            "in-band access needs root: run as root, or set ssh.sudo: true with a sudoers rule that lets the SSH user run ipmitool without a password",
        );
    }
    if (device) {
        return make(
            "BMC_INBAND_DEVICE_MISSING",
            "the host has no IPMI device (/dev/ipmi0, /dev/ipmi/0 or /dev/ipmidev/0 do not exist)",
            "load the IPMI drivers on that host (`modprobe ipmi_si ipmi_devintf`; add them to /etc/modules to keep them after a reboot), " +
                "or run on a host that has a BMC; virtual machines and containers usually have none",
        );
    }
    return make(
        "IPMITOOL_FAILED",
        "ipmitool could not talk to the host's BMC in-band for an unrecognised reason",
        "run `ipmitool -I open -v mc info` on that host to see why",
    );
}
