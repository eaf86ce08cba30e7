/**
 * Vendor profiles: what differs between BMC makers in user management, as data. The manufacturer id comes from Get
 * Device ID (IANA enterprise number). Every rule names its source so it can be checked and revised; the rules are
 * applied by `provider/bmcUser/vendorRules.ts` (pure) and the identity is read by `identity.ts`.
 */

/** Names of the profiles, as reported in the `vendor` output and accepted by the `vendorProfile` input. */
export const VENDOR_NAMES = ["supermicro", "dell", "hpe", "lenovo", "openbmc", "generic"] as const;
export type VendorName = (typeof VENDOR_NAMES)[number];

/** A firmware password policy stricter than IPMI's "1-20 bytes". */
export interface PasswordPolicy {
    minLength: number;
    maxLength: number;
    /** How many of the classes upper case, lower case, digit and special character must appear. */
    requiredClasses: number;
    /** Where the policy comes from. */
    source: string;
}

/** How a vendor's BMC differs from the generic IPMI behaviour. */
export interface VendorProfile {
    /** Stable name reported in outputs. */
    name: VendorName;
    /** IANA enterprise numbers that identify the vendor in Get Device ID. */
    manufacturerIds: readonly number[];
    /** The factory administrator and its slot. */
    defaultAdmin?: { slot: number; username: string };
    /** Slots whose name the firmware does not let you change (they keep `defaultAdmin.username`). */
    fixedNameSlots: readonly number[];
    /** Longest password the firmware accepts over IPMI (16 or 20). */
    maxPasswordBytes: 16 | 20;
    /** Firmware password policy, when one is known. */
    passwordPolicy?: PasswordPolicy;
    /** Highest user slot the firmware manages, when it is known to be lower than what some firmware reports. */
    maxUsers?: number;
    /** Names the firmware reports for unused slots (besides the empty name). */
    emptySlotNames: readonly string[];
    /** Whether Set User Access fails with 0xCC on an empty or disabled slot (name and enable must come first). */
    accessNeedsNamedSlot: boolean;
    /** Whether the privilege limit must be set before IPMI messaging is turned on (two Set User Access writes). */
    privilegeBeforeMessaging: boolean;
    /** Whether an already enabled account must not be enabled again when only its password changes. */
    noEnableOnPasswordChange: boolean;
    /** LAN channel to try first when detecting. */
    preferredLanChannel: number;
    /**
     * The lowest slot that holds a real account: 2 on most firmware, where slot 1 is the anonymous (null) user; 1 on
     * OpenBMC, whose root lives there. Where it is 1, slot 1 counts as an administrator for the last-administrator
     * guard (the provider still never manages slot 1 itself).
     */
    firstAccountSlot: 1 | 2;
    /** Where each rule comes from. */
    sources: readonly string[];
}

const BASE = {
    fixedNameSlots: [],
    maxPasswordBytes: 20,
    emptySlotNames: [],
    accessNeedsNamedSlot: false,
    privilegeBeforeMessaging: false,
    noEnableOnPasswordChange: false,
    preferredLanChannel: 1,
    firstAccountSlot: 2,
} as const satisfies Partial<VendorProfile>;

