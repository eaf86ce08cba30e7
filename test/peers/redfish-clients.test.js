"use strict";
// External-client tier, Redfish: Debian's redfishtool 1.1.5 (the DMTF CLI; collection-model account management) and
// python3-sushy 4.3.3 (OpenStack's library; sessions and ETags) against the lab's Redfish face, over HTTPS. What each
// command did is checked in the BMC's account table, never through the provider. The passwords here are lab fixtures;
// redfishtool takes them only on its command line.
const assert = require("node:assert/strict");
const { spawn, spawnSync } = require("node:child_process");
const path = require("node:path");
const { startRedfishBmc } = require("../lab/redfish-lab");

const ADMIN_PW = "Lab-Admin-pw1";
const USER_PW = "Lab-User-pw22";
const NEW_PW = "Lab-Newer-pw3";

function which(cmd) {
  const r = spawnSync("bash", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Fails loudly (never skips): the tier is mandatory, CI installs both from Debian. */
function requirePeers() {
  const missing = [];
  if (!which("redfishtool")) missing.push("redfishtool");
  const sushy = spawnSync("dpkg-query", ["-W", "-f", "${Version}", "python3-sushy"], { encoding: "utf8" });
  if (sushy.status !== 0) missing.push("python3-sushy");
  else assert.match(sushy.stdout, /^4\.3\.3/, `the sushy test drives sushy's private Connector API as of Debian's 4.3.3; found ${sushy.stdout}`);
  if (missing.length) throw new Error(`the Redfish peer tier needs ${missing.join(" and ")}: apt-get install -y redfishtool python3-sushy`);
}

/** Runs a client without blocking this process's event loop, which serves the lab the client talks to. */
function run(cmd, args, { input, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60000);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, out, err });
    });
    child.stdin.end(input ?? "");
  });
}

function redfishtool(bmc, args, { user = bmc.admin.name, password = ADMIN_PW, auth = "Basic" } = {}) {
  return run("redfishtool", ["-r", `127.0.0.1:${bmc.port}`, "-u", user, "-p", password, "-S", "Always", "-A", auth, "-T", "10", ...args]);
}

/** sushy needs the two CA-bundle variables removed: python-requests lets them override verify=False (redfish.md §8). */
async function sushy(bmc, plan) {
  const env = { ...process.env };
  delete env.REQUESTS_CA_BUNDLE;
  delete env.CURL_CA_BUNDLE;
  const r = await run("/usr/bin/python3", [path.join(__dirname, "sushy-client.py")], { input: JSON.stringify({ root: `https://127.0.0.1:${bmc.port}/redfish/v1`, ...plan }), env });
  assert.equal(r.status, 0, r.err);
  return JSON.parse(r.out);
}

