/**
 * The credential chain of `BmsPassword`, in one documented order (the order of terraform-provider-huaweicloud's
 * "Authentication" section):
 *
 * 1. static credentials in stack config — `huaweicloud:accessKey` + `secretKey` (+ `securityToken`), or `token`;
 * 2. the same in the environment — `HW_ACCESS_KEY` + `HW_SECRET_KEY` (+ `HW_SECURITY_TOKEN`), or `HW_AUTH_TOKEN`;
 * 3. KooCLI's shared configuration file, when `sharedConfigFile`/`profile` (or `HW_SHARED_CONFIG_FILE`/`HW_PROFILE`)
 *    ask for it;
 * 4. the ECS metadata service's temporary credentials (`http://169.254.169.254/openstack/latest/securitykey`), when
 *    none of the above has any;
 *
 * and, on top of whichever answered, an IAM agency (`assumeRole`, `agencyName`/`agencyDomainName`, the `HW_ASSUME_ROLE_*`
 * variables or the profile's agency): the credentials found are exchanged for the agency's temporary ones through IAM
 * `POST /v3.0/OS-CREDENTIAL/securitytokens`.
 *
 * Temporary credentials that this provider obtains itself (metadata, agency) are renewed before they expire — ten
 * minutes before, or halfway through a shorter lifetime — by whichever request needs them first, once for all the
 * resources of the process. Temporary credentials given to it (a security token in config, the environment or the
 * shared file) cannot be renewed by it; when the gateway rejects them, the error names their source.
 */

import { createHash } from "crypto";
import { CredentialsError } from "../../shared/errors";
import { registerSecrets } from "../../shared/redact";
import { withRetry } from "../../shared/retry";
import type { HttpTransport } from "./http";
import type { AgencySpec, HuaweiSettings } from "./settings";
import { parseSharedConfig, type SharedProfile } from "./sharedConfig";
import type { AkSkCredentials } from "./signer";

/** How requests are authenticated. AK/SK signing is Huawei's recommendation; an IAM token is the alternative. */
export type HuaweiAuth = { kind: "aksk"; credentials: AkSkCredentials } | { kind: "token"; token: string };

/** Where credentials come from, and the credentials of the moment. */
export interface CredentialProvider {
    /** Names the source, never a value: `HW_ACCESS_KEY/HW_SECRET_KEY (environment)`. */
    readonly source: string;
    /** Identifies the credentials for caches without revealing them (a hash, or the source of renewing ones). */
    readonly cacheKey: string;
    /** The credentials to sign the next request with; renewed first when they are about to expire. */
    get(): Promise<HuaweiAuth>;
    /** The gateway rejected them: fetch afresh on the next `get`. False when nothing can change (given credentials). */
    invalidate(): boolean;
}

/** Temporary credentials and when they stop working. */
export interface Lease {
    credentials: Required<AkSkCredentials>;
    /** Epoch milliseconds. */
    expiresAt: number;
}

/** Renew this long before expiry at the latest (terraform-provider-huaweicloud uses the same ten minutes). */
export const RENEW_BEFORE_MS = 10 * 60 * 1000;
/** Never ask the source again sooner than this after a fetch, even when it hands out short-lived credentials. */
const MIN_REFETCH_MS = 30 * 1000;

function fingerprint(...parts: string[]): string {
    return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 16);
}

/** Credentials given to the provider: never change, cannot be renewed. */
export class FixedCredentials implements CredentialProvider {
    readonly cacheKey: string;

    constructor(
        private readonly auth: HuaweiAuth,
        readonly source: string,
    ) {
        registerSecrets(...(auth.kind === "token" ? [auth.token] : [auth.credentials.accessKey, auth.credentials.secretKey, auth.credentials.securityToken]));
        this.cacheKey = `fixed:${auth.kind === "token" ? fingerprint(auth.token) : fingerprint(auth.credentials.accessKey, auth.credentials.secretKey, auth.credentials.securityToken ?? "")}`;
    }

    async get(): Promise<HuaweiAuth> {
        return this.auth;
    }

    invalidate(): boolean {
        return false;
    }
}

/**
 * Temporary credentials this provider obtains itself. Concurrent callers share one fetch; a failed renewal keeps the
 * current lease while it is still valid (with 30 s to spare) and is tried again by the next request.
 */
export class RenewingCredentials implements CredentialProvider {
    private lease?: Lease & { obtainedAt: number };
    private pending?: Promise<Lease>;

    constructor(
        readonly source: string,
        readonly cacheKey: string,
        private readonly fetch: () => Promise<Lease>,
        private readonly now: () => number,
        private readonly log: (line: string) => void,
    ) {}

    /** When the current lease should be replaced. */
    renewAt(lease: Lease & { obtainedAt: number }): number {
        const margin = Math.min(RENEW_BEFORE_MS, (lease.expiresAt - lease.obtainedAt) / 2);
        return Math.max(lease.expiresAt - margin, lease.obtainedAt + MIN_REFETCH_MS);
    }

