/**
 * Vendor personalities of the virtual BMC lab, as data, each behaviour with the source it was read from.
 *
 * Kept apart from the provider's own vendor rules (`provider/ipmi/vendors.ts`,
 * `provider/bmcUser/vendorRules.ts`) on purpose: the lab is read from its own sources, so a misreading on either side
 * shows up as a failing test instead of two halves that silently agree. Where no source could be found (or a source
 * leaves the detail open) the behaviour is marked `assumed` and listed as such in the README.
 *
 * A personality has an account-store half ({@link AccountPolicy}, shared by every face of the BMC) and an IPMI half
 * (how the IPMI face presents and guards the table); both are plain data.
 */

import type { AccountPolicy, AccountSeed } from "./accounts";

export const LAB_VENDORS = ["supermicro", "dell", "hpe", "lenovo", "openbmc", "generic"] as const;
export type LabVendor = (typeof LAB_VENDORS)[number];

/** One fact about a personality and where it comes from. */
export interface Source {
    behaviour: string;
    source: string;
    /** No source states this exactly; it is the lab's reading (listed in the README as assumed). */
    assumed?: boolean;
}

/** A channel as Get Channel Info reports it (IPMI v2.0 Table 6-3/6-4). */
export interface ChannelSpec {
    number: number;
    medium: "ipmb" | "lan" | "system";
}

/** How the IPMI face of the BMC differs between vendors. */
export interface IpmiBehaviour {
    /** Cipher suites offered, in Get Channel Cipher Suites order. Suite 0 is added only by the insecure option. */
    cipherSuites: readonly number[];
    /** Name Get User Name returns for an unused slot instead of 16 NULs (HPE). */
    emptySlotName?: string;
    /** Get User Name on an unused slot fails with 0xCC (Lenovo). */
    emptySlotNameFails: boolean;
    /** Set User Access on an unused or disabled slot fails with 0xCC (Lenovo): enable first. */
    accessNeedsEnabledSlot: boolean;
    /** Enable/disable (Set User Password op 0/1) on an unused slot fails with 0xCC (Lenovo). */
    enableNeedsNamedSlot: boolean;
    /**
     * Where a requested role above the user's limit is refused: in RAKP 2 with status 0x09 ("invalid role"), or by
     * granting the session at the lower level and refusing Set Session Privilege Level with 0x81 (phosphor-net-ipmid).
     */
    roleAboveLimit: "rakp" | "set-session-privilege";
    /** Set User Access with a non-zero session limit or reserved bits set fails with 0xCC (phosphor-host-ipmid). */
    rejectsSessionLimit: boolean;
    /** Completion code for a password the firmware's rule refuses. */
    passwordPolicyCompletion: number;
    /** OEM restore-factory-defaults command, if the vendor has one the lab models. */
    factoryReset?: { netFn: number; cmd: number };
}

/** Get Device ID fields besides the manufacturer (IPMI v2.0 §20.1). */
export interface DeviceIdentity {
    deviceId: number;
    deviceRevision: number;
    firmwareMajor: number;
    /** BCD, as on the wire. */
    firmwareMinor: number;
    productId: number;
}

export interface Personality {
    vendor: LabVendor;
    /** IANA enterprise number reported by Get Device ID. */
    manufacturerId: number;
    device: DeviceIdentity;
    /** The factory administrator (restored by a factory reset). */
    factoryAdmin: { slot: number; name: string; password: string };
    accounts: Omit<AccountPolicy, "channels">;
    /** Channels Get Channel Info knows; the LAN ones carry per-user access. The first LAN channel is the one sessions use. */
    channels: readonly ChannelSpec[];
    ipmi: IpmiBehaviour;
    sources: readonly Source[];
}

const COMMON_IPMI: IpmiBehaviour = {
    cipherSuites: [17, 3],
    emptySlotNameFails: false,
    accessNeedsEnabledSlot: false,
    enableNeedsNamedSlot: false,
    roleAboveLimit: "rakp",
    rejectsSessionLimit: false,
    passwordPolicyCompletion: 0xcc,
};

const LAN1_WITH_SYSTEM: readonly ChannelSpec[] = [
    { number: 1, medium: "lan" },
    { number: 15, medium: "system" },
];

