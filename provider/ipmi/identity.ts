/**
 * Which vendor's BMC this is: Get Device ID's manufacturer id, read once per BMC per provider process inside the admin
 * session an operation opens anyway, and the {@link VendorProfile} it selects.
 *
 * Why a round trip of our own: ipmitool already sends Get Device ID while opening a lanplus session (its OEM
 * detection), but prints the result ("Iana: N") only at `-vv`, which also prints the session keys and the RAKP 2 HMAC
 * (an offline-crackable hash of the password, CVE-2013-4786). Harvesting it would put that material into the
 * provider's memory and error paths, so the provider asks once itself and caches the answer.
 */

import { isCredentialsError } from "../shared/errors";
import { forgetLanChannel } from "./accounts";
import { OperationOptions, withAdminSession } from "./login";
import { BmcLogin, bmcKey, resolveLogin } from "./target";
import { decodeDeviceId, getDeviceId } from "./commands";
import type { IpmiSession } from "./session";
import { VendorName, VendorProfile, profileFor, profileNamed } from "./vendors";

/** What the provider knows about a BMC's maker. */
export interface BmcIdentity {
    /** IANA enterprise number from Get Device ID; undefined when the BMC did not answer it. */
    manufacturerId?: number;
    /** The profile detected from `manufacturerId` (generic when unknown). */
    detected: VendorProfile;
    /** The profile applied: `detected`, unless the resource names one with `vendorProfile`. */
    profile: VendorProfile;
}

const CACHE_KEY = Symbol.for("pulumi-bmc-credentials.identities");

/** Manufacturer ids per BMC for this provider process, shared by every copy of the module (like the per-BMC lock). */
function cache(): Map<string, number> {
    const g = globalThis as unknown as Record<symbol, Map<string, number> | undefined>;
    return (g[CACHE_KEY] ??= new Map());
}

/**
 * Cache key: the BMC as reached from here ({@link bmcKey}: the address contacted and the port, and the jump host or
 * in-band host when there is one), so two names of one address share an identity and two paths to the same address
 * never do.
 */
export function identityKey(login: Pick<BmcLogin, "host" | "port" | "ssh" | "inband" | "address">): string {
    return `${bmcKey(login)}:${login.inband ? "open" : "lanplus"}`;
}

/** Forgets a BMC's identity, so the next operation reads it again. */
export function forgetIdentity(key: string): void {
    cache().delete(key);
}

/** Login failures after which the address may well answer for another BMC (replaced board, moved address). */
const IDENTITY_RESETTING = new Set(["BMC_LOGIN_REJECTED", "BMC_UNREACHABLE", "BMC_DNS_FAILED", "BMC_CIPHER_REFUSED"]);

/**
 * The BMC's identity: from the cache, or by one Get Device ID in `session`. A passing failure (busy, 0xFF, stall) is
 * thrown, so the operation retries as for any other command; any other failure (a BMC that does not implement the
 * mandatory command) yields the generic profile and is not cached.
 */
export async function identify(session: IpmiSession, key: string, declared: VendorName | "auto" = "auto"): Promise<BmcIdentity> {
    let manufacturerId = cache().get(key);
    if (manufacturerId === undefined) {
        const [r] = await session.run([getDeviceId()]);
        if (!r.ok && r.error.transient) {
            throw r.error;
        }
        if (r.ok && r.data.length >= 11) {
            manufacturerId = decodeDeviceId(r.data).manufacturerId;
            cache().set(key, manufacturerId);
        }
    }
    const detected = profileFor(manufacturerId);
    return { manufacturerId, detected, profile: declared === "auto" ? detected : profileNamed(declared) };
}

/** Options of {@link withIdentifiedSession}. */
export interface IdentifiedOptions extends OperationOptions {
    /** The resource's `vendorProfile` input. */
    declaredVendor?: VendorName | "auto";
}

/**
 * {@link withAdminSession} that first establishes the BMC's identity inside the same session (no extra login), and
 * forgets a cached identity when the login fails in a way that suggests another BMC now answers at the address.
 */
export async function withIdentifiedSession<T>(
    unresolved: BmcLogin,
    options: IdentifiedOptions,
    fn: (session: IpmiSession, identity: BmcIdentity, loginLabel: string, loginPassword: string) => Promise<T>,
): Promise<T> {
    const login = await resolveLogin(unresolved);
    const key = identityKey(login);
    try {
        return await withAdminSession(login, options, async (session, label, password) =>
            fn(session, await identify(session, key, options.declaredVendor), label, password),
        );
    } catch (e) {
        if (isCredentialsError(e) && IDENTITY_RESETTING.has(e.code)) {
            // Another board may answer at the address now: what was learnt about the old one goes together.
            forgetIdentity(key);
            forgetLanChannel(login);
        }
        throw e;
    }
}
