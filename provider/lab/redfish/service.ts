/**
 * The Redfish service of one virtual BMC: AccountService, SessionService and the service root over the BMC's
 * {@link AccountTable} — the same table its IPMI face serves, so an account set over IPMI shows here and the reverse,
 * and failed logins through either face count towards one lockout.
 *
 * Transport-free: {@link RedfishService.handle} takes a parsed request and returns status, headers and a JSON body, so
 * the HTTPS server (`server.ts`) is a thin wrapper and the unit tests need no sockets. Every request is written to
 * {@link RedfishService.log} with passwords in bodies redacted and no header values, so tests can count login probes and
 * check that no password travelled in a URL.
 *
 * How the table maps onto ManagerAccount (the lab's reading; the README lists it):
 * - `RoleId` is the privilege limit on the first LAN channel: administrator ↔ Administrator, operator ↔ Operator,
 *   user ↔ ReadOnly, anything else ↔ the personality's no-access role. Writing a role sets every LAN channel.
 * - `Enabled` is the enable status; `Locked` is the table's lockout (only `false` may be written: it unlocks).
 * - `AccountTypes` `IPMI` (personalities with writable types) is IPMI messaging on the LAN channels; other types are
 *   kept per slot by this face and forgotten when the slot's name changes under it.
 * - A Redfish login (session POST or Basic) is `AccountTable.authenticate`: unknown names count nothing, a wrong
 *   password counts one failure, a locked or disabled account is refused whatever the password.
 */

import { createHash, randomBytes } from "node:crypto";
import { AccountTable, Clock, Privilege, SYSTEM_CLOCK } from "../accounts";
import { BaseMessageId, IDRAC_DEFAULT_PASSWORD, RedfishMessage, errorBody, message } from "./messages";
import { REDFISH_PERSONALITIES, RedfishFlavour, RedfishPersonality } from "./personalities";

/** A request as the server hands it over. */
export interface RedfishRequest {
    method: string;
    /** Path and query as sent (`/redfish/v1/AccountService/Accounts?$expand=.`). */
    url: string;
    /** Header names in lower case. */
    headers: Record<string, string | undefined>;
    body?: Buffer;
    remoteAddress?: string;
}

export interface RedfishResponse {
    status: number;
    headers: Record<string, string>;
    body?: unknown;
}

/** One request as the lab saw it. Never holds a password, a token or an Authorization header. */
export interface RequestLogEntry {
    seq: number;
    at: number;
    method: string;
    /** The URL exactly as requested (so a test can see that no password travelled in it). */
    url: string;
    path: string;
    auth: "none" | "basic" | "session";
    /** The account the request authenticated as (or tried to log in as, for session POSTs). */
    user?: string;
    ifMatch?: string;
    status: number;
    /** The JSON body with `Password`, `NewPassword`, `SessionAccountPassword` replaced by "[redacted]". */
    body?: string;
    /** For session POSTs and Basic requests: whether the credentials were accepted. */
    login?: "ok" | "failed";
}

export interface RedfishServiceOptions {
    table: AccountTable;
    personality: RedfishFlavour | RedfishPersonality;
    clock?: Clock;
    /** Concurrent sessions; default the personality's. */
    maxSessions?: number;
    /** Idle timeout in seconds; default the personality's. */
    sessionTimeoutSeconds?: number;
    /** Keep at most this many log entries (oldest dropped). Default 10000. */
    logLimit?: number;
}

interface Session {
    id: string;
    token: string;
    slot: number;
    user: string;
    lastUsed: number;
}

/** What this face keeps per slot besides the table, valid while the slot keeps the name it was recorded with. */
interface SlotExtras {
    name: string;
    passwordChangeRequired: boolean;
    /** Non-IPMI account types (`writable` personalities). */
    types?: string[];
    loginName?: string;
}

interface Caller {
    kind: "none" | "basic" | "session";
    slot?: number;
    user?: string;
    session?: Session;
    admin: boolean;
    changeRequired: boolean;
}

class HttpError extends Error {
    constructor(
        readonly status: number,
        readonly messages: (RedfishMessage | typeof IDRAC_DEFAULT_PASSWORD)[],
        readonly headers: Record<string, string> = {},
    ) {
        super(messages[0]?.MessageId ?? String(status));
    }
}

const fail = (status: number, id: BaseMessageId, args: string[] = [], headers: Record<string, string> = {}) => new HttpError(status, [message(id, args)], headers);

const ROOT = "/redfish/v1";
const ACCOUNT_SERVICE = `${ROOT}/AccountService`;
const ACCOUNTS = `${ACCOUNT_SERVICE}/Accounts`;
const ROLES = `${ACCOUNT_SERVICE}/Roles`;
const SESSION_SERVICE = `${ROOT}/SessionService`;
const SESSIONS = `${SESSION_SERVICE}/Sessions`;

const SECRET_KEYS = new Set(["Password", "NewPassword", "SessionAccountPassword"]);

const ROLE_FOR: Partial<Record<Privilege, string>> = { administrator: "Administrator", operator: "Operator", user: "ReadOnly" };
const PRIVILEGE_FOR: Record<string, Privilege> = { Administrator: "administrator", Operator: "operator", ReadOnly: "user", None: "no-access", NoAccess: "no-access" };

/** A JSON body with secret properties replaced, at any depth. */
export function redactBody(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(redactBody);
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.has(k) ? "[redacted]" : redactBody(v)]));
    }
    return value;
}

