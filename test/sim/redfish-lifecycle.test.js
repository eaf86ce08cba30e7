"use strict";
// BmcUser over Redfish, one lifecycle matrix run on every Redfish personality of the lab (iDRAC9, iLO, OpenBMC, XCC,
// DMTF): create, adopt, drift per field, update, userId, wrong pin, wrong login, wrong user password (partial
// failure), 412/428, PasswordChangeRequired, self-rotation, lockout budget, slot exhaustion, delete. Out-of-band
// changes go to the BMC's account table directly (as its IPMI side or web UI would), never through the provider.
// Every operation runs under the sentinel scan; the lab's request log (URLs and redacted bodies) is scanned too, and
// the requests of each operation are counted there and pinned.
const assert = require("node:assert/strict");
const { providerScan } = require("../peers/provider-scan");
const { startRedfishBmc, FLAVOURS } = require("../lab/redfish-lab");
const { bmcUserProvider: provider, isCredentialsError } = require("../../dist");
const { diffRedfishUser } = require("../../dist/bmcUser/redfishPlan");

const ADMIN_PW = "Sentinel-Adm-5x1";
const OPS_PW = "Sentinel-Ops-8k2";
const NEW_PW = "Sentinel-New-4q7";
const ROT_PW = "Sentinel-Rot-3z9";
const OOB_PW = "Sentinel-Oob-1w2";
const SENTINELS = [ADMIN_PW, OPS_PW, NEW_PW, ROT_PW, OOB_PW];
// Processes are sampled in a worker thread while each operation runs: the lab's Redfish face answers from this thread.
const { scan, op: scanned } = providerScan(SENTINELS);

/**
 * Requests per operation, counted at the lab (service root, session POST/DELETE, AccountService, accounts, writes,
 * the verification login and its logout). An added round trip fails here.
 */
const REQUESTS = {
  // root + login + AccountService + accounts ($expand where offered, else collection + one GET per member) + GET slot +
  // PATCH (or POST) + read-back + logout + probe login + probe logout
  create: { idrac9: 10, ilo: 9, openbmc: 10, xcc: 10, dmtf: 10 },
  // root + login + AccountService + GET account + logout + probe login + probe logout
  read: { idrac9: 7, ilo: 7, openbmc: 7, xcc: 7, dmtf: 7 },
  // root + login + AccountService + GET account + PATCH + read-back + logout + probe login + probe logout
  update: { idrac9: 9, ilo: 9, openbmc: 9, xcc: 9, dmtf: 9 },
  // collection: root + login + GET account + AccountService + DELETE + logout; slot: … + Roles + PATCH (disable, no
  // role, scrambled password) + GET (fresh ETag) + PATCH (empty name) + logout
  delete: { idrac9: 9, ilo: 6, openbmc: 6, xcc: 9, dmtf: 6 },
};

/** What each personality is expected to show, read from the vendor sources in redfish.md (not from the lab's data). */
const EXPECT = {
  idrac9: { id: "3", model: "slot", enabled: true, locked: true, ipmiTypes: false, ifMatchRequired: false, changeStyle: "idrac-oem", ownToken: "invalidated" },
  ilo: { id: "2", model: "collection", enabled: false, locked: false, ipmiTypes: false, ifMatchRequired: false, changeStyle: "standard", ownToken: "kept" },
  openbmc: { id: "ops", model: "collection", enabled: true, locked: true, ipmiTypes: true, ifMatchRequired: false, changeStyle: "standard", ownToken: "kept" },
  xcc: { id: "2", model: "slot", enabled: true, locked: true, ipmiTypes: true, ifMatchRequired: true, changeStyle: "standard", ownToken: "kept" },
  dmtf: { id: "2", model: "collection", enabled: true, locked: true, ipmiTypes: false, ifMatchRequired: false, changeStyle: "standard", ownToken: "kept" },
};

async function checked(news, olds = {}) {
  const r = await provider.check(olds, news);
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  return { ...r.inputs, __provider: "test-provider-ref" };
}

/** Runs `fn` under the sentinel scan; returns its result or throws what it threw. */
async function watched(fn) {
  const { result, error } = await scanned(fn);
  if (error) throw error;
  return result;
}

