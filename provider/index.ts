/**
 * pulumi-bmc-credentials: declarative server credentials for Pulumi.
 *
 * - {@link BmcUser}: an IPMI user account on a BMC, converged over RMCP+ through ipmitool.
 * - `BmsPassword`: the OS password of a Huawei Cloud Bare Metal Server, reset through the one-click reset API.
 *
 * The `*Provider` objects implement `pulumi.dynamic.ResourceProvider` and can be called directly with plain values,
 * exactly as the engine passes them after `check`.
 */

export { CredentialsError, PartialFailureError, isCredentialsError } from "./shared/errors";
export type { ErrorCode } from "./shared/errors";

export { BmcUser } from "./bmcUser/resource";
export type { BmcUserArgs, BmcConnectionArgs, BmcPrivilege, SshArgs, RedfishTlsArgs } from "./bmcUser/resource";
export * as bmcUserProvider from "./bmcUser/provider";
export { BmsPassword } from "./bmsPassword/resource";
export type { BmsPasswordArgs } from "./bmsPassword/resource";
export * as bmsPasswordProvider from "./bmsPassword/provider";