export class RedfishService {
    readonly personality: RedfishPersonality;
    readonly log: RequestLogEntry[] = [];
    /** `HTTPBasicAuth`: whether Basic authentication is accepted. */
    basicAuth = true;
    maxSessions: number;
    sessionTimeoutSeconds: number;
    /**
     * Faults a test can ask for: `omitEtags` serves no ETag (header or `@odata.etag`) — firmware that enforces If-Match
     * without offering a tag; `firstLoginChange` marks every account an administrator creates or gives a password as
     * having to change it (XCC's PasswordChangeOnFirstAccess); `hideAllow` sends no `Allow` header (firmware that
     * leaves clients to infer the account model); `userManagerRoles` lets accounts of these roles manage accounts as
     * an Administrator does (iDRAC's custom privileges, bmcweb's ConfigureUsers on another role), so the login account
     * need not be an Administrator itself.
     */
    faults: { omitEtags?: boolean; firstLoginChange?: boolean; hideAllow?: boolean; userManagerRoles?: readonly string[] } = {};
    /** Called before each request is handled (to change the table between a client's GET and PATCH, say). */
    beforeRequest?: (req: { method: string; path: string }) => void;
    /** Called after each request is handled, with its log entry. */
    afterRequest?: (entry: RequestLogEntry) => void;

    private readonly table: AccountTable;
    private readonly clock: Clock;
    private readonly sessions = new Map<string, Session>();
    private readonly extras = new Map<number, SlotExtras>();
    /** Slots whose password must change, iDRAC-OEM style (SecureDefaultPassword). */
    private readonly defaultPasswordSlots = new Set<number>();
    private nextSessionId = 1;
    private seq = 0;
    private readonly logLimit: number;

    constructor(options: RedfishServiceOptions) {
        this.table = options.table;
        this.personality = typeof options.personality === "string" ? REDFISH_PERSONALITIES[options.personality] : options.personality;
        this.clock = options.clock ?? SYSTEM_CLOCK;
        this.maxSessions = options.maxSessions ?? this.personality.sessions.maxSessions;
        this.sessionTimeoutSeconds = options.sessionTimeoutSeconds ?? this.personality.sessions.timeoutSeconds;
        this.logLimit = options.logLimit ?? 10000;
    }

    // ---- controls for tests and the lab API ---------------------------------------------------------------------------

    /** Requires a password change of the account in `slot` before anything else (the personality's style). */
    requirePasswordChange(slot: number, required = true): void {
        if (this.personality.passwordChangeStyle === "idrac-oem") {
            if (required) this.defaultPasswordSlots.add(slot);
            else this.defaultPasswordSlots.delete(slot);
        } else {
            this.extrasOf(slot).passwordChangeRequired = required;
        }
    }

    /** Open sessions (ids, users), for assertions. */
    openSessions(): { id: string; user: string; slot: number }[] {
        this.expireSessions();
        return [...this.sessions.values()].map(({ id, user, slot }) => ({ id, user, slot }));
    }

    /** The member Id an IPMI slot is served under (undefined when it is not a member). */
    memberIdOf(slot: number): string | undefined {
        if (!this.isMemberSlot(slot)) return undefined;
        switch (this.personality.accounts.memberId) {
            case "slot":
                return String(slot);
            case "slot-minus-one":
                return String(slot - 1);
            case "username":
                return this.table.name(slot).toString("latin1");
        }
    }

    clearLog(): void {
        this.log.length = 0;
    }

    /** Ends every session (the BMC restarted). */
    endSessions(): void {
        this.sessions.clear();
    }

    // ---- request handling -----------------------------------------------------------------------------------------------

    handle(req: RedfishRequest): RedfishResponse {
        this.expireSessions();
        const method = req.method.toUpperCase();
        const [rawPath, query = ""] = req.url.split("?", 2);
        const path = normalisePath(rawPath);
        const entry: RequestLogEntry = { seq: ++this.seq, at: this.clock.now(), method, url: req.url, path, auth: "none", status: 0 };
        if (req.headers["if-match"] !== undefined) entry.ifMatch = req.headers["if-match"];
        let response: RedfishResponse;
        let body: unknown;
        try {
            this.beforeRequest?.({ method, path });
            body = parseBody(req.body);
            if (body !== undefined) entry.body = JSON.stringify(redactBody(body));
            response = this.route(method, path, query, req, body, entry);
        } catch (e) {
            if (e instanceof SyntaxError) {
                entry.body = "(not JSON)";
                response = this.error(fail(400, "MalformedJSON"));
            } else if (e instanceof HttpError) {
                response = this.error(e);
            } else {
                response = this.error(fail(500, "InternalError"));
            }
        }
        entry.status = response.status;
        if (this.faults.omitEtags) {
            delete response.headers.ETag;
            stripEtags(response.body);
        }
        if (this.faults.hideAllow) delete response.headers.Allow;
        this.log.push(entry);
        this.afterRequest?.(entry);
        if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
        response.headers = { "OData-Version": "4.0", ...response.headers };
        if (method === "HEAD") delete response.body;
        return response;
    }

    private route(method: string, path: string, query: string, req: RedfishRequest, body: unknown, entry: RequestLogEntry): RedfishResponse {
        // Unauthenticated: the version document, the service root, and logging in.
        if (path === "/redfish") return this.only(method, ["GET", "HEAD"], () => ok({ v1: `${ROOT}/` }));
        if (path === ROOT) return this.only(method, ["GET", "HEAD"], () => ok(this.serviceRoot()), ["GET", "HEAD"]);
        if (path === SESSIONS && method === "POST") return this.login(body, entry);

        // Credentials first, as services do: an unauthenticated client learns nothing about which paths exist.
        const caller = this.authenticate(req, entry);
        const resource = this.resourceFor(path);
        if (!resource) throw fail(404, "ResourceMissingAtURI", [path]);
        if (!resource.allow.includes(method)) {
            throw new HttpError(405, [message("OperationNotAllowed")], { Allow: resource.allow.join(", ") });
        }
        this.guardPasswordChange(caller, method, path);
        const answer = resource.handle(method, caller, body, req.headers, query);
        answer.headers = { Allow: resource.allow.join(", "), ...answer.headers };
        return answer;
    }

