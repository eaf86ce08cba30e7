/**
 * The Base message registry entries the lab's Redfish face answers with, and the error envelope of DSP0266 §9.5.2.3.
 *
 * Data, not code: message texts, severities and resolutions are DMTF's, from `Base.1.5.0.json` (DMTF
 * Redfish-Mockup-Server 1.2.6, `public-rackmount1/Registries/`, BSD-3-Clause, Copyright 2014-2019 DMTF) and, for the
 * entries added later (PreconditionFailed, PreconditionRequired, OperationNotAllowed), the Base registry texts quoted by
 * openbmc/bmcweb `redfish-core/include/registries/base_message_registry.hpp` (Apache-2.0) — texts only, no code.
 * The iDRAC OEM entry is quoted from dell/iDRAC-Redfish-Scripting#346 (an R6625's answer).
 */

/** One registry entry: text with %1.. placeholders, severity, resolution. */
interface RegistryEntry {
    message: string;
    severity: "OK" | "Warning" | "Critical";
    resolution: string;
    /** Registry and version the id is reported under (`Base.1.5.0` unless the entry is newer). */
    registry?: string;
}

const BASE = "Base.1.5.0";

export const BASE_MESSAGES = {
    Success: { message: "Successfully Completed Request", severity: "OK", resolution: "None" },
    GeneralError: { message: "A general error has occurred. See Resolution for information on how to resolve the error.", severity: "Critical", resolution: "None." },
    Created: { message: "The resource has been created successfully", severity: "OK", resolution: "None" },
    PropertyValueFormatError: {
        message: "The value %1 for the property %2 is of a different format than the property can accept.",
        severity: "Warning",
        resolution: "Correct the value for the property in the request body and resubmit the request if the operation failed.",
    },
    PropertyValueNotInList: {
        message: "The value %1 for the property %2 is not in the list of acceptable values.",
        severity: "Warning",
        resolution: "Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.",
    },
    PropertyValueTypeError: {
        message: "The value %1 for the property %2 is of a different type than the property can accept.",
        severity: "Warning",
        resolution: "Correct the value for the property in the request body and resubmit the request if the operation failed.",
    },
    PropertyNotWritable: {
        message: "The property %1 is a read only property and cannot be assigned a value.",
        severity: "Warning",
        resolution: "Remove the property from the request body and resubmit the request if the operation failed.",
    },
    PropertyUnknown: {
        message: "The property %1 is not in the list of valid properties for the resource.",
        severity: "Warning",
        resolution: "Remove the unknown property from the request body and resubmit the request if the operation failed.",
    },
    PropertyMissing: {
        message: "The property %1 is a required property and must be included in the request.",
        severity: "Warning",
        resolution: "Ensure that the property is in the request body and has a valid value and resubmit the request if the operation failed.",
    },
    MalformedJSON: {
        message: "The request body submitted was malformed JSON and could not be parsed by the receiving service.",
        severity: "Critical",
        resolution: "Ensure that the request body is valid JSON and resubmit the request.",
    },
    SessionLimitExceeded: {
        message: "The session establishment failed due to the number of simultaneous sessions exceeding the limit of the implementation.",
        severity: "Critical",
        resolution: "Reduce the number of other sessions before trying to establish the session or increase the limit of simultaneous sessions (if supported).",
    },
    ResourceAlreadyExists: {
        message: "The requested resource of type %1 with the property %2 with the value %3 already exists.",
        severity: "Critical",
        resolution: "Do not repeat the create operation as the resource has already been created.",
    },
    CreateLimitReachedForResource: {
        message: "The create operation failed because the resource has reached the limit of possible resources.",
        severity: "Critical",
        resolution: "Either delete resources and resubmit the request if the operation failed or do not resubmit the request.",
    },
    NoValidSession: {
        message: "There is no valid session established with the implementation.",
        severity: "Critical",
        resolution: "Establish as session before attempting any operations.",
    },
    InsufficientPrivilege: {
        message: "There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.",
        severity: "Critical",
        resolution: "Either abandon the operation or change the associated access rights and resubmit the request if the operation failed.",
    },
    AccountModified: { message: "The account was successfully modified.", severity: "OK", resolution: "No resolution is required." },
    AccountRemoved: { message: "The account was successfully removed.", severity: "OK", resolution: "No resolution is required." },
    ResourceMissingAtURI: {
        message: "The resource at the URI %1 was not found.",
        severity: "Critical",
        resolution: "Place a valid resource at the URI or correct the URI and resubmit the request.",
    },
    AccessDenied: {
        message: "While attempting to establish a connection to %1, the service denied access.",
        severity: "Critical",
        resolution: "Attempt to ensure that the URI is correct and that the service has the appropriate credentials.",
    },
    PasswordChangeRequired: {
        message:
            "The password provided for this account must be changed before access is granted.  PATCH the 'Password' property for this account located at the target URI '%1' to complete this process.",
        severity: "Critical",
        resolution: "Change the password for this account using a PATCH to the 'Password' property at the URI provided.",
    },
    ResourceCannotBeDeleted: {
        message: "The delete request failed because the resource requested cannot be deleted.",
        severity: "Critical",
        resolution: "Do not attempt to delete a non-deletable resource.",
    },
    InternalError: {
        message: "The request failed due to an internal service error.  The service is still operational.",
        severity: "Critical",
        resolution: "Resubmit the request.  If the problem persists, consider resetting the service.",
    },
    QueryNotSupported: {
        message: "Querying is not supported by the implementation.",
        severity: "Warning",
        resolution: "Remove the query parameters and resubmit the request if the operation failed.",
    },
    ResourceInUse: {
        message: "The change to the requested resource failed because the resource is in use or in transition.",
        severity: "Warning",
        resolution: "Remove the condition and resubmit the request if the operation failed.",
    },
    AccountForSessionNoLongerExists: {
        message: "The account for the current session has been removed, thus the current session has been removed as well.",
        severity: "OK",
        resolution: "Attempt to connect with a valid account.",
    },
    SessionTerminated: { message: "The session was successfully terminated.", severity: "OK", resolution: "No resolution is required." },
    PreconditionFailed: {
        message: "The ETag supplied did not match the ETag required to change this resource.",
        severity: "Critical",
        resolution: "Try the operation again using the appropriate ETag.",
        registry: "Base.1.8.1",
    },
    PreconditionRequired: {
        message: "A precondition header or annotation is required to change this resource.",
        severity: "Critical",
        resolution: "Try the operation again using an If-Match or If-None-Match header and appropriate ETag.",
        registry: "Base.1.8.1",
    },
    OperationNotAllowed: {
        message: "The HTTP method is not allowed on this resource.",
        severity: "Critical",
        resolution: "None.",
        registry: "Base.1.8.1",
    },
} as const satisfies Record<string, RegistryEntry>;