    async get(): Promise<HuaweiAuth> {
        const now = this.now();
        if (!this.lease || now >= this.renewAt(this.lease)) {
            try {
                await this.renew();
            } catch (e) {
                if (!this.lease || now >= this.lease.expiresAt - MIN_REFETCH_MS) {
                    throw e;
                }
                this.log(`huaweicloud: renewing the credentials from ${this.source} failed; the current ones stay valid until ${new Date(this.lease.expiresAt).toISOString()} (${e instanceof Error ? e.message : String(e)})`);
            }
        }
        return { kind: "aksk", credentials: this.lease!.credentials };
    }

    private async renew(): Promise<void> {
        this.pending ??= this.fetch().finally(() => {
            this.pending = undefined;
        });
        const obtainedAt = this.now();
        const lease = await this.pending;
        registerSecrets(lease.credentials.accessKey, lease.credentials.secretKey, lease.credentials.securityToken);
        this.lease = { ...lease, obtainedAt };
    }

    invalidate(): boolean {
        this.lease = undefined;
        return true;
    }

    /** When the current lease expires (tests, logs). */
    get expiresAt(): number | undefined {
        return this.lease?.expiresAt;
    }
}

const CACHE_KEY = Symbol.for("pulumi-bmc-credentials.huaweicloud.renewing");

/** Renewing providers live once per process, shared by every resource (one renewal for all of them). */
function shared(key: string, create: () => RenewingCredentials): RenewingCredentials {
    const g = globalThis as unknown as Record<symbol, Map<string, RenewingCredentials> | undefined>;
    const cache = (g[CACHE_KEY] ??= new Map());
    let p = cache.get(key);
    if (!p) {
        p = create();
        cache.set(key, p);
    }
    return p;
}

/** Forgets every renewing provider (tests). */
export function clearCredentialCache(): void {
    (globalThis as unknown as Record<symbol, Map<string, RenewingCredentials> | undefined>)[CACHE_KEY]?.clear();
}

/** Parses `expires_at` ("2026-01-01T00:00:00.000000Z"); undefined when unusable. */
function parseExpiry(v: unknown): number | undefined {
    if (typeof v !== "string") {
        return undefined;
    }
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
    return Number.isNaN(ms) ? undefined : ms;
}

/** `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`: the shape of both the metadata and IAM answers. */
export function leaseFromBody(body: string, what: string): Lease {
    let doc: unknown;
    try {
        doc = JSON.parse(body);
    } catch {
        throw new CredentialsError("HWC_CREDENTIALS_MISSING", { message: `${what} answered with something that is not JSON`, hint: "check the address; the answer must be {\"credential\": {…}}" });
    }
    const c = ((doc as Record<string, unknown> | null)?.credential ?? {}) as Record<string, unknown>;
    const expiresAt = parseExpiry(c.expires_at);
    if (typeof c.access !== "string" || typeof c.secret !== "string" || typeof c.securitytoken !== "string" || c.access === "" || c.secret === "" || expiresAt === undefined) {
        throw new CredentialsError("HWC_CREDENTIALS_MISSING", { message: `${what} answered without a complete credential (access, secret, securitytoken, expires_at)`, hint: "on an ECS, attach an agency to the server (ECS console → Management Information → Agency)" });
    }
    registerSecrets(c.access, c.secret, c.securitytoken);
    return { credentials: { accessKey: c.access, secretKey: c.secret, securityToken: c.securitytoken }, expiresAt };
}

/** The default address of the ECS metadata service's temporary credentials. */
export const METADATA_URL = "http://169.254.169.254/openstack/latest/securitykey";

/** What the chain needs from outside: files, the metadata service, IAM. Injectable for tests. */
export interface ChainDeps {
    /** Reads a file as UTF-8 (the shared config file); throws like `fs.readFileSync`. */
    readFile: (path: string) => string;
    /** Home directory for `~` and the default `~/.hcloud/config.json`. */
    homeDir: string;
    /** Where the ECS metadata service's temporary credentials are fetched. */
    metadataUrl: string;
    /** Direct transport (never proxied: the metadata service is link-local) and a clock. */
    transport: HttpTransport;
    now: () => number;
    sleep: (ms: number) => Promise<void>;
    log: (line: string) => void;
    timeoutMs: number;
    /** Exchanges `base` for the agency's temporary credentials (IAM `securitytokens`). */
    assumeAgency: (base: CredentialProvider, agency: AgencySpec) => Promise<Lease>;
    /** Where IAM is, for the cache key of agency credentials. */
    iamEndpoint: string;
}

/** The chain's answer: the provider to sign with, and the shared profile when one was read (region, project id). */
export interface ResolvedChain {
    provider: CredentialProvider;
    profile?: SharedProfile;
    agency?: AgencySpec;
}