    private only(method: string, allow: string[], fn: () => RedfishResponse, shownAllow = allow): RedfishResponse {
        if (!allow.includes(method)) throw new HttpError(405, [message("OperationNotAllowed")], { Allow: allow.join(", ") });
        const r = fn();
        r.headers = { Allow: shownAllow.join(", "), ...r.headers };
        return r;
    }

    private error(e: HttpError): RedfishResponse {
        const headers: Record<string, string> = { "Content-Type": "application/json; charset=utf-8", ...e.headers };
        if (e.status === 401) headers["WWW-Authenticate"] = 'Basic realm="Redfish"';
        return { status: e.status, headers, body: errorBody(e.messages) };
    }

    // ---- resources --------------------------------------------------------------------------------------------------------

    private resourceFor(path: string): { allow: string[]; handle: (m: string, c: Caller, body: unknown, h: RedfishRequest["headers"], q: string) => RedfishResponse } | undefined {
        const slotModel = this.personality.accounts.model === "slot";
        if (path === SESSION_SERVICE) return { allow: ["GET", "HEAD"], handle: () => ok(this.sessionService()) };
        if (path === SESSIONS) return { allow: ["GET", "HEAD", "POST"], handle: (_m, c) => ok(this.sessionCollection(c)) };
        if (path.startsWith(`${SESSIONS}/`)) {
            const id = decodeURIComponent(path.slice(SESSIONS.length + 1));
            const session = [...this.sessions.values()].find((s) => s.id === id);
            if (!session) return undefined;
            return { allow: ["GET", "HEAD", "DELETE"], handle: (m, c) => this.sessionMember(m, c, session) };
        }
        if (path === ACCOUNT_SERVICE) return { allow: ["GET", "HEAD", "PATCH"], handle: (m, c, b, h) => this.accountService(m, c, b, h) };
        if (path === ACCOUNTS) {
            return { allow: slotModel ? ["GET", "HEAD"] : ["GET", "HEAD", "POST"], handle: (m, c, b, _h, q) => (m === "POST" ? this.createAccount(c, b) : this.accountCollection(c, q)) };
        }
        if (path.startsWith(`${ACCOUNTS}/`)) {
            const slot = this.slotOfMember(decodeURIComponent(path.slice(ACCOUNTS.length + 1)));
            if (slot === undefined) return undefined;
            return {
                allow: slotModel ? ["GET", "HEAD", "PATCH"] : ["GET", "HEAD", "PATCH", "DELETE"],
                handle: (m, c, b, h) => (m === "PATCH" ? this.patchAccount(c, slot, b, h) : m === "DELETE" ? this.deleteAccount(c, slot, h) : this.getAccount(c, slot)),
            };
        }
        if (path === ROLES) return { allow: ["GET", "HEAD"], handle: () => ok(this.roleCollection()) };
        if (path.startsWith(`${ROLES}/`)) {
            const role = decodeURIComponent(path.slice(ROLES.length + 1));
            if (!this.personality.accounts.roles.includes(role)) return undefined;
            return { allow: ["GET", "HEAD"], handle: () => ok(this.role(role)) };
        }
        return undefined;
    }

    private serviceRoot(): Record<string, unknown> {
        const r = this.personality.root;
        return {
            "@odata.id": ROOT,
            "@odata.type": r.odataType,
            Id: "RootService",
            Name: "Root Service",
            RedfishVersion: r.redfishVersion,
            ...(r.vendor ? { Vendor: r.vendor } : {}),
            ...(r.product ? { Product: r.product } : {}),
            AccountService: { "@odata.id": ACCOUNT_SERVICE },
            SessionService: { "@odata.id": SESSION_SERVICE },
            Links: { Sessions: { "@odata.id": SESSIONS } },
            ProtocolFeaturesSupported: {
                ExpandQuery: this.personality.expand
                    ? { ExpandAll: false, Levels: true, Links: false, MaxLevels: 1, NoLinks: true }
                    : { ExpandAll: false, Levels: false, Links: false, MaxLevels: 0, NoLinks: false },
                FilterQuery: false,
                SelectQuery: false,
            },
            ...(r.oem ? { Oem: r.oem } : {}),
        };
    }

    private sessionService(): Record<string, unknown> {
        return {
            "@odata.id": SESSION_SERVICE,
            "@odata.type": this.personality.sessions.serviceOdataType,
            Id: "SessionService",
            Name: "Session Service",
            Description: "Session Service",
            ServiceEnabled: true,
            SessionTimeout: this.sessionTimeoutSeconds,
            Sessions: { "@odata.id": SESSIONS },
        };
    }

    private sessionCollection(caller: Caller): Record<string, unknown> {
        const mine = [...this.sessions.values()].filter((s) => caller.admin || s.slot === caller.slot);
        return {
            "@odata.id": SESSIONS,
            "@odata.type": "#SessionCollection.SessionCollection",
            Name: "Session Collection",
            Members: mine.map((s) => ({ "@odata.id": `${SESSIONS}/${s.id}` })),
            "Members@odata.count": mine.length,
        };
    }

    private sessionBody(s: Session): Record<string, unknown> {
        return {
            "@odata.id": `${SESSIONS}/${s.id}`,
            "@odata.type": this.personality.sessions.sessionOdataType,
            Id: s.id,
            Name: "User Session",
            Description: "Manager User Session",
            UserName: s.user,
            Password: null,
        };
    }

