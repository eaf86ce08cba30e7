/**
 * Vendor profiles: what differs between BMC makers in user management, as data. The manufacturer id comes from Get
 * Device ID (IANA enterprise number). Every rule names its source so it can be checked and revised.
 */

/** How a vendor's BMC differs from the generic IPMI behaviour. */
export interface VendorProfile {
    /** Stable name reported in outputs. */
    name: "supermicro" | "dell" | "hpe" | "lenovo" | "openbmc" | "generic";
    /** IANA enterprise numbers that identify the vendor in Get Device ID. */
    manufacturerIds: readonly number[];
    /** The factory administrator and its slot. */
    defaultAdmin?: { slot: number; username: string };
    /** Slots whose name the firmware does not let you change. */
    fixedNameSlots: readonly number[];
    /** Longest password the firmware accepts over IPMI (16 or 20). */
    maxPasswordBytes: 16 | 20;
    /** Whether Set User Access fails with 0xCC on an empty or disabled slot (name and enable must come first). */
    accessNeedsNamedSlot: boolean;
    /** LAN channel to try first when detecting. */
    preferredLanChannel: number;
    /** Where each rule comes from. */
    sources: readonly string[];
}

export const PROFILES: readonly VendorProfile[] = [
    {
        name: "supermicro",
        manufacturerIds: [10876],
        defaultAdmin: { slot: 2, username: "ADMIN" },
        fixedNameSlots: [2],
        // Some boards reject the 20-byte form with 0xC8 (Seagate/cortx-prvsnr#4793).
        maxPasswordBytes: 16,
        accessNeedsNamedSlot: false,
        preferredLanChannel: 1,
        sources: [
            "ADMIN fixed on slot 2: Supermicro BMC user guide; clustervision/trinity#543",
            "20-byte passwords refused with 0xC8 on some firmware: Seagate/cortx-prvsnr#4793",
            "privilege before enabling IPMI messaging: landscape.md (Supermicro ordering)",
        ],
    },
    {
        name: "dell",
        manufacturerIds: [674],
        defaultAdmin: { slot: 2, username: "root" },
        fixedNameSlots: [],
        maxPasswordBytes: 20,
        accessNeedsNamedSlot: false,
        preferredLanChannel: 1,
        sources: ["root/calvin on slot 2, 16 users, password ≤ 20: Dell iDRAC6 user guide", "name and password before enable: landscape.md (Dell R420)"],
    },
    {
        name: "hpe",
        manufacturerIds: [11],
        defaultAdmin: { slot: 2, username: "Administrator" },
        fixedNameSlots: [],
        maxPasswordBytes: 20,
        accessNeedsNamedSlot: false,
        preferredLanChannel: 2,
        sources: ["LAN channel 2 on some models: xCAT bmcsetup comment", "IPMI names ≤ 16, passwords ≤ 20: HPE iLO 5 user guide"],
    },
    {
        name: "lenovo",
        manufacturerIds: [19046, 20301, 2],
        defaultAdmin: { slot: 2, username: "USERID" },
        fixedNameSlots: [],
        maxPasswordBytes: 20,
        accessNeedsNamedSlot: true,
        preferredLanChannel: 1,
        sources: ["USERID/PASSW0RD on slot 2: Lenovo XCC documentation", "0xCC from Set User Access on empty/disabled slots: xcat2/xcat-core#7559"],
    },
    {
        name: "openbmc",
        manufacturerIds: [49769],
        fixedNameSlots: [],
        maxPasswordBytes: 20,
        accessNeedsNamedSlot: false,
        preferredLanChannel: 1,
        sources: ["20-byte password cap: openbmc/phosphor-host-ipmid#149"],
    },
];

export const GENERIC: VendorProfile = {
    name: "generic",
    manufacturerIds: [],
    fixedNameSlots: [],
    maxPasswordBytes: 20,
    accessNeedsNamedSlot: false,
    preferredLanChannel: 1,
    sources: ["IPMI v2.0 specification"],
};

/** The profile for a manufacturer id, or the generic one. */
export function profileFor(manufacturerId: number | undefined): VendorProfile {
    return PROFILES.find((p) => manufacturerId !== undefined && p.manufacturerIds.includes(manufacturerId)) ?? GENERIC;
}

/** LAN channels to probe, the vendor's usual one first. */
export function lanChannelProbeOrder(profile: VendorProfile, max = 11): number[] {
    const rest = Array.from({ length: max }, (_, i) => i + 1).filter((c) => c !== profile.preferredLanChannel);
    return [profile.preferredLanChannel, ...rest];
}
