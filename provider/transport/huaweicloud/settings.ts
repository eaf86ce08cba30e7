/**
 * The Huawei Cloud settings of `BmsPassword`: stack config `huaweicloud:*` with the same keys and environment
 * variables as the official provider (`@huaweicloudos/pulumi`, generated from terraform-provider-huaweicloud), parsed
 * and checked in one place. Pure: the config map and the environment are parameters; no file or network is touched.
 *
 * Precedence of every setting: the stack config key, then its environment variables in the order listed. Credentials
 * are taken as a unit from the first source that has any (see {@link staticCredentials}); the rest of the chain
 * (shared config file, ECS metadata, agency) lives in `credentials.ts`. Errors name the key or variable and where it
 * came from, never its value.
 */

import { CredentialsError } from "../../shared/errors";

/** One setting: its stack config key (without the `huaweicloud:` namespace) and its environment variables. */
export interface SettingSpec {
    /** Environment variables consulted, in order, when the stack config lacks the key (the official provider's). */
    readonly env: readonly string[];
    /** The official provider's key in Terraform spelling (`access_key`), for the README's side-by-side table. */
    readonly terraform: string;
    /** Holds a secret: registered for redaction, never echoed. */
    readonly secret?: boolean;
}

/** Every `huaweicloud:*` key this provider reads. The env names are verified against terraform-provider-huaweicloud. */
export const SETTINGS = {
    accessKey: { env: ["HW_ACCESS_KEY", "OS_ACCESS_KEY"], terraform: "access_key", secret: true },
    secretKey: { env: ["HW_SECRET_KEY", "OS_SECRET_KEY"], terraform: "secret_key", secret: true },
    securityToken: { env: ["HW_SECURITY_TOKEN"], terraform: "security_token", secret: true },
    token: { env: ["HW_AUTH_TOKEN", "OS_AUTH_TOKEN"], terraform: "token", secret: true },
    region: { env: ["HW_REGION_NAME", "OS_REGION_NAME"], terraform: "region" },
    projectId: { env: ["HW_PROJECT_ID", "OS_PROJECT_ID"], terraform: "project_id" },
    cloud: { env: ["HW_CLOUD"], terraform: "cloud" },
    endpoints: { env: [], terraform: "endpoints" },
    sharedConfigFile: { env: ["HW_SHARED_CONFIG_FILE"], terraform: "shared_config_file" },
    profile: { env: ["HW_PROFILE"], terraform: "profile" },
    assumeRole: { env: ["HW_ASSUME_ROLE_AGENCY_NAME", "HW_ASSUME_ROLE_DOMAIN_NAME"], terraform: "assume_role" },
    agencyName: { env: ["OS_AGENCY_NAME"], terraform: "agency_name" },
    agencyDomainName: { env: ["OS_AGENCY_DOMAIN_NAME"], terraform: "agency_domain_name" },
    cacertFile: { env: ["OS_CACERT"], terraform: "cacert_file" },
    insecure: { env: ["HW_INSECURE", "OS_INSECURE"], terraform: "insecure" },
    maxRetries: { env: ["HW_MAX_RETRIES"], terraform: "max_retries" },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;

/**
 * `huaweicloud:authToken` is this provider's key from before it followed the official provider; it is still read, as
 * an alias of `huaweicloud:token`, so existing stacks keep working.
 */
export const DEPRECATED_ALIASES = { authToken: "token" } as const;

/** Stack config as `configure` read it: short keys (`accessKey`), raw values (strings, or objects for JSON keys). */
export type HuaweiConfig = Partial<Record<SettingKey | keyof typeof DEPRECATED_ALIASES, unknown>>;

export type Environment = Readonly<Record<string, string | undefined>>;

/** A value and where it came from, e.g. `huaweicloud:region (stack config)` or `HW_REGION_NAME (environment)`. */
export interface Sourced<T> {
    value: T;
    source: string;
}

export const DEFAULT_CLOUD = "myhuaweicloud.com";
/** The official provider's domain for `eu-west-1xx` regions. */
export const EUROPE_CLOUD = "myhuaweicloud.eu";
export const DEFAULT_MAX_RETRIES = 5;
export const MAX_MAX_RETRIES = 20;

/** Access key pair or IAM token from stack config or environment, with the source it came from. */
export type StaticCredentials =
    | { kind: "aksk"; accessKey: string; secretKey: string; securityToken?: string; source: string }
    | { kind: "token"; token: string; source: string };

export interface AgencySpec {
    agencyName: string;
    /** The account (domain) that created the agency. */
    domainName: string;
    source: string;
}

/** Everything `BmsPassword` takes from `huaweicloud:*` and the environment, parsed and checked. */
export interface HuaweiSettings {
    region?: Sourced<string>;
    projectId?: Sourced<string>;
    /** Domain the default endpoints are built on (`https://bms.{region}.{cloud}`). */
    cloud: string;
    /** `huaweicloud:endpoints` overrides, normalised to `https://host[:port]` without a trailing slash. */
    endpoints: { bms?: string; iam?: string };
    maxRetries: number;
    insecure: Sourced<boolean>;
    cacertFile?: Sourced<string>;
    /** Set when `sharedConfigFile` or `profile` is: the shared file is read only when asked for, as upstream. */
    sharedConfig?: { path?: string; profile?: string; source: string };
    agency?: AgencySpec;
    /** Credentials in stack config, else in the environment; undefined when neither has any. */
    credentials?: StaticCredentials;
}

function configLabel(key: string): string {
    return `huaweicloud:${key} (stack config)`;
}

function envLabel(name: string): string {
    return `${name} (environment)`;
}

function invalid(what: string, problem: string, hint: string): CredentialsError {
    return new CredentialsError("INVALID_INPUT", { message: `${what} ${problem}`, hint });
}

/** A non-empty string from the config map, or undefined. Objects and numbers are refused, naming the key. */
function configString(config: HuaweiConfig, key: SettingKey | "authToken"): string | undefined {
    const v = config[key];
    if (v === undefined || v === null || v === "") {
        return undefined;
    }
    if (typeof v !== "string") {
        throw invalid(configLabel(key), "must be a string", `set it with pulumi config set huaweicloud:${key} …`);
    }
    return v;
}

function envString(env: Environment, names: readonly string[]): Sourced<string> | undefined {
    for (const name of names) {
        const v = env[name];
        if (typeof v === "string" && v !== "") {
            return { value: v, source: envLabel(name) };
        }
    }
    return undefined;
}

/** Stack config key first, then its environment variables. */
function pick(config: HuaweiConfig, env: Environment, key: SettingKey): Sourced<string> | undefined {
    const fromConfig = configString(config, key);
    if (fromConfig !== undefined) {
        return { value: fromConfig, source: configLabel(key) };
    }
    return envString(env, SETTINGS[key].env);
}

function parseBool(raw: Sourced<string> | Sourced<unknown> | undefined, what: string): Sourced<boolean> {
    if (raw === undefined) {
        return { value: false, source: "default" };
    }
    const v = raw.value;
    if (typeof v === "boolean") {
        return { value: v, source: raw.source };
    }
    if (typeof v === "string" && /^(true|1)$/i.test(v.trim())) {
        return { value: true, source: raw.source };
    }
    if (typeof v === "string" && /^(false|0)$/i.test(v.trim())) {
        return { value: false, source: raw.source };
    }
    throw invalid(raw.source, "must be true or false", `set ${what} to true or false`);
}

function parseMaxRetries(raw: Sourced<unknown> | undefined): number {
    if (raw === undefined) {
        return DEFAULT_MAX_RETRIES;
    }
    const v = typeof raw.value === "string" ? raw.value.trim() : raw.value;
    const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > MAX_MAX_RETRIES) {
        throw invalid(raw.source, `must be a whole number from 0 to ${MAX_MAX_RETRIES}`, `maxRetries is how many times a throttled or failed call is retried (default ${DEFAULT_MAX_RETRIES})`);
    }
    return n;
}

