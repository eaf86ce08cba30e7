"use strict";
/**
 * The transport matrix: the sim and fault tiers run once per transport (`npm test` runs both), choosing it with
 * BMC_TEST_TRANSPORT=native|ipmitool (default native). `lab.connection()` puts it into every `bmc` it builds, and tests
 * that count requests read what one session costs on it.
 *
 * Requests per session, counted at the BMC (the UDP proxy):
 * - native: Open Session, RAKP 1, RAKP 3, Set Session Privilege Level, then Close Session (4 + 1); a login that only
 *   proves a password skips Set Session Privilege (3 + 1).
 * - ipmitool 1.8.19: Get Channel Authentication Capabilities, Open Session, RAKP 1, RAKP 3, Set Session Privilege,
 *   HPM.2 Get Capabilities, Get Device ID, Get PICMG Properties, Get VSO Capabilities, Close Session (10, DESIGN.md);
 *   a login at USER privilege skips Set Session Privilege (sessions start at USER): 9.
 */
const TRANSPORT = process.env.BMC_TEST_TRANSPORT ?? "native";
if (!["native", "ipmitool"].includes(TRANSPORT)) throw new Error(`BMC_TEST_TRANSPORT must be native or ipmitool, not ${TRANSPORT}`);

const COST = {
  native: { session: 5, login: 4, loginAtUser: 4 },
  ipmitool: { session: 10, login: 10, loginAtUser: 9 },
}[TRANSPORT];

module.exports = { TRANSPORT, SESSION: COST.session, LOGIN: COST.login, LOGIN_AT_USER: COST.loginAtUser };