export const PROFILES: readonly VendorProfile[] = [
    {
        ...BASE,
        name: "supermicro",
        manufacturerIds: [10876],
        defaultAdmin: { slot: 2, username: "ADMIN" },
        fixedNameSlots: [2],
        // Longer passwords are refused with 0xC8 or silently truncated to 16 on some boards.
        maxPasswordBytes: 16,
        passwordPolicy: {
            minLength: 8,
            maxLength: 16,
            // All four, the stricter of the two public readings: TrueNAS's middleware checks 3 of 4 before it calls
            // ipmitool on its Supermicro boards (truenas/middleware#9429, plugins/ipmi_/lan.py), its documentation
            // for the same boards states all four (truenas/documentation#1588), and newer firmware tightens the policy
            // and resets passwords that no longer comply (fwupd/fwupd#5129). A password with all four passes both;
            // one with three may be refused by the BMC after the name was written (a partial failure).
            requiredClasses: 4,
            source: "8-16 characters with upper case, lower case, digit and special: truenas/documentation#1588 (IPMI on Supermicro boards; TrueNAS's own check, truenas/middleware#9429, asks for 3 of them), fwupd/fwupd#5129 (newer firmware resets non-compliant passwords)",
        },
        privilegeBeforeMessaging: true,
        noEnableOnPasswordChange: true,
        sources: [
            "ADMIN fixed on slot 2: clustervision/trinity#543, xcat2/xcat-core#6666",
            "passwords over 16 bytes refused with 0xC8 or truncated: Seagate/cortx-prvsnr#4793, truenas/middleware#9429",
            "complexity of newer firmware (digits and specials; non-compliant passwords reset on update): fwupd/fwupd#5129",
            "privilege limit before enabling IPMI messaging: canonical MAAS bmc_config.py (landscape.md §3.F)",
            "no disable/enable around a password change on newer firmware: metal-stack/metal-hammer#147",
        ],
    },
    {
        ...BASE,
        name: "dell",
        manufacturerIds: [674],
        defaultAdmin: { slot: 2, username: "root" },
        maxUsers: 16,
        sources: [
            "root/calvin on slot 2, 16 users, password ≤ 20: Dell iDRAC6 user guide (ipmi.md §16.1)",
            "name and password before enable: canonical MAAS bmc_config.py, Dell R420 (landscape.md §3.F)",
        ],
    },
    {
        ...BASE,
        name: "hpe",
        manufacturerIds: [11],
        defaultAdmin: { slot: 2, username: "Administrator" },
        emptySlotNames: ["(Empty User)"],
        preferredLanChannel: 2,
        sources: [
            "LAN channel 2 on some models: xCAT bmcsetup comment (ipmi.md §16.5)",
            "unused slots named \"(Empty User)\": canonical MAAS bmc_config.py (landscape.md §3.F)",
            "IPMI names ≤ 16, passwords ≤ 20: HPE iLO 5 user guide",
        ],
    },
    {
        ...BASE,
        name: "lenovo",
        manufacturerIds: [19046, 20301, 2],
        defaultAdmin: { slot: 2, username: "USERID" },
        accessNeedsNamedSlot: true,
        sources: [
            "USERID/PASSW0RD on slot 2: Lenovo XCC documentation",
            "0xCC from Get User Name and Set User Access on empty/disabled slots: xcat2/xcat-core#7559, #6380",
            "IANA 2, 20301, 19046 are IBM/Lenovo: xCAT bmcsetup (ipmi.md §16.2)",
        ],
    },
    {
        ...BASE,
        name: "openbmc",
        manufacturerIds: [49769],
        defaultAdmin: { slot: 1, username: "root" },
        firstAccountSlot: 1,
        sources: [
            "root on slot 1 (a real account, not the anonymous user), 15 user IDs: openbmc-test-automation ipmi/test_ipmi_user.robot (root_userid 1)",
            "20-byte password cap for IPMI users (the ipmi group): openbmc/openbmc#3550",
            "passwords over 16 bytes need the 20-byte format or logins fail: openbmc/phosphor-host-ipmid#149",
        ],
    },
];

export const GENERIC: VendorProfile = {
    ...BASE,
    name: "generic",
    manufacturerIds: [],
    sources: ["IPMI v2.0 specification §22.26-22.30"],
};

/** The profile for a manufacturer id, or the generic one. */
export function profileFor(manufacturerId: number | undefined): VendorProfile {
    return PROFILES.find((p) => manufacturerId !== undefined && p.manufacturerIds.includes(manufacturerId)) ?? GENERIC;
}

/** The profile with this name (`generic` included). */
export function profileNamed(name: VendorName): VendorProfile {
    return PROFILES.find((p) => p.name === name) ?? GENERIC;
}

/** LAN channels to probe, the vendor's usual one first. */
export function lanChannelProbeOrder(profile: VendorProfile, max = 11): number[] {
    const rest = Array.from({ length: max }, (_, i) => i + 1).filter((c) => c !== profile.preferredLanChannel);
    return [profile.preferredLanChannel, ...rest];
}
