/**
 * Redfish accounts as the client sees them: AccountService settings, the Accounts collection (slot model or
 * collection model), one ManagerAccount with its ETag, and the pure decisions about them (which model, which slot is
 * free, which member holds a name).
 *
 * Everything is discovered: the AccountService URI comes from the service root, the Accounts and Roles URIs from the
 * AccountService, member URIs from the collection. Nothing here assumes a vendor's paths.
 */

import { CredentialsError } from "../shared/errors";
import { badResponse } from "./errors";
import type { HttpResponse } from "./http";
import type { RedfishSession, ServiceRoot, Where } from "./client";

/** AccountService settings the provider uses. */
export interface AccountServiceInfo {
    uri: string;
    accountsUri: string;
    rolesUri?: string;
    minPasswordLength?: number;
    maxPasswordLength?: number;
    /** Failed logins before an account locks; 0 or undefined = no lockout reported. */
    lockoutThreshold?: number;
    /** `RequireChangePasswordAction`: PATCH of Password refused, the ChangePassword action must be used. */
    requireChangePasswordAction: boolean;
}

/** One ManagerAccount. Properties the service does not expose are undefined. */
export interface RedfishAccount {
    uri: string;
    id: string;
    /** From the ETag header or `@odata.etag`; what If-Match must carry. */
    etag?: string;
    userName: string;
    roleId?: string;
    enabled?: boolean;
    locked?: boolean;
    passwordChangeRequired?: boolean;
    /** Undefined when the service does not expose AccountTypes. */
    accountTypes?: string[];
}

