/**
 * `BmcUser`: a user account on a BMC, converged over IPMI v2.0 LAN (RMCP+ spoken by the provider itself, or ipmitool;
 * `bmc.transport`) or, with `bmc.protocol: "redfish"`, over the BMC's Redfish AccountService (HTTPS, certificate pinned).
 *
 * `pulumi up` creates or adopts the account and sets its name, password, privilege on the LAN channel, access flags and
 * enable state in one BMC session, reads the slot back, then proves the password by logging in as the user.
 * `pulumi refresh` reads only the managed slot and re-proves the password, so drift in any field shows up.
 * `pulumi destroy` disables the account, removes its access, scrambles its password and clears its name (over Redfish:
 * DELETE on services that create accounts by POST).
 */

import * as pulumi from "@pulumi/pulumi";
import * as bmcUserProvider from "./provider";

/** Privilege limit on the LAN channel, from the least to the most powerful. `no-access` keeps the account but bars logins. */
export type BmcPrivilege = "callback" | "user" | "operator" | "administrator" | "no-access";

/** How to reach and log in to the BMC. The login needs administrator privilege to manage users. */
export interface BmcConnectionArgs {
    /**
     * `"ipmi"` (default): IPMI over LAN (RMCP+, with ipmitool), in-band, or through a jump host. `"redfish"`: the BMC's
     * Redfish AccountService over HTTPS, for BMCs whose IPMI over LAN is off; then `tls` is required, `port` defaults to
     * 443, and the IPMI-only fields (`cipherSuite`, `retries`, `transport`, `inband`, `ssh`, `via`; `channel`, `linkAuth`, `callin`,
     * `vendorProfile` on the resource) are refused. Changing it replaces the resource. Omitted in state written before
     * Redfish existed: that is `"ipmi"`, and shows no diff.
     */
    protocol?: pulumi.Input<"ipmi" | "redfish">;
    /**
     * Redfish only, and required there: how the BMC's HTTPS certificate is checked, before any credential is sent.
     * Exactly one of `fingerprint` (SHA-256 of the certificate: 64 hex digits, colons optional, any case) or
     * `caCertificate` (PEM of the CA that issued it, or of the BMC's own self-signed certificate, which then matches
     * whatever names it carries). There is no way to skip the check. Changing it is an update.
     */
    tls?: pulumi.Input<RedfishTlsArgs>;
    /**
     * IP address or DNS name of the BMC's LAN interface. Changing it replaces the resource (another BMC). Required
     * unless in-band (`inband` or `ssh`), where it must be omitted.
     */
    host?: pulumi.Input<string>;
    /** RMCP+ UDP port, default `623`; with `protocol: "redfish"` the HTTPS port, default `443`. Changing it replaces the resource. */
    port?: pulumi.Input<number>;
    /**
     * Administrator account to log in with (1-16 bytes). May be the managed account itself: see `allowSelfLockout`.
     * Required over the network; omitted in-band (no login there).
     */
    username?: pulumi.Input<string>;
    /**
     * Its password (1-20 printable ASCII bytes). Always stored as a secret. The native transport uses it in this
     * process only (as the RAKP key, never sent); ipmitool gets it through a pipe (through the SSH channel's stdin
     * with `via`), never argv. Required over the network; omitted in-band.
     */
    password?: pulumi.Input<string>;
    /**
     * RMCP+ cipher suite: `17` (HMAC-SHA256 + AES-128, default) or `3` (HMAC-SHA1 + AES-128, for older BMCs). Every
     * other suite is refused: suite 0 accepts any password (CVE-2013-4782) and the rest lack integrity or encryption.
     */
    cipherSuite?: pulumi.Input<17 | 3>;
    /** Seconds to wait for each answer before sending again (ipmitool `-N`). Default `2`; raise it on slow management networks. Redfish: seconds per HTTPS request, default `30`. */
    timeoutSeconds?: pulumi.Input<number>;
    /**
     * Attempts per request (ipmitool `-R`); opening a session gets one more. Default `2`. Natively a silent BMC fails
     * after timeout × (retries + 1) seconds (each attempt one Open Session); ipmitool takes about timeout × retries ×
     * (retries + 1).
     */
    retries?: pulumi.Input<number>;
    /**
     * What carries the sessions: `"native"` (RMCP+ spoken by the provider itself over UDP; no ipmitool needed) or
     * `"ipmitool"` (one ipmitool process per session). Default: `"native"` for a BMC reached over the network from
     * here; in-band (`inband`, `ssh`) and jump-host (`via`) routes always use ipmitool (the kernel's IPMI device; an
     * SSH channel carries TCP, not UDP), and refuse `"native"`. Changing it is an update, never a replacement. IPMI
     * only: with `protocol: "redfish"` it is refused (Redfish always runs over HTTPS from the provider process).
     */
    transport?: pulumi.Input<"native" | "ipmitool">;
    /**
     * Passwords tried, in order, when the BMC rejects `password` (factory defaults, the previous password). At most 4;
     * each is tried at most once per operation, so a lockout threshold is never approached by a loop. Secret.
     */
    fallbackPasswords?: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * `"local"`: in-band on the machine running Pulumi (`ipmitool -I open` through /dev/ipmi0, needs root and the
     * `ipmi_si`/`ipmi_devintf` drivers). No `host`, `username` or `password`. Excludes `ssh` and `via`.
     */
    inband?: pulumi.Input<"local">;
    /**
     * In-band on another host: ipmitool `-I open` runs there over SSH. No `host`, `username` or `password`; the id
     * names the BMC `inband@<ssh.host>`. Excludes `inband` and `via`.
     */
    ssh?: pulumi.Input<SshArgs>;
    /**
     * Jump host: ipmitool `-I lanplus` runs on `via.ssh` (a bastion on the management network) against `host`; the BMC
     * password travels over the SSH channel's stdin. Changing it is an update, not a replacement.
     */
    via?: pulumi.Input<{ ssh: pulumi.Input<SshArgs> }>;
}