/** Runs `fn` under the scan and returns the error it must fail with. */
async function failure(fn) {
  const { error } = await scanned(fn);
  assert.ok(error, "expected the operation to fail");
  return error;
}

function setPrivilege(bmc, slot, privilege) {
  for (const ch of bmc.table.policy.channels) bmc.table.setAccess(slot, ch, { privilege });
}

for (const flavour of FLAVOURS) {
  const expect = EXPECT[flavour];

  describe(`sim: BmcUser over Redfish — ${flavour}`, function () {
    this.timeout(60000);
    let bmc, inputs, id, outs;

    const base = (overrides = {}) => ({
      bmc: bmc.connection(),
      username: "ops",
      password: OPS_PW,
      privilege: "operator",
      ...(expect.ipmiTypes ? { ipmiMessaging: true } : {}),
      ...overrides,
    });
    /** Requests the lab saw during `fn`. */
    const counted = async (fn) => {
      const before = bmc.service.log.length;
      const result = await fn();
      return { result, requests: bmc.service.log.slice(before) };
    };
    /**
     * An update whose every login candidate is wrong: the administrator's password is changed out of band for its
     * duration, and the program gives two wrong ones. Returns the error and the requests it cost.
     */
    const updateWithUnknownAdminPassword = async () => {
      bmc.table.setPassword(bmc.admin.slot, OOB_PW, 16);
      try {
        const news = await checked(base({ bmc: bmc.connection({ password: "Wrong-admin-pw-1", fallbackPasswords: ["Wrong-admin-pw-2"] }) }));
        return await counted(() => failure(() => provider.update(id, outs, news)));
      } finally {
        bmc.table.setPassword(bmc.admin.slot, ADMIN_PW, 16);
      }
    };
    const userLogins = (requests, user) => requests.filter((e) => e.method === "POST" && e.path.endsWith("/Sessions") && e.user === user);

    before(async () => {
      bmc = await startRedfishBmc(flavour, { adminPassword: ADMIN_PW });
    });
    after(async () => {
      scan.text("the lab's request log (URLs and bodies)", JSON.stringify(bmc.service.log));
      for (const e of bmc.service.log) assert.ok(!SENTINELS.some((s) => e.url.includes(s)), "a password travelled in a URL");
      await bmc.stop();
    });

    it("create makes the account, proves its password with exactly one login, and pins its requests", async () => {
      inputs = await checked(base());
      const { result, requests } = await counted(() => watched(() => provider.create(inputs)));
      ({ id, outs } = result);
      assert.equal(id, `127.0.0.1:${bmc.port}/redfish/${expect.id}`);
      assert.equal(outs.model, expect.model);
      assert.equal(outs.passwordState, "verified");
      assert.equal(outs.roleId, "Operator");
      const slot = bmc.account("ops");
      assert.equal(slot.enabled, true);
      for (const ch of bmc.table.policy.channels) assert.equal(slot.access[ch].privilege, "operator", "the IPMI side sees the Redfish role");
      assert.equal(userLogins(requests, "ops").length, 1, "exactly one login as the new user");
      assert.equal(requests.filter((e) => e.auth === "basic").length, 0, "never HTTP Basic");
      assert.equal(requests.length, REQUESTS.create[flavour], requests.map((e) => `${e.method} ${e.url}`).join("\n"));
      const writes = requests.filter((e) => e.method === "PATCH" || (e.method === "POST" && e.path.endsWith("/Accounts")));
      assert.equal(writes.length, 1, "one write");
      if (expect.model === "slot") assert.ok(writes[0].ifMatch, "the slot PATCH carries If-Match");
      assert.ok(bmc.canLogin("ops", OPS_PW));
    });

    it("create again adopts the same account (idempotent)", async () => {
      const again = await watched(() => provider.create(inputs));
      assert.equal(again.id, id);
      assert.equal(bmc.table.list().filter((v) => v.name === "ops").length, 1);
    });

    it("read right after create shows no drift (the second plan is empty) and pins its requests", async () => {
      const { result: r, requests } = await counted(() => watched(() => provider.read(id, outs)));
      assert.equal(r.id, id);
      assert.equal(r.props.passwordState, "verified");
      const d = await provider.diff(id, r.props, inputs);
      assert.equal(d.changes, false, JSON.stringify(d));
      assert.equal(requests.length, REQUESTS.read[flavour], requests.map((e) => `${e.method} ${e.url}`).join("\n"));
      assert.equal(userLogins(requests, "ops").length, 1);
      outs = r.props;
    });

    const drifts = [
      ["privilege", (slot) => setPrivilege(bmc, slot, "user"), ["privilege"], (v) => v.access[bmc.table.policy.channels[0]].privilege === "operator"],
      ["password", (slot) => bmc.table.setPassword(slot, OOB_PW, 16), ["password"], () => bmc.canLogin("ops", OPS_PW)],
      ...(expect.enabled ? [["enabled", (slot) => bmc.table.setEnabled(slot, false), ["enabled"], (v) => v.enabled]] : []),
      ...(expect.locked
        ? [
            [
              "locked",
              (slot) => {
                bmc.table.setLockout({ threshold: 2, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
                bmc.table.recordLogin(slot, false);
                bmc.table.recordLogin(slot, false);
                bmc.table.setLockout({ threshold: 0, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
              },
              ["locked"],
              (v) => !v.locked,
            ],
          ]
        : []),
      ...(expect.ipmiTypes
        ? [["ipmiMessaging", (slot) => bmc.table.setAccess(slot, bmc.table.policy.channels[0], { privilege: "operator", flags: { ipmiMessaging: false, linkAuth: true, callbackOnly: false } }), ["ipmiMessaging"], (v) => v.access[bmc.table.policy.channels[0]].ipmiMessaging]]
        : []),
      // A rename moves the account on services whose Ids are user names: there the refresh finds it gone (below).
      ...(flavour !== "openbmc" ? [["username", (slot) => bmc.table.setName(slot, "renamed"), ["username"], (v) => v.name === "ops"]] : []),
    ];
    for (const [field, change, expected, repaired] of drifts) {
      it(`drift in ${field} alone shows in read + diff, and update repairs it`, async () => {
        const slot = bmc.table.findByName("ops");
        change(slot);
        const r = await watched(() => provider.read(id, outs));
        assert.equal(r.id, id);
        const d = diffRedfishUser(r.props, inputs);
        assert.deepEqual(d.replaces, []);
        assert.deepEqual(d.updates, expected, JSON.stringify(r.props));
        assert.equal((await provider.diff(id, r.props, inputs)).changes, true);
        const u = await watched(() => provider.update(id, r.props, inputs));
        assert.equal(u.outs.passwordState, "verified");
        assert.ok(repaired(bmc.table.view(slot)), `${field} repaired on the BMC`);
        const again = await watched(() => provider.read(id, u.outs));
        assert.equal((await provider.diff(id, again.props, inputs)).changes, false);
        outs = again.props;
      });
    }

    it("an out-of-band password change costs exactly one failed login per drift, and refresh does not probe it again", async () => {
      const slot = bmc.table.findByName("ops");
      bmc.table.setLockout({ threshold: 3, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
      bmc.table.setPassword(slot, OOB_PW, 16);
      const first = await counted(() => watched(() => provider.read(id, outs)));
      assert.equal(first.result.props.passwordState, "mismatch");
      assert.equal(userLogins(first.requests, "ops").length, 1);
      assert.equal(bmc.table.view(slot).failedLogins, 1);
      const second = await counted(() => watched(() => provider.read(id, first.result.props)));
      assert.equal(userLogins(second.requests, "ops").length, 0, "a password known to drift is not probed again");
      assert.equal(bmc.table.view(slot).failedLogins, 1);
      assert.equal(bmc.table.view(slot).locked, false);
      const u = await watched(() => provider.update(id, second.result.props, inputs));
      assert.equal(u.outs.passwordState, "verified");
      assert.equal(bmc.table.view(slot).failedLogins, 0, "the successful proof resets the count");
      bmc.table.setLockout({ threshold: 0, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
      outs = u.outs;
    });

    it("update changes password and privilege in one write and proves the password once", async () => {
      const news = await checked(base({ password: NEW_PW, privilege: "user" }));
      const { result, requests } = await counted(() => watched(() => provider.update(id, outs, news)));
      assert.equal(result.outs.passwordState, "verified");
      assert.equal(result.outs.roleId, "ReadOnly");
      const patches = requests.filter((e) => e.method === "PATCH");
      assert.equal(patches.length, 1);
      assert.match(patches[0].body, /"Password":"\[redacted\]"/);
      assert.match(patches[0].body, /"RoleId":"ReadOnly"/);
      assert.equal(requests.length, REQUESTS.update[flavour], requests.map((e) => `${e.method} ${e.url}`).join("\n"));
      assert.ok(bmc.canLogin("ops", NEW_PW));
      inputs = news;
      outs = result.outs;
    });

    it("without an Allow header the model is inferred (pre-filled empty slots mean slots, else POST)", async () => {
      bmc.service.faults.hideAllow = true;
      let r;
      try {
        r = await watched(async () => provider.create(await checked(base({ username: "noallow", password: OPS_PW }))));
      } finally {
        bmc.service.faults.hideAllow = false;
      }
      assert.equal(r.outs.model, expect.model);
      assert.equal(bmc.service.log.filter((e) => e.status === 405).length, 0, "no POST was tried on a slot-model service");
      await watched(() => provider.delete(r.id, r.outs));
    });

    if (expect.model === "slot") {
      it("userId picks the slot on a slot-model service", async () => {
        const news = await checked(base({ username: "slotted", userId: 6, password: OPS_PW }));
        const r = await watched(() => provider.create(news));
        assert.equal(r.id, `127.0.0.1:${bmc.port}/redfish/6`);
        assert.equal(r.outs.userId, 6);
        await watched(() => provider.delete(r.id, r.outs));
      });
    } else {
      it("userId is refused on a collection-model service, before any write", async () => {
        const news = await checked(base({ username: "slotted", userId: 6, password: OPS_PW }));
        const before = bmc.service.log.length;
        const e = await failure(() => provider.create(news));
        assert.ok(isCredentialsError(e, "REDFISH_NOT_SUPPORTED"), e.message);
        assert.match(e.message, /userId/);
        assert.equal(bmc.service.log.slice(before).filter((x) => x.method === "POST" && x.path.endsWith("/Accounts")).length, 0);
      });
    }

    const REFUSED = {
      idrac9: [{ userId: 2 }, "BMC_SLOT_TAKEN"],
      ilo: [{ enabled: false }, "REDFISH_NOT_SUPPORTED"],
      openbmc: [{ privilege: "no-access" }, "REDFISH_NOT_SUPPORTED"],
      xcc: [{ privilege: "no-access" }, "REDFISH_NOT_SUPPORTED"],
      dmtf: [{ privilege: "no-access" }, "REDFISH_NOT_SUPPORTED"],
    };
    it(`a create the BMC cannot take (${JSON.stringify(REFUSED[flavour][0])}) is refused before any write and records nothing`, async () => {
      const [overrides, code] = REFUSED[flavour];
      const news = await checked(base({ username: "refused", password: OPS_PW, ...overrides }));
      const { result: e, requests } = await counted(() => failure(() => provider.create(news)));
      assert.equal(e.code, code, e.message);
      assert.notEqual(e.name, "PartialFailureError", "nothing was written, so nothing is recorded");
      assert.equal(requests.filter((x) => x.method === "PATCH" || (x.method === "POST" && x.path.endsWith("/Accounts"))).length, 0);
      assert.equal(bmc.account("refused"), undefined);
    });

    it("no free session on the BMC: a clear, transient error, and no failed login counted", async () => {
      const login = () => bmc.service.handle({ method: "POST", url: "/redfish/v1/SessionService/Sessions", headers: {}, body: Buffer.from(JSON.stringify({ UserName: bmc.admin.name, Password: ADMIN_PW })) });
      const held = [];
      while (bmc.service.openSessions().length < bmc.service.maxSessions) held.push(login().headers.Location);
      try {
        const e = await failure(() => provider.read(id, outs));
        assert.equal(e.code, "REDFISH_SESSION_LIMIT", e.message);
        assert.equal(e.transient, true);
        assert.equal(bmc.table.view(bmc.admin.slot).failedLogins, 0);
      } finally {
        for (const session of held) bmc.service.handle({ method: "DELETE", url: session, headers: { authorization: `Basic ${Buffer.from(`${bmc.admin.name}:${ADMIN_PW}`).toString("base64")}` } });
      }
      assert.equal(bmc.service.openSessions().length, 0);
    });

    it("a wrong certificate pin fails before any request reaches the BMC", async () => {
      const before = bmc.service.log.length;
      const wrong = "00".repeat(32);
      const news = await checked(base({ bmc: bmc.connection({ tls: { fingerprint: wrong } }) }));
      const e = await failure(() => provider.create(news));
      assert.ok(isCredentialsError(e, "BMC_TLS_PIN_MISMATCH"), e.message);
      assert.match(e.message, new RegExp(bmc.fingerprint));
      assert.equal(bmc.service.log.length, before, "no request (and no credential) reached the BMC");
    });

    it("a wrong login password is one failed session login per candidate, never retried, never Basic", async () => {
      const { result: e, requests } = await updateWithUnknownAdminPassword();
      assert.ok(isCredentialsError(e, "BMC_LOGIN_REJECTED"), e.message);
      // The candidates, each once: the password that worked last in this process (the previous bmc.password, so
      // first), bmc.password, fallbackPasswords[0].
      assert.match(e.message, /\(the previous bmc\.password, password, fallbackPasswords\[0\]\), each once/);
      assert.equal(requests.filter((x) => x.login === "failed").length, 3);
      assert.equal(userLogins(requests, bmc.admin.name).length, 3);
      assert.equal(requests.filter((x) => x.auth === "basic").length, 0);
      assert.equal(requests.filter((x) => x.method !== "POST" && x.path !== "/redfish/v1").length, 0, "nothing else was sent");
    });

    if (expect.locked) {
      it("with AccountLockoutThreshold 3 read earlier in the run, at most 2 login candidates are tried", async () => {
        bmc.table.setLockout({ threshold: 3, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
        outs = (await watched(() => provider.read(id, outs))).props; // reads the threshold
        let result;
        try {
          result = await updateWithUnknownAdminPassword();
        } finally {
          bmc.table.unlock(bmc.admin.slot);
          bmc.table.setLockout({ threshold: 0, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
        }
        assert.equal(result.result.code, "BMC_LOGIN_REJECTED");
        assert.match(result.result.message, /1 more not tried, to stay below the BMC's AccountLockoutThreshold of 3/);
        assert.equal(result.requests.filter((x) => x.login === "failed").length, 2);
        assert.equal(bmc.table.view(bmc.admin.slot).locked, false, "the provider never locked the login account");
        outs = (await watched(() => provider.read(id, outs))).props; // and reads the threshold back to 0
      });
    }

    it("a password the BMC mangles is a partial failure (recorded, mismatch), and the next update converges", async () => {
      const slot = bmc.table.findByName("ops");
      // Firmware that accepts a password and keeps something else.
      bmc.service.afterRequest = (entry) => {
        if (entry.method === "PATCH" && entry.status < 300 && entry.body?.includes('"Password"')) bmc.table.setPassword(slot, OOB_PW, 16);
      };
      const news = await checked(base({ password: ROT_PW }));
      let e;
      try {
        e = await failure(() => provider.update(id, outs, news));
      } finally {
        bmc.service.afterRequest = undefined;
      }
      assert.equal(e.name, "PartialFailureError");
      assert.equal(e.code, "BMC_PASSWORD_NOT_VERIFIED");
      assert.equal(e.id, id);
      assert.equal(e.properties.passwordState, "mismatch");
      assert.equal(e.properties.__provider, "test-provider-ref");
      assert.deepEqual(diffRedfishUser(e.properties, news).updates, ["password"]);
      const u = await watched(() => provider.update(id, e.properties, news));
      assert.equal(u.outs.passwordState, "verified");
      assert.ok(bmc.canLogin("ops", ROT_PW));
      inputs = news;
      outs = u.outs;
    });

    it("412: the account changed between the provider's GET and PATCH — refused, not retried; the next update converges", async () => {
      const slot = bmc.table.findByName("ops");
      let changed = false;
      bmc.service.beforeRequest = ({ method, path }) => {
        if (!changed && method === "PATCH" && path.includes("/Accounts/")) {
          changed = true;
          setPrivilege(bmc, slot, "administrator");
        }
      };
      const news = await checked(base({ password: ROT_PW, privilege: "user" }));
      let result;
      try {
        result = await counted(() => failure(() => provider.update(id, outs, news)));
      } finally {
        bmc.service.beforeRequest = undefined;
      }
      const e = result.result;
      assert.equal(e.code, "REDFISH_PRECONDITION_FAILED", e.message);
      assert.equal(result.requests.filter((x) => x.status === 412).length, 1);
      assert.equal(result.requests.filter((x) => x.method === "PATCH").length, 1, "no retry of the write");
      assert.equal(bmc.table.view(slot).access[bmc.table.policy.channels[0]].privilege, "administrator", "nothing written by the refused PATCH");
      const u = await watched(() => provider.update(id, e.properties, news));
      assert.equal(bmc.table.view(slot).access[bmc.table.policy.channels[0]].privilege, "user");
      inputs = news;
      outs = u.outs;
    });

    it(`428: a BMC that serves no ETag — ${expect.ifMatchRequired ? "refused with a clear error" : "the write goes ahead without If-Match"}`, async () => {
      bmc.service.faults.omitEtags = true;
      const news = await checked(base({ password: ROT_PW, privilege: "operator" }));
      let outcome;
      try {
        outcome = await scanned(() => provider.update(id, outs, news));
      } finally {
        bmc.service.faults.omitEtags = false;
      }
      if (expect.ifMatchRequired) {
        assert.equal(outcome.error?.code, "REDFISH_PRECONDITION_REQUIRED", outcome.error?.message);
        const u = await watched(() => provider.update(id, outcome.error.properties, news));
        outs = u.outs;
      } else {
        assert.ok(!outcome.error, outcome.error?.message);
        outs = outcome.result.outs;
      }
      inputs = news;
      assert.equal(bmc.table.view(bmc.table.findByName("ops")).access[bmc.table.policy.channels[0]].privilege, "operator");
    });

    it(`PasswordChangeRequired on the login account (${expect.changeStyle}) is reported once, never looped on`, async () => {
      bmc.service.requirePasswordChange(bmc.admin.slot, true);
      let result;
      try {
        result = await counted(() => failure(() => provider.read(id, outs)));
      } finally {
        bmc.service.requirePasswordChange(bmc.admin.slot, false);
      }
      const e = result.result;
      assert.ok(isCredentialsError(e, "REDFISH_PASSWORD_CHANGE_REQUIRED"), e.message);
      assert.equal(userLogins(result.requests, bmc.admin.name).length, 1, "one login, no loop");
      assert.equal(result.requests.filter((x) => x.method === "PATCH").length, 0);
    });

    if (expect.changeStyle === "standard") {
      it("PasswordChangeRequired with a BmcUser for the login account: the password is changed once and proven", async () => {
        bmc.service.requirePasswordChange(bmc.admin.slot, true);
        const self = await checked({ bmc: bmc.connection(), username: bmc.admin.name, password: ROT_PW, privilege: "administrator" });
        const { result, requests } = await counted(() => watched(() => provider.create(self)));
        assert.equal(result.outs.passwordState, "verified");
        assert.equal(requests.filter((x) => x.method === "PATCH").length, 1);
        assert.ok(bmc.canLogin(bmc.admin.name, ROT_PW));
        // Back to the sentinel for the rest of the matrix, the same way.
        const back = await checked({ bmc: bmc.connection({ password: ROT_PW }), username: bmc.admin.name, password: ADMIN_PW, privilege: "administrator" });
        assert.equal((await watched(() => provider.create(back))).outs.passwordState, "verified");
      });
    }

    it("rotating the login account's own password: last call of its session, proven by a fresh session", async () => {
      const self = await checked({ bmc: bmc.connection(), username: bmc.admin.name, password: ROT_PW, privilege: "administrator" });
      const { result, requests } = await counted(() => watched(() => provider.create(self)));
      assert.equal(result.outs.passwordState, "verified");
      assert.equal(result.outs.bmcLogin, "password");
      const patchAt = requests.findIndex((x) => x.method === "PATCH");
      const ownSession = requests[patchAt].user;
      assert.equal(ownSession, bmc.admin.name);
      assert.deepEqual(requests.slice(patchAt + 1).map((x) => `${x.method} ${x.path.replace(/\d+$/, "N")}${x.user ? ` ${x.user}` : ""}`).slice(0, 1), [`POST /redfish/v1/SessionService/Sessions ${bmc.admin.name}`], "the fresh session follows the PATCH");
      const logouts = requests.slice(patchAt + 1).filter((x) => x.method === "DELETE");
      // After the PATCH: the fresh session's login and logout, then the rotating session's own logout, last.
      assert.equal(logouts.length, 2);
      const oldSession = logouts[1];
      assert.equal(oldSession.status, expect.ownToken === "invalidated" ? 401 : 204, "iDRAC ends the rotating session itself; the others keep it until logout");
      assert.ok(!bmc.canLogin(bmc.admin.name, ADMIN_PW));
      assert.ok(bmc.canLogin(bmc.admin.name, ROT_PW));
      // Later operations in this process log in with the new password first: no rejected login.
      const r = await counted(() => watched(() => provider.read(id, outs)));
      assert.equal(r.result.props.bmcLogin, "password (the last one that worked)");
      assert.equal(r.requests.filter((x) => x.login === "failed").length, 0);
      // And back again: the program now logs in with the new password and rotates to the old one.
      const back = await checked({ bmc: bmc.connection({ password: ROT_PW }), username: bmc.admin.name, password: ADMIN_PW, privilege: "administrator" });
      const again = await counted(() => watched(() => provider.create(back)));
      assert.equal(again.result.outs.passwordState, "verified");
      assert.equal(again.requests.filter((x) => x.login === "failed").length, 0);
      assert.ok(bmc.canLogin(bmc.admin.name, ADMIN_PW));
    });

    if (flavour === "ilo") {
      it("iLO: an account whose Oem.Hpe.LoginName is the name, but whose UserName is not, is never adopted", async () => {
        const admin = bmc.service.handle({ method: "POST", url: "/redfish/v1/SessionService/Sessions", headers: {}, body: Buffer.from(JSON.stringify({ UserName: bmc.admin.name, Password: ADMIN_PW })) });
        const token = admin.headers["X-Auth-Token"];
        const made = bmc.service.handle({
          method: "POST",
          url: "/redfish/v1/AccountService/Accounts",
          headers: { "x-auth-token": token },
          body: Buffer.from(JSON.stringify({ UserName: "operator7", Password: OPS_PW, RoleId: "ReadOnly", Oem: { Hpe: { LoginName: "display" } } })),
        });
        assert.equal(made.status, 201);
        const news = await checked(base({ username: "display", password: ROT_PW }));
        const r = await watched(() => provider.create(news));
        assert.notEqual(r.outs.accountUri, made.headers.Location, "a new account, not the one displayed as 'display'");
        assert.equal(bmc.account("operator7").access[bmc.table.policy.channels[0]].privilege, "user", "operator7 untouched");
        await watched(() => provider.delete(r.id, r.outs));
      });
    }

    if (flavour === "xcc") {
      it("XCC's first-login password change policy on a managed account is reported, not looped on; turned off, the next update converges", async () => {
        bmc.service.faults.firstLoginChange = true;
        const news = await checked(base({ username: "firstlogin", password: OPS_PW }));
        let result;
        try {
          result = await counted(() => failure(() => provider.create(news)));
        } finally {
          bmc.service.faults.firstLoginChange = false;
        }
        const e = result.result;
        assert.equal(e.code, "REDFISH_PASSWORD_CHANGE_REQUIRED", e.message);
        assert.match(e.message, /PasswordChangeRequired/);
        assert.equal(result.requests.filter((x) => x.method === "PATCH").length, 1, "one write, no loop");
        assert.equal(userLogins(result.requests, "firstlogin").length, 0, "no login as the account while it must change its password");
        const u = await watched(() => provider.update(e.id, e.properties, news));
        assert.equal(u.outs.passwordState, "verified");
        await watched(() => provider.delete(e.id, u.outs));
      });
    }

    it("delete of the login account is refused before anything is sent", async () => {
      const before = bmc.service.log.length;
      const e = await failure(() => provider.delete(`x`, { ...outs, username: bmc.admin.name, accountUri: "/nowhere" }));
      assert.ok(isCredentialsError(e, "SELF_LOCKOUT_REFUSED"), e.message);
      assert.equal(bmc.service.log.length, before);
    });

    it("delete removes the account from Redfish and IPMI alike; a second delete finds nothing to do", async () => {
      const slot = bmc.table.findByName("ops");
      const { requests } = await counted(() => watched(() => provider.delete(id, outs)));
      assert.equal(requests.length, REQUESTS.delete[flavour], requests.map((e) => `${e.method} ${e.url}`).join("\n"));
      const v = bmc.table.view(slot);
      assert.equal(v.name, "");
      assert.equal(v.enabled, false);
      // XCC lists no role without privileges: its cleared slot keeps ReadOnly, disabled and without a name.
      assert.equal(v.access[bmc.table.policy.channels[0]].privilege, flavour === "xcc" ? "user" : "no-access");
      assert.ok(!bmc.canLogin("ops", ROT_PW));
      const r = await watched(() => provider.read(id, outs));
      assert.equal(r.id, undefined, "read returns no id for a deleted account");
      await watched(() => provider.delete(id, outs));
    });

    it("slot exhaustion: no free slot is a clear error and nothing is written; a disabled account with a name is never taken", async () => {
      const full = await startRedfishBmc(flavour, { adminPassword: ADMIN_PW });
      try {
        const max = full.table.maxUsers;
        for (let slot = 1; slot <= max; slot++) {
          if (full.table.name(slot).length || slot === full.table.policy.nullUserSlot) continue;
          full.table.seed({ slot, name: `taken${slot}`, password: "Taken-pass-01", privilege: "user", enabled: slot !== max });
        }
        const news = await checked({ bmc: full.connection(), username: "ops", password: OPS_PW, privilege: "operator" });
        const e = await failure(() => provider.create(news));
        assert.ok(isCredentialsError(e, "BMC_NO_FREE_SLOT"), e.message);
        assert.equal(full.table.view(max).name, `taken${max}`, "the disabled, named account is untouched");
        assert.equal(full.table.findByName("ops"), undefined);
        scan.text("the full BMC's request log", JSON.stringify(full.service.log));
      } finally {
        await full.stop();
      }
    });
  });
}

describe("sim: BmcUser over Redfish — the last enabled Administrator (DMTF personality)", function () {
  this.timeout(60000);
  let bmc;
  before(async () => {
    bmc = await startRedfishBmc("dmtf", { adminPassword: ADMIN_PW });
  });
  after(() => bmc.stop());

  it("is neither demoted nor deleted while the login account manages users through another role; allowSelfLockout lets it go", async () => {
    const admin = (overrides = {}) => checked({ bmc: bmc.connection(), username: "ops", password: OPS_PW, privilege: "administrator", ...overrides });
    const c = await watched(async () => provider.create(await admin()));
    // The login account becomes an Operator that may still manage accounts (a custom role on real firmware): "ops" is
    // now the only enabled Administrator.
    bmc.service.faults.userManagerRoles = ["Operator"];
    setPrivilege(bmc, bmc.admin.slot, "operator");
    try {
      const accountWrites = () => bmc.service.log.filter((e) => (e.method === "PATCH" || e.method === "DELETE") && e.path.includes("/Accounts/")).length;
      const writesBefore = accountWrites();
      const demote = await failure(async () => provider.update(c.id, c.outs, await admin({ privilege: "operator" })));
      assert.ok(isCredentialsError(demote, "SELF_LOCKOUT_REFUSED"), demote.message);
      assert.match(demote.message, /last enabled Administrator/);
      const remove = await failure(() => provider.delete(c.id, c.outs));
      assert.ok(isCredentialsError(remove, "SELF_LOCKOUT_REFUSED"), remove.message);
      assert.equal(accountWrites(), writesBefore, "no account was written");
      assert.equal(bmc.account("ops").access[bmc.table.policy.channels[0]].privilege, "administrator");
      const u = await watched(async () => provider.update(c.id, c.outs, await admin({ privilege: "operator", allowSelfLockout: true })));
      assert.equal(u.outs.privilege, "operator");
      assert.equal(bmc.account("ops").access[bmc.table.policy.channels[0]].privilege, "operator");
    } finally {
      setPrivilege(bmc, bmc.admin.slot, "administrator");
      bmc.service.faults.userManagerRoles = undefined;
    }
  });
});

describe("sim: BmcUser over Redfish — the sentinel scan", () => {
  it("ran on every operation of the matrix", () => {
    assert.ok(scan.checks > FLAVOURS.length * 40, `only ${scan.checks} sentinel checks`);
  });
});