    private sessionMember(method: string, caller: Caller, session: Session): RedfishResponse {
        if (!caller.admin && caller.slot !== session.slot) throw fail(403, "InsufficientPrivilege");
        if (method === "DELETE") {
            this.sessions.delete(session.token);
            return { status: 204, headers: {} };
        }
        return ok(this.sessionBody(session));
    }

    private accountService(method: string, caller: Caller, body: unknown, headers: RedfishRequest["headers"]): RedfishResponse {
        if (method === "PATCH") {
            this.requireAdmin(caller);
            this.checkIfMatch(headers, this.etagOf(this.accountServiceBody()));
            const props = asObject(body);
            const s = this.personality.accountService;
            const lockout = this.table.lockout;
            const errors: RedfishMessage[] = [];
            let basic = this.basicAuth;
            for (const [k, v] of Object.entries(props)) {
                if (k.startsWith("@")) continue;
                const field = ({ AccountLockoutThreshold: "threshold", AccountLockoutDuration: "lockoutSeconds", AccountLockoutCounterResetAfter: "attemptResetSeconds" } as const)[
                    k as "AccountLockoutThreshold"
                ];
                if (field) {
                    if (!s.lockoutProperties) errors.push(message("PropertyUnknown", [k]));
                    else if (!s.lockoutWritable) errors.push(message("PropertyNotWritable", [k]));
                    else if (!Number.isInteger(v) || (v as number) < 0) errors.push(message("PropertyValueTypeError", [JSON.stringify(v), k]));
                    else lockout[field] = v as number;
                } else if (k === "HTTPBasicAuth" && s.basicAuthProperty) {
                    if (v !== "Enabled" && v !== "Disabled") errors.push(message("PropertyValueNotInList", [String(v), k]));
                    else basic = v === "Enabled";
                } else if (k in this.accountServiceBody()) {
                    errors.push(message("PropertyNotWritable", [k]));
                } else {
                    errors.push(message("PropertyUnknown", [k]));
                }
            }
            if (errors.length) throw new HttpError(400, errors);
            this.table.setLockout(lockout);
            this.basicAuth = basic;
            return { status: 204, headers: {} };
        }
        const bodyOut = this.accountServiceBody();
        return ok(bodyOut, this.etagOf(bodyOut));
    }

    private accountServiceBody(): Record<string, unknown> {
        const s = this.personality.accountService;
        const lockout = this.table.lockout;
        return {
            "@odata.id": ACCOUNT_SERVICE,
            "@odata.type": s.odataType,
            Id: "AccountService",
            Name: "Account Service",
            Description: "Account Service",
            MinPasswordLength: s.minPasswordLength,
            MaxPasswordLength: s.maxPasswordLength,
            ...(s.lockoutProperties
                ? {
                      AccountLockoutThreshold: lockout.threshold,
                      AccountLockoutDuration: lockout.lockoutSeconds,
                      AccountLockoutCounterResetAfter: lockout.attemptResetSeconds,
                  }
                : {}),
            ...(s.basicAuthProperty ? { HTTPBasicAuth: this.basicAuth ? "Enabled" : "Disabled" } : {}),
            Accounts: { "@odata.id": ACCOUNTS },
            Roles: { "@odata.id": ROLES },
            ...s.extra,
        };
    }

    private roleCollection(): Record<string, unknown> {
        const roles = this.personality.accounts.roles;
        return {
            "@odata.id": ROLES,
            "@odata.type": "#RoleCollection.RoleCollection",
            Name: "Roles Collection",
            Members: roles.map((r) => ({ "@odata.id": `${ROLES}/${r}` })),
            "Members@odata.count": roles.length,
        };
    }

    private role(role: string): Record<string, unknown> {
        const privileges: Record<string, string[]> = {
            Administrator: ["Login", "ConfigureManager", "ConfigureUsers", "ConfigureSelf", "ConfigureComponents"],
            Operator: ["Login", "ConfigureSelf", "ConfigureComponents"],
            ReadOnly: ["Login", "ConfigureSelf"],
            None: [],
        };
        return {
            "@odata.id": `${ROLES}/${role}`,
            "@odata.type": "#Role.v1_3_1.Role",
            Id: role,
            Name: "User Role",
            RoleId: role,
            IsPredefined: true,
            AssignedPrivileges: privileges[role] ?? [],
        };
    }

    // ---- accounts ---------------------------------------------------------------------------------------------------------

    /** Slots served as members: every slot from `firstSlot` (slot model), or the named ones (collection model). */
    private isMemberSlot(slot: number): boolean {
        const a = this.personality.accounts;
        if (!this.table.isSlot(slot) || slot < a.firstSlot) return false;
        return a.model === "slot" || this.table.name(slot).length > 0;
    }

    private memberSlots(): number[] {
        const out: number[] = [];
        for (let slot = 1; slot <= this.table.maxUsers; slot++) if (this.isMemberSlot(slot)) out.push(slot);
        return out;
    }

    private slotOfMember(id: string): number | undefined {
        return this.memberSlots().find((slot) => this.memberIdOf(slot) === id);
    }

    private memberUri(slot: number): string {
        return `${ACCOUNTS}/${encodeURIComponent(this.memberIdOf(slot)!)}`;
    }

    /** Per-slot extras, reset when the slot's name is no longer the one they were recorded with. */
    private extrasOf(slot: number): SlotExtras {
        const name = this.table.name(slot).toString("latin1");
        let e = this.extras.get(slot);
        if (!e || e.name !== name) {
            e = { name, passwordChangeRequired: false };
            this.extras.set(slot, e);
        }
        return e;
    }

    private lanChannels(): readonly number[] {
        return this.table.policy.channels;
    }

    private roleOf(slot: number): string {
        const privilege = this.table.access(slot, this.lanChannels()[0]).privilege;
        return ROLE_FOR[privilege] ?? this.personality.accounts.noAccessRoleId;
    }

