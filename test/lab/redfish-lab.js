"use strict";
/**
 * Redfish BMCs for tests: the lab's Redfish face (`provider/lab/redfish`) over an account table shaped like the lab's
 * vendor personality (slot count, LAN channels, factory administrator's slot), on a loopback port chosen at start, with
 * a certificate made at start. Out-of-band changes go straight to the account table (what the BMC's IPMI side, or its
 * web UI, would do), never through the provider's client.
 */
const { AccountTable } = require("../../dist/lab/accounts");
const { startRedfishFace } = require("../../dist/lab/redfish/server");
const { REDFISH_PERSONALITIES } = require("../../dist/lab/redfish/personalities");

/** Per Redfish personality: the lab vendor it stands for, its account store and its factory administrator. */
const BMCS = {
  idrac9: { vendor: "dell", policy: { maxUsers: 16, channels: [1], nullUserSlot: 1, uniqueNames: true, testComparesSize: true }, admin: { slot: 2, name: "root" } },
  ilo: { vendor: "hpe", policy: { maxUsers: 12, channels: [2], nullUserSlot: 1, uniqueNames: true, testComparesSize: true }, admin: { slot: 2, name: "Administrator" } },
  openbmc: {
    vendor: "openbmc",
    policy: { maxUsers: 15, channels: [1, 2], uniqueNames: true, testComparesSize: false, passwordRule: (pw) => pw.length >= 8 },
    admin: { slot: 1, name: "root" },
  },
  xcc: { vendor: "lenovo", policy: { maxUsers: 12, channels: [1], nullUserSlot: 1, uniqueNames: true, testComparesSize: true }, admin: { slot: 2, name: "USERID" } },
  dmtf: { vendor: "generic", policy: { maxUsers: 15, channels: [1], nullUserSlot: 1, uniqueNames: true, testComparesSize: true }, admin: { slot: 2, name: "ADMIN" } },
};

const FLAVOURS = Object.keys(BMCS);

/** A manual clock for idle timeouts and lockout intervals. */
class TestClock {
  constructor(t = 1_000_000) {
    this.t = t;
  }
  now() {
    return this.t;
  }
  advance(seconds) {
    this.t += seconds * 1000;
  }
}

/**
 * Starts one Redfish BMC. `adminPassword` is the factory administrator's password (a sentinel in most tests).
 * @returns the face plus helpers: `connection(overrides)` (a `bmc` block with the pinned fingerprint), `table`,
 *   `requests(filter)` (the face's log), `clearLog()`, `canLogin(name, password)` (through the table, no HTTP),
 *   `stop()`.
 */
async function startRedfishBmc(flavour, { adminPassword, users = [], lockout, clock, maxSessions, sessionTimeoutSeconds } = {}) {
  const spec = BMCS[flavour];
  if (!spec) throw new Error(`no Redfish test BMC ${flavour}`);
  const table = new AccountTable({ ...spec.policy }, [{ slot: spec.admin.slot, name: spec.admin.name, password: adminPassword, privilege: "administrator" }, ...users], clock);
  if (lockout) table.setLockout({ threshold: 0, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false, ...lockout });
  const face = await startRedfishFace({ table, personality: flavour, clock, maxSessions, sessionTimeoutSeconds });
  const personality = REDFISH_PERSONALITIES[flavour];
  return {
    flavour,
    personality,
    face,
    table,
    service: face.service,
    host: face.host,
    port: face.port,
    fingerprint: face.fingerprint,
    admin: { ...spec.admin, password: adminPassword },
    connection(overrides = {}) {
      return { protocol: "redfish", host: face.host, port: face.port, username: spec.admin.name, password: adminPassword, tls: { fingerprint: face.fingerprint }, ...overrides };
    },
    /** Log entries, optionally filtered by method and/or a path fragment. */
    requests({ method, path } = {}) {
      return face.service.log.filter((e) => (!method || e.method === method) && (!path || e.path.includes(path)));
    },
    clearLog() {
      face.service.clearLog();
    },
    /** Whether `name` can log in with `password` (the table's own check; counts like a login). */
    canLogin(name, password) {
      return table.authenticate(name, password).ok;
    },
    /** The slot holding `name`, as the table holds it. */
    account(name) {
      const slot = table.findByName(name);
      return slot === undefined ? undefined : table.view(slot);
    },
    stop: () => face.stop(),
  };
}

module.exports = { startRedfishBmc, FLAVOURS, BMCS, TestClock };
