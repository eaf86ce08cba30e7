/**
 * `BmsPassword`: the OS password of a Huawei Cloud Bare Metal Server, set through the one-click reset API.
 *
 * ```ts
 * new BmsPassword("web-01-root", { serverId: "77616c78-…", password: cfg.requireSecret("rootPw"), restart: "hard" });
 * ```
 *
 * Credentials and connection settings are the official provider's `huaweicloud:*` stack config keys (`accessKey`,
 * `secretKey`, `securityToken`, `token`, `region`, `projectId`, `cloud`, `endpoints`, `sharedConfigFile`, `profile`,
 * `assumeRole`, `agencyName`, `agencyDomainName`, `cacertFile`, `insecure`, `maxRetries`) and its environment variables
 * (`HW_ACCESS_KEY`, `HW_SECRET_KEY`, …), then KooCLI's shared file and the ECS metadata service, with an agency on
 * top — see the README's configuration section. They are never resource inputs.
 */

import * as pulumi from "@pulumi/pulumi";
import * as bmsPasswordProvider from "./provider";

export interface BmsPasswordArgs {
    /** Id (UUID) of the bare-metal server whose OS password is reset. Changing it replaces the resource. */
    serverId: pulumi.Input<string>;
    /**
     * The new password of the management account (`root` on Linux, `Administrator` on Windows). Always stored as a
     * secret. Must meet the documented rules: 8–26 characters, three of upper/lower/digit/special, specials from the
     * OS's set, no user name or reversed user name, and on Windows no run of three user-name characters. The API
     * checks none of them, so the provider does. A change resets the password again.
     */
    password: pulumi.Input<string>;
    /**
     * Project id of the region. Default: `huaweicloud:projectId`, then `HW_PROJECT_ID`, then an IAM lookup by region.
     * Changing an explicitly set project id replaces the resource.
     */
    projectId?: pulumi.Input<string>;
    /**
     * Region, e.g. `cn-north-4`. Default: `huaweicloud:region`, then `HW_REGION_NAME`, then the shared profile's.
     * Selects the endpoint (`https://bms.{region}.{cloud}`).
     */
    region?: pulumi.Input<string>;
    /**
     * BMS endpoint. Default: `huaweicloud:endpoints.bms`, else `https://bms.{region}.{cloud}` (`cloud` default
     * `myhuaweicloud.com`, `.eu` for `eu-west-1xx`). Overrides the region for routing; IAM calls (project lookup,
     * agency) then go to the same endpoint unless `huaweicloud:endpoints.iam` is set. `http://` only for loopback
     * (the emulator).
     */
    endpoint?: pulumi.Input<string>;
    /**
     * Which OS's password rules apply. Default `auto`: read `server.metadata.os_type` during create/update, so the
     * OS-specific rules are checked then rather than at preview.
     */
    osType?: pulumi.Input<"auto" | "linux" | "windows">;
    /**
     * Whether to make the password take effect. `never` (default): reset only; the password applies at the next
     * start or restart and `pendingRestart` stays true. `hard`: HARD reboot (a power cycle — soft reboot is documented
     * as not effective) and wait for the job; a stopped server is left stopped.
     */
    restart?: pulumi.Input<"never" | "hard">;
    /** Management account name used by the user-name password rules. Default `root` (Linux) / `Administrator` (Windows). */
    username?: pulumi.Input<string>;
}

export class BmsPassword extends pulumi.dynamic.Resource {
    /** The server's id; also the resource id. */
    declare public readonly serverId: pulumi.Output<string>;
    /** Resolved project id. */
    declare public readonly projectId: pulumi.Output<string>;
    declare public readonly region: pulumi.Output<string | undefined>;
    declare public readonly endpoint: pulumi.Output<string | undefined>;
    /** The OS whose rules were applied (`linux` / `windows`). */
    declare public readonly osType: pulumi.Output<"linux" | "windows">;
    /** The `osType` input as given. */
    declare public readonly requestedOsType: pulumi.Output<"auto" | "linux" | "windows">;
    declare public readonly username: pulumi.Output<string | undefined>;
    declare public readonly restart: pulumi.Output<"never" | "hard">;
    /** ISO time the reset API last accepted a new password. */
    declare public readonly resetAt: pulumi.Output<string>;
    /** True until a restart after the reset is confirmed; the password is not in effect before. */
    declare public readonly pendingRestart: pulumi.Output<boolean>;
    /** Last seen `os-resetpwd-flag`. */
    declare public readonly resetSupported: pulumi.Output<boolean>;
    /** Last seen server status (`ACTIVE`, `SHUTOFF`, …). */
    declare public readonly serverStatus: pulumi.Output<string>;
    /** Job id of the last HARD reboot. */
    declare public readonly restartJobId: pulumi.Output<string | undefined>;
    /** Salted HMAC of the password (secret); detects input changes. The password itself cannot be read back. */
    declare public readonly passwordDigest: pulumi.Output<string>;
    /** Plain statement that the OS password cannot be read back and when it takes effect. */
    declare public readonly passwordNote: pulumi.Output<string>;
    declare public readonly schemaVersion: pulumi.Output<number>;

    constructor(name: string, args: BmsPasswordArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            bmsPasswordProvider,
            name,
            {
                ...args,
                password: pulumi.secret(args.password),
                requestedOsType: undefined,
                resetAt: undefined,
                pendingRestart: undefined,
                resetSupported: undefined,
                serverStatus: undefined,
                restartJobId: undefined,
                passwordDigest: undefined,
                passwordNote: undefined,
                schemaVersion: undefined,
            },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password", "passwordDigest"] },
            "huaweicloud",
            "BmsPassword",
        );
    }
}