/** The certificate pin of a Redfish BMC: exactly one of the two. */
export interface RedfishTlsArgs {
    /** SHA-256 fingerprint of the BMC's certificate (`openssl x509 -noout -fingerprint -sha256`), colons optional. */
    fingerprint?: pulumi.Input<string>;
    /** PEM certificate of the issuing CA, or the BMC's own self-signed certificate. */
    caCertificate?: pulumi.Input<string>;
}

/**
 * An SSH host that runs ipmitool: in-band on it (`bmc.ssh`) or as a jump host to the BMC (`bmc.via.ssh`). The
 * connection is refused unless the server proves it holds `hostKey`; only then is `privateKey` or `password` used.
 */
export interface SshArgs {
    /** Address or DNS name of the SSH server. For `bmc.ssh`, changing it replaces the resource (another host's BMC). */
    host: pulumi.Input<string>;
    /** TCP port. Default `22`. */
    port?: pulumi.Input<number>;
    /** Login name on that host. */
    username: pulumi.Input<string>;
    /** Private key text (OpenSSH or PEM). Secret. Give this or `password`. */
    privateKey?: pulumi.Input<string>;
    /** Passphrase of an encrypted `privateKey`. Secret. */
    passphrase?: pulumi.Input<string>;
    /** Login password, when the server allows password logins. Secret. Give this or `privateKey`. */
    password?: pulumi.Input<string>;
    /**
     * Required. The server's public host key in `known_hosts` form (`ssh-ed25519 AAAA…`; also ecdsa-sha2-nistp256/384/521
     * and ssh-rsa). Only this key's algorithm is offered and the key must match exactly, before any credential is sent.
     */
    hostKey: pulumi.Input<string>;
    /**
     * `bmc.ssh` only: run ipmitool as `sudo -n stdbuf -oL -eL ipmitool …` (never prompts; needs a NOPASSWD sudoers
     * rule). Default `false`: the login must be able to open /dev/ipmi0 itself (normally root).
     */
    sudo?: pulumi.Input<boolean>;
}

function secretSsh(ssh: pulumi.Input<SshArgs>): pulumi.Output<SshArgs> {
    return pulumi.output(ssh).apply((s) => ({
        ...s,
        ...(s.privateKey !== undefined ? { privateKey: pulumi.secret(s.privateKey) } : {}),
        ...(s.passphrase !== undefined ? { passphrase: pulumi.secret(s.passphrase) } : {}),
        ...(s.password !== undefined ? { password: pulumi.secret(s.password) } : {}),
    })) as pulumi.Output<SshArgs>;
}

