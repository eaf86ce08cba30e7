/**
 * The HTTPS face of a virtual BMC's Redfish service: `node:https` with a certificate made at start (`cert.ts`), on a
 * port chosen free at start (or given), loopback by default. Everything Redfish is in `service.ts`; this file only moves
 * bytes: it reads at most 64 KiB of body, hands the request over, and writes status, headers and JSON back.
 */

import { createServer, Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { AccountTable, Clock } from "../accounts";
import { LabCertificate, createCertificate, labAltNames } from "./cert";
import { RedfishFlavour, RedfishPersonality } from "./personalities";
import { RedfishService } from "./service";

export interface RedfishFaceOptions {
    table: AccountTable;
    personality: RedfishFlavour | RedfishPersonality;
    /** Bind address; default 127.0.0.1. */
    host?: string;
    /** TCP port; default 0 (a free one). */
    port?: number;
    /** Certificate to serve; default a fresh self-signed one for `host`. */
    certificate?: LabCertificate;
    clock?: Clock;
    maxSessions?: number;
    sessionTimeoutSeconds?: number;
}

/** A running Redfish face. */
export interface RedfishFace {
    host: string;
    port: number;
    /** SHA-256 of the certificate, `AB:CD:…` (what `bmc.tls.fingerprint` pins). */
    fingerprint: string;
    certificatePem: string;
    service: RedfishService;
    /** Stops listening and ends every connection. */
    stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/** Starts a Redfish face over `table`. */
export async function startRedfishFace(options: RedfishFaceOptions): Promise<RedfishFace> {
    const host = options.host ?? "127.0.0.1";
    const certificate = options.certificate ?? createCertificate({ commonName: `redfish-lab ${host}`, altNames: labAltNames(host) });
    const service = new RedfishService({
        table: options.table,
        personality: options.personality,
        clock: options.clock,
        maxSessions: options.maxSessions,
        sessionTimeoutSeconds: options.sessionTimeoutSeconds,
    });
    const sockets = new Set<Socket>();
    const server: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem, keepAliveTimeout: 5000 }, (req, res) => serve(service, req, res));
    server.on("secureConnection", (socket: Socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    // Handshake failures (a client that refused our certificate) are the client's business, not a lab crash.
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, host, () => {
            server.off("error", reject);
            resolve();
        });
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    return {
        host,
        port,
        fingerprint: certificate.fingerprint256,
        certificatePem: certificate.certPem,
        service,
        stop: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}

function serve(service: RedfishService, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) {
            tooLarge = true;
            return;
        }
        chunks.push(chunk);
    });
    req.on("end", () => {
        if (tooLarge) {
            res.writeHead(413, { "Content-Type": "text/plain" }).end("request body too large");
            return;
        }
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : v;
        const answer = service.handle({ method: req.method ?? "GET", url: req.url ?? "/", headers, body: Buffer.concat(chunks), remoteAddress: req.socket.remoteAddress });
        const payload = answer.body === undefined ? undefined : Buffer.from(JSON.stringify(answer.body));
        res.writeHead(answer.status, { ...answer.headers, ...(payload ? { "Content-Length": String(payload.length) } : {}) });
        res.end(payload);
    });
}