    private accountTypesOf(slot: number): string[] | undefined {
        const a = this.personality.accounts;
        if (a.accountTypes === "absent") return undefined;
        if (a.accountTypes === "fixed") return [...a.baseAccountTypes];
        const base = this.extrasOf(slot).types ?? [...a.baseAccountTypes];
        const ipmi = this.table.access(slot, this.lanChannels()[0]).ipmiMessaging;
        return [...base, ...(ipmi ? ["IPMI"] : [])];
    }

    private accountBody(slot: number): Record<string, unknown> {
        const a = this.personality.accounts;
        const extras = this.extrasOf(slot);
        const role = this.roleOf(slot);
        const types = this.accountTypesOf(slot);
        const changeRequired = extras.passwordChangeRequired;
        return {
            "@odata.id": this.memberUri(slot),
            "@odata.type": a.odataType,
            Id: this.memberIdOf(slot),
            Name: a.name,
            Description: a.description,
            UserName: this.table.name(slot).toString("latin1"),
            Password: null,
            RoleId: role,
            ...(a.enabledProperty ? { Enabled: this.table.isEnabled(slot) } : {}),
            ...(a.lockedProperty ? { Locked: this.table.isLocked(slot) } : {}),
            PasswordChangeRequired: changeRequired,
            ...(types ? { AccountTypes: types } : {}),
            Links: { Role: { "@odata.id": `${ROLES}/${role}` } },
            ...a.extra,
            ...(a.hpeLoginName
                ? {
                      Oem: {
                          Hpe: {
                              "@odata.type": "#HpeiLOAccount.v2_2_0.HpeiLOAccount",
                              LoginName: extras.loginName ?? this.table.name(slot).toString("latin1"),
                              Privileges: hpePrivileges(role),
                          },
                      },
                  }
                : {}),
        };
    }