export type BaseMessageId = keyof typeof BASE_MESSAGES;

/** iDRAC's "default password must be changed" (SecureDefaultPassword), as an R6625 reported it. */
export const IDRAC_DEFAULT_PASSWORD = {
    MessageId: "IDRAC.2.9.SWC1908",
    Message: "Unable to complete the operation because the default password is still in use and must be changed.",
    Resolution: "Change the default password for the default user using one of the iDRAC interfaces. For more information, refer interface User Guides.",
    Severity: "Critical",
    MessageArgs: [] as string[],
};

/** A Message object (Message v1_1) for `@Message.ExtendedInfo`. */
export interface RedfishMessage {
    "@odata.type": string;
    MessageId: string;
    Message: string;
    MessageArgs: string[];
    Severity: string;
    MessageSeverity: string;
    Resolution: string;
    RelatedProperties?: string[];
}

/** Formats a Base message with its arguments. `related` names the JSON pointers the message is about. */
export function message(id: BaseMessageId, args: readonly string[] = [], related?: readonly string[]): RedfishMessage {
    const entry: RegistryEntry = BASE_MESSAGES[id];
    const text = entry.message.replace(/%(\d)/g, (_, n: string) => args[Number(n) - 1] ?? "");
    return {
        "@odata.type": "#Message.v1_1_1.Message",
        MessageId: `${entry.registry ?? BASE}.${id}`,
        Message: text,
        MessageArgs: [...args],
        Severity: entry.severity,
        MessageSeverity: entry.severity,
        Resolution: entry.resolution,
        ...(related ? { RelatedProperties: [...related] } : {}),
    };
}

/** The error envelope (DSP0266 "Error responses"): `code`/`message` of the first message, every message in ExtendedInfo. */
export function errorBody(messages: readonly (RedfishMessage | typeof IDRAC_DEFAULT_PASSWORD)[]): Record<string, unknown> {
    const [first] = messages;
    // With several messages the code is GeneralError, as DSP0266 recommends; with one it is that message.
    const general = message("GeneralError");
    const head = messages.length === 1 && first.MessageId.startsWith("Base.") ? first : general;
    return {
        error: {
            code: head.MessageId,
            message: messages.length === 1 && head === first ? first.Message : "A general error has occurred. See ExtendedInfo for more information.",
            "@Message.ExtendedInfo": messages,
        },
    };
}
