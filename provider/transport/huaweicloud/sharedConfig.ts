/**
 * KooCLI's shared configuration file (`~/.hcloud/config.json`, written by `hcloud configure`), read as the official
 * provider reads it (terraform-provider-huaweicloud `readConfig`):
 *
 * ```json
 * {"current": "default",
 *  "profiles": [{"name": "default", "mode": "AKSK", "accessKeyId": "…", "secretAccessKey": "…", "securityToken": "",
 *                "region": "cn-north-4", "projectId": "…", "agencyName": "", "agencyDomainName": "",
 *                "ssoAuth": {"stsToken": {"accessKeyId": "…", "secretAccessKey": "…", "securityToken": "…"}}}]}
 * ```
 *
 * The profile is the one named by `profile`, else `current`. In `SSO` mode the credentials are `ssoAuth.stsToken`'s.
 * KooCLI encrypts the keys unless `hcloud configure set --cli-auth-encrypt=false` was run; an encrypted profile has no
 * usable keys, and the error says so. Pure: parsing only; the caller reads the file.
 */

import { CredentialsError } from "../../shared/errors";

export interface SharedProfile {
    accessKey: string;
    secretKey: string;
    securityToken?: string;
    region?: string;
    projectId?: string;
    agencyName?: string;
    agencyDomainName?: string;
    /** `shared config file <path> (profile <name>)`: names the file and profile, never a value. */
    source: string;
}

function str(v: unknown): string | undefined {
    return typeof v === "string" && v !== "" ? v : undefined;
}

/** Parses the file's text and picks the profile; every failure names the file and profile, never a value. */
export function parseSharedConfig(text: string, path: string, profile: string | undefined): SharedProfile {
    const fail = (message: string, hint: string) => new CredentialsError("HWC_CREDENTIALS_MISSING", { message: `shared config file ${path}: ${message}`, hint, context: { sharedConfigFile: path } });
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch {
        throw fail("is not JSON", "point huaweicloud:sharedConfigFile / HW_SHARED_CONFIG_FILE at KooCLI's config.json");
    }
    const root = (doc && typeof doc === "object" ? doc : {}) as Record<string, unknown>;
    const wanted = profile ?? str(root.current);
    if (!wanted) {
        throw fail("names no current profile", "set huaweicloud:profile / HW_PROFILE to the profile to use");
    }
    const profiles = Array.isArray(root.profiles) ? (root.profiles as unknown[]) : [];
    const found = profiles.find((p) => p && typeof p === "object" && (p as Record<string, unknown>).name === wanted) as Record<string, unknown> | undefined;
    if (!found) {
        throw fail(`has no profile named ${wanted}`, "list the profiles with `hcloud configure list` and set huaweicloud:profile / HW_PROFILE");
    }
    const source = `shared config file ${path} (profile ${wanted})`;
    const sso = str(found.mode)?.toUpperCase() === "SSO";
    const keys = sso
        ? (((found.ssoAuth as Record<string, unknown> | undefined)?.stsToken ?? {}) as Record<string, unknown>)
        : found;
    const accessKey = str(keys.accessKeyId);
    const secretKey = str(keys.secretAccessKey);
    if (!accessKey || !secretKey) {
        throw fail(
            `profile ${wanted} has no plain access key and secret key${sso ? " in ssoAuth.stsToken" : ""}`,
            "KooCLI encrypts them by default: run `hcloud configure set --cli-auth-encrypt=false` and configure the profile again (or log in again for SSO)",
        );
    }
    const out: SharedProfile = { accessKey, secretKey, source };
    const optional: Array<[keyof SharedProfile, unknown]> = [
        ["securityToken", keys.securityToken],
        ["region", found.region],
        ["projectId", found.projectId],
        ["agencyName", found.agencyName],
        ["agencyDomainName", found.agencyDomainName],
    ];
    for (const [k, v] of optional) {
        const s = str(v);
        if (s !== undefined) {
            (out as unknown as Record<string, string>)[k] = s;
        }
    }
    return out;
}
