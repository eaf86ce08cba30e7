"use strict";
// Unit: the lab's Redfish face without sockets (RedfishService.handle), and its certificate checked by openssl.
// What it must show is taken from the sources in redfish.md (DSP0266 semantics, vendor captures, issue threads); the
// provider's client is never used here. External clients (redfishtool, sushy) drive it over HTTPS in test/peers.
const assert = require("node:assert/strict");
const { X509Certificate } = require("node:crypto");
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { AccountTable } = require("../../dist/lab/accounts");
const { RedfishService } = require("../../dist/lab/redfish/service");
const { createCertificate } = require("../../dist/lab/redfish/cert");
const { BMCS, TestClock } = require("../lab/redfish-lab");

const ADMIN_PW = "Sentinel-Adm-5x1";
const USER_PW = "Sentinel-Usr-2b8";

function bmc(flavour, { clock = new TestClock(), users = [] } = {}) {
  const spec = BMCS[flavour];
  const table = new AccountTable({ ...spec.policy }, [{ slot: spec.admin.slot, name: spec.admin.name, password: ADMIN_PW, privilege: "administrator" }, ...users], clock);
  const service = new RedfishService({ table, personality: flavour, clock });
  const call = (method, url, { body, token, basic, ifMatch, headers = {} } = {}) => {
    const h = { ...headers };
    if (token) h["x-auth-token"] = token;
    if (basic) h.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString("base64")}`;
    if (ifMatch !== undefined) h["if-match"] = ifMatch;
    return service.handle({ method, url, headers: h, body: body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body)) });
  };
  const login = (user = spec.admin.name, password = ADMIN_PW) => {
    const r = call("POST", "/redfish/v1/SessionService/Sessions", { body: { UserName: user, Password: password } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { token: r.headers["X-Auth-Token"], location: r.headers.Location, body: r.body };
  };
  return { table, service, call, login, spec, clock };
}

const ids = (r) => r.body.error["@Message.ExtendedInfo"].map((m) => m.MessageId.split(".").pop());

describe("unit: the lab's Redfish face", () => {
  describe("certificate made at start", () => {
    const openssl = (args, input) => spawnSync("openssl", args, { input, encoding: "utf8" });

    it("is an X.509 v3 certificate openssl parses and verifies, with the loopback names and a matching SHA-256", () => {
      const c = createCertificate({ commonName: "lab", altNames: ["127.0.0.1", "::1", "localhost"] });
      const x = new X509Certificate(c.certPem);
      assert.equal(x.fingerprint256, c.fingerprint256);
      assert.match(x.subjectAltName, /IP Address:127\.0\.0\.1/);
      assert.match(x.subjectAltName, /DNS:localhost/);
      assert.ok(x.verify(x.publicKey), "self-signed");
      const text = openssl(["x509", "-noout", "-text"], c.certPem);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /Version: 3/);
      assert.match(text.stdout, /ecdsa-with-SHA256/);
      assert.match(text.stdout, /IP Address:0:0:0:0:0:0:0:1/);
      const fp = openssl(["x509", "-noout", "-fingerprint", "-sha256"], c.certPem);
      assert.equal(fp.stdout.trim().split("=")[1], c.fingerprint256);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-cert-"));
      try {
        fs.writeFileSync(path.join(dir, "c.pem"), c.certPem);
        const v = openssl(["verify", "-CAfile", path.join(dir, "c.pem"), path.join(dir, "c.pem")]);
        assert.equal(v.status, 0, v.stdout + v.stderr);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("issues a leaf from a lab CA that openssl verifies against that CA only", () => {
      const ca = createCertificate({ commonName: "lab CA", ca: true });
      const other = createCertificate({ commonName: "other CA", ca: true });
      const leaf = createCertificate({ commonName: "bmc", altNames: ["127.0.0.1"], issuer: ca });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rf-cert-"));
      try {
        for (const [n, c] of [["ca", ca], ["other", other], ["leaf", leaf]]) fs.writeFileSync(path.join(dir, `${n}.pem`), c.certPem);
        assert.equal(openssl(["verify", "-CAfile", path.join(dir, "ca.pem"), path.join(dir, "leaf.pem")]).status, 0);
        assert.notEqual(openssl(["verify", "-CAfile", path.join(dir, "other.pem"), path.join(dir, "leaf.pem")]).status, 0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      assert.match(openssl(["x509", "-noout", "-text"], ca.certPem).stdout, /CA:TRUE/);
    });
  });

  describe("discovery, models and member Ids", () => {
    it("the service root is public and names AccountService, SessionService and Links.Sessions", () => {
      const { call } = bmc("dmtf");
      const r = call("GET", "/redfish/v1/");
      assert.equal(r.status, 200);
      assert.equal(r.body.AccountService["@odata.id"], "/redfish/v1/AccountService");
      assert.equal(r.body.Links.Sessions["@odata.id"], "/redfish/v1/SessionService/Sessions");
      assert.equal(r.headers["OData-Version"], "4.0");
      assert.deepEqual(call("GET", "/redfish").body, { v1: "/redfish/v1/" });
    });

    it("slot model (iDRAC9): 16 pre-filled members, Allow without POST, POST → 405 with Allow, Id 1 reserved", () => {
      const { call, login } = bmc("idrac9");
      const { token } = login();
      const c = call("GET", "/redfish/v1/AccountService/Accounts", { token });
      assert.equal(c.body.Members.length, 16);
      assert.equal(c.headers.Allow, "GET, HEAD");
      const post = call("POST", "/redfish/v1/AccountService/Accounts", { token, body: { UserName: "x", Password: "Abcdefgh-1", RoleId: "Operator" } });
      assert.equal(post.status, 405);
      assert.equal(post.headers.Allow, "GET, HEAD");
      assert.deepEqual(ids(post), ["OperationNotAllowed"]);
      const one = call("GET", "/redfish/v1/AccountService/Accounts/1", { token });
      assert.deepEqual([one.body.UserName, one.body.Enabled, one.body.RoleId], ["", false, "None"]);
      const patch1 = call("PATCH", "/redfish/v1/AccountService/Accounts/1", { token, body: { UserName: "x" } });
      assert.equal(patch1.status, 400);
      assert.equal(call("GET", "/redfish/v1/AccountService/Accounts/2", { token }).body.UserName, "root");
    });

    it("collection model (OpenBMC): Ids are user names, POST → 201 + Location, a rename moves the URI", () => {
      const { call, login, table } = bmc("openbmc");
      const { token } = login();
      const c = call("GET", "/redfish/v1/AccountService/Accounts", { token });
      assert.equal(c.headers.Allow, "GET, HEAD, POST");
      assert.deepEqual(c.body.Members.map((m) => m["@odata.id"]), ["/redfish/v1/AccountService/Accounts/root"]);
      const made = call("POST", "/redfish/v1/AccountService/Accounts", { token, body: { UserName: "ops", Password: USER_PW, RoleId: "Operator" } });
      assert.equal(made.status, 201);
      assert.equal(made.headers.Location, "/redfish/v1/AccountService/Accounts/ops");
      assert.deepEqual(made.body.AccountTypes.includes("IPMI"), true, "POST without AccountTypes joins every group, IPMI included");
      assert.equal(table.access(table.findByName("ops"), 1).ipmiMessaging, true);
      const etag = made.headers.ETag;
      const renamed = call("PATCH", "/redfish/v1/AccountService/Accounts/ops", { token, ifMatch: etag, body: { UserName: "ops2" } });
      assert.equal(renamed.status, 204);
      assert.equal(call("GET", "/redfish/v1/AccountService/Accounts/ops", { token }).status, 404);
      assert.equal(call("GET", "/redfish/v1/AccountService/Accounts/ops2", { token }).status, 200);
    });

    it("XCC: member Id = IPMI slot − 1 (USERID at Id 1, IPMI slot 2); iLO: Oem.Hpe.LoginName is not the login", () => {
      const x = bmc("xcc");
      const { token } = x.login();
      assert.equal(x.call("GET", "/redfish/v1/AccountService/Accounts/1", { token }).body.UserName, "USERID");
      const h = bmc("ilo");
      const t = h.login().token;
      const made = h.call("POST", "/redfish/v1/AccountService/Accounts", { token: t, body: { UserName: "ops", Password: USER_PW, RoleId: "Operator", Oem: { Hpe: { LoginName: "Operations" } } } });
      assert.equal(made.status, 201);
      assert.equal(made.body.Oem.Hpe.LoginName, "Operations");
      assert.equal(made.body.Enabled, undefined, "iLO 5 shows no Enabled");
      assert.equal(h.call("POST", "/redfish/v1/SessionService/Sessions", { body: { UserName: "Operations", Password: USER_PW } }).status, 401);
      assert.equal(h.call("POST", "/redfish/v1/SessionService/Sessions", { body: { UserName: "ops", Password: USER_PW } }).status, 201);
      assert.equal(h.call("POST", "/redfish/v1/AccountService/Accounts", { token: t, body: { UserName: "ops3", Password: USER_PW, RoleId: "Operator", Enabled: true } }).status, 400);
    });
  });

  describe("one account table, two faces", () => {
    it("an account set over IPMI shows in Redfish, and one made over Redfish shows in the table", () => {
      const { call, login, table } = bmc("idrac9");
      table.seed({ slot: 5, name: "ipmiuser", password: USER_PW, privilege: "user" });
      const { token } = login();
      const five = call("GET", "/redfish/v1/AccountService/Accounts/5", { token });
      assert.deepEqual([five.body.UserName, five.body.RoleId, five.body.Enabled], ["ipmiuser", "ReadOnly", true]);
      const three = call("GET", "/redfish/v1/AccountService/Accounts/3", { token });
      const r = call("PATCH", "/redfish/v1/AccountService/Accounts/3", { token, ifMatch: three.headers.ETag, body: { UserName: "rfuser", Password: USER_PW, RoleId: "Operator", Enabled: true } });
      assert.equal(r.status, 200);
      assert.equal(table.name(3).toString(), "rfuser");
      assert.equal(table.access(3, 1).privilege, "operator");
      assert.equal(table.testPassword(3, USER_PW, 16), "match");
    });

    it("failed logins over Redfish count towards the table's lockout; a locked account is refused with the right password and shows Locked", () => {
      const { call, login, table } = bmc("openbmc", { users: [{ slot: 3, name: "ops", password: USER_PW, privilege: "operator" }] });
      table.setLockout({ threshold: 2, attemptResetSeconds: 0, lockoutSeconds: 0, auditEvent: false });
      for (let i = 0; i < 2; i++) assert.equal(call("POST", "/redfish/v1/SessionService/Sessions", { body: { UserName: "ops", Password: "wrong-pass" } }).status, 401);
      assert.equal(table.view(3).locked, true);
      assert.equal(call("GET", "/redfish/v1/AccountService", { basic: ["ops", USER_PW] }).status, 401, "locked: refused over Basic with the right password");
      const { token } = login();
      const acc = call("GET", "/redfish/v1/AccountService/Accounts/ops", { token });
      assert.equal(acc.body.Locked, true);
      assert.equal(call("PATCH", "/redfish/v1/AccountService/Accounts/ops", { token, body: { Locked: true } }).status, 400, "only false may be written");
      assert.equal(call("PATCH", "/redfish/v1/AccountService/Accounts/ops", { token, body: { Locked: false } }).status, 204);
      assert.equal(table.view(3).locked, false);
      assert.equal(call("GET", "/redfish/v1/AccountService", { basic: ["ops", USER_PW] }).status, 200);
    });

    it("AccountService shows the table's lockout policy and writes it where the personality allows", () => {
      const o = bmc("openbmc");
      const { token } = o.login();
      assert.equal(o.call("PATCH", "/redfish/v1/AccountService", { token, body: { AccountLockoutThreshold: 3, AccountLockoutDuration: 60, AccountLockoutCounterResetAfter: 30 } }).status, 204);
      assert.deepEqual(o.table.lockout, { threshold: 3, lockoutSeconds: 60, attemptResetSeconds: 30, auditEvent: false });
      const d = bmc("idrac9");
      const t = d.login().token;
      const r = d.call("PATCH", "/redfish/v1/AccountService", { token: t, body: { AccountLockoutThreshold: 3 } });
      assert.equal(r.status, 400);
      assert.deepEqual(ids(r), ["PropertyNotWritable"]);
    });
  });

  describe("sessions and authentication", () => {
    it("POST → 201 with X-Auth-Token and Location; DELETE ends it; a dead token is 401 NoValidSession with WWW-Authenticate", () => {
      const { call, login } = bmc("dmtf");
      const { token, location, body } = login();
      assert.match(token, /^[0-9a-f]{32}$/);
      assert.equal(location, body["@odata.id"]);
      assert.equal(call("GET", "/redfish/v1/AccountService", { token }).status, 200);
      assert.equal(call("DELETE", location, { token }).status, 204);
      const r = call("GET", "/redfish/v1/AccountService", { token });
      assert.equal(r.status, 401);
      assert.deepEqual(ids(r), ["NoValidSession"]);
      assert.match(r.headers["WWW-Authenticate"], /^Basic/);
    });

    it("idle sessions expire on the clock; the session limit answers 503 SessionLimitExceeded", () => {
      const b = bmc("xcc");
      const { token } = b.login();
      b.clock.advance(b.service.sessionTimeoutSeconds + 1);
      assert.equal(b.call("GET", "/redfish/v1/AccountService", { token }).status, 401);
      for (let i = 0; i < b.service.maxSessions; i++) b.login();
      const over = b.call("POST", "/redfish/v1/SessionService/Sessions", { body: { UserName: "USERID", Password: ADMIN_PW } });
      assert.equal(over.status, 503);
      assert.deepEqual(ids(over), ["SessionLimitExceeded"]);
    });

    it("Basic authentication can be turned off (HTTPBasicAuth, OpenBMC); sessions keep working", () => {
      const b = bmc("openbmc");
      assert.equal(b.call("GET", "/redfish/v1/AccountService", { basic: ["root", ADMIN_PW] }).status, 200);
      const { token } = b.login();
      assert.equal(b.call("PATCH", "/redfish/v1/AccountService", { token, body: { HTTPBasicAuth: "Disabled" } }).status, 204);
      assert.equal(b.call("GET", "/redfish/v1/AccountService", { basic: ["root", ADMIN_PW] }).status, 401);
      assert.equal(b.call("GET", "/redfish/v1/AccountService", { token }).body.HTTPBasicAuth, "Disabled");
    });

    it("an account is refused a Redfish login without a role that has Login, or without the Redfish account type", () => {
      const b = bmc("openbmc", { users: [{ slot: 3, name: "noacc", password: USER_PW, privilege: "no-access" }, { slot: 4, name: "ipmionly", password: USER_PW, privilege: "user" }] });
      assert.equal(b.call("POST", "/redfish/v1/SessionService/Sessions", { body: { UserName: "noacc", Password: USER_PW } }).status, 401);
      const { token } = b.login();
      const acc = b.call("GET", "/redfish/v1/AccountService/Accounts/ipmionly", { token });
      assert.equal(b.call("PATCH", "/redfish/v1/AccountService/Accounts/ipmionly", { token, ifMatch: acc.headers.ETag, body: { AccountTypes: ["IPMI"] } }).status, 400, "Redfish cannot be taken away");
    });
  });

  describe("ETags and If-Match", () => {
    for (const [flavour, weak] of [["idrac9", true], ["ilo", true], ["openbmc", false], ["xcc", false], ["dmtf", false]]) {
      it(`${flavour}: ${weak ? "weak" : "strong"} ETag in the header and @odata.etag; a stale one is 412`, () => {
        const b = bmc(flavour);
        const { token } = b.login();
        const uri = `/redfish/v1/AccountService/Accounts/${b.service.memberIdOf(b.spec.admin.slot)}`;
        const r = b.call("GET", uri, { token });
        assert.match(r.headers.ETag, weak ? /^W\/"[0-9A-F]{8}"$/ : /^"[0-9A-F]{8}"$/);
        assert.equal(r.body["@odata.etag"], r.headers.ETag);
        b.table.setAccess(b.spec.admin.slot, b.spec.policy.channels[0], { privilege: "administrator", flags: { ipmiMessaging: false, linkAuth: true, callbackOnly: false } });
        const changedTag = b.call("GET", uri, { token }).headers.ETag;
        if (flavour === "openbmc" || flavour === "xcc") assert.notEqual(changedTag, r.headers.ETag, "a change of the account changes its ETag");
        const stale = b.call("PATCH", uri, { token, ifMatch: '"00000000"', body: { RoleId: "Administrator" } });
        assert.equal(stale.status, 412);
        assert.deepEqual(ids(stale), ["PreconditionFailed"]);
        // The W/ prefix is ignored when comparing (vendors' weak comparison), and * matches.
        assert.ok(b.call("PATCH", uri, { token, ifMatch: changedTag.replace(/^W\//, ""), body: { RoleId: "Administrator" } }).status < 300);
        assert.ok(b.call("PATCH", uri, { token, ifMatch: "*", body: { RoleId: "Administrator" } }).status < 300);
      });
    }

    it("XCC requires If-Match: 428 PreconditionRequired without it; the others write without it", () => {
      const x = bmc("xcc");
      const r = x.call("PATCH", "/redfish/v1/AccountService/Accounts/2", { token: x.login().token, body: { UserName: "ops", Password: USER_PW, RoleId: "Operator", Enabled: true } });
      assert.equal(r.status, 428);
      assert.deepEqual(ids(r), ["PreconditionRequired"]);
      const d = bmc("idrac9");
      assert.equal(d.call("PATCH", "/redfish/v1/AccountService/Accounts/3", { token: d.login().token, body: { UserName: "ops", Password: USER_PW, RoleId: "Operator", Enabled: true } }).status, 200);
    });
  });

  describe("PasswordChangeRequired and own-password changes", () => {
    it("standard: login succeeds with the message (account URI in MessageArgs); everything but the own account is 403; a password PATCH clears it", () => {
      const b = bmc("dmtf");
      b.service.requirePasswordChange(2);
      const { token, body } = b.login();
      const info = body["@Message.ExtendedInfo"][0];
      assert.match(info.MessageId, /\.PasswordChangeRequired$/);
      assert.deepEqual(info.MessageArgs, ["/redfish/v1/AccountService/Accounts/1"]);
      const blocked = b.call("GET", "/redfish/v1/AccountService/Accounts", { token });
      assert.equal(blocked.status, 403);
      assert.deepEqual(ids(blocked), ["PasswordChangeRequired"]);
      assert.equal(b.call("GET", "/redfish/v1/AccountService/Accounts/1", { token }).status, 200);
      assert.equal(b.call("PATCH", "/redfish/v1/AccountService/Accounts/1", { token, body: { Password: USER_PW } }).status, 200);
      assert.equal(b.call("GET", "/redfish/v1/AccountService/Accounts", { token }).status, 200);
    });

    it("OpenBMC: with PasswordChangeRequired, HTTP Basic is a plain 401 (bmcweb#103)", () => {
      const b = bmc("openbmc");
      b.service.requirePasswordChange(1);
      assert.equal(b.call("GET", "/redfish/v1/AccountService", { basic: ["root", ADMIN_PW] }).status, 401);
    });

    it("iDRAC9: the default-password state is OEM SWC1908 inside a GeneralError, on every request but the own account", () => {
      const b = bmc("idrac9");
      b.service.requirePasswordChange(2);
      const { token, body } = b.login();
      assert.equal(body["@Message.ExtendedInfo"], undefined, "nothing said at login");
      const r = b.call("GET", "/redfish/v1/AccountService", { token });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, "Base.1.5.0.GeneralError");
      assert.equal(r.body.error["@Message.ExtendedInfo"][0].MessageId, "IDRAC.2.9.SWC1908");
    });

    it("iDRAC9 ends the session that changed its own account's password; OpenBMC ends the account's other sessions and keeps the caller's", () => {
      const d = bmc("idrac9");
      const { token } = d.login();
      const acc = d.call("GET", "/redfish/v1/AccountService/Accounts/2", { token });
      assert.equal(d.call("PATCH", "/redfish/v1/AccountService/Accounts/2", { token, ifMatch: acc.headers.ETag, body: { Password: USER_PW } }).status, 200);
      assert.equal(d.call("GET", "/redfish/v1/AccountService", { token }).status, 401);
      const o = bmc("openbmc");
      const one = o.login().token;
      const two = o.login().token;
      assert.equal(o.call("PATCH", "/redfish/v1/AccountService/Accounts/root", { token: one, body: { Password: USER_PW } }).status, 204);
      assert.equal(o.call("GET", "/redfish/v1/AccountService", { token: one }).status, 200);
      assert.equal(o.call("GET", "/redfish/v1/AccountService", { token: two }).status, 401);
    });
  });

  describe("writes, errors and the request log", () => {
    it("iDRAC9 refuses to clear the name of an enabled slot; disabled with RoleId None first, then the name, works", () => {
      const { call, login, table } = bmc("idrac9", { users: [{ slot: 3, name: "ops", password: USER_PW, privilege: "operator" }] });
      const { token } = login();
      const tag = () => call("GET", "/redfish/v1/AccountService/Accounts/3", { token }).headers.ETag;
      assert.equal(call("PATCH", "/redfish/v1/AccountService/Accounts/3", { token, ifMatch: tag(), body: { UserName: "" } }).status, 400);
      assert.equal(table.name(3).toString(), "ops");
      assert.equal(call("PATCH", "/redfish/v1/AccountService/Accounts/3", { token, ifMatch: tag(), body: { Enabled: false, RoleId: "None" } }).status, 200);
      assert.equal(call("PATCH", "/redfish/v1/AccountService/Accounts/3", { token, ifMatch: tag(), body: { UserName: "" } }).status, 200);
      assert.equal(table.name(3).length, 0);
    });

    it("a PATCH with bad properties is 400 listing each with its Base MessageId, and changes nothing", () => {
      const { call, login, table } = bmc("dmtf");
      const { token } = login();
      const r = call("PATCH", "/redfish/v1/AccountService/Accounts/1", { token, body: { RoleId: "Root", Id: "7", Colour: "blue", Password: "short" } });
      assert.equal(r.status, 400);
      assert.deepEqual(ids(r).sort(), ["PropertyNotWritable", "PropertyUnknown", "PropertyValueFormatError", "PropertyValueNotInList"]);
      assert.equal(r.body.error.code, "Base.1.5.0.GeneralError");
      assert.equal(table.testPassword(2, ADMIN_PW, 16), "match");
      const bad = call("PATCH", "/redfish/v1/AccountService/Accounts/1", { token, body: "{not json" });
      assert.equal(bad.status, 400);
      assert.deepEqual(ids(bad), ["MalformedJSON"]);
      assert.equal(call("GET", "/redfish/v1/Nowhere", { token }).status, 404);
      assert.equal(call("GET", "/redfish/v1/Nowhere").status, 401, "credentials are checked before paths");
    });

    it("duplicate names, a full table and a read-only role are refused with the Base ids clients match on", () => {
      const b = bmc("openbmc");
      const { token } = b.login();
      const dup = b.call("POST", "/redfish/v1/AccountService/Accounts", { token, body: { UserName: "root", Password: USER_PW, RoleId: "Operator" } });
      assert.deepEqual([dup.status, ids(dup)], [400, ["ResourceAlreadyExists"]]);
      for (let i = 2; i <= 15; i++) b.table.seed({ slot: i, name: `u${i}`, password: USER_PW, privilege: "user" });
      const full = b.call("POST", "/redfish/v1/AccountService/Accounts", { token, body: { UserName: "ops", Password: USER_PW, RoleId: "Operator" } });
      assert.deepEqual([full.status, ids(full)], [400, ["CreateLimitReachedForResource"]]);
      b.table.seed({ slot: 4, name: "viewer", password: USER_PW, privilege: "user" });
      const viewer = b.call("POST", "/redfish/v1/SessionService/Sessions", { body: { UserName: "viewer", Password: USER_PW } });
      const denied = b.call("POST", "/redfish/v1/AccountService/Accounts", { token: viewer.headers["X-Auth-Token"], body: { UserName: "x", Password: USER_PW, RoleId: "Operator" } });
      assert.deepEqual([denied.status, ids(denied)], [403, ["InsufficientPrivilege"]]);
    });

    it("logs every request with its URL and a body whose passwords are redacted — and no header", () => {
      const b = bmc("openbmc");
      const { token } = b.login();
      b.call("POST", "/redfish/v1/AccountService/Accounts", { token, body: { UserName: "ops", Password: USER_PW, RoleId: "Operator" } });
      b.call("GET", "/redfish/v1/AccountService", { basic: ["ops", "wrong-pass"] });
      const text = JSON.stringify(b.service.log);
      assert.ok(!text.includes(USER_PW) && !text.includes(ADMIN_PW) && !text.includes(token), "no password or token in the log");
      const [first, second, third] = b.service.log;
      assert.deepEqual([first.method, first.auth, first.user, first.login], ["POST", "none", "root", "ok"]);
      assert.equal(second.body, '{"UserName":"ops","Password":"[redacted]","RoleId":"Operator"}');
      assert.deepEqual([third.auth, third.user, third.login, third.status], ["basic", "ops", "failed", 401]);
    });
  });
});