/** `~/x` → `<home>/x`, as the official provider expands its file settings. */
export function expandHome(path: string, homeDir: string): string {
    return path === "~" || path.startsWith("~/") ? `${homeDir}${path.slice(1)}` : path;
}

function readSharedProfile(settings: NonNullable<HuaweiSettings["sharedConfig"]>, deps: ChainDeps): SharedProfile {
    const path = expandHome(settings.path ?? "~/.hcloud/config.json", deps.homeDir);
    let text: string;
    try {
        text = deps.readFile(path);
    } catch (e) {
        const code = (e as { code?: unknown }).code;
        throw new CredentialsError("HWC_CREDENTIALS_MISSING", {
            message: `the shared config file ${path} (asked for by ${settings.source}) cannot be read${typeof code === "string" ? ` (${code})` : ""}`,
            hint: "check huaweicloud:sharedConfigFile / HW_SHARED_CONFIG_FILE (default ~/.hcloud/config.json, written by KooCLI's `hcloud configure`)",
            context: { sharedConfigFile: path },
        });
    }
    const profile = parseSharedConfig(text, path, settings.profile);
    registerSecrets(profile.accessKey, profile.secretKey, profile.securityToken);
    return profile;
}

async function fetchMetadataLease(deps: ChainDeps): Promise<Lease> {
    const res = await withRetry(
        () => deps.transport({ method: "GET", url: deps.metadataUrl, headers: {}, body: "", timeoutMs: Math.min(deps.timeoutMs, 5_000) }),
        { attempts: 2, baseDelayMs: 500, maxDelayMs: 2_000, sleep: deps.sleep, isTransient: () => true },
    ).catch((e: unknown) => {
        const code = (e as { code?: unknown })?.code;
        throw new CredentialsError("HWC_CREDENTIALS_MISSING", {
            message: `no Huawei Cloud credentials: none in stack config (huaweicloud:accessKey/secretKey or huaweicloud:token), none in the environment (HW_ACCESS_KEY/HW_SECRET_KEY or HW_AUTH_TOKEN), no shared config file asked for, and the ECS metadata service at ${deps.metadataUrl} did not answer${typeof code === "string" ? ` (${code})` : ""}`,
            hint: "set huaweicloud:accessKey and huaweicloud:secretKey (pulumi config set --secret …), or HW_ACCESS_KEY and HW_SECRET_KEY, or huaweicloud:profile for KooCLI's config file; on an ECS, attach an agency to the server",
            cause: e,
        });
    });
    if (res.status !== 200) {
        throw new CredentialsError("HWC_CREDENTIALS_MISSING", {
            message: `the ECS metadata service at ${deps.metadataUrl} answered HTTP ${res.status}`,
            hint: "attach an agency to this ECS (the metadata service hands out its temporary credentials), or configure credentials",
        });
    }
    return leaseFromBody(res.body, `the ECS metadata service at ${deps.metadataUrl}`);
}

/** Resolves the chain described at the top of this file. Reads the shared file when asked; fetches nothing yet. */
export function resolveChain(settings: HuaweiSettings, deps: ChainDeps): ResolvedChain {
    let base: CredentialProvider;
    let profile: SharedProfile | undefined;
    const c = settings.credentials;
    if (c) {
        base = new FixedCredentials(c.kind === "token" ? { kind: "token", token: c.token } : { kind: "aksk", credentials: { accessKey: c.accessKey, secretKey: c.secretKey, ...(c.securityToken ? { securityToken: c.securityToken } : {}) } }, c.source);
    } else if (settings.sharedConfig) {
        profile = readSharedProfile(settings.sharedConfig, deps);
        base = new FixedCredentials({ kind: "aksk", credentials: { accessKey: profile.accessKey, secretKey: profile.secretKey, ...(profile.securityToken ? { securityToken: profile.securityToken } : {}) } }, profile.source);
    } else {
        const source = `the ECS metadata service (${deps.metadataUrl})`;
        base = shared(`metadata:${deps.metadataUrl}`, () => new RenewingCredentials(source, `metadata:${deps.metadataUrl}`, () => fetchMetadataLease(deps), deps.now, deps.log));
    }
    const agency =
        settings.agency ??
        (profile?.agencyName && profile.agencyDomainName ? { agencyName: profile.agencyName, domainName: profile.agencyDomainName, source: `${profile.source} agencyName/agencyDomainName` } : undefined);
    if (!agency) {
        return { provider: base, ...(profile ? { profile } : {}) };
    }
    const key = `agency:${fingerprint(deps.iamEndpoint, agency.domainName, agency.agencyName)}:${base.cacheKey}`;
    const source = `agency ${agency.domainName}/${agency.agencyName} (${agency.source}) assumed with ${base.source}`;
    const provider = shared(key, () => new RenewingCredentials(source, key, () => deps.assumeAgency(base, agency), deps.now, deps.log));
    return { provider, ...(profile ? { profile } : {}), agency };
}
