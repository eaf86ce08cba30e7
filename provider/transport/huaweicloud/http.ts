/**
 * The HTTP seam of the Huawei Cloud client: one function type, so tests can inject a fake, and a transport over
 * Node's own `http`/`https`/`tls` (no dependency) with a hard per-request deadline, proxies from the environment
 * (CONNECT tunnels for https, see `proxy.ts`), extra trusted CAs and the explicit `insecure` switch.
 *
 * Certificate verification is always stated explicitly (`rejectUnauthorized`), so `NODE_TLS_REJECT_UNAUTHORIZED=0`
 * in the environment does not turn it off: only `huaweicloud:insecure` does.
 */

import * as http from "http";
import * as https from "https";
import { isIP, type Socket } from "net";
import * as tls from "tls";
import { proxyFor, type Environment, type ProxyRoute } from "./proxy";

export interface HttpRequest {
    method: string;
    url: string;
    headers: Record<string, string>;
    /** Exact body bytes; `""` for none. */
    body: string;
    /** Deadline for the whole exchange (proxy tunnel, connect, headers and body). */
    timeoutMs: number;
}

export interface HttpResponse {
    status: number;
    /** Lower-case names. */
    headers: Record<string, string>;
    body: string;
}

/**
 * Sends one request. Rejects with an error whose `code` is `ETIMEDOUT`, `ECONNRESET`, `ECONNREFUSED`, `ENOTFOUND`, a
 * TLS verification code (`UNABLE_TO_VERIFY_LEAF_SIGNATURE` …) or `EPROXY` (the proxy refused the tunnel); errors on
 * the way to a proxy carry `proxy` (its `http://host:port (VARIABLE)` label).
 */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

export interface TransportOptions {
    /** PEM certificates trusted in addition to Node's bundled roots (`huaweicloud:cacertFile`). */
    ca?: string;
    /** Skip certificate verification (`huaweicloud:insecure`). */
    insecure?: boolean;
    /** Where `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` are read; no proxy when absent. */
    env?: Environment;
}

/** Responses larger than this are cut off: the APIs used return a few kilobytes. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

type TransportError = Error & { code?: string; proxy?: string; statusCode?: number };

function withProxy(e: TransportError, route: ProxyRoute): TransportError {
    const out: TransportError = new Error(`${e.message} (via the proxy ${route.label})`);
    out.code = e.code;
    out.proxy = route.label;
    return out;
}

/** Opens a CONNECT tunnel to `hostname:port` through the proxy; resolves with the raw socket. */
function openTunnel(route: ProxyRoute, hostname: string, port: number, track: (s: { destroy(): void }) => void): Promise<Socket> {
    return new Promise((resolve, reject) => {
        const authority = `${hostname}:${port}`;
        const req = http.request({
            host: route.host,
            port: route.port,
            method: "CONNECT",
            path: authority,
            headers: { Host: authority, ...(route.authorization ? { "Proxy-Authorization": route.authorization } : {}) },
            agent: false,
        });
        track(req);
        req.on("connect", (res, socket, head) => {
            if (res.statusCode === 200) {
                if (head.length > 0) {
                    socket.unshift(head);
                }
                resolve(socket);
                return;
            }
            socket.destroy();
            const e: TransportError = new Error(`the proxy ${route.label} refused the tunnel: HTTP ${res.statusCode} ${res.statusMessage ?? ""}`.trim());
            e.code = "EPROXY";
            e.proxy = route.label;
            e.statusCode = res.statusCode;
            reject(e);
        });
        req.on("error", (e: TransportError) => reject(withProxy(e, route)));
        req.end();
    });
}

/** A transport over Node's `http`/`https`. No keep-alive: the BMS docs say some of its endpoints do not support it. */
export function createTransport(options: TransportOptions = {}): HttpTransport {
    const ca = options.ca ? [...tls.rootCertificates, options.ca] : undefined;
    const rejectUnauthorized = options.insecure !== true;
    return (request) =>
        new Promise<HttpResponse>((resolve, reject) => {
            const url = new URL(request.url);
            const route = options.env ? proxyFor(url, options.env) : undefined;
            const hostname = url.hostname.replace(/^\[|\]$/g, "");
            const port = url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
            const live: Array<{ destroy(e?: Error): void }> = [];
            let settled = false;
            const fail = (e: TransportError) => {
                if (!settled) {
                    settled = true;
                    clearTimeout(timer);
                    reject(e);
                }
                for (const x of live) {
                    x.destroy();
                }
            };
            const timer = setTimeout(() => {
                fail(Object.assign(new Error(`no complete response within ${request.timeoutMs} ms`), { code: "ETIMEDOUT" }));
            }, request.timeoutMs);
            const headers = { ...request.headers, "Content-Length": String(Buffer.byteLength(request.body)) };
            const tlsOptions = { ...(ca ? { ca } : {}), rejectUnauthorized, ...(isIP(hostname) ? {} : { servername: hostname }) };

            const onResponse = (res: http.IncomingMessage) => {
                const chunks: Buffer[] = [];
                let size = 0;
                res.on("data", (chunk: Buffer) => {
                    size += chunk.length;
                    if (size <= MAX_RESPONSE_BYTES) {
                        chunks.push(chunk);
                    }
                });
                res.on("error", fail);
                res.on("aborted", () => fail(Object.assign(new Error("response aborted"), { code: "ECONNRESET" })));
                res.on("end", () => {
                    if (settled) {
                        return;
                    }
                    settled = true;
                    clearTimeout(timer);
                    const out: Record<string, string> = {};
                    for (const [k, v] of Object.entries(res.headers)) {
                        if (v !== undefined) {
                            out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
                        }
                    }
                    resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString("utf8") });
                });
            };
            const send = (lib: typeof http | typeof https, reqOptions: https.RequestOptions, onError: (e: TransportError) => void = fail) => {
                if (settled) {
                    return;
                }
                const req = lib.request(reqOptions, onResponse);
                live.push(req);
                req.on("error", onError);
                req.end(request.body === "" ? undefined : request.body);
            };
            const base = { method: request.method, headers, agent: false as const };

            if (!route) {
                const lib = url.protocol === "http:" ? http : https;
                send(lib, { ...base, host: hostname, port, path: `${url.pathname}${url.search}`, ...(url.protocol === "https:" ? tlsOptions : {}) });
            } else if (url.protocol === "http:") {
                // Plain http through a proxy: the request in absolute form to the proxy (RFC 9112 §3.2.2).
                send(
                    http,
                    {
                        ...base,
                        host: route.host,
                        port: route.port,
                        path: url.href,
                        headers: { ...headers, Host: url.host, ...(route.authorization ? { "Proxy-Authorization": route.authorization } : {}) },
                    },
                    (e) => fail(withProxy(e, route)),
                );
            } else {
                openTunnel(route, url.hostname, port, (x) => live.push(x)).then((socket) => {
                    live.push(socket);
                    send(https, {
                        method: request.method,
                        headers,
                        // No agent: only then does Node use createConnection (agent: false would dial directly).
                        agent: undefined,
                        host: hostname,
                        port,
                        path: `${url.pathname}${url.search}`,
                        createConnection: () => tls.connect({ socket, host: hostname, ...tlsOptions }),
                    });
                }, fail);
            }
        });
}

/** The transport with no proxy and Node's bundled CAs. */
export const nodeTransport: HttpTransport = createTransport();
