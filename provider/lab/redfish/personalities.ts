/**
 * Redfish personalities of the virtual BMC lab, as data, each behaviour with the source it was read from.
 *
 * A personality says how one vendor's Redfish service presents the BMC's account table (the same {@link AccountTable}
 * its IPMI face serves): slot or collection model, how member Ids relate to IPMI user slots, which properties exist and
 * which are writable, ETag strength and If-Match enforcement, what an own-password change does to sessions, how a
 * required password change shows. Resource shapes (`@odata.type` versions, descriptions, static OEM blocks) follow the
 * captures named in each `sources` entry; the captures themselves are not copied, only the shapes are restated:
 * - DMTF Redfish-Mockup-Server 1.2.6 `public-rackmount1` (BSD-3-Clause, Copyright 2014-2022 DMTF);
 * - NVIDIA/libredfish `tests/mockups/{dell,hpe,lenovo}` at c094c9e (MIT, Copyright 2018 Chris Holcombe, 2023 NVIDIA):
 *   iDRAC9 6.00.30.00, iLO 5 on a ProLiant DL385 Gen10 Plus v2, XCC2 TGBT 2.83.
 * Behaviour without a source is marked `assumed` (README, "The lab's Redfish face").
 *
 * Kept apart from the provider's Redfish client (`provider/redfish/`): a misreading on one side must show up as a
 * failing test, not as two halves that agree.
 */

export const REDFISH_FLAVOURS = ["idrac9", "ilo", "openbmc", "xcc", "dmtf"] as const;
export type RedfishFlavour = (typeof REDFISH_FLAVOURS)[number];

/** One fact and where it comes from. */
export interface RedfishSource {
    behaviour: string;
    source: string;
    assumed?: boolean;
}

/** How a member Id is made from an IPMI user slot. */
export type MemberIdScheme = "slot" | "slot-minus-one" | "username";

export interface RedfishPersonality {
    flavour: RedfishFlavour;
    root: { odataType: string; vendor?: string; product?: string; redfishVersion: string; oem?: Record<string, unknown> };
    /** Advertise and serve `$expand=.($levels=1)` (ProtocolFeaturesSupported.ExpandQuery NoLinks/Levels). */
    expand: boolean;
    accounts: {
        /** `slot`: pre-filled members, create = PATCH an empty one, POST → 405. `collection`: POST/DELETE. */
        model: "slot" | "collection";
        memberId: MemberIdScheme;
        /** First IPMI slot shown as a member (slot model: every slot from here on; collection: named slots from here). */
        firstSlot: number;
        /** Member Ids shown but never writable (iDRAC's Id 1). */
        reservedIds: readonly string[];
        odataType: string;
        name: string;
        description: string;
        /** Roles listed under AccountService/Roles and accepted as RoleId. */
        roles: readonly string[];
        /** RoleId shown for an account without access (callback or no-access on the LAN channel). */
        noAccessRoleId: string;
        enabledProperty: boolean;
        lockedProperty: boolean;
        /** `writable`: AccountTypes shown and writable, `IPMI` ↔ IPMI messaging; `fixed`: shown, read-only; `absent`. */
        accountTypes: "writable" | "fixed" | "absent";
        /** Types shown besides IPMI (`writable`), or the whole fixed list. */
        baseAccountTypes: readonly string[];
        /** `Oem.Hpe.LoginName` (a display name) beside `UserName` (the login). */
        hpeLoginName: boolean;
        /** A slot with an empty name must be disabled with the no-access role (iDRAC): clearing the name of an enabled slot fails. */
        blankNameNeedsDisabled: boolean;
        /** PasswordChangeRequired: writable, silently ignored on PATCH (iDRAC, #342), or read-only. */
        passwordChangeRequired: "writable" | "ignored" | "read-only";
        /** Status of a duplicate UserName. */
        duplicateStatus: 400 | 409;
        /** Success answer of PATCH: the resource, a Success message, or 204. */
        patchAnswer: "resource" | "message" | "no-content";
        deleteAnswer: "message" | "no-content";
        /** Static properties every member carries (OEM blocks, SNMP, …). */
        extra: Readonly<Record<string, unknown>>;
    };
    etag: { weak: boolean; ifMatch: "optional" | "required" };
    accountService: {
        odataType: string;
        minPasswordLength: number;
        /** Capped at 20: the account table is the IPMI one, which stores at most 20 bytes. */
        maxPasswordLength: number;
        /** Show the lockout triple (AccountLockoutThreshold/Duration/CounterResetAfter). */
        lockoutProperties: boolean;
        lockoutWritable: boolean;
        /** Show (and accept PATCH of) `HTTPBasicAuth` (AccountService v1_15). */
        basicAuthProperty: boolean;
        extra: Readonly<Record<string, unknown>>;
    };
    sessions: { serviceOdataType: string; sessionOdataType: string; timeoutSeconds: number; maxSessions: number };
    /** What a password change does to that account's sessions. */
    ownPasswordChange: "invalidate-own-token" | "drop-other-sessions" | "keep";
    /** How "must change the password" shows: the standard PasswordChangeRequired flow, or iDRAC's OEM SWC1908. */
    passwordChangeStyle: "standard" | "idrac-oem";
    /** Basic auth with PasswordChangeRequired set: 403 like sessions, or a plain 401 (bmcweb). */
    basicAuthWhenChangeRequired: 403 | 401;
    sources: readonly RedfishSource[];
}

