"use strict";
// Unit: the Redfish client's pure decisions and its TLS pinning over real sockets (the lab's face, and raw TLS servers
// that record every byte they receive).
const assert = require("node:assert/strict");
const net = require("node:net");
const tls = require("node:tls");
const { AccountTable } = require("../../dist/lab/accounts");
const { startRedfishFace } = require("../../dist/lab/redfish/server");
const { createCertificate } = require("../../dist/lab/redfish/cert");
const { httpsTransport } = require("../../dist/redfish/http");
const { normaliseFingerprint } = require("../../dist/redfish/tls");
const { messagesOf, passwordChangeRequired, rejectedProperties, responseError } = require("../../dist/redfish/errors");
const { freeSlot, modelFromAllow, looksSlotted } = require("../../dist/redfish/accounts");
const { patchBody, diffRedfishUser, roleFor, scramblePassword, accountMismatches, canProbe } = require("../../dist/bmcUser/redfishPlan");
const { bmcUserProvider: provider } = require("../../dist");

const SECRET = "Sentinel-Echo-7p3";
const where = { host: "127.0.0.1", port: 443 };

async function rejection(p) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected a failure");
}

/** A TLS server that records every application byte a client sends. */
async function recordingTlsServer(certificate) {
  const received = [];
  const server = tls.createServer({ key: certificate.keyPem, cert: certificate.certPem }, (socket) => {
    socket.on("data", (d) => received.push(d));
    socket.on("error", () => undefined);
  });
  server.on("tlsClientError", () => undefined);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { port: server.address().port, received, close: () => new Promise((r) => server.close(r)) };
}