/** Inputs of {@link BmcUser}. */
export interface BmcUserArgs {
    /** The BMC to manage and the administrator login to use. */
    bmc: pulumi.Input<BmcConnectionArgs>;
    /**
     * User slot (2..the BMC's maximum, which the BMC reports; often 10-16, 63 on some). Omitted: the slot already holding
     * `username` is adopted, otherwise the lowest free slot from 3 up is used. Slot 1 (anonymous) is never touched and
     * slot 0 is invalid. A slot that holds another account is never overwritten. Changing it replaces the resource.
     * Redfish: the account's member Id on slot-model services (iDRAC9, XCC); refused on services that create accounts
     * by POST and choose the Id themselves.
     */
    userId?: pulumi.Input<number>;
    /** Account name, 1-16 printable ASCII bytes, case-sensitive. Changing it renames the account in place. */
    username: pulumi.Input<string>;
    /**
     * Account password, 1-20 printable ASCII bytes; more than 16 uses IPMI's 20-byte format (some older firmware accepts
     * only 16). Always stored as a secret, sent inside the session as raw bytes, never on a command line. Prefer 20 random
     * characters: RMCP+ lets anyone who knows a user name fetch a hash of the password (CVE-2013-4786).
     */
    password: pulumi.Input<string>;
    /**
     * Privilege limit on the LAN channel. Required. Demoting the login account is refused unless `allowSelfLockout`.
     * Redfish: the RoleId — administrator → Administrator, operator → Operator, user → ReadOnly, no-access → NoAccess (or
     * iDRAC's None) where the BMC lists such a role; `callback` is refused.
     */
    privilege: pulumi.Input<BmcPrivilege>;
    /** LAN channel number (1-11). Default: the first channel whose medium is 802.3 LAN (usually 1, 2 on some HPE models). Changing it replaces the resource. */
    channel?: pulumi.Input<number>;
    /** Whether the account may log in. Default `true`. Disabling the login account is refused unless `allowSelfLockout`. */
    enabled?: pulumi.Input<boolean>;
    /**
     * IPMI messaging on the LAN channel (needed for any LAN login). Default `true`. Redfish: the `IPMI` account type,
     * managed only when given, on BMCs that expose AccountTypes (OpenBMC, XCC); `false` is refused where they do not.
     */
    ipmiMessaging?: pulumi.Input<boolean>;
    /** Link authentication on the channel. Default `true`. */
    linkAuth?: pulumi.Input<boolean>;
    /** `false` restricts the privilege limit to callback connections. Default `true`. */
    callin?: pulumi.Input<boolean>;
    /**
     * How the password is proven after a write and on refresh: `"login"` (default) opens one session as the user at its
     * own privilege; `"off"` skips it (the password's drift then goes unnoticed). Disabled and no-access accounts cannot
     * be proven either way.
     */
    verifyPassword?: pulumi.Input<"login" | "off">;
    /**
     * Allows disabling, demoting, renaming or deleting the account that `bmc.username` logs in with, and demoting,
     * disabling or deleting the LAN channel's last active administrator. Default `false`: such changes are refused,
     * because the provider (or anyone) could not administer the BMC over the network afterwards.
     */
    allowSelfLockout?: pulumi.Input<boolean>;
    /**
     * Which vendor's rules to apply. Default `"auto"`: the provider reads the BMC's manufacturer id (Get Device ID, once
     * per BMC per run) and applies that vendor's profile at call time, before any write (Supermicro: slot 2 fixed to
     * `ADMIN`, passwords of 8-16 characters with upper, lower, digit and special, privilege before messaging; Dell: 16
     * slots, a higher `userId` refused; HPE: LAN channel 2 probed first, "(Empty User)" slots are free; Lenovo: enable
     * before access; OpenBMC: `root` in slot 1 counts as an administrator for the last-administrator guard). Naming a
     * vendor (`supermicro`, `dell`, `hpe`, `lenovo`, `openbmc`) applies its rules whatever the BMC reports, and lets
     * `pulumi preview` check the password and `userId` against them; `"generic"` applies none (firmware known to differ).
     */
    vendorProfile?: pulumi.Input<"auto" | "supermicro" | "dell" | "hpe" | "lenovo" | "openbmc" | "generic">;
}