/** The Accounts collection and how it creates accounts. */
export interface AccountListing {
    /** `slot`: pre-filled members, create by PATCH; `collection`: POST/DELETE; `unknown`: no Allow header to tell. */
    model: "slot" | "collection" | "unknown";
    accounts: RedfishAccount[];
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** A ManagerAccount from its body (and the GET's headers, for the ETag). */
export function parseAccount(body: unknown, headers: Record<string, string | undefined> = {}, where?: Where & { path: string }): RedfishAccount {
    const b = (body ?? {}) as Record<string, unknown>;
    const uri = typeof b["@odata.id"] === "string" ? (b["@odata.id"] as string) : where?.path;
    if (!uri || typeof b.UserName !== "string") {
        throw badResponse("the account has no @odata.id or UserName", { host: where?.host ?? "", port: where?.port ?? 0, method: "GET", path: where?.path ?? "(account)" });
    }
    if (b["@Redfish.Settings"] !== undefined && where) {
        // Deferred-apply accounts exist in no vendor the provider knows: writing one would not take effect now.
        throw new CredentialsError("REDFISH_NOT_SUPPORTED", {
            message: `${uri} applies changes through a @Redfish.Settings object (deferred apply), which the provider does not handle`,
            hint: "report this with the BMC model and firmware version",
            context: { host: where.host, port: where.port },
        });
    }
    const etag = headers.etag ?? (typeof b["@odata.etag"] === "string" ? (b["@odata.etag"] as string) : undefined);
    return {
        uri,
        id: typeof b.Id === "string" ? b.Id : uri.split("/").pop()!,
        ...(etag ? { etag } : {}),
        userName: b.UserName,
        ...(typeof b.RoleId === "string" ? { roleId: b.RoleId } : {}),
        ...(typeof b.Enabled === "boolean" ? { enabled: b.Enabled } : {}),
        ...(typeof b.Locked === "boolean" ? { locked: b.Locked } : {}),
        ...(typeof b.PasswordChangeRequired === "boolean" ? { passwordChangeRequired: b.PasswordChangeRequired } : {}),
        ...(Array.isArray(b.AccountTypes) ? { accountTypes: b.AccountTypes.filter((t): t is string => typeof t === "string") } : {}),
    };
}

/** Reads the AccountService the root names. */
export async function readAccountService(session: RedfishSession, root: ServiceRoot, where: Where): Promise<AccountServiceInfo> {
    const res = await session.get(root.accountServiceUri, "reading the AccountService");
    const b = (res.body ?? {}) as Record<string, unknown>;
    const accountsUri = (b.Accounts as { "@odata.id"?: unknown } | undefined)?.["@odata.id"];
    if (typeof accountsUri !== "string") {
        throw badResponse("the AccountService has no Accounts collection", { ...where, method: "GET", path: root.accountServiceUri });
    }
    const rolesUri = (b.Roles as { "@odata.id"?: unknown } | undefined)?.["@odata.id"];
    return {
        uri: root.accountServiceUri,
        accountsUri,
        ...(typeof rolesUri === "string" ? { rolesUri } : {}),
        ...(num(b.MinPasswordLength) !== undefined ? { minPasswordLength: num(b.MinPasswordLength) } : {}),
        ...(num(b.MaxPasswordLength) !== undefined ? { maxPasswordLength: num(b.MaxPasswordLength) } : {}),
        ...(num(b.AccountLockoutThreshold) !== undefined ? { lockoutThreshold: num(b.AccountLockoutThreshold) } : {}),
        requireChangePasswordAction: b.RequireChangePasswordAction === true,
    };
}

/** The model a collection's `Allow` header says: no POST → slots. */
export function modelFromAllow(allow: string | undefined): AccountListing["model"] {
    if (allow === undefined) return "unknown";
    const methods = allow.split(",").map((m) => m.trim().toUpperCase());
    return methods.includes("POST") ? "collection" : "slot";
}

/**
 * Lists every account with its properties: one request when the service expands (`$expand=.($levels=1)`), else the
 * collection plus one GET per member. Member ETags come from `@odata.etag` where the body carries one; writers GET the
 * member again right before a PATCH anyway (the tag must be fresh).
 */
export async function listAccounts(session: RedfishSession, svc: AccountServiceInfo, root: ServiceRoot, where: Where): Promise<AccountListing> {
    const path = root.expand ? `${svc.accountsUri}?$expand=.($levels=1)` : svc.accountsUri;
    const res = await session.get(path, "listing the accounts");
    const members = (res.body as { Members?: unknown } | undefined)?.Members;
    if (!Array.isArray(members)) {
        throw badResponse("the Accounts collection has no Members", { ...where, method: "GET", path });
    }
    const accounts: RedfishAccount[] = [];
    for (const m of members) {
        const uri = (m as { "@odata.id"?: unknown })?.["@odata.id"];
        if (typeof uri !== "string") continue;
        if (typeof (m as { UserName?: unknown }).UserName === "string") {
            accounts.push(parseAccount(m, {}, { ...where, path: uri }));
        } else {
            const one = await readAccount(session, uri, where);
            if (one) accounts.push(one);
        }
    }
    return { model: modelFromAllow(res.headers.allow), accounts };
}

/** One account with a fresh ETag; undefined when the BMC says it does not exist (404). */
export async function readAccount(session: RedfishSession, uri: string, where: Where): Promise<RedfishAccount | undefined> {
    const res: HttpResponse = await session.get(uri, "reading the account", [404]);
    if (res.status === 404) return undefined;
    return parseAccount(res.body, res.headers, { ...where, path: uri });
}

/** Role Ids the service lists under AccountService/Roles (the last segment of each member URI). */
export async function listRoles(session: RedfishSession, svc: AccountServiceInfo): Promise<string[]> {
    if (!svc.rolesUri) return [];
    const res = await session.get(svc.rolesUri, "listing the roles");
    const members = (res.body as { Members?: unknown } | undefined)?.Members;
    if (!Array.isArray(members)) return [];
    return members.map((m) => (m as { "@odata.id"?: unknown })?.["@odata.id"]).filter((u): u is string => typeof u === "string").map((u) => decodeURIComponent(u.replace(/\/$/, "").split("/").pop()!));
}

/** The member whose UserName is exactly `name` (Redfish UserName only: iLO's Oem.Hpe.LoginName is a display name). */
export function findByUserName(accounts: readonly RedfishAccount[], name: string): RedfishAccount | undefined {
    return accounts.find((a) => a.userName === name);
}

/**
 * The slot a slot-model service can give a new account: an empty `UserName` *and* not enabled (a disabled account that
 * still has a name belongs to someone), never Id 1 (iDRAC reserves it; XCC keeps its default account there; Dell's
 * Terraform provider and bmclib skip it too), the lowest numeric Id first.
 */
export function freeSlot(accounts: readonly RedfishAccount[]): RedfishAccount | undefined {
    return accounts
        .filter((a) => a.userName === "" && a.enabled !== true && a.id !== "1")
        .sort((a, b) => idOrder(a.id) - idOrder(b.id))[0];
}

/** Whether a collection whose Allow header said nothing looks pre-filled (an empty-named member exists). */
export function looksSlotted(accounts: readonly RedfishAccount[]): boolean {
    return accounts.some((a) => a.userName === "");
}

function idOrder(id: string): number {
    const n = Number(id);
    return Number.isInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}
