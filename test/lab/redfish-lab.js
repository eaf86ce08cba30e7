"use strict";
/**
 * Redfish BMCs for tests: virtual BMCs of the lab (`pulumi-bmc-credentials/lab`) with their Redfish face — the same
 * account table as their IPMI side, the vendor personality's slot count, LAN channels and factory administrator — on
 * loopback ports chosen at start, with a certificate made at start. Out-of-band changes go straight to the account
 * table (what the BMC's IPMI side, or its web UI, would do), never through the provider's client.
 */
const { startLab, PERSONALITIES, AccountTable } = require("../../dist/lab");
const { accountPolicy } = require("../../dist/lab/personalities");

/** Per Redfish personality: the lab vendor whose BMC serves it. */
const BMCS = {
  idrac9: { vendor: "dell" },
  ilo: { vendor: "hpe" },
  openbmc: { vendor: "openbmc" },
  xcc: { vendor: "lenovo" },
  dmtf: { vendor: "generic" },
};
for (const spec of Object.values(BMCS)) {
  const p = PERSONALITIES[spec.vendor];
  spec.admin = { slot: p.factoryAdmin.slot, name: p.factoryAdmin.name };
  spec.policy = accountPolicy(p);
}

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

/** An account table shaped like the lab's BMC for `flavour` (no sockets), for tests of the service alone. */
function tableFor(flavour, { adminPassword, users = [], clock } = {}) {
  const spec = BMCS[flavour];
  return new AccountTable({ ...spec.policy }, [{ slot: spec.admin.slot, name: spec.admin.name, password: adminPassword, privilege: "administrator" }, ...users], clock);
}

/**
 * Starts one virtual BMC serving Redfish as `flavour`. `adminPassword` replaces the factory administrator's password (a
 * sentinel in most tests); `users` are `{slot, name, password, privilege}`.
 * @returns the lab BMC plus helpers: `connection(overrides)` (a `bmc` block with the pinned fingerprint), `table`,
 *   `service` (the Redfish service: its request log, hooks and faults), `requests(filter)`, `clearLog()`,
 *   `canLogin(name, password)` (through the table, no HTTP), `account(name)`, `stop()`.
 */
async function startRedfishBmc(flavour, { adminPassword, users = [], clock, maxSessions, sessionTimeoutSeconds } = {}) {
  const spec = BMCS[flavour];
  if (!spec) throw new Error(`no Redfish test BMC ${flavour}`);
  const lab = await startLab({
    vendor: spec.vendor,
    admin: { name: spec.admin.name, password: adminPassword },
    users: users.map((u) => ({ id: u.slot, name: u.name, password: u.password, privilege: u.privilege })),
    redfish: flavour,
    ...(clock ? { clock } : {}),
  });
  const [lb] = lab.bmcs;
  const { redfish, table } = lb;
  const service = redfish.service;
  if (maxSessions !== undefined) service.maxSessions = maxSessions;
  if (sessionTimeoutSeconds !== undefined) service.sessionTimeoutSeconds = sessionTimeoutSeconds;
  return {
    flavour,
    personality: service.personality,
    lab: lb,
    /** The face's certificate (PEM), for `bmc.tls.caCertificate`. */
    certificatePem: redfish.certificatePem,
    table,
    service,
    host: lb.host,
    port: redfish.port,
    ipmiPort: lb.port,
    fingerprint: redfish.fingerprint,
    admin: { ...spec.admin, password: adminPassword },
    connection(overrides = {}) {
      return { protocol: "redfish", host: lb.host, port: redfish.port, username: spec.admin.name, password: adminPassword, tls: { fingerprint: redfish.fingerprint }, ...overrides };
    },
    /** Log entries, optionally filtered by method and/or a path fragment. */
    requests({ method, path } = {}) {
      return service.log.filter((e) => (!method || e.method === method) && (!path || e.path.includes(path)));
    },
    clearLog() {
      service.clearLog();
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
    stop: () => lab.stop(),
  };
}

module.exports = { startRedfishBmc, tableFor, FLAVOURS, BMCS, TestClock };