    private etagOf(body: Record<string, unknown>): string {
        const hash = createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 8).toUpperCase();
        return this.personality.etag.weak ? `W/"${hash}"` : `"${hash}"`;
    }

    private withEtag(body: Record<string, unknown>): { body: Record<string, unknown>; etag: string } {
        const etag = this.etagOf(body);
        return { body: { ...body, "@odata.etag": etag }, etag };
    }

    private getAccount(caller: Caller, slot: number): RedfishResponse {
        if (!caller.admin && caller.slot !== slot) throw fail(403, "InsufficientPrivilege");
        const { body, etag } = this.withEtag(this.accountBody(slot));
        return ok(body, etag);
    }

    private accountCollection(caller: Caller, query: string): RedfishResponse {
        const params = new URLSearchParams(query);
        const expand = params.get("$expand");
        if (expand !== null && !this.personality.expand) throw fail(400, "QueryNotSupported");
        const slots = this.memberSlots().filter((s) => caller.admin || s === caller.slot);
        const members = slots.map((slot) => (expand !== null ? this.withEtag(this.accountBody(slot)).body : { "@odata.id": this.memberUri(slot) }));
        return ok({
            "@odata.id": ACCOUNTS,
            "@odata.type": "#ManagerAccountCollection.ManagerAccountCollection",
            Name: "Accounts Collection",
            Description: "BMC User Accounts Collection",
            Members: members,
            "Members@odata.count": members.length,
        });
    }

    /** Validates a PATCH or POST body against the slot; returns the changes or throws 400 with every problem. */
    private validateAccountChange(slot: number | undefined, props: Record<string, unknown>, creating: boolean): AccountChange {
        const a = this.personality.accounts;
        const s = this.personality.accountService;
        const errors: RedfishMessage[] = [];
        const change: AccountChange = {};
        for (const [k, v] of Object.entries(props)) {
            if (k.startsWith("@")) continue;
            switch (k) {
                case "UserName": {
                    if (typeof v !== "string") errors.push(message("PropertyValueTypeError", [JSON.stringify(v), k]));
                    else if (v === "" && (creating || a.model === "collection")) errors.push(message("PropertyValueFormatError", [v, k]));
                    else if (Buffer.byteLength(v, "latin1") > 16 || !/^[\x20-\x7e]*$/.test(v) || v.includes("/")) errors.push(message("PropertyValueFormatError", [v, k]));
                    else if (slot !== undefined && this.table.isFixedName(slot) && v !== this.table.name(slot).toString("latin1")) errors.push(message("PropertyNotWritable", [k]));
                    else {
                        const holder = v ? this.table.findByName(v) : undefined;
                        if (holder !== undefined && holder !== slot) {
                            throw new HttpError(a.duplicateStatus, [message("ResourceAlreadyExists", ["ManagerAccount", "UserName", v])]);
                        }
                        change.userName = v;
                    }
                    break;
                }
                case "Password": {
                    // Echoed back like careless firmware does (MessageArgs carry the value): clients must not print it.
                    if (typeof v !== "string") errors.push(message("PropertyValueTypeError", ["[redacted]", k]));
                    else if (v.length < s.minPasswordLength || v.length > s.maxPasswordLength || !/^[\x20-\x7e]+$/.test(v)) errors.push(message("PropertyValueFormatError", [v, k]));
                    else if (this.table.policy.passwordRule && !this.table.policy.passwordRule(Buffer.from(v, "latin1"))) errors.push(message("PropertyValueFormatError", [v, k]));
                    else change.password = v;
                    break;
                }
                case "RoleId": {
                    if (typeof v !== "string" || !a.roles.includes(v)) errors.push(message("PropertyValueNotInList", [String(v), k]));
                    else change.role = v;
                    break;
                }
                case "Enabled": {
                    if (!a.enabledProperty) errors.push(message("PropertyUnknown", [k]));
                    else if (typeof v !== "boolean") errors.push(message("PropertyValueTypeError", [JSON.stringify(v), k]));
                    else change.enabled = v;
                    break;
                }
                case "Locked": {
                    if (!a.lockedProperty) errors.push(message("PropertyUnknown", [k]));
                    else if (v !== false) errors.push(message("PropertyValueNotInList", [JSON.stringify(v), k]));
                    else change.unlock = true;
                    break;
                }
                case "PasswordChangeRequired": {
                    if (typeof v !== "boolean") errors.push(message("PropertyValueTypeError", [JSON.stringify(v), k]));
                    else if (a.passwordChangeRequired === "writable") change.passwordChangeRequired = v;
                    else if (a.passwordChangeRequired === "read-only") errors.push(message("PropertyNotWritable", [k]));
                    break;
                }
                case "AccountTypes": {
                    if (a.accountTypes === "absent") errors.push(message("PropertyUnknown", [k]));
                    else if (a.accountTypes === "fixed") errors.push(message("PropertyNotWritable", [k]));
                    else if (!Array.isArray(v) || v.some((t) => typeof t !== "string")) errors.push(message("PropertyValueTypeError", [JSON.stringify(v), k]));
                    else if (!v.includes("Redfish")) errors.push(message("PropertyValueNotInList", [JSON.stringify(v), k]));
                    else change.accountTypes = v as string[];
                    break;
                }
                case "Oem": {
                    const loginName = (v as { Hpe?: { LoginName?: unknown } } | null)?.Hpe?.LoginName;
                    if (!a.hpeLoginName || typeof loginName !== "string") errors.push(message("PropertyUnknown", [k]));
                    else change.loginName = loginName;
                    break;
                }
                case "Id":
                case "Name":
                case "Description":
                case "Links":
                    errors.push(message("PropertyNotWritable", [k]));
                    break;
                default:
                    errors.push(message("PropertyUnknown", [k]));
            }
        }
        if (errors.length) throw new HttpError(400, errors);
        return change;
    }

    private applyAccountChange(slot: number, change: AccountChange): void {
        const a = this.personality.accounts;
        const before = this.extrasOf(slot);
        if (change.userName !== undefined) {
            this.must(this.table.setName(slot, change.userName));
            // A rename keeps what this face knows about the account; a slot given its first name starts afresh.
            if (before.name !== "" && change.userName !== "") this.extras.set(slot, { ...before, name: change.userName });
        }
        if (change.password !== undefined) {
            this.must(this.table.setPassword(slot, change.password, change.password.length > 16 ? 20 : 16));
            this.defaultPasswordSlots.delete(slot);
        }
        const extras = this.extrasOf(slot);
        if (change.password !== undefined) extras.passwordChangeRequired = this.faults.firstLoginChange === true && !change.ownPassword;
        if (change.passwordChangeRequired !== undefined) extras.passwordChangeRequired = change.passwordChangeRequired;
        if (change.loginName !== undefined) extras.loginName = change.loginName;
        const ipmi = change.accountTypes ? change.accountTypes.includes("IPMI") : undefined;
        if (change.accountTypes) extras.types = change.accountTypes.filter((t) => t !== "IPMI");
        if (change.role !== undefined || ipmi !== undefined) {
            for (const channel of this.lanChannels()) {
                const now = this.table.access(slot, channel);
                const privilege = change.role !== undefined ? (PRIVILEGE_FOR[change.role] ?? "no-access") : now.privilege;
                const messaging = ipmi ?? (a.accountTypes === "writable" ? now.ipmiMessaging : true);
                this.must(this.table.setAccess(slot, channel, { privilege, flags: { ipmiMessaging: messaging, linkAuth: true, callbackOnly: false } }));
            }
        }
        if (change.enabled !== undefined) this.must(this.table.setEnabled(slot, change.enabled));
        if (change.unlock) this.must(this.table.unlock(slot));
    }

    private must(outcome: string): void {
        if (outcome !== "ok") throw fail(400, "GeneralError");
    }

    private patchAccount(caller: Caller, slot: number, body: unknown, headers: RedfishRequest["headers"]): RedfishResponse {
        const a = this.personality.accounts;
        const id = this.memberIdOf(slot)!;
        const props = asObject(body);
        const own = caller.slot === slot;
        if (!caller.admin) {
            const keys = Object.keys(props).filter((k) => !k.startsWith("@"));
            if (!own || keys.some((k) => k !== "Password")) throw fail(403, "InsufficientPrivilege");
        }
        if (a.reservedIds.includes(id)) {
            throw new HttpError(400, Object.keys(props).filter((k) => !k.startsWith("@")).map((k) => message("PropertyNotWritable", [k])));
        }
        this.checkIfMatch(headers, this.etagOf(this.accountBody(slot)));
        const change = this.validateAccountChange(slot, props, false);
        if (own && change.accountTypes && !change.accountTypes.includes("Redfish")) throw fail(400, "PropertyValueNotInList", [JSON.stringify(change.accountTypes), "AccountTypes"]);
        if (a.blankNameNeedsDisabled) {
            const name = change.userName ?? this.table.name(slot).toString("latin1");
            const enabled = change.enabled ?? this.table.isEnabled(slot);
            const role = change.role ?? this.roleOf(slot);
            if (name === "" && (enabled || role !== a.noAccessRoleId || change.password !== undefined)) {
                throw new HttpError(400, [
                    { ...message("GeneralError"), Message: "The value cannot be set while the user name or password is blank: disable the account and set RoleId None before clearing its name." },
                ]);
            }
        }
        const renamed = change.userName !== undefined && change.userName !== this.table.name(slot).toString("latin1");
        change.ownPassword = own;
        this.applyAccountChange(slot, change);
        if (change.password !== undefined) this.afterPasswordChange(caller, slot);
        if (renamed || change.enabled === false || change.userName === "") this.dropSessionsOf(slot, caller.session);
        switch (a.patchAnswer) {
            case "resource": {
                const { body: out, etag } = this.withEtag(this.accountBody(slot));
                return ok(out, etag);
            }
            case "message":
                return ok({ "@Message.ExtendedInfo": [message("Success")] });
            case "no-content":
                return { status: 204, headers: {} };
        }
    }

    private createAccount(caller: Caller, body: unknown): RedfishResponse {
        this.requireAdmin(caller);
        const a = this.personality.accounts;
        const props = asObject(body);
        const missing = ["UserName", "Password", "RoleId"].filter((k) => props[k] === undefined);
        if (missing.length) throw new HttpError(400, missing.map((k) => message("PropertyMissing", [k])));
        const change = this.validateAccountChange(undefined, props, true);
        const slot = this.freeSlot();
        if (slot === undefined) throw fail(400, "CreateLimitReachedForResource");
        // A new account: messaging on unless AccountTypes says otherwise (bmcweb: every group when omitted).
        this.applyAccountChange(slot, { enabled: true, ...change, accountTypes: change.accountTypes ?? (a.accountTypes === "writable" ? [...a.baseAccountTypes, "IPMI"] : undefined) });
        const { body: out, etag } = this.withEtag(this.accountBody(slot));
        return { status: 201, headers: { Location: this.memberUri(slot), ETag: etag, "Content-Type": "application/json; charset=utf-8" }, body: out };
    }

    private freeSlot(): number | undefined {
        for (let slot = this.personality.accounts.firstSlot; slot <= this.table.maxUsers; slot++) {
            if (slot !== this.table.policy.nullUserSlot && !this.table.isFixedName(slot) && this.table.name(slot).length === 0) return slot;
        }
        return undefined;
    }

    private deleteAccount(caller: Caller, slot: number, headers: RedfishRequest["headers"]): RedfishResponse {
        this.requireAdmin(caller);
        this.checkIfMatch(headers, this.etagOf(this.accountBody(slot)));
        if (this.table.isFixedName(slot)) throw fail(400, "ResourceCannotBeDeleted");
        // The account goes from the IPMI side too: no name, disabled, no access, a password nobody knows.
        this.must(this.table.setName(slot, ""));
        this.table.setEnabled(slot, false);
        for (const channel of this.lanChannels()) {
            this.table.setAccess(slot, channel, { privilege: "no-access", flags: { ipmiMessaging: false, linkAuth: false, callbackOnly: false } });
        }
        this.table.setPassword(slot, randomBytes(8).toString("hex"), 16);
        this.extras.delete(slot);
        this.dropSessionsOf(slot, undefined);
        return this.personality.accounts.deleteAnswer === "message" ? ok({ "@Message.ExtendedInfo": [message("AccountRemoved")] }) : { status: 204, headers: {} };
    }

    // ---- authentication and sessions -------------------------------------------------------------------------------

    private login(body: unknown, entry: RequestLogEntry): RedfishResponse {
        const props = asObject(body);
        const missing = ["UserName", "Password"].filter((k) => typeof props[k] !== "string");
        if (missing.length) throw new HttpError(400, missing.map((k) => message("PropertyMissing", [k])));
        const user = props.UserName as string;
        entry.user = user;
        const slot = this.check(user, props.Password as string);
        entry.login = slot === undefined ? "failed" : "ok";
        if (slot === undefined) throw fail(401, "AccessDenied", [SESSIONS]);
        if (this.sessions.size >= this.maxSessions) throw fail(503, "SessionLimitExceeded");
        const session: Session = { id: String(this.nextSessionId++), token: randomBytes(16).toString("hex"), slot, user, lastUsed: this.clock.now() };
        this.sessions.set(session.token, session);
        const out: Record<string, unknown> = this.sessionBody(session);
        if (this.personality.passwordChangeStyle === "standard" && this.extrasOf(slot).passwordChangeRequired) {
            out["@Message.ExtendedInfo"] = [message("PasswordChangeRequired", [this.memberUri(slot)])];
        }
        return {
            status: 201,
            headers: { "X-Auth-Token": session.token, Location: `${SESSIONS}/${session.id}`, "Content-Type": "application/json; charset=utf-8" },
            body: out,
        };
    }

    /** One login by name and password, as both Basic and session POST do it. Returns the slot, or undefined. */
    private check(user: string, password: string): number | undefined {
        const outcome = this.table.authenticate(user, password);
        if (!outcome.ok) return undefined;
        const slot = outcome.slot;
        // Redfish logins need a role with Login and, where AccountTypes are kept, the Redfish type.
        if (ROLE_FOR[this.table.access(slot, this.lanChannels()[0]).privilege] === undefined) return undefined;
        const types = this.accountTypesOf(slot);
        if (types && !types.includes("Redfish")) return undefined;
        if (!this.isMemberSlot(slot)) return undefined;
        return slot;
    }

    private authenticate(req: RedfishRequest, entry: RequestLogEntry): Caller {
        const token = req.headers["x-auth-token"];
        if (token !== undefined) {
            entry.auth = "session";
            const session = this.sessions.get(token);
            if (!session || !this.sessionStillValid(session)) {
                if (session) this.sessions.delete(token);
                throw fail(401, "NoValidSession");
            }
            session.lastUsed = this.clock.now();
            entry.user = session.user;
            return this.caller("session", session.slot, session);
        }
        const authorization = req.headers.authorization;
        if (authorization?.startsWith("Basic ")) {
            entry.auth = "basic";
            const decoded = Buffer.from(authorization.slice(6), "base64").toString("latin1");
            const colon = decoded.indexOf(":");
            const user = colon === -1 ? decoded : decoded.slice(0, colon);
            entry.user = user;
            if (!this.basicAuth) throw fail(401, "NoValidSession");
            const slot = this.check(user, colon === -1 ? "" : decoded.slice(colon + 1));
            entry.login = slot === undefined ? "failed" : "ok";
            if (slot === undefined) throw fail(401, "AccessDenied", [entry.path]);
            const caller = this.caller("basic", slot);
            if (caller.changeRequired && this.personality.basicAuthWhenChangeRequired === 401) throw fail(401, "AccessDenied", [entry.path]);
            return caller;
        }
        throw fail(401, "NoValidSession");
    }

    private caller(kind: "basic" | "session", slot: number, session?: Session): Caller {
        const role = this.roleOf(slot);
        const admin = role === "Administrator" || (this.faults.userManagerRoles?.includes(role) ?? false);
        const changeRequired = this.defaultPasswordSlots.has(slot) || this.extrasOf(slot).passwordChangeRequired;
        return { kind, slot, user: this.table.name(slot).toString("latin1"), session, admin, changeRequired };
    }

    /** A session ends when its account is renamed, emptied, disabled or locked under it (e.g. over IPMI). */
    private sessionStillValid(s: Session): boolean {
        return this.table.name(s.slot).toString("latin1") === s.user && this.table.isEnabled(s.slot) && !this.table.isLocked(s.slot);
    }

    /** With a required password change only the own account (GET, PATCH of Password) and logging out are allowed. */
    private guardPasswordChange(caller: Caller, method: string, path: string): void {
        if (!caller.changeRequired || caller.slot === undefined) return;
        const ownAccount = path === this.memberUri(caller.slot);
        const ownSession = caller.session !== undefined && path === `${SESSIONS}/${caller.session.id}` && method === "DELETE";
        if ((ownAccount && (method === "GET" || method === "HEAD" || method === "PATCH")) || ownSession) return;
        if (this.defaultPasswordSlots.has(caller.slot)) {
            throw new HttpError(403, [IDRAC_DEFAULT_PASSWORD]);
        }
        throw new HttpError(403, [message("PasswordChangeRequired", [this.memberUri(caller.slot)])]);
    }

    private afterPasswordChange(caller: Caller, slot: number): void {
        switch (this.personality.ownPasswordChange) {
            case "invalidate-own-token":
                if (caller.session && caller.session.slot === slot) this.sessions.delete(caller.session.token);
                break;
            case "drop-other-sessions":
                this.dropSessionsOf(slot, caller.session);
                break;
            case "keep":
                break;
        }
    }

    private dropSessionsOf(slot: number, keep: Session | undefined): void {
        for (const [token, s] of this.sessions) if (s.slot === slot && s !== keep) this.sessions.delete(token);
    }

    private expireSessions(): void {
        const limit = this.clock.now() - this.sessionTimeoutSeconds * 1000;
        for (const [token, s] of this.sessions) if (s.lastUsed < limit) this.sessions.delete(token);
    }

    private requireAdmin(caller: Caller): void {
        if (!caller.admin) throw fail(403, "InsufficientPrivilege");
    }

    /**
     * RFC 7232 If-Match with the weak comparison vendors apply (W/ ignored); `*` matches. Without the header: 428 where
     * the personality requires it, else the write goes ahead.
     */
    private checkIfMatch(headers: RedfishRequest["headers"], current: string): void {
        const header = headers["if-match"];
        if (header === undefined) {
            if (this.personality.etag.ifMatch === "required") throw fail(428, "PreconditionRequired");
            return;
        }
        const opaque = (t: string) => t.trim().replace(/^W\//, "");
        const ok = header.split(",").some((t) => t.trim() === "*" || opaque(t) === opaque(current));
        if (!ok) throw fail(412, "PreconditionFailed");
    }
}

