/**
 * The HTTP seam of the Huawei Cloud client: one function type, so tests can inject a fake and the provider uses
 * Node's built-in `http`/`https` with a hard per-request deadline.
 */

import * as http from "http";
import * as https from "https";

export interface HttpRequest {
    method: string;
    url: string;
    headers: Record<string, string>;
    /** Exact body bytes; `""` for none. */
    body: string;
    /** Deadline for the whole exchange (connect, headers and body). */
    timeoutMs: number;
}

export interface HttpResponse {
    status: number;
    /** Lower-case names. */
    headers: Record<string, string>;
    body: string;
}

/** Sends one request. Rejects with an error whose `code` is `ETIMEDOUT`, `ECONNRESET`, `ECONNREFUSED`, `ENOTFOUND` … */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

/** Responses larger than this are cut off: the APIs used return a few kilobytes. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Transport over Node's `http`/`https`. No keep-alive: the BMS docs say some of its endpoints do not support it. */
export const nodeTransport: HttpTransport = (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
        const url = new URL(request.url);
        const lib = url.protocol === "http:" ? http : https;
        let settled = false;
        const fail = (e: Error & { code?: string }) => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                reject(e);
            }
        };
        const req = lib.request(
            url,
            { method: request.method, headers: { ...request.headers, "Content-Length": String(Buffer.byteLength(request.body)) }, agent: false },
            (res) => {
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
                    const headers: Record<string, string> = {};
                    for (const [k, v] of Object.entries(res.headers)) {
                        if (v !== undefined) {
                            headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
                        }
                    }
                    resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") });
                });
            },
        );
        const timer = setTimeout(() => {
            const e = Object.assign(new Error(`no complete response within ${request.timeoutMs} ms`), { code: "ETIMEDOUT" });
            fail(e);
            req.destroy(e);
        }, request.timeoutMs);
        req.on("error", fail);
        req.end(request.body === "" ? undefined : request.body);
    });
