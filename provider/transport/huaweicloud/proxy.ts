/**
 * Which proxy a request goes through, from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (either case; the lower-case
 * spelling wins when both are set, as in curl). Pure: the environment is a parameter.
 *
 * - `https://` targets use `https_proxy`/`HTTPS_PROXY` and are tunnelled with CONNECT, so TLS runs end to end and the
 *   certificate checked is the endpoint's; `http://` targets (a local emulator) use `http_proxy`/`HTTP_PROXY`.
 * - `NO_PROXY`: comma- or space-separated `*`, host names (`example.com` and `.example.com` both match the domain
 *   and its subdomains; a leading `*.` is read as `.`), IP addresses and CIDR blocks, each optionally with `:port`.
 *   Unlike Go's `ProxyFromEnvironment`, loopback is not exempt by itself: list it.
 * - Only `http://` proxies are supported. Credentials in the proxy URL (`http://user:password@proxy:3128`) are sent as
 *   `Proxy-Authorization: Basic …` and never appear in any message: the proxy is named as `http://host:port`.
 */

import { BlockList, isIP } from "net";
import { CredentialsError } from "../../shared/errors";

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ProxyRoute {
    host: string;
    port: number;
    /** `Basic …`, when the proxy URL carried credentials. Secret. */
    authorization?: string;
    /** `http://host:port (HTTPS_PROXY)`: safe for messages. */
    label: string;
    /** Values to redact: the raw variable, the decoded password, the header. */
    secrets: string[];
}

function envVar(env: Environment, lower: string): { name: string; value: string } | undefined {
    for (const name of [lower, lower.toUpperCase()]) {
        const v = env[name];
        if (typeof v === "string" && v.trim() !== "") {
            return { name, value: v.trim() };
        }
    }
    return undefined;
}

/** Parses a proxy variable; errors name the variable, never its value (it may hold a password). */
export function parseProxyUrl(name: string, value: string): ProxyRoute {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
    let url: URL;
    try {
        url = new URL(withScheme);
    } catch {
        throw new CredentialsError("INVALID_INPUT", { message: `${name} is not a proxy URL`, hint: `set ${name} to http://host:port (or http://user:password@host:port)`, secrets: [value] });
    }
    if (url.protocol !== "http:") {
        throw new CredentialsError("INVALID_INPUT", {
            message: `${name} uses ${url.protocol}//; only http:// proxies are supported (https targets are still tunnelled with TLS end to end)`,
            hint: `set ${name} to http://host:port`,
            secrets: [value],
        });
    }
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = url.port === "" ? 80 : Number(url.port);
    const secrets = [value];
    let authorization: string | undefined;
    if (url.username || url.password) {
        const user = decodeURIComponent(url.username);
        const password = decodeURIComponent(url.password);
        authorization = `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
        secrets.push(password, url.password, authorization, authorization.slice(6));
    }
    return { host, port, ...(authorization ? { authorization } : {}), label: `http://${url.host} (${name})`, secrets: secrets.filter((s) => s.length > 0) };
}

function hostMatches(host: string, entry: string): boolean {
    const pattern = entry.replace(/^\*\./, ".").replace(/^\./, "");
    return host === pattern || host.endsWith(`.${pattern}`);
}

/** True when `NO_PROXY` says to connect to `host:port` directly. */
export function bypassesProxy(host: string, port: number, noProxy: string | undefined): boolean {
    if (!noProxy) {
        return false;
    }
    const target = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
    const targetIp = isIP(target);
    for (const raw of noProxy.split(/[\s,]+/)) {
        let entry = raw.trim().toLowerCase();
        if (entry === "") {
            continue;
        }
        if (entry === "*") {
            return true;
        }
        // Optional port: "host:port", "[v6]:port", "1.2.3.4:port" (a bare IPv6 address has several colons).
        let entryPort: number | undefined;
        const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
        if (bracketed) {
            entry = bracketed[1];
            entryPort = bracketed[2] ? Number(bracketed[2]) : undefined;
        } else if ((entry.match(/:/g) ?? []).length === 1) {
            const [h, p] = entry.split(":");
            if (/^\d+$/.test(p)) {
                entry = h;
                entryPort = Number(p);
            }
        }
        if (entryPort !== undefined && entryPort !== port) {
            continue;
        }
        const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(entry);
        if (cidr && targetIp) {
            const family = isIP(cidr[1]);
            if (family === targetIp) {
                const list = new BlockList();
                try {
                    list.addSubnet(cidr[1], Number(cidr[2]), family === 6 ? "ipv6" : "ipv4");
                    if (list.check(target, family === 6 ? "ipv6" : "ipv4")) {
                        return true;
                    }
                } catch {
                    // a malformed block matches nothing
                }
            }
            continue;
        }
        if (isIP(entry)) {
            if (targetIp && canonicalIp(entry) === canonicalIp(target)) {
                return true;
            }
            continue;
        }
        if (!targetIp && hostMatches(target, entry)) {
            return true;
        }
    }
    return false;
}

function canonicalIp(ip: string): string {
    if (isIP(ip) !== 6) {
        return ip;
    }
    // Expand "::" so that equal addresses written differently compare equal.
    const [head, tail = ""] = ip.split("::");
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
    return groups.map((g) => parseInt(g, 16).toString(16)).join(":");
}

/** The proxy for `url`, or undefined for a direct connection. */
export function proxyFor(url: URL, env: Environment): ProxyRoute | undefined {
    const variable = envVar(env, url.protocol === "https:" ? "https_proxy" : "http_proxy");
    if (!variable) {
        return undefined;
    }
    const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    if (bypassesProxy(url.hostname, port, envVar(env, "no_proxy")?.value)) {
        return undefined;
    }
    return parseProxyUrl(variable.name, variable.value);
}

/** Every proxy credential in the environment, for the redaction registry (registered before any request). */
export function proxySecrets(env: Environment): string[] {
    const out: string[] = [];
    for (const lower of ["https_proxy", "http_proxy"]) {
        for (const name of [lower, lower.toUpperCase()]) {
            const v = env[name];
            if (typeof v === "string" && v.trim() !== "") {
                try {
                    out.push(...parseProxyUrl(name, v.trim()).secrets);
                } catch {
                    out.push(v);
                }
            }
        }
    }
    return out;
}