const ROLE_IN_RAKP: Source = {
    behaviour: "a role above the user's limit is refused in RAKP 2 with status 0x09",
    source: "pyghmi session.py _got_rakp2 (retries as OPERATOR on 0x09/0x0D: 'the peer didn't want us to use admin'); which status each vendor sends is not documented",
    assumed: true,
};

const SUITES_17_3: Source = {
    behaviour: "cipher suites 17 and 3",
    source: "IPMI v2.0 makes 3 mandatory; ipmitool 1.8.19 prefers 17 then 3; per-model suite lists were not checked",
    assumed: true,
};

/** Characters of each class, for policies that count classes. */
function classes(pw: Buffer): { upper: boolean; lower: boolean; digit: boolean; special: boolean } {
    const s = pw.toString("latin1");
    return { upper: /[A-Z]/.test(s), lower: /[a-z]/.test(s), digit: /[0-9]/.test(s), special: /[^A-Za-z0-9]/.test(s) };
}

export const PERSONALITIES: Readonly<Record<LabVendor, Personality>> = {
    supermicro: {
        vendor: "supermicro",
        manufacturerId: 10876,
        device: { deviceId: 0x20, deviceRevision: 0x01, firmwareMajor: 1, firmwareMinor: 0x73, productId: 0x1b0a },
        factoryAdmin: { slot: 2, name: "ADMIN", password: "ADMIN" },
        accounts: {
            maxUsers: 10,
            nullUserSlot: 1,
            fixedNames: { 2: "ADMIN" },
            uniqueNames: true,
            refuses20BytePasswords: true,
            passwordRule: (pw) => {
                const c = classes(pw);
                return pw.length >= 8 && pw.length <= 16 && c.upper && c.lower && c.digit && c.special;
            },
            testComparesSize: true,
        },
        channels: LAN1_WITH_SYSTEM,
        ipmi: { ...COMMON_IPMI, factoryReset: { netFn: 0x3c, cmd: 0x40 } },
        sources: [
            { behaviour: "IANA 10876 (Super Micro Computer)", source: "IANA enterprise numbers registry" },
            { behaviour: "10 user slots; slot 2 ADMIN with a fixed name (Get User Access: 2 fixed names)", source: "xcat2/xcat-core#6666 (channel getaccess output: Maximum User IDs 10, ADMIN Fixed Name Yes)" },
            { behaviour: "renaming slot 2 refused with 0xCC", source: "clustervision/trinity#543 ('Set User Name command failed (user 2, name root): Invalid data field in request')" },
            { behaviour: "factory account ADMIN/ADMIN (newer boards: a unique password on the label)", source: "Supermicro BMC_Unique_Password_Guide, cited in Seagate/cortx-prvsnr#4794" },
            { behaviour: "passwords 8-16 characters with at least one upper case letter, lower case letter, digit and special character; refused with 0xCC", source: "truenas/documentation#1588 (IPMI password requirements of TrueNAS systems on Supermicro boards; TrueNAS's middleware checks only 3 of the 4, truenas/middleware#9429, and the provider follows the stricter reading); the completion code is assumed", assumed: true },
            { behaviour: "the 20-byte password format refused with 0xC8 (request data field length limit exceeded)", source: "Seagate/cortx-prvsnr#4793 (0xC8 from 'user set password 2' on a SYS-6019U-TRT); which form triggered it is not stated", assumed: true },
            { behaviour: "OEM raw 0x3c 0x40 restores factory defaults: every user deleted, the factory account back", source: "ipmi.md §17 (TrueNAS BMC scripts, cmpadden.github.io); sessions end as the BMC reboots" },
            ROLE_IN_RAKP,
            SUITES_17_3,
        ],
    },
    dell: {
        vendor: "dell",
        manufacturerId: 674,
        device: { deviceId: 0x20, deviceRevision: 0x01, firmwareMajor: 4, firmwareMinor: 0x40, productId: 0x0100 },
        factoryAdmin: { slot: 2, name: "root", password: "calvin" },
        accounts: { maxUsers: 16, nullUserSlot: 1, uniqueNames: true, testComparesSize: true },
        channels: LAN1_WITH_SYSTEM,
        ipmi: COMMON_IPMI,
        sources: [
            { behaviour: "IANA 674 (Dell Inc.)", source: "IANA enterprise numbers registry" },
            { behaviour: "16 user slots, root/calvin on slot 2, names ≤ 16, passwords ≤ 20, no anonymous or null user login", source: "Dell iDRAC6 user guide (ipmi.md §16.1)" },
            { behaviour: "duplicate names refused with 0xCC", source: "xcat2/xcat-core#6666 ('IPMI will not allow duplicate usernames'); not checked on a Dell", assumed: true },
            ROLE_IN_RAKP,
            SUITES_17_3,
        ],
    },
    hpe: {
        vendor: "hpe",
        manufacturerId: 11,
        device: { deviceId: 0x13, deviceRevision: 0x01, firmwareMajor: 2, firmwareMinor: 0x78, productId: 0x2000 },
        factoryAdmin: { slot: 2, name: "Administrator", password: "Label123" },
        accounts: { maxUsers: 12, nullUserSlot: 1, uniqueNames: true, testComparesSize: true },
        channels: [
            { number: 1, medium: "ipmb" },
            { number: 2, medium: "lan" },
            { number: 15, medium: "system" },
        ],
        ipmi: { ...COMMON_IPMI, emptySlotName: "(Empty User)" },
        sources: [
            { behaviour: "IANA 11 (Hewlett-Packard)", source: "IANA enterprise numbers registry" },
            { behaviour: "the LAN is channel 2", source: "xCAT bmcsetup comment (ipmi.md §16.5); channel 1 modelled as IPMB", assumed: true },
            { behaviour: "unused slots are named '(Empty User)'", source: "canonical/maas bmc_config.py _pick_user_number ('Some HP BMCs use \"(Empty User)\" to indicate a user in unused'); that Get User Name returns it verbatim is the lab's reading", assumed: true },
            { behaviour: "Administrator on slot 2 with an 8-character label password; 12 local accounts", source: "Mdot0 default-credentials list, HPE iLO 5 user guide (12 local users); the slot number is assumed", assumed: true },
            ROLE_IN_RAKP,
            SUITES_17_3,
        ],
    },
    lenovo: {
        vendor: "lenovo",
        manufacturerId: 19046,
        device: { deviceId: 0x20, deviceRevision: 0x01, firmwareMajor: 5, firmwareMinor: 0x10, productId: 0x0200 },
        factoryAdmin: { slot: 2, name: "USERID", password: "PASSW0RD" },
        accounts: { maxUsers: 12, nullUserSlot: 1, uniqueNames: true, testComparesSize: true },
        channels: LAN1_WITH_SYSTEM,
        ipmi: { ...COMMON_IPMI, emptySlotNameFails: true, accessNeedsEnabledSlot: true, enableNeedsNamedSlot: true },
        sources: [
            { behaviour: "IANA 19046 (Lenovo Enterprise Business Group)", source: "IANA enterprise numbers registry; xCAT bmcsetup treats 2, 20301, 19046 as IBM/Lenovo" },
            { behaviour: "USERID/PASSW0RD on slot 2", source: "Lenovo XClarity Controller documentation (ipmi.md §16.1)" },
            { behaviour: "12 user slots; enable/disable of unused slots fails with 0xCC", source: "xcat2/xcat-core#5065 (SR650/SR670: 'user disable' on the 12 unused users gives 'invalid data field in request'); the slot count is the lab's reading", assumed: true },
            { behaviour: "Set User Access on an unused or disabled slot fails with 0xCC (so: name, password, enable, then access)", source: "xcat2/xcat-core#6667 ('setting privileges and access levels … fail if done before username is set'); the disabled case is ipmi.md §3.4's summary of xcat2/xcat-core#7559, not re-read here", assumed: true },
            { behaviour: "Get User Name on an unused slot fails with 0xCC", source: "ipmi.md §16.2 summary of xCAT PRs #6380/#6667/#7559, not re-read here", assumed: true },
            ROLE_IN_RAKP,
            SUITES_17_3,
        ],
    },
    openbmc: {
        vendor: "openbmc",
        manufacturerId: 49769,
        device: { deviceId: 0x20, deviceRevision: 0x01, firmwareMajor: 2, firmwareMinor: 0x14, productId: 0x0001 },
        factoryAdmin: { slot: 1, name: "root", password: "0penBmc" },
        accounts: {
            maxUsers: 15,
            uniqueNames: true,
            // pam_cracklib minlen=8 (the dictionary check is not modelled).
            passwordRule: (pw) => pw.length >= 8,
            testComparesSize: false,
        },
        channels: [
            { number: 0, medium: "ipmb" },
            { number: 1, medium: "lan" },
            { number: 2, medium: "lan" },
            { number: 15, medium: "system" },
        ],
        ipmi: { ...COMMON_IPMI, cipherSuites: [17], roleAboveLimit: "set-session-privilege", rejectsSessionLimit: true, passwordPolicyCompletion: 0xff },
        sources: [
            { behaviour: "IANA 49769 (OpenBMC project)", source: "IANA enterprise numbers registry" },
            { behaviour: "root/0penBmc on slot 1, 15 user IDs", source: "openbmc/openbmc-test-automation ipmi/test_ipmi_user.robot (root_userid 1, expected_max_ids 15)" },
            { behaviour: "passwords of up to 20 bytes, over 16 in the 20-byte format", source: "openbmc/openbmc#3550, openbmc/phosphor-host-ipmid#149, openbmc-test-automation#1937" },
            { behaviour: "Set/test password need exactly 16 or 20 bytes per the size bit (else 0xC7); a test compares the text and never reports a size mismatch (no 0x81)", source: "phosphor-host-ipmid user_channel/usercommands.cpp ipmiSetUserPassword" },
            { behaviour: "passwords of at least 8 characters", source: "openbmc/bmcweb#90 (pam_cracklib minlen=8), openbmc-test-automation#1920; the dictionary check is not modelled, 0xFF as the completion code is assumed", assumed: true },
            { behaviour: "LAN channels 1 (eth0) and 2 (eth1), IPMB 0, system interface 15", source: "openbmc/openbmc meta-phosphor phosphor-ipmi-config/channel_config.json" },
            { behaviour: "only cipher suite 17", source: "phosphor-net-ipmid commit 4c49439 'Remove HMAC-SHA1 from Authentication/Integrity Alg' (rmcp-native.md §4.4)" },
            { behaviour: "name-only login above the user's limit is granted at the user's level; Set Session Privilege Level above it fails with 0x81; username/privilege lookup needs the exact privilege (0x0D)", source: "phosphor-net-ipmid command/rakp12.cpp" },
            { behaviour: "Set User Access 0xCC for a non-zero session limit or reserved bits; Get User Access privilege OPERATOR, Set User Access/Name/Password ADMIN", source: "phosphor-host-ipmid user_channel/usercommands.cpp" },
        ],
    },
    generic: {
        vendor: "generic",
        manufacturerId: 32473,
        device: { deviceId: 0x20, deviceRevision: 0x01, firmwareMajor: 1, firmwareMinor: 0x00, productId: 0x0001 },
        factoryAdmin: { slot: 2, name: "ADMIN", password: "ADMIN" },
        accounts: { maxUsers: 15, nullUserSlot: 1, uniqueNames: true, testComparesSize: true },
        channels: LAN1_WITH_SYSTEM,
        ipmi: COMMON_IPMI,
        sources: [
            { behaviour: "IANA 32473, the enterprise number reserved for documentation", source: "RFC 5612" },
            { behaviour: "user commands, 16/20-byte passwords and 0x80/0x81 on a failed test", source: "IPMI v2.0 rev 1.1 §22.26-22.30 as quoted by FreeIPMI, ipmitool and phosphor-host-ipmid" },
            { behaviour: "15 user slots, ADMIN/ADMIN on slot 2, duplicate names refused", source: "the lab's choice (the specification allows up to 63 slots)", assumed: true },
            ROLE_IN_RAKP,
            SUITES_17_3,
        ],
    },
};

/** The LAN channels of a personality, the one sessions arrive on first. */
export function lanChannels(p: Personality): number[] {
    return p.channels.filter((c) => c.medium === "lan").map((c) => c.number);
}

/** The account policy of a personality, with its LAN channels (or the ones a lab asked for). */
export function accountPolicy(p: Personality, channels: readonly number[] = lanChannels(p)): AccountPolicy {
    return { ...p.accounts, channels };
}

/** The factory accounts: the administrator, with access on every LAN channel. */
export function factorySeeds(p: Personality): AccountSeed[] {
    return [{ slot: p.factoryAdmin.slot, name: p.factoryAdmin.name, password: p.factoryAdmin.password, privilege: "administrator" }];
}