/** Parses a JSON object given as a string (how Pulumi passes structured config) or as an object already. */
function configObject(config: HuaweiConfig, key: SettingKey): Record<string, unknown> | undefined {
    const v = config[key];
    if (v === undefined || v === null || v === "") {
        return undefined;
    }
    let parsed: unknown = v;
    if (typeof v === "string") {
        try {
            parsed = JSON.parse(v);
        } catch {
            throw invalid(configLabel(key), "is not a JSON object", `set it with pulumi config set --path or as a JSON object`);
        }
    }
    if (Array.isArray(parsed) && parsed.length === 1 && key === "assumeRole") {
        parsed = parsed[0];
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw invalid(configLabel(key), key === "assumeRole" ? "must be one object (role chains are not supported)" : "must be an object", "see the README's configuration table");
    }
    return parsed as Record<string, unknown>;
}

/** `https://host[:port]` from an endpoint override; a bare host gets `https://`, as upstream does. */
export function normaliseEndpoint(value: string, what: string): string {
    const withScheme = /^[a-z]+:\/\//i.test(value.trim()) ? value.trim() : `https://${value.trim()}`;
    let url: URL;
    try {
        url = new URL(withScheme);
    } catch {
        throw invalid(what, "is not a URL", "give a service root such as https://bms.cn-north-4.myhuaweicloud.com");
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))) {
        throw invalid(what, "must use https", "plain http is accepted only for 127.0.0.1/localhost (a local emulator)");
    }
    if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) {
        throw invalid(what, "must be a service root without user info, path or query", "e.g. https://bms.cn-north-4.myhuaweicloud.com");
    }
    return `${url.protocol}//${url.host}`;
}