const STANDARD_ROLES = ["Administrator", "Operator", "ReadOnly"] as const;

const LIBREDFISH = "NVIDIA/libredfish tests/mockups (MIT), commit c094c9e";
const DMTF_MOCKUP = "DMTF Redfish-Mockup-Server 1.2.6 public-rackmount1 (BSD-3-Clause)";

export const REDFISH_PERSONALITIES: Readonly<Record<RedfishFlavour, RedfishPersonality>> = {
    idrac9: {
        flavour: "idrac9",
        root: {
            odataType: "#ServiceRoot.v1_10_0.ServiceRoot",
            vendor: "Dell",
            product: "Integrated Dell Remote Access Controller",
            redfishVersion: "1.13.1",
        },
        expand: true,
        accounts: {
            model: "slot",
            memberId: "slot",
            firstSlot: 1,
            reservedIds: ["1"],
            odataType: "#ManagerAccount.v1_8_0.ManagerAccount",
            name: "User Account",
            description: "User Account",
            roles: [...STANDARD_ROLES, "None"],
            noAccessRoleId: "None",
            enabledProperty: true,
            lockedProperty: true,
            accountTypes: "fixed",
            baseAccountTypes: ["Redfish", "SNMP", "OEM", "HostConsole", "ManagerConsole", "IPMI", "KVMIP", "VirtualMedia", "WebUI"],
            hpeLoginName: false,
            blankNameNeedsDisabled: true,
            passwordChangeRequired: "ignored",
            duplicateStatus: 400,
            patchAnswer: "message",
            deleteAnswer: "no-content",
            extra: {
                OEMAccountTypes: ["IPMI", "SOL", "WSMAN", "UI", "RACADM"],
                StrictAccountTypes: false,
                PasswordExpiration: null,
                Oem: { Dell: { "@odata.type": "#DellManagerAccount.v1_0_0.DellManagerAccount", SNMPv3PassphraseEnabled: "Disabled" } },
            },
        },
        etag: { weak: true, ifMatch: "optional" },
        accountService: {
            odataType: "#AccountService.v1_9_0.AccountService",
            minPasswordLength: 0,
            maxPasswordLength: 20,
            lockoutProperties: true,
            lockoutWritable: false,
            basicAuthProperty: false,
            extra: { LocalAccountAuth: "Enabled", ServiceEnabled: true },
        },
        sessions: { serviceOdataType: "#SessionService.v1_1_8.SessionService", sessionOdataType: "#Session.v1_3_0.Session", timeoutSeconds: 1800, maxSessions: 8 },
        ownPasswordChange: "invalidate-own-token",
        passwordChangeStyle: "idrac-oem",
        basicAuthWhenChangeRequired: 403,
        sources: [
            { behaviour: "16 pre-filled members; Id 1 empty, disabled, RoleId None; root at Id 2; AccountTypes and OEMAccountTypes as listed", source: `${LIBREDFISH}, tests/mockups/dell (iDRAC9 6.00.30.00)` },
            { behaviour: "roles Administrator, Operator, ReadOnly, None", source: `${LIBREDFISH}, dell AccountService/Roles` },
            { behaviour: "service root advertises $expand (ExpandAll, NoLinks, Levels, MaxLevels 1)", source: `${LIBREDFISH}, dell redfish/v1/index.json` },
            { behaviour: "lockout properties reported as 0 and read-only (iDRAC blocks client IPs instead)", source: "dell/iDRAC-Redfish-Scripting#295 (Dell maintainer); the lab reports the account table's lockout, read-only" },
            { behaviour: "create = PATCH {UserName, Password, RoleId, Enabled} of an empty slot; delete = disable and RoleId None first, then the empty name", source: "dell/iDRAC-Redfish-Scripting CreateDeleteIdracUsersREDFISH.py; ansible/ansible#64684 (clearing the name of an enabled slot fails)" },
            { behaviour: "PATCH success: 200 with a Base Success message", source: "dell/iDRAC-Redfish-Scripting#342" },
            { behaviour: "PasswordChangeRequired: true accepted but not set", source: "dell/iDRAC-Redfish-Scripting#342" },
            { behaviour: "\"default password must be changed\" as OEM IDRAC.2.9.SWC1908 inside a GeneralError; status 403 assumed", source: "dell/iDRAC-Redfish-Scripting#346 (R6625)", assumed: true },
            { behaviour: "changing the password of the session's own account invalidates that session's token", source: "note printed by dell/iDRAC-Redfish-Scripting ChangeIdracUserPasswordREDFISH.py; #126" },
            { behaviour: "weak ETags; If-Match checked when sent", source: "redfish.md §1.5 (W/\"gen-3\"); nv-redfish#162" },
            { behaviour: "MaxPasswordLength 20 (the firmware says 40; the shared IPMI table keeps 20 bytes)", source: "lab limit", assumed: true },
            { behaviour: "8 concurrent Redfish sessions", source: "not checked", assumed: true },
        ],
    },
    ilo: {
        flavour: "ilo",
        root: { odataType: "#ServiceRoot.v1_5_1.ServiceRoot", vendor: "HPE", product: "ProLiant DL385 Gen10 Plus v2", redfishVersion: "1.6.0" },
        expand: true,
        accounts: {
            model: "collection",
            memberId: "slot-minus-one",
            firstSlot: 2,
            reservedIds: [],
            odataType: "#ManagerAccount.v1_3_0.ManagerAccount",
            name: "User Account",
            description: "iLO User Account",
            roles: STANDARD_ROLES,
            noAccessRoleId: "NoAccess",
            enabledProperty: false,
            lockedProperty: false,
            accountTypes: "absent",
            baseAccountTypes: [],
            hpeLoginName: true,
            blankNameNeedsDisabled: false,
            passwordChangeRequired: "read-only",
            duplicateStatus: 400,
            patchAnswer: "message",
            deleteAnswer: "message",
            extra: {},
        },
        etag: { weak: true, ifMatch: "optional" },
        accountService: {
            odataType: "#AccountService.v1_5_0.AccountService",
            minPasswordLength: 8,
            maxPasswordLength: 20,
            lockoutProperties: false,
            lockoutWritable: false,
            basicAuthProperty: false,
            extra: { LocalAccountAuth: "Enabled", Oem: { Hpe: { AuthFailureDelayTimeSeconds: 10, AuthFailureLoggingThreshold: 3, AuthFailuresBeforeDelay: 1, EnforcePasswordComplexity: false } } },
        },
        sessions: { serviceOdataType: "#SessionService.v1_0_0.SessionService", sessionOdataType: "#Session.v1_0_0.Session", timeoutSeconds: 1800, maxSessions: 8 },
        ownPasswordChange: "keep",
        passwordChangeStyle: "standard",
        basicAuthWhenChangeRequired: 403,
        sources: [
            { behaviour: "accounts without Enabled or Locked; UserName is the login, Oem.Hpe.LoginName a display name; Oem.Hpe.Privileges; weak ETags", source: `${LIBREDFISH}, tests/mockups/hpe (iLO 5)` },
            { behaviour: "POST to Accounts creates, DELETE removes", source: "HPE iLO 5 resource definitions (redfish.md §2.2); python-ilorest-library examples/Redfish/add_user_account.py" },
            { behaviour: "LoginName confused for the login name locks people out", source: "HewlettPackard/python-ilorest-library#102" },
            { behaviour: "member Id = IPMI slot − 1 (the capture's Administrator is Id 1; the lab's HPE factory account is slot 2)", source: "lab reading", assumed: true },
            { behaviour: "no lockout triple on AccountService (iLO delays after failures instead); the lab's table lockout still applies", source: `${LIBREDFISH}, hpe AccountService (Oem.Hpe.AuthFailure*)` },
            { behaviour: "duplicate UserName → 400 ResourceAlreadyExists; SessionTimeout 1800 s (the capture shows 30, minutes)", source: "not checked", assumed: true },
        ],
    },
    openbmc: {
        flavour: "openbmc",
        root: { odataType: "#ServiceRoot.v1_15_0.ServiceRoot", vendor: "OpenBMC", product: "OpenBMC", redfishVersion: "1.17.0" },
        expand: false,
        accounts: {
            model: "collection",
            memberId: "username",
            firstSlot: 1,
            reservedIds: [],
            odataType: "#ManagerAccount.v1_7_0.ManagerAccount",
            name: "User Account",
            description: "User Account",
            roles: STANDARD_ROLES,
            noAccessRoleId: "NoAccess",
            enabledProperty: true,
            lockedProperty: true,
            accountTypes: "writable",
            baseAccountTypes: ["Redfish", "WebUI", "ManagerConsole", "HostConsole"],
            hpeLoginName: false,
            blankNameNeedsDisabled: false,
            passwordChangeRequired: "read-only",
            duplicateStatus: 400,
            patchAnswer: "no-content",
            deleteAnswer: "message",
            extra: {},
        },
        etag: { weak: false, ifMatch: "optional" },
        accountService: {
            odataType: "#AccountService.v1_15_0.AccountService",
            minPasswordLength: 8,
            maxPasswordLength: 20,
            lockoutProperties: true,
            lockoutWritable: true,
            basicAuthProperty: true,
            extra: { ServiceEnabled: true, LocalAccountAuth: "Enabled" },
        },
        sessions: { serviceOdataType: "#SessionService.v1_0_2.SessionService", sessionOdataType: "#Session.v1_5_0.Session", timeoutSeconds: 3600, maxSessions: 8 },
        ownPasswordChange: "drop-other-sessions",
        passwordChangeStyle: "standard",
        basicAuthWhenChangeRequired: 401,
        sources: [
            { behaviour: "POST {UserName, Password, RoleId, Enabled?, AccountTypes?} → 201 + Location Accounts/{username}; Ids are user names; DELETE → AccountRemoved; duplicate → 400 ResourceAlreadyExists; cap → CreateLimitReachedForResource", source: "openbmc/bmcweb redfish-core/lib/account_service.hpp (redfish.md §2.5)" },
            { behaviour: "AccountTypes Redfish+WebUI, IPMI ↔ the ipmi group, ManagerConsole, HostConsole; POST without AccountTypes puts the user in every group", source: "openbmc/bmcweb account_service.hpp (redfish.md §2.5)" },
            { behaviour: "password change: 204, the user's other sessions removed, the current one kept", source: "openbmc/bmcweb account_service.hpp (redfish.md §2.5)" },
            { behaviour: "PasswordChangeRequired over Basic auth is a plain 401", source: "bmcweb commit 8fd315a, openbmc/bmcweb#103" },
            { behaviour: "MaxPasswordLength 20; lockout triple and HTTPBasicAuth writable; If-Match checked only when present", source: "bmcweb (redfish.md §1.3, §1.5)" },
            { behaviour: "no $expand (bmcweb serves it only with the insecure-enable-redfish-query build option)", source: "redfish.md §2.5; build option default not re-checked", assumed: true },
            { behaviour: "a no-access account shows RoleId NoAccess, which is not a listed role (removed in Nov 2022, 239adf852b)", source: "redfish.md §2.5" },
        ],
    },
    xcc: {
        flavour: "xcc",
        root: { odataType: "#ServiceRoot.v1_13_0.ServiceRoot", vendor: "Lenovo", redfishVersion: "1.15.0" },
        expand: true,
        accounts: {
            model: "slot",
            memberId: "slot-minus-one",
            firstSlot: 2,
            reservedIds: [],
            odataType: "#ManagerAccount.v1_8_1.ManagerAccount",
            name: "User Account",
            description: "This resource is used to represent an account for the manager for a Redfish implementation.",
            roles: STANDARD_ROLES,
            noAccessRoleId: "NoAccess",
            enabledProperty: true,
            lockedProperty: true,
            accountTypes: "writable",
            baseAccountTypes: ["Redfish", "SNMP", "ManagerConsole", "WebUI"],
            hpeLoginName: false,
            blankNameNeedsDisabled: false,
            passwordChangeRequired: "writable",
            duplicateStatus: 400,
            patchAnswer: "resource",
            deleteAnswer: "no-content",
            extra: { HostBootstrapAccount: false, PasswordExpiration: null, Oem: { Lenovo: { "@odata.type": "#LenovoManagerAccount.v1_0_0.LenovoManagerAccount" } } },
        },
        etag: { weak: false, ifMatch: "required" },
        accountService: {
            odataType: "#AccountService.v1_10_0.AccountService",
            minPasswordLength: 10,
            maxPasswordLength: 20,
            lockoutProperties: true,
            lockoutWritable: true,
            basicAuthProperty: false,
            extra: { ServiceEnabled: true, LocalAccountAuth: "Enabled", AccountLockoutCounterResetEnabled: true },
        },
        sessions: { serviceOdataType: "#SessionService.v1_1_8.SessionService", sessionOdataType: "#Session.v1_4_0.Session", timeoutSeconds: 300, maxSessions: 8 },
        ownPasswordChange: "keep",
        passwordChangeStyle: "standard",
        basicAuthWhenChangeRequired: 403,
        sources: [
            { behaviour: "Intel Purley systems: pre-filled slots, create = PATCH an empty-UserName slot", source: "pubs.lenovo.com/xcc-restapi 'PATCH – Create an account' (redfish.md §2.3)" },
            { behaviour: "If-Match required on account writes: 428 without, 412 on a stale tag", source: "ansible/ansible#56050; lenovo/python-redfish-lenovo#55; community.general#11261" },
            { behaviour: "the default account is Accounts/1 (IPMI user 2): member Id = IPMI slot − 1", source: "lenovo/python-redfish-lenovo examples (Accounts/1 for the default account); Id/slot offset is the lab's reading", assumed: true },
            { behaviour: "AccountTypes Redfish/SNMP/ManagerConsole/IPMI/WebUI writable; PasswordChangeRequired PATCHable; strong ETags; MinPasswordLength 10, $expand advertised", source: `${LIBREDFISH}, tests/mockups/lenovo (XCC2 TGBT 2.83); xcc2-restapi PATCH page` },
            { behaviour: "MaxPasswordLength 20 (the firmware says 32; 20 with IPMI, the table's limit)", source: "xcc2-restapi PATCH page (IPMI accounts ≤ 20)" },
        ],
    },
    dmtf: {
        flavour: "dmtf",
        root: { odataType: "#ServiceRoot.v1_5_0.ServiceRoot", product: "Redfish mockup (public-rackmount1)", redfishVersion: "1.6.0" },
        expand: false,
        accounts: {
            model: "collection",
            memberId: "slot-minus-one",
            firstSlot: 2,
            reservedIds: [],
            odataType: "#ManagerAccount.v1_10_0.ManagerAccount",
            name: "User Account",
            description: "User Account",
            roles: STANDARD_ROLES,
            noAccessRoleId: "NoAccess",
            enabledProperty: true,
            lockedProperty: true,
            accountTypes: "fixed",
            baseAccountTypes: ["Redfish"],
            hpeLoginName: false,
            blankNameNeedsDisabled: false,
            passwordChangeRequired: "writable",
            duplicateStatus: 409,
            patchAnswer: "resource",
            deleteAnswer: "no-content",
            extra: {},
        },
        etag: { weak: false, ifMatch: "optional" },
        accountService: {
            odataType: "#AccountService.v1_12_0.AccountService",
            minPasswordLength: 8,
            maxPasswordLength: 20,
            lockoutProperties: true,
            lockoutWritable: true,
            basicAuthProperty: false,
            extra: { ServiceEnabled: true, LocalAccountAuth: "Enabled", AuthFailureLoggingThreshold: 3, AccountLockoutCounterResetEnabled: true },
        },
        sessions: { serviceOdataType: "#SessionService.v1_1_8.SessionService", sessionOdataType: "#Session.v1_6_0.Session", timeoutSeconds: 1800, maxSessions: 8 },
        ownPasswordChange: "keep",
        passwordChangeStyle: "standard",
        basicAuthWhenChangeRequired: 403,
        sources: [
            { behaviour: "AccountService v1_12_0 (MinPasswordLength 8, lockout triple), ManagerAccount v1_10_0 (AccountTypes [Redfish], Enabled, Locked), Roles, SessionService", source: DMTF_MOCKUP },
            { behaviour: "POST creates, DELETE removes (DSP0266 collection semantics)", source: "DSP0266 via DMTF/Redfish-Protocol-Validator assertions (redfish.md §1.4)" },
            { behaviour: "duplicate → 409; SessionTimeout 1800 s (the mockup says 30)", source: "not from a capture", assumed: true },
        ],
    },
};

/** The Redfish personality a lab vendor's BMC serves. */
export const REDFISH_FOR_VENDOR: Readonly<Record<string, RedfishFlavour>> = {
    dell: "idrac9",
    hpe: "ilo",
    openbmc: "openbmc",
    lenovo: "xcc",
    supermicro: "dmtf",
    generic: "dmtf",
};
