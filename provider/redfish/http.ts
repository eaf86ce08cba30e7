/**
 * JSON over HTTPS to one BMC: a pinned keep-alive connection (`tls.ts`), one request at a time per call, a timeout per
 * request, and network failures mapped to the provider's error codes. Nothing here knows Redfish resources.
 *
 * What never leaves this module: request headers (the session token) and request bodies (passwords). Errors carry the
 * method, the path and the status only. The transport is injectable ({@link HttpTransport}) so unit tests can answer
 * without a socket.
 */

import { request as httpsRequest } from "node:https";
import { CredentialsError } from "../shared/errors";
import { PinMismatch, PinnedAgent, TlsPin, pinMismatchError } from "./tls";

/** Where the BMC is and how its certificate is checked. */
export interface HttpsTarget {
    host: string;
    port: number;
    tls: TlsPin;
    /** Seconds per request before it fails with BMC_TIMEOUT. */
    timeoutSeconds: number;
}

export interface HttpResponse {
    status: number;
    /** Header names in lower case. */
    headers: Record<string, string | undefined>;
    /** Parsed JSON, or undefined for an empty or non-JSON body. */
    body: unknown;
}

export interface HttpRequest {
    method: "GET" | "POST" | "PATCH" | "DELETE";
    /** Absolute path (and query) on the BMC, e.g. `/redfish/v1/AccountService`. */
    path: string;
    headers?: Record<string, string>;
    /** Sent as JSON. */
    body?: unknown;
}

/** Sends requests to one BMC; `close` ends its connections. */
export interface HttpTransport {
    send(req: HttpRequest): Promise<HttpResponse>;
    close(): void;
}

/** Bodies larger than this are not read (a BMC answers kilobytes). */
const MAX_RESPONSE = 4 * 1024 * 1024;

/** The default transport: `node:https` through a {@link PinnedAgent}. */
export function httpsTransport(target: HttpsTarget): HttpTransport {
    const agent = new PinnedAgent(target.tls);
    const context = { host: target.host, port: target.port };
    return {
        send: (req) =>
            new Promise<HttpResponse>((resolve, reject) => {
                const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), "utf8");
                const r = httpsRequest(
                    {
                        host: target.host,
                        port: target.port,
                        method: req.method,
                        path: req.path,
                        agent,
                        headers: {
                            Accept: "application/json",
                            "OData-Version": "4.0",
                            "User-Agent": "pulumi-bmc-credentials",
                            ...(payload ? { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(payload.length) } : {}),
                            ...req.headers,
                        },
                        timeout: target.timeoutSeconds * 1000,
                    },
                    (res) => {
                        const chunks: Buffer[] = [];
                        let size = 0;
                        res.on("data", (c: Buffer) => {
                            size += c.length;
                            if (size <= MAX_RESPONSE) chunks.push(c);
                        });
                        res.on("end", () => {
                            const headers: Record<string, string | undefined> = {};
                            for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
                            resolve({ status: res.statusCode ?? 0, headers, body: parseJson(Buffer.concat(chunks)) });
                        });
                        res.on("error", (e) => reject(networkError(e, req, context, target.timeoutSeconds)));
                    },
                );
                r.on("timeout", () => r.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
                r.on("error", (e) => reject(networkError(e, req, context, target.timeoutSeconds)));
                r.end(payload);
            }),
        close: () => agent.destroy(),
    };
}

function parseJson(raw: Buffer): unknown {
    if (raw.length === 0) return undefined;
    try {
        return JSON.parse(raw.toString("utf8"));
    } catch {
        return undefined;
    }
}

/** A failed request as a typed error: where it went (method and path), never what it carried. */
function networkError(e: Error & { code?: string }, req: HttpRequest, context: { host: string; port: number }, timeoutSeconds: number): CredentialsError {
    if (e instanceof PinMismatch) {
        return pinMismatchError(e, context);
    }
    const where = `${req.method} ${req.path}`;
    switch (e.code) {
        case "ENOTFOUND":
        case "EAI_AGAIN":
            return new CredentialsError("BMC_DNS_FAILED", { message: `cannot resolve the BMC's name (${where})`, hint: "check bmc.host", context, cause: e });
        case "ECONNREFUSED":
        case "EHOSTUNREACH":
        case "ENETUNREACH":
        case "ECONNRESET":
        case "EPIPE":
            return new CredentialsError("BMC_UNREACHABLE", {
                message: `the BMC's Redfish service did not accept the connection (${e.code}, ${where})`,
                hint: "check bmc.host and bmc.port (Redfish is HTTPS, normally 443) and that the management network is reachable",
                context,
                cause: e,
                transient: e.code === "ECONNRESET",
            });
        case "ETIMEDOUT":
            return new CredentialsError("BMC_TIMEOUT", {
                message: `no answer within ${timeoutSeconds} s (${where})`,
                hint: "raise bmc.timeoutSeconds for a slow BMC, or check the network",
                context,
                transient: true,
            });
        default:
            return new CredentialsError("BMC_UNREACHABLE", {
                message: `the HTTPS connection failed (${e.code ?? e.message}, ${where})`,
                hint: "check that bmc.port is the BMC's Redfish (HTTPS) port",
                context,
                cause: e,
            });
    }
}