function parseEndpoints(config: HuaweiConfig): HuaweiSettings["endpoints"] {
    const obj = configObject(config, "endpoints");
    const out: HuaweiSettings["endpoints"] = {};
    if (!obj) {
        return out;
    }
    for (const service of ["bms", "iam"] as const) {
        const v = obj[service];
        if (v === undefined || v === null) {
            continue;
        }
        if (typeof v !== "string" || v.trim() === "") {
            throw invalid(`huaweicloud:endpoints.${service} (stack config)`, "must be a non-empty string", "give a service root such as https://bms.cn-north-4.myhuaweicloud.com");
        }
        out[service] = normaliseEndpoint(v, `huaweicloud:endpoints.${service} (stack config)`);
    }
    // Other services' overrides are the official provider's business: accepted and ignored.
    return out;
}

function parseAgency(config: HuaweiConfig, env: Environment): AgencySpec | undefined {
    const obj = configObject(config, "assumeRole");
    if (obj) {
        const source = configLabel("assumeRole");
        for (const k of Object.keys(obj)) {
            if (!["agencyName", "domainName"].includes(k)) {
                throw invalid(`huaweicloud:assumeRole.${k} (stack config)`, "is not supported", "assumeRole takes agencyName and domainName (IAM v3 agencies); domainId, duration and role chains are not supported");
            }
        }
        if (typeof obj.agencyName !== "string" || obj.agencyName === "" || typeof obj.domainName !== "string" || obj.domainName === "") {
            throw invalid(source, "needs agencyName and domainName", "set both, e.g. {\"agencyName\":\"bms-operator\",\"domainName\":\"owner-account\"}");
        }
        return { agencyName: obj.agencyName, domainName: obj.domainName, source };
    }
    const name = configString(config, "agencyName");
    const domain = configString(config, "agencyDomainName");
    if (name !== undefined || domain !== undefined) {
        if (name === undefined || domain === undefined) {
            const [set, missing] = name === undefined ? ["agencyDomainName", "agencyName"] : ["agencyName", "agencyDomainName"];
            throw invalid(configLabel(set), `must be set together with huaweicloud:${missing}`, "set both or neither");
        }
        return { agencyName: name, domainName: domain, source: "huaweicloud:agencyName/agencyDomainName (stack config)" };
    }
    const envName = envString(env, ["HW_ASSUME_ROLE_AGENCY_NAME"]) ?? envString(env, ["OS_AGENCY_NAME"]);
    if (envName) {
        const domainVar = envName.source.startsWith("HW_") ? "HW_ASSUME_ROLE_DOMAIN_NAME" : "OS_AGENCY_DOMAIN_NAME";
        const envDomain = envString(env, [domainVar]);
        if (!envDomain) {
            throw invalid(envName.source, `is set without ${domainVar}`, `set ${domainVar} to the account that created the agency`);
        }
        return { agencyName: envName.value, domainName: envDomain.value, source: `${envName.source.split(" ")[0]}/${domainVar} (environment)` };
    }
    return undefined;
}

/**
 * Credentials in stack config, else in the environment — each source taken whole: a key from one place and a secret
 * from another is a mistake, not a combination. Within a source an IAM token wins over an access key, as upstream.
 */