interface AccountChange {
    /** The password is the caller's own (a required change being made), not one an administrator sets. */
    ownPassword?: boolean;
    userName?: string;
    password?: string;
    role?: string;
    enabled?: boolean;
    unlock?: boolean;
    passwordChangeRequired?: boolean;
    accountTypes?: string[];
    loginName?: string;
}

function ok(body: Record<string, unknown>, etag?: string): RedfishResponse {
    return { status: 200, headers: { "Content-Type": "application/json; charset=utf-8", ...(etag ? { ETag: etag } : {}) }, body };
}

function normalisePath(p: string): string {
    const trimmed = p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
    return trimmed;
}

function parseBody(raw: Buffer | undefined): unknown {
    if (!raw || raw.length === 0) return undefined;
    return JSON.parse(raw.toString("utf8"));
}

function asObject(body: unknown): Record<string, unknown> {
    if (body === undefined) return {};
    if (!body || typeof body !== "object" || Array.isArray(body)) throw fail(400, "MalformedJSON");
    return body as Record<string, unknown>;
}

function stripEtags(body: unknown): void {
    if (Array.isArray(body)) body.forEach(stripEtags);
    else if (body && typeof body === "object") {
        delete (body as Record<string, unknown>)["@odata.etag"];
        Object.values(body).forEach(stripEtags);
    }
}

function hpePrivileges(role: string): Record<string, boolean> {
    const admin = role === "Administrator";
    const operator = admin || role === "Operator";
    const login = operator || role === "ReadOnly";
    return {
        LoginPriv: login,
        RemoteConsolePriv: operator,
        VirtualMediaPriv: operator,
        VirtualPowerAndResetPriv: operator,
        UserConfigPriv: admin,
        iLOConfigPriv: admin,
        HostBIOSConfigPriv: admin,
        HostNICConfigPriv: admin,
        HostStorageConfigPriv: admin,
        SystemRecoveryConfigPriv: admin,
    };
}