describe("peers: redfishtool and sushy against the lab's Redfish face", function () {
  this.timeout(120000);
  before(requirePeers);

  for (const flavour of ["openbmc", "ilo", "dmtf"]) {
    describe(`redfishtool (collection model): ${flavour}`, () => {
      let bmc;
      before(async () => {
        bmc = await startRedfishBmc(flavour, { adminPassword: ADMIN_PW });
      });
      after(() => bmc.stop());

      it("adduser POSTs {UserName, Password, RoleId}; the BMC's table holds the account with the role as its IPMI privilege", async () => {
        const r = await redfishtool(bmc, ["AccountService", "adduser", "alice", USER_PW, "Operator"]);
        assert.equal(r.status, 0, r.err + r.out);
        const alice = bmc.account("alice");
        assert.ok(alice, "the account exists in the table");
        assert.equal(alice.access[bmc.table.policy.channels[0]].privilege, "operator");
        assert.equal(bmc.table.testPassword(bmc.table.findByName("alice"), USER_PW, 16), "match");
        assert.equal(bmc.requests({ method: "POST", path: "/Accounts" }).length, 1);
        assert.equal((await redfishtool(bmc, ["AccountService", "adduser", "alice", USER_PW])).status === 0 && bmc.requests({ method: "POST", path: "/Accounts" }).length > 1, false, "a second adduser of the same name is not sent as a create");
      });

      it("an account made over IPMI shows in `Accounts list`", async () => {
        bmc.table.seed({ slot: 6, name: "ipmiuser", password: USER_PW, privilege: "user" });
        const r = await redfishtool(bmc, ["AccountService", "Accounts", "list"]);
        assert.equal(r.status, 0, r.err);
        assert.match(r.out, /ipmiuser/);
        assert.match(r.out, /alice/);
      });

      it("setpassword PATCHes Password (with If-Match when the GET gave an ETag) over a session; the new password logs in", async () => {
        bmc.clearLog();
        const r = await redfishtool(bmc, ["AccountService", "setpassword", "alice", NEW_PW], { auth: "Session" });
        assert.equal(r.status, 0, r.err + r.out);
        const patch = bmc.requests({ method: "PATCH" })[0];
        assert.equal(patch.auth, "session");
        assert.ok(patch.ifMatch, "redfishtool sent the ETag it read");
        assert.equal(patch.body, '{"Password":"[redacted]"}');
        assert.equal(bmc.requests({ method: "DELETE", path: "/Sessions/" }).length, 1, "redfishtool logged its session out");
        assert.ok(bmc.canLogin("alice", NEW_PW));
        assert.equal((await redfishtool(bmc, ["AccountService", "Accounts", "-m", "UserName:alice"], { user: "alice", password: NEW_PW })).status, 0, "alice reads her own account");
      });

      it("useradmin setRoleId / disable / enable change the table's privilege and enable status", async () => {
        const slot = bmc.table.findByName("alice");
        assert.equal((await redfishtool(bmc, ["AccountService", "useradmin", "alice", "setRoleId", "ReadOnly"])).status, 0);
        assert.equal(bmc.table.access(slot, bmc.table.policy.channels[0]).privilege, "user");
        if (bmc.personality.accounts.enabledProperty) {
          assert.equal((await redfishtool(bmc, ["AccountService", "useradmin", "alice", "disable"])).status, 0);
          assert.equal(bmc.table.isEnabled(slot), false);
          assert.equal((await redfishtool(bmc, ["AccountService", "useradmin", "alice", "enable"])).status, 0);
          assert.equal(bmc.table.isEnabled(slot), true);
        } else {
          // iLO 5 shows no Enabled: redfishtool sees that in the account it read and sends nothing.
          const patches = bmc.requests({ method: "PATCH" }).length;
          const r = await redfishtool(bmc, ["AccountService", "useradmin", "alice", "disable"]);
          assert.match(r.err, /Enabled not in the remote service user account/);
          assert.equal(bmc.requests({ method: "PATCH" }).length, patches);
          assert.equal(bmc.table.isEnabled(slot), true);
        }
      });

      it("a lockout earned over Redfish holds over IPMI; useradmin unlock lifts it where Locked exists", async () => {
        const slot = bmc.table.findByName("alice");
        bmc.table.setLockout({ threshold: 2, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
        for (let i = 0; i < 2; i++) assert.notEqual((await redfishtool(bmc, ["AccountService", "get"], { user: "alice", password: "Wrong-pass-9" })).status, 0);
        assert.equal(bmc.table.view(slot).locked, true);
        assert.equal(bmc.table.findLogin({ name: "alice", channel: bmc.table.policy.channels[0] }).ok, false, "the IPMI side refuses it too");
        if (bmc.personality.accounts.lockedProperty) {
          assert.equal((await redfishtool(bmc, ["AccountService", "useradmin", "alice", "unlock"])).status, 0);
          assert.equal(bmc.table.view(slot).locked, false);
        } else {
          bmc.table.unlock(slot);
        }
        bmc.table.setLockout({ threshold: 0, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
      });

      it("deleteuser DELETEs the member; the IPMI slot is empty and disabled", async () => {
        const slot = bmc.table.findByName("alice");
        const r = await redfishtool(bmc, ["AccountService", "deleteuser", "alice"]);
        assert.equal(r.status, 0, r.err + r.out);
        assert.equal(bmc.table.view(slot).name, "");
        assert.equal(bmc.table.view(slot).enabled, false);
        assert.equal(bmc.requests({ method: "DELETE", path: "/Accounts/" }).length, 1);
      });

      it("no password travelled in a URL, and the lab's log holds none", () => {
        const log = JSON.stringify(bmc.service.log);
        for (const pw of [ADMIN_PW, USER_PW, NEW_PW]) assert.ok(!log.includes(pw));
      });
    });
  }

  it("redfishtool on a slot-model service (iDRAC9): adduser is a POST the BMC refuses with 405 and an Allow header", async () => {
    const bmc = await startRedfishBmc("idrac9", { adminPassword: ADMIN_PW });
    try {
      const r = await redfishtool(bmc, ["AccountService", "adduser", "alice", USER_PW, "Operator"]);
      assert.notEqual(r.status, 0);
      const post = bmc.requests({ method: "POST", path: "/Accounts" });
      assert.equal(post.length, 1);
      assert.equal(post[0].status, 405);
      assert.equal(bmc.account("alice"), undefined);
    } finally {
      await bmc.stop();
    }
  });

  describe("sushy (sessions and ETags)", () => {
    it("logs in with a session (X-Auth-Token on every request), PATCHes with the ETag it read, and DELETEs its session on close", async () => {
      const bmc = await startRedfishBmc("openbmc", { adminPassword: ADMIN_PW, users: [{ slot: 3, name: "ops", password: USER_PW, privilege: "operator" }] });
      try {
        const out = await sushy(bmc, {
          user: "root",
          password: ADMIN_PW,
          auth: "session",
          steps: [
            { op: "get", path: "/redfish/v1/AccountService/Accounts/ops" },
            { op: "patch", path: "/redfish/v1/AccountService/Accounts/ops", data: { RoleId: "ReadOnly" }, etag: "last" },
            { op: "close" },
          ],
        });
        assert.deepEqual(out.map((s) => [s.op, s.status]), [["connect", 200], ["get", 200], ["patch", 204], ["close", 204]]);
        assert.match(out[1].etag, /^"[0-9A-F]{8}"$/);
        const log = bmc.service.log;
        assert.equal(log.filter((e) => e.method === "POST" && e.path.endsWith("/Sessions")).length, 1);
        const patch = log.find((e) => e.method === "PATCH");
        assert.deepEqual([patch.auth, patch.ifMatch], ["session", out[1].etag]);
        assert.equal(log.at(-1).method, "DELETE");
        assert.equal(bmc.service.openSessions().length, 0);
        assert.equal(bmc.table.access(3, 1).privilege, "user");
      } finally {
        await bmc.stop();
      }
    });

    it("a stale ETag: 412, then sushy's retries — XCC ends at 428 (If-Match required), OpenBMC writes without If-Match", async () => {
      for (const [flavour, slotUri, finalStatus] of [
        ["xcc", "/redfish/v1/AccountService/Accounts/2", 428],
        ["openbmc", "/redfish/v1/AccountService/Accounts/ops", 204],
      ]) {
        const bmc = await startRedfishBmc(flavour, { adminPassword: ADMIN_PW, users: [{ slot: 3, name: "ops", password: USER_PW, privilege: "operator" }] });
        try {
          const out = await sushy(bmc, {
            user: bmc.admin.name,
            password: ADMIN_PW,
            auth: "session",
            steps: [{ op: "patch", path: slotUri, data: { RoleId: "ReadOnly" }, etag: "stale" }, { op: "close" }],
          });
          assert.equal(out[1].status, finalStatus, JSON.stringify(out));
          const patches = bmc.requests({ method: "PATCH" });
          assert.equal(patches[0].status, 412);
          assert.equal(patches.at(-1).ifMatch, undefined, "sushy's last resort drops If-Match");
          assert.equal(patches.at(-1).status, finalStatus);
          assert.equal(bmc.table.access(3, 1).privilege, finalStatus === 204 ? "user" : "operator", "only a service that requires If-Match stops the blind write");
        } finally {
          await bmc.stop();
        }
      }
    });

    it("a wrong password: sushy falls back to HTTP Basic, so one bad credential costs two failed logins in the BMC's lockout count", async () => {
      const bmc = await startRedfishBmc("dmtf", { adminPassword: ADMIN_PW });
      try {
        const out = await sushy(bmc, {
          user: "ADMIN",
          password: "Wrong-pass-9",
          auth: "session-or-basic",
          steps: [{ op: "get", path: "/redfish/v1/AccountService" }],
        });
        assert.equal(out.at(-1).status, 401, JSON.stringify(out));
        const failed = bmc.service.log.filter((e) => e.login === "failed");
        assert.deepEqual(failed.map((e) => e.auth), ["none", "basic"], "a session POST, then Basic");
        assert.equal(bmc.table.view(bmc.admin.slot).failedLogins, 2);
      } finally {
        await bmc.stop();
      }
    });

    it("a session sushy leaves open expires after the lab's SessionTimeout", async () => {
      const bmc = await startRedfishBmc("dmtf", { adminPassword: ADMIN_PW, sessionTimeoutSeconds: 1 });
      try {
        const out = await sushy(bmc, {
          user: "ADMIN",
          password: ADMIN_PW,
          auth: "session",
          steps: [{ op: "get", path: "/redfish/v1/AccountService" }],
        });
        assert.equal(out[1].status, 200);
        assert.equal(bmc.service.openSessions().length, 1, "sushy left its session open (no close)");
        await new Promise((r) => setTimeout(r, 1100));
        assert.equal(bmc.service.openSessions().length, 0, "expired after SessionTimeout");
      } finally {
        await bmc.stop();
      }
    });
  });
});