/** An IPMI user account on a BMC. Type token `pulumi-nodejs:dynamic/bmc:BmcUser`. */
export class BmcUser extends pulumi.dynamic.Resource {
    /** Resolved LAN channel. */
    declare public readonly channel: pulumi.Output<number>;
    /** Resolved user slot. */
    declare public readonly userId: pulumi.Output<number>;
    declare public readonly host: pulumi.Output<string>;
    declare public readonly port: pulumi.Output<number>;
    declare public readonly username: pulumi.Output<string>;
    /** Secret. */
    declare public readonly password: pulumi.Output<string>;
    /** Live privilege limit (after refresh). */
    declare public readonly privilege: pulumi.Output<string>;
    declare public readonly enabled: pulumi.Output<boolean>;
    declare public readonly ipmiMessaging: pulumi.Output<boolean>;
    declare public readonly linkAuth: pulumi.Output<boolean>;
    declare public readonly callin: pulumi.Output<boolean>;
    /** 16 or 20: the password format written. */
    declare public readonly passwordSize: pulumi.Output<number>;
    /** `verified`, `mismatch` (changed out of band), `not-checked` or `unknown` (a write may not have completed). */
    declare public readonly passwordState: pulumi.Output<string>;
    /** Where `enabled` came from: `bmc`, `login` (a probe) or `assumed`. */
    declare public readonly enabledSource: pulumi.Output<string>;
    /** Which login password worked (`password`, `fallbackPasswords[0]`, …); never the value. */
    declare public readonly bmcLogin: pulumi.Output<string>;
    /**
     * The vendor profile applied at the last operation (`supermicro`, `dell`, `hpe`, `lenovo`, `openbmc` or `generic`):
     * detected from the manufacturer id unless `vendorProfile` names one. Refreshed by `pulumi refresh`; output only,
     * so it never causes a diff.
     */
    declare public readonly vendor: pulumi.Output<string>;
    /** IANA enterprise number from Get Device ID (Supermicro 10876, Dell 674, HPE 11, Lenovo 19046, OpenBMC 49769); absent if the BMC did not answer. */
    declare public readonly manufacturerId: pulumi.Output<number | undefined>;
    /** Redfish: the account's member Id (a number, or the user name on OpenBMC). */
    declare public readonly accountId: pulumi.Output<string | undefined>;
    /** Redfish: the account's RoleId as the BMC shows it. */
    declare public readonly roleId: pulumi.Output<string | undefined>;
    /** Redfish: `Locked` as the BMC reports it; `true` shows as drift and the next `up` unlocks the account. */
    declare public readonly locked: pulumi.Output<boolean | undefined>;

    constructor(name: string, args: BmcUserArgs, opts?: pulumi.CustomResourceOptions) {
        const bmc = pulumi.output(args.bmc).apply((b) => ({
            ...b,
            ...(b.password !== undefined ? { password: pulumi.secret(b.password) } : {}),
            ...(b.fallbackPasswords !== undefined ? { fallbackPasswords: pulumi.secret(b.fallbackPasswords) } : {}),
            ...(b.ssh !== undefined ? { ssh: secretSsh(b.ssh) } : {}),
            ...(b.via !== undefined ? { via: pulumi.output(b.via).apply((v) => ({ ...v, ssh: secretSsh(v.ssh) })) } : {}),
        }));
        super(
            bmcUserProvider,
            name,
            {
                // Resolved by the provider when omitted: listed so that `userId`/`channel` exist as outputs either way.
                userId: undefined,
                channel: undefined,
                ...args,
                bmc,
                password: pulumi.secret(args.password),
                host: undefined,
                port: undefined,
                passwordSize: undefined,
                passwordState: undefined,
                enabledSource: undefined,
                bmcLogin: undefined,
                vendor: undefined,
                manufacturerId: undefined,
                accountId: undefined,
                roleId: undefined,
                locked: undefined,
            },
            {
                ...opts,
                additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password", "bmc"],
            },
            "bmc",
            "BmcUser",
        );
    }
}
