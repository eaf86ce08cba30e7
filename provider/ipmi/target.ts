/**
 * Which BMC a login reaches: the connection as the provider holds it ({@link BmcLogin}), the one address an operation
 * contacts ({@link resolveLogin}), and the key of everything the process keeps per BMC ({@link bmcKey}).
 */

import { lookup } from "node:dns/promises";
import { isIPv4, isIPv6 } from "node:net";
import { CredentialsError } from "../shared/errors";
import type { SshTarget } from "../transport/ssh/channel";
import type { TransportName } from "../transport/session";

/** How to reach and log in to a BMC. */
export interface BmcLogin {
    /** The BMC as the resource names it (ids and errors use it); in-band, a label. */
    host: string;
    /**
     * The address this operation's sessions contact, set by {@link resolveLogin}: a DNS name resolved once per
     * operation, an IP literal in canonical form. Keys every per-BMC fact the process keeps ({@link bmcKey}).
     */
    address?: string;
    port: number;
    username: string;
    password: string;
    cipherSuite: 3 | 17;
    timeoutSeconds: number;
    retries: number;
    fallbackPasswords: readonly string[];
    /**
     * In-band (`ipmitool -I open` on the host whose BMC it is): no login and no password; `host`/`port` only name the
     * BMC in ids and errors.
     */
    inband?: boolean;
    /** Run ipmitool on this host over SSH: in-band on it, or (not in-band) from it as a jump host. */
    ssh?: SshTarget;
    /**
     * What carries the sessions: `native` (RMCP+ from this process) or `ipmitool`. In-band and jump-host logins are
     * always ipmitool's. Default `native` over the network.
     */
    transport?: TransportName;
}

/**
 * The canonical text of an IP literal, or undefined for a DNS name: every IPv4 form `inet_aton` (and so ipmitool)
 * accepts — `127.1`, `0x7f.0.0.1`, `2130706433` — becomes dotted quad, and IPv6 is compressed and lower case
 * (`0:0:0:0:0:0:0:1` → `::1`). A zone id (`fe80::1%eth0`) is kept as written, lower case.
 */
export function canonicalIp(host: string): string | undefined {
    if (isIPv6(host)) {
        return host.includes("%") ? host.toLowerCase() : new URL(`http://[${host}]/`).hostname.slice(1, -1);
    }
    if (/^[0-9a-fA-FxX.]+$/.test(host)) {
        try {
            const parsed = new URL(`http://${host}/`).hostname;
            return isIPv4(parsed) ? parsed : undefined;
        } catch {
            return undefined; // e.g. 1.2.3.4.5: no address; ipmitool would fail to resolve it too
        }
    }
    return undefined;
}

/**
 * The login with `address` set: the address this operation's sessions contact. A DNS name is resolved here, once, so
 * the admin session, its verification login and the per-BMC lock all concern one address (the first one the system
 * resolver returns, which is the one ipmitool would have used). Through a jump host the name is the bastion's to
 * resolve, so only IP literals are canonicalised; in-band there is no address.
 */
export async function resolveLogin(login: BmcLogin): Promise<BmcLogin> {
    if (login.address !== undefined || login.inband) {
        return login;
    }
    const literal = canonicalIp(login.host);
    if (literal !== undefined || login.ssh) {
        return { ...login, address: literal ?? login.host.toLowerCase() };
    }
    let address: string;
    try {
        address = (await lookup(login.host)).address;
    } catch (e) {
        throw new CredentialsError("BMC_DNS_FAILED", {
            message: `the BMC host name does not resolve (${(e as NodeJS.ErrnoException).code ?? "lookup failed"})`,
            hint: "check bmc.host (spelling, DNS search domain) or use the BMC's IP address",
            context: { host: login.host, port: login.port },
        });
    }
    return { ...login, address: canonicalIp(address) ?? address };
}

/**
 * Key of everything the process keeps per BMC: the mutex, the identity, the LAN channel, login memory. Over the
 * network it is the address actually contacted and the port, so `localhost`, `127.0.0.1` and `127.1` are one BMC. A
 * jump host's route is part of it (10.0.0.5 behind two bastions may be two BMCs). In-band, `host` is a label and the
 * port means nothing, so the key is the label and the route only.
 */
export function bmcKey(login: Pick<BmcLogin, "host" | "port" | "ssh" | "inband" | "address">): string {
    const via = login.ssh ? `@${hostKeyPart(login.ssh.host)}:${login.ssh.port}` : "";
    if (login.inband) {
        return `${login.host.toLowerCase()}${via}`;
    }
    return `${hostKeyPart(login.address ?? login.host)}:${login.port}${via}`;
}

function hostKeyPart(host: string): string {
    const h = canonicalIp(host) ?? host.toLowerCase();
    return h.includes(":") ? `[${h}]` : h;
}
