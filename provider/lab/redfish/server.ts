/**
 * The HTTPS face of virtual BMCs' Redfish services: `node:https` with a certificate made at start (`cert.ts`), one TCP
 * port per BMC (chosen free at start, or given), loopback by default. Everything Redfish is in `service.ts`; this file
 * only moves bytes: it reads at most 64 KiB of body, hands the request to the service of the port it arrived on, and
 * writes status, headers and JSON back.
 *
 * Many BMCs share one `https.Server` (one TLS context, one certificate) that never listens itself: each BMC's port is a
 * plain `net.Server` whose connections are handed to it. A thousand faces then start in tens of milliseconds and a few
 * megabytes, where a thousand HTTPS servers took seconds (each parses the key and certificate again).
 */

import { createServer, Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Server as NetServer, Socket, createServer as createNetServer } from "node:net";
import type { AccountTable, Clock } from "../accounts";
import { LabCertificate, createCertificate, labAltNames } from "./cert";
import { RedfishFlavour, RedfishPersonality } from "./personalities";
import { RedfishService } from "./service";

/** One BMC's Redfish face. */
export interface RedfishFaceSpec {
    table: AccountTable;
    personality: RedfishFlavour | RedfishPersonality;
    /** TCP port; default 0 (a free one). */
    port?: number;
    clock?: Clock;
    maxSessions?: number;
    sessionTimeoutSeconds?: number;
}

export interface RedfishFaceOptions extends RedfishFaceSpec {
    /** Bind address; default 127.0.0.1. */
    host?: string;
    /** Certificate to serve; default a fresh self-signed one for `host`. */
    certificate?: LabCertificate;
}

/** A running Redfish face. */
export interface RedfishFace {
    host: string;
    port: number;
    /** SHA-256 of the certificate, `AB:CD:…` (what `bmc.tls.fingerprint` pins). */
    fingerprint: string;
    certificatePem: string;
    service: RedfishService;
    /** Stops listening and ends this face's connections. */
    stop(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

/** Starts one Redfish face over `options.table`. */
export async function startRedfishFace(options: RedfishFaceOptions): Promise<RedfishFace> {
    const [face] = await startRedfishFaces([options], { host: options.host, certificate: options.certificate });
    return face;
}

/**
 * Starts a face per spec, all behind one TLS context with one certificate (default: made now for `host`). If a port
 * cannot be bound, the faces already started are stopped and the error is thrown.
 */
export async function startRedfishFaces(specs: readonly RedfishFaceSpec[], shared: { host?: string; certificate?: LabCertificate } = {}): Promise<RedfishFace[]> {
    const host = shared.host ?? "127.0.0.1";
    const certificate = shared.certificate ?? createCertificate({ commonName: `redfish-lab ${host}`, altNames: labAltNames(host) });
    const byPort = new Map<number, RedfishService>();
    const https: Server = createServer({ key: certificate.keyPem, cert: certificate.certPem, keepAliveTimeout: 5000 }, (req, res) => {
        const service = byPort.get(req.socket.localPort ?? -1);
        if (service) serve(service, req, res);
        else res.writeHead(503).end();
    });
    // Handshake failures (a client that refused our certificate) are the client's business, not a lab crash.
    https.on("tlsClientError", () => undefined);
    const faces: RedfishFace[] = [];
    try {
        for (const spec of specs) {
            const service = new RedfishService({
                table: spec.table,
                personality: spec.personality,
                clock: spec.clock,
                maxSessions: spec.maxSessions,
                sessionTimeoutSeconds: spec.sessionTimeoutSeconds,
            });
            const sockets = new Set<Socket>();
            const listener: NetServer = createNetServer((socket) => {
                sockets.add(socket);
                socket.on("close", () => sockets.delete(socket));
                https.emit("connection", socket);
            });
            await new Promise<void>((resolve, reject) => {
                listener.once("error", reject);
                listener.listen(spec.port ?? 0, host, () => {
                    listener.off("error", reject);
                    resolve();
                });
            });
            const address = listener.address();
            const port = typeof address === "object" && address ? address.port : 0;
            byPort.set(port, service);
            faces.push({
                host,
                port,
                fingerprint: certificate.fingerprint256,
                certificatePem: certificate.certPem,
                service,
                stop: () =>
                    new Promise<void>((resolve) => {
                        for (const s of sockets) s.destroy();
                        byPort.delete(port);
                        listener.close(() => resolve());
                    }),
            });
        }
    } catch (e) {
        await Promise.all(faces.map((f) => f.stop()));
        throw e;
    }
    return faces;
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