export function staticCredentials(config: HuaweiConfig, env: Environment): StaticCredentials | undefined {
    const token = configString(config, "token");
    const alias = configString(config, "authToken");
    if (token !== undefined && alias !== undefined && token !== alias) {
        throw invalid("huaweicloud:token and huaweicloud:authToken (stack config)", "are both set and differ", "huaweicloud:authToken is a deprecated alias of huaweicloud:token: keep only huaweicloud:token");
    }
    const configToken = token ?? alias;
    const ak = configString(config, "accessKey");
    const sk = configString(config, "secretKey");
    const st = configString(config, "securityToken");
    if (configToken !== undefined) {
        return { kind: "token", token: configToken, source: configLabel(token !== undefined ? "token" : "authToken") };
    }
    if (ak !== undefined || sk !== undefined) {
        if (ak === undefined || sk === undefined) {
            throw new CredentialsError("HWC_CREDENTIALS_MISSING", {
                message: `only one of huaweicloud:accessKey and huaweicloud:secretKey is set in stack config (the ${ak === undefined ? "access key" : "secret key"} is missing)`,
                hint: "set both huaweicloud:accessKey and huaweicloud:secretKey (pulumi config set --secret huaweicloud:secretKey …)",
            });
        }
        return { kind: "aksk", accessKey: ak, secretKey: sk, ...(st !== undefined ? { securityToken: st } : {}), source: "huaweicloud:accessKey/secretKey (stack config)" };
    }
    const envToken = envString(env, SETTINGS.token.env);
    if (envToken) {
        return { kind: "token", token: envToken.value, source: envToken.source };
    }
    const envAk = envString(env, SETTINGS.accessKey.env);
    const envSk = envString(env, SETTINGS.secretKey.env);
    if (envAk || envSk) {
        if (!envAk || !envSk) {
            throw new CredentialsError("HWC_CREDENTIALS_MISSING", {
                message: `only one of HW_ACCESS_KEY and HW_SECRET_KEY is set in the environment (the ${envAk ? "secret key" : "access key"} is missing)`,
                hint: "set huaweicloud:accessKey and huaweicloud:secretKey in stack config, or HW_ACCESS_KEY and HW_SECRET_KEY in the environment",
            });
        }
        const envSt = envString(env, SETTINGS.securityToken.env);
        const names = `${envAk.source.split(" ")[0]}/${envSk.source.split(" ")[0]}`;
        return { kind: "aksk", accessKey: envAk.value, secretKey: envSk.value, ...(envSt ? { securityToken: envSt.value } : {}), source: `${names} (environment)` };
    }
    return undefined;
}

/** Every secret value the settings hold, for the redaction registry. */
export function settingSecrets(config: HuaweiConfig, env: Environment): string[] {
    const out: string[] = [];
    for (const [key, spec] of Object.entries(SETTINGS) as Array<[SettingKey, SettingSpec]>) {
        if (!spec.secret) {
            continue;
        }
        const v = config[key];
        if (typeof v === "string") {
            out.push(v);
        }
        for (const name of spec.env) {
            const e = env[name];
            if (typeof e === "string") {
                out.push(e);
            }
        }
    }
    if (typeof config.authToken === "string") {
        out.push(config.authToken);
    }
    return out;
}

/** Parses and checks every setting; throws `INVALID_INPUT` naming the key and its source for a malformed one. */
export function resolveSettings(config: HuaweiConfig, env: Environment): HuaweiSettings {
    const region = pick(config, env, "region");
    const cloudRaw = pick(config, env, "cloud");
    const cloud = cloudRaw?.value.trim().replace(/^https?:\/\//, "").replace(/\/+$/, "") ?? (region?.value.startsWith("eu-west-1") ? EUROPE_CLOUD : DEFAULT_CLOUD);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(cloud)) {
        throw invalid(cloudRaw?.source ?? "huaweicloud:cloud", "must be a domain name such as myhuaweicloud.com", "cloud is the domain the BMS and IAM endpoints are built on");
    }
    const maxRetriesRaw: Sourced<unknown> | undefined =
        config.maxRetries !== undefined && config.maxRetries !== "" ? { value: config.maxRetries, source: configLabel("maxRetries") } : envString(env, SETTINGS.maxRetries.env);
    const insecureRaw: Sourced<unknown> | undefined =
        config.insecure !== undefined && config.insecure !== "" ? { value: config.insecure, source: configLabel("insecure") } : envString(env, SETTINGS.insecure.env);
    const sharedPath = pick(config, env, "sharedConfigFile");
    const profile = pick(config, env, "profile");
    const settings: HuaweiSettings = {
        cloud,
        endpoints: parseEndpoints(config),
        maxRetries: parseMaxRetries(maxRetriesRaw),
        insecure: parseBool(insecureRaw, "insecure"),
    };
    if (region) {
        settings.region = region;
    }
    const projectId = pick(config, env, "projectId");
    if (projectId) {
        settings.projectId = projectId;
    }
    const cacert = pick(config, env, "cacertFile");
    if (cacert) {
        settings.cacertFile = cacert;
    }
    if (sharedPath || profile) {
        settings.sharedConfig = {
            ...(sharedPath ? { path: sharedPath.value } : {}),
            ...(profile ? { profile: profile.value } : {}),
            source: [sharedPath?.source, profile?.source].filter(Boolean).join(" and "),
        };
    }
    const agency = parseAgency(config, env);
    if (agency) {
        settings.agency = agency;
    }
    const credentials = staticCredentials(config, env);
    if (credentials) {
        settings.credentials = credentials;
    }
    return settings;
}