describe("unit: the Redfish client", () => {
  describe("TLS pinning", () => {
    let face;
    before(async () => {
      const table = new AccountTable({ maxUsers: 4, channels: [1], uniqueNames: true, testComparesSize: true }, []);
      face = await startRedfishFace({ table, personality: "dmtf" });
    });
    after(() => face.stop());

    const get = (target) => {
      const t = httpsTransport({ host: "127.0.0.1", port: face.port, timeoutSeconds: 5, ...target });
      return t.send({ method: "GET", path: "/redfish/v1/" }).finally(() => t.close());
    };

    it("fingerprints: 64 hex digits with or without colons, any case; anything else refused", () => {
      const fp = face.fingerprint;
      assert.equal(normaliseFingerprint(fp.toLowerCase()), fp);
      assert.equal(normaliseFingerprint(fp.replace(/:/g, "")), fp);
      assert.equal(normaliseFingerprint(fp.slice(3)), undefined);
      assert.equal(normaliseFingerprint(`${fp.replace(/:/g, "").slice(2)}:zz`), undefined);
      assert.equal(normaliseFingerprint(fp.replace(/:/g, "-")), undefined);
      assert.equal(normaliseFingerprint("AB:CD" + ":00".repeat(30) + "0"), undefined);
    });

    it("the pinned fingerprint connects; a wrong one fails before any request reaches the service", async () => {
      assert.equal((await get({ tls: { fingerprint: face.fingerprint } })).status, 200);
      const before = face.service.log.length;
      const e = await rejection(get({ tls: { fingerprint: "AB".repeat(32) } }));
      assert.equal(e.code, "BMC_TLS_PIN_MISMATCH");
      assert.match(e.message, new RegExp(`presented ${face.fingerprint}`));
      assert.equal(face.service.log.length, before);
    });

    it("no application byte is written to a server whose certificate does not match (raw TLS server)", async () => {
      const impostor = await recordingTlsServer(createCertificate({ commonName: "impostor", altNames: ["127.0.0.1"] }));
      try {
        const t = httpsTransport({ host: "127.0.0.1", port: impostor.port, timeoutSeconds: 5, tls: { fingerprint: face.fingerprint } });
        const e = await rejection(t.send({ method: "POST", path: "/redfish/v1/SessionService/Sessions", body: { UserName: "root", Password: SECRET } }));
        t.close();
        assert.equal(e.code, "BMC_TLS_PIN_MISMATCH");
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(Buffer.concat(impostor.received).length, 0, "nothing was sent, the password least of all");
      } finally {
        await impostor.close();
      }
    });

    it("caCertificate: the BMC's own self-signed certificate is accepted whatever names it carries", async () => {
      const noNames = createCertificate({ commonName: "idrac-ABC1234" });
      const server = await startRedfishFace({ table: new AccountTable({ maxUsers: 2, channels: [1], uniqueNames: true, testComparesSize: true }, []), personality: "dmtf", certificate: noNames });
      try {
        const t = httpsTransport({ host: "127.0.0.1", port: server.port, timeoutSeconds: 5, tls: { caCertificate: noNames.certPem } });
        assert.equal((await t.send({ method: "GET", path: "/redfish/v1/" })).status, 200);
        t.close();
      } finally {
        await server.stop();
      }
    });

    it("caCertificate: a leaf from that CA is accepted; another CA's, or a leaf not naming the address, fails with nothing sent", async () => {
      const ca = createCertificate({ commonName: "fleet CA", ca: true });
      const other = createCertificate({ commonName: "other CA", ca: true });
      const good = createCertificate({ commonName: "bmc", altNames: ["127.0.0.1"], issuer: ca });
      const misnamed = createCertificate({ commonName: "bmc", altNames: ["bmc-7.example.net"], issuer: ca });
      const start = (certificate) => startRedfishFace({ table: new AccountTable({ maxUsers: 2, channels: [1], uniqueNames: true, testComparesSize: true }, []), personality: "dmtf", certificate });
      for (const [cert, pem, ok] of [
        [good, ca.certPem, true],
        [good, other.certPem, false],
        [misnamed, ca.certPem, false],
      ]) {
        const server = await start(cert);
        try {
          const t = httpsTransport({ host: "127.0.0.1", port: server.port, timeoutSeconds: 5, tls: { caCertificate: pem } });
          const outcome = await t.send({ method: "GET", path: "/redfish/v1/" }).then(
            (r) => r.status,
            (e) => e.code,
          );
          t.close();
          assert.equal(outcome, ok ? 200 : "BMC_TLS_PIN_MISMATCH");
          if (!ok) assert.equal(server.service.log.length, 0);
        } finally {
          await server.stop();
        }
      }
    });

    it("a closed port and a plain-TCP service fail as BMC_UNREACHABLE", async () => {
      const closed = await new Promise((r) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => {
          const { port } = s.address();
          s.close(() => r(port));
        });
      });
      const e1 = await rejection(httpsTransport({ host: "127.0.0.1", port: closed, timeoutSeconds: 2, tls: { fingerprint: face.fingerprint } }).send({ method: "GET", path: "/redfish/v1/" }));
      assert.equal(e1.code, "BMC_UNREACHABLE");
      const plain = net.createServer((s) => s.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
      await new Promise((r) => plain.listen(0, "127.0.0.1", r));
      try {
        const e2 = await rejection(httpsTransport({ host: "127.0.0.1", port: plain.address().port, timeoutSeconds: 2, tls: { fingerprint: face.fingerprint } }).send({ method: "GET", path: "/redfish/v1/" }));
        assert.equal(e2.code, "BMC_UNREACHABLE");
      } finally {
        plain.close();
      }
    });
  });

  describe("error envelopes", () => {
    const envelope = (messages) => ({ error: { code: "Base.1.12.GeneralError", message: "x", "@Message.ExtendedInfo": messages } });

    it("matches message ids on the part after the last dot, whatever the registry version", () => {
      const body = envelope([{ MessageId: "Base.1.12.PasswordChangeRequired", MessageArgs: ["/redfish/v1/AccountService/Accounts/3"] }]);
      assert.deepEqual(passwordChangeRequired(body), { uri: "/redfish/v1/AccountService/Accounts/3", style: "standard" });
      assert.deepEqual(passwordChangeRequired(envelope([{ MessageId: "IDRAC.2.9.SWC1908" }])), { style: "idrac-oem" });
      assert.deepEqual(messagesOf(body).map((m) => m.id), ["PasswordChangeRequired", "GeneralError"]);
    });

    it("names rejected properties but never quotes a value the BMC echoed (a password)", () => {
      const body = envelope([
        { MessageId: "Base.1.5.0.PropertyValueFormatError", Message: `The value ${SECRET} for the property Password is bad`, MessageArgs: [SECRET, "Password"] },
        { MessageId: "Base.1.5.0.PropertyUnknown", MessageArgs: ["Colour"], RelatedProperties: ["#/Colour"] },
      ]);
      assert.deepEqual(rejectedProperties(body).sort(), ["Colour", "Password"]);
      const e = responseError({ status: 400, headers: {}, body }, { ...where, doing: "writing ops", method: "PATCH", path: "/a/3" });
      assert.equal(e.code, "REDFISH_REQUEST_REJECTED");
      assert.match(e.message, /refused Password, Colour|refused Colour, Password/);
      assert.ok(!e.message.includes(SECRET) && !e.stack.includes(SECRET) && !e.hint.includes(SECRET));
    });

    it("maps statuses and ids to the provider's codes", () => {
      const code = (status, messages = [], headers = {}) => responseError({ status, headers, body: messages.length ? envelope(messages) : undefined }, { ...where, doing: "x", method: "PATCH", path: "/p" }).code;
      assert.equal(code(412), "REDFISH_PRECONDITION_FAILED");
      assert.equal(code(428), "REDFISH_PRECONDITION_REQUIRED");
      assert.equal(code(403), "BMC_INSUFFICIENT_PRIVILEGE");
      assert.equal(code(403, [{ MessageId: "Base.1.8.PasswordChangeRequired", MessageArgs: ["/x"] }]), "REDFISH_PASSWORD_CHANGE_REQUIRED");
      assert.equal(code(400, [{ MessageId: "Base.1.8.CreateLimitReachedForResource" }]), "BMC_NO_FREE_SLOT");
      assert.equal(code(503, [{ MessageId: "Base.1.8.SessionLimitExceeded" }]), "REDFISH_SESSION_LIMIT");
      assert.equal(code(401), "REDFISH_SESSION_LOST");
      assert.equal(code(500), "REDFISH_SERVICE_ERROR");
      assert.equal(code(405, [], { allow: "GET" }), "REDFISH_NOT_SUPPORTED");
    });
  });

  describe("accounts: models and slots", () => {
    const acc = (id, userName, enabled) => ({ id, uri: `/a/${id}`, userName, ...(enabled === undefined ? {} : { enabled }) });

    it("the model comes from the collection's Allow header", () => {
      assert.equal(modelFromAllow("GET, HEAD"), "slot");
      assert.equal(modelFromAllow("GET,POST"), "collection");
      assert.equal(modelFromAllow(undefined), "unknown");
      assert.equal(looksSlotted([acc("1", "root"), acc("2", "")]), true);
    });

    it("a free slot has no name and is not enabled, is never Id 1, and the lowest Id wins", () => {
      assert.equal(freeSlot([acc("1", "", false), acc("2", "root", true), acc("10", "", false), acc("3", "", false)]).id, "3");
      assert.equal(freeSlot([acc("1", "", false), acc("2", "old", false)]), undefined, "a disabled account with a name belongs to someone");
      assert.equal(freeSlot([acc("2", "", true)]), undefined, "an enabled nameless slot is not free");
    });
  });

  describe("BmcUser over Redfish: pure plan", () => {
    const live = { id: "3", uri: "/a/3", userName: "ops", roleId: "Operator", enabled: true, locked: false, accountTypes: ["Redfish", "IPMI"] };
    const target = { username: "ops", roleId: "Operator", enabled: true };

    it("a PATCH carries only what differs; an empty slot gets everything; a locked account is unlocked", () => {
      assert.deepEqual(patchBody(live, target, where), {});
      assert.deepEqual(patchBody(live, { ...target, roleId: "ReadOnly", password: SECRET }, where), { RoleId: "ReadOnly", Password: SECRET });
      assert.deepEqual(patchBody({ ...live, userName: "", roleId: "None", enabled: false }, { ...target, password: SECRET }, where), { UserName: "ops", Password: SECRET, RoleId: "Operator", Enabled: true });
      assert.deepEqual(patchBody({ ...live, locked: true }, target, where), { Locked: false });
      assert.deepEqual(patchBody(live, { ...target, ipmiMessaging: false }, where), { AccountTypes: ["Redfish"] });
      assert.deepEqual(accountMismatches({ ...live, locked: true, roleId: "ReadOnly" }, target), ["privilege", "locked"]);
    });

    it("refuses what the service cannot express before any write: enabled false without Enabled, ipmiMessaging false without AccountTypes", () => {
      const ilo = { id: "2", uri: "/a/2", userName: "ops", roleId: "Operator" };
      assert.throws(() => patchBody(ilo, { ...target, enabled: false }, where), /REDFISH_NOT_SUPPORTED.*Enabled/);
      assert.throws(() => patchBody(ilo, { ...target, ipmiMessaging: false }, where), /REDFISH_NOT_SUPPORTED.*AccountTypes/);
      assert.deepEqual(patchBody(ilo, { ...target, ipmiMessaging: true }, where), {}, "true is what such a service does anyway");
    });

    it("no-access maps to NoAccess or iDRAC's None where listed, and is refused elsewhere", () => {
      assert.equal(roleFor("user", undefined, where), "ReadOnly");
      assert.equal(roleFor("no-access", ["Administrator", "None"], where), "None");
      assert.equal(roleFor("no-access", ["NoAccess", "ReadOnly"], where), "NoAccess");
      assert.throws(() => roleFor("no-access", ["Administrator", "Operator", "ReadOnly"], where), /REDFISH_NOT_SUPPORTED/);
    });

    it("the password is probed only where a login can prove it", () => {
      assert.equal(canProbe(live, "login"), true);
      assert.equal(canProbe(live, "off"), false);
      assert.equal(canProbe({ ...live, enabled: false }, "login"), false);
      assert.equal(canProbe({ ...live, locked: true }, "login"), false);
      assert.equal(canProbe({ ...live, roleId: "None" }, "login"), false);
      assert.equal(canProbe({ ...live, accountTypes: ["IPMI"] }, "login"), false);
    });

    it("diff: protocol, host, port and a given userId replace; the rest updates; old IPMI state sees no Redfish field", async () => {
      const olds = { bmc: { protocol: "redfish", host: "h", port: 443, username: "root", password: "p", tls: { fingerprint: "AA" } }, host: "h", port: 443, userId: 3, username: "ops", password: "x", privilege: "operator", enabled: true, verifyPassword: "login", allowSelfLockout: false, passwordState: "verified", locked: false };
      const news = { bmc: { ...olds.bmc }, username: "ops", password: "x", privilege: "operator", enabled: true, verifyPassword: "login", allowSelfLockout: false };
      assert.deepEqual(diffRedfishUser(olds, news), { replaces: [], updates: [] });
      assert.deepEqual(diffRedfishUser({ ...olds, locked: true }, news).updates, ["locked"]);
      assert.deepEqual(diffRedfishUser(olds, { ...news, bmc: { ...news.bmc, tls: { fingerprint: "BB" } } }).updates, ["bmc.tls"]);
      assert.deepEqual(diffRedfishUser(olds, { ...news, userId: 4 }).replaces, ["userId"]);
      const ipmiOlds = { bmc: { host: "h", port: 623, username: "root", password: "p" }, host: "h", port: 623, channel: 1, userId: 3, username: "ops" };
      assert.deepEqual(diffRedfishUser(ipmiOlds, news).replaces.slice(0, 1), ["bmc.protocol"], "switching protocol replaces");
      const d = await provider.diff("id", ipmiOlds, { ...news, bmc: { ...news.bmc, protocol: undefined, port: 623 } });
      assert.equal(d.replaces.includes("bmc.protocol"), false, "IPMI state keeps the IPMI diff");
    });

    it("a scrambled password has every character class and fits the service's lengths", () => {
      const random = (n) => require("node:crypto").randomBytes(n);
      for (const [min, max, len] of [[0, 20, 20], [8, 20, 20], [10, 32, 20], [0, 16, 16], [25, 40, 25]]) {
        const pw = scramblePassword(random, min, max);
        assert.equal(pw.length, len);
        assert.match(pw, /[A-Z]/);
        assert.match(pw, /[a-z]/);
        assert.match(pw, /[0-9]/);
        assert.match(pw, /[^A-Za-z0-9]/);
      }
    });
  });
});
