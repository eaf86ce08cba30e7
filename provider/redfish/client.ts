/**
 * A Redfish service and its sessions: discovery from the service root, one session login (POST to the Sessions
 * collection the root names), requests with `X-Auth-Token`, logout.
 *
 * Lockout-safe by construction: a login is one POST; a 401 answer is final for that password (never retried, never
 * followed by HTTP Basic — sushy's fallback costs a second failed login); Basic authentication is never used at all.
 * Passwords travel only in JSON bodies. The session token is registered as a secret, so no error text can carry it.
 */

import { CredentialsError } from "../shared/errors";
import { registerSecrets } from "../shared/redact";
import { badResponse, passwordChangeRequired, responseError } from "./errors";
import type { HttpRequest, HttpResponse, HttpTransport } from "./http";

/** What the service root says about where things are. */
export interface ServiceRoot {
    sessionsUri: string;
    accountServiceUri: string;
    /** The service serves `$expand=.($levels=1)` (ProtocolFeaturesSupported.ExpandQuery NoLinks and Levels). */
    expand: boolean;
    vendor?: string;
    product?: string;
    redfishVersion?: string;
}

export type Where = { host: string; port: number };

const ROOT_PATH = "/redfish/v1/";

/** The path of a URI the BMC returned (some give absolute URLs in Location). */
export function pathOf(uri: string): string {
    if (/^https?:\/\//i.test(uri)) {
        const u = new URL(uri);
        return u.pathname + u.search;
    }
    return uri;
}

function odataId(v: unknown): string | undefined {
    const id = (v as { "@odata.id"?: unknown } | undefined)?.["@odata.id"];
    return typeof id === "string" && id.startsWith("/") ? id : undefined;
}

/** Reads the service root (no credentials are sent: the root is public by specification). */
export async function discover(transport: HttpTransport, where: Where): Promise<ServiceRoot> {
    const req: HttpRequest = { method: "GET", path: ROOT_PATH };
    const res = await transport.send(req);
    if (res.status !== 200) {
        throw responseError(res, { ...where, doing: "reading the Redfish service root", method: req.method, path: req.path });
    }
    const root = (res.body ?? {}) as Record<string, unknown>;
    const accountServiceUri = odataId(root.AccountService);
    // The root names the Sessions collection in Links.Sessions; older services only under SessionService.
    const sessionsUri = odataId((root.Links as Record<string, unknown> | undefined)?.Sessions);
    if (!accountServiceUri) {
        throw new CredentialsError("REDFISH_NOT_SUPPORTED", {
            message: "the BMC's Redfish service root lists no AccountService",
            hint: "this BMC does not manage accounts over Redfish; use bmc.protocol \"ipmi\"",
            context: where,
        });
    }
    if (!sessionsUri) {
        throw badResponse("the service root has no Links.Sessions (DSP0266 requires it), so no session can be opened", { ...where, method: "GET", path: ROOT_PATH });
    }
    const expandQuery = ((root.ProtocolFeaturesSupported as Record<string, unknown> | undefined)?.ExpandQuery ?? {}) as Record<string, unknown>;
    return {
        sessionsUri,
        accountServiceUri,
        expand: expandQuery.NoLinks === true && expandQuery.Levels === true,
        ...(typeof root.Vendor === "string" ? { vendor: root.Vendor } : {}),
        ...(typeof root.Product === "string" ? { product: root.Product } : {}),
        ...(typeof root.RedfishVersion === "string" ? { redfishVersion: root.RedfishVersion } : {}),
    };
}

/** The outcome of one login attempt. */
export type LoginResult = { ok: true; session: RedfishSession } | { ok: false; status: number };

/**
 * One login: POST `{UserName, Password}` to the Sessions collection. 201 with a token → a session (which may carry a
 * required password change); 401 → `{ ok: false }` (final: the caller must not try the same password again); anything
 * else is an error.
 */
export async function login(transport: HttpTransport, where: Where, root: ServiceRoot, userName: string, password: string): Promise<LoginResult> {
    registerSecrets(password);
    const req: HttpRequest = { method: "POST", path: root.sessionsUri, body: { UserName: userName, Password: password } };
    const res = await transport.send(req);
    if (res.status === 401 || (res.status === 403 && !passwordChangeRequired(res.body))) {
        return { ok: false, status: res.status };
    }
    if (res.status !== 201 && res.status !== 200) {
        throw responseError(res, { ...where, doing: `logging in as ${userName}`, method: req.method, path: req.path, account: userName });
    }
    const token = res.headers["x-auth-token"];
    if (!token) {
        throw badResponse("the session was created without an X-Auth-Token", { ...where, method: req.method, path: req.path });
    }
    registerSecrets(token);
    const location = res.headers.location ?? odataId(res.body);
    const change = passwordChangeRequired(res.body);
    return { ok: true, session: new RedfishSession(transport, where, userName, token, location ? pathOf(location) : undefined, change) };
}

/** Options of one request inside a session. */
export interface SessionRequest {
    body?: unknown;
    /** ETag for If-Match (sent as given, W/ included). */
    ifMatch?: string;
    /** Statuses the caller handles itself (returned instead of thrown). */
    accept?: readonly number[];
    /** What the request is for, in words, for error texts. */
    doing: string;
}

/** An open Redfish session. */
export class RedfishSession {
    /** Requests sent with this session (for request counts in tests and benches). */
    requests = 0;
    private closed = false;

    constructor(
        private readonly transport: HttpTransport,
        private readonly where: Where,
        readonly userName: string,
        private readonly token: string,
        /** The session resource, deleted at logout; undefined when the BMC did not say where it is. */
        readonly location: string | undefined,
        /** Set when the login said the password must be changed first. */
        readonly passwordChange?: { uri?: string; style: "standard" | "idrac-oem" },
    ) {}

    async request(method: HttpRequest["method"], path: string, options: SessionRequest): Promise<HttpResponse> {
        this.requests++;
        const res = await this.transport.send({
            method,
            path,
            headers: { "X-Auth-Token": this.token, ...(options.ifMatch ? { "If-Match": options.ifMatch } : {}) },
            ...(options.body !== undefined ? { body: options.body } : {}),
        });
        if ((res.status >= 200 && res.status < 300) || options.accept?.includes(res.status)) {
            return res;
        }
        throw responseError(res, { ...this.where, doing: options.doing, method, path, account: this.userName });
    }

    get(path: string, doing: string, accept?: readonly number[]): Promise<HttpResponse> {
        return this.request("GET", path, { doing, accept });
    }

    /** Ends the session (DELETE of its resource). Best effort: a session the BMC already ended is fine. */
    async logout(): Promise<void> {
        if (this.closed || !this.location) return;
        this.closed = true;
        try {
            this.requests++;
            await this.transport.send({ method: "DELETE", path: this.location, headers: { "X-Auth-Token": this.token } });
        } catch {
            // The BMC ends idle sessions itself; a failed logout leaves nothing the next operation depends on.
        }
    }

    /** Marks the session as ended by the BMC (iDRAC ends it when its own account's password changes). */
    forget(): void {
        this.closed = true;
    }
}
