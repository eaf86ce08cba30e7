"use strict";
// The network paths of the Huawei client against real peers: the emulator served over HTTPS with a private CA made at
// test time (openssl), and Debian's tinyproxy as the enterprise proxy (CONNECT tunnels; its log proves the traffic went
// through it). Proxy credentials are sentinels: they must appear in no log line, error or state.
const assert = require("node:assert/strict");
const provider = require("../../dist/bmsPassword/provider");
const runtime = require("../../dist/bmsPassword/runtime");
const { isCredentialsError } = require("../../dist/shared/errors");
const { setup, rejection } = require("./harness");
const { makeTestCa } = require("../lab/test-ca");
const { startTinyproxy } = require("../lab/tinyproxy");

const PW = "Sentinel-Bms-7Q!x";
const PROXY_USER = "svc-proxy";
const PROXY_PW = "Sentinel-Proxy-3e9b1c";
const SENTINELS = [PW, PROXY_PW, Buffer.from(`${PROXY_USER}:${PROXY_PW}`).toString("base64")];

describe("BmsPassword over HTTPS with a private CA, through a real proxy (tinyproxy)", function () {
  this.timeout(60000);
  let ca;
  let otherCa;
  let h;
  let server;
  const texts = [];
  const inputs = (patch = {}) => ({ serverId: server.id, password: PW, endpoint: h.url, osType: "auto", restart: "never", __provider: "stub", ...patch });
  const requestsIn = (proxy, port) => (proxy.log().match(new RegExp(`Request \\(file descriptor \\d+\\): CONNECT 127\\.0\\.0\\.1:${port}`, "g")) || []).length;

  before(() => {
    ca = makeTestCa();
    otherCa = makeTestCa();
  });
  after(() => {
    ca.cleanup();
    otherCa.cleanup();
    for (const t of texts) for (const s of SENTINELS) assert.ok(!t.includes(s), `a secret leaked: ${t.slice(0, 300)}`);
  });
  afterEach(async () => {
    if (h) {
      texts.push(...h.logs);
      for (const r of h.emu.requests) texts.push(r.url, JSON.stringify(r.headers));
      await h.teardown();
      h = undefined;
    }
  });
  const start = async (options = {}) => {
    // Real transport: no runtime transport override, so the settings build it (CA file, insecure, proxies).
    h = await setup({ emulator: { tls: { key: ca.key, cert: ca.cert } }, ...options });
    server = h.emu.addServer({ osType: "Linux" });
  };
  const failure = async (fn) => {
    const e = await rejection(fn);
    texts.push(String(e), e.stack ?? "", JSON.stringify(e.context ?? {}), e.hint ?? "", String(e.cause ?? ""));
    return e;
  };

  describe("private CA", () => {
    it("without cacertFile the emulator's certificate is refused: HWC_TLS_FAILED saying what to do, nothing sent", async () => {
      await start();
      const e = await failure(() => provider.create(inputs()));
      assert.ok(isCredentialsError(e, "HWC_TLS_FAILED"), String(e));
      assert.match(e.hint, /huaweicloud:cacertFile/);
      assert.equal(e.transient, false);
      assert.equal(h.emu.requests.length, 0);
    });

    it("huaweicloud:cacertFile (or OS_CACERT) with the CA makes it work", async () => {
      await start({ config: { cacertFile: ca.caFile } });
      await provider.create(inputs());
      assert.equal(h.emu.requests.filter((r) => r.api === "reset" && r.status === 204).length, 1);
      await h.teardown();
      await start({ env: { OS_CACERT: ca.caFile } });
      await provider.create(inputs());
    });

    it("another CA's file does not: verification is never skipped without insecure", async () => {
      await start({ config: { cacertFile: otherCa.caFile } });
      const e = await failure(() => provider.create(inputs()));
      assert.ok(isCredentialsError(e, "HWC_TLS_FAILED"), String(e));
    });

    it("the right CA but a name the certificate does not cover is refused (hostname checked)", async () => {
      const narrow = makeTestCa({ names: ["bms.internal.test"], ips: [] });
      try {
        h = await setup({ emulator: { tls: { key: narrow.key, cert: narrow.cert } }, config: { cacertFile: narrow.caFile } });
        server = h.emu.addServer({ osType: "Linux" });
        const e = await failure(() => provider.create(inputs()));
        assert.ok(isCredentialsError(e, "HWC_TLS_FAILED"), String(e));
        assert.match(e.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
      } finally {
        narrow.cleanup();
      }
    });

    it("NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment does not turn verification off", async () => {
      const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      const savedWarning = process.emitWarning;
      process.emitWarning = () => {};
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
      try {
        await start();
        const e = await failure(() => provider.create(inputs()));
        assert.ok(isCredentialsError(e, "HWC_TLS_FAILED"), String(e));
      } finally {
        if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
        else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
        process.emitWarning = savedWarning;
      }
    });

    it("insecure: true skips verification, with a warning naming where it was set (once per process)", async () => {
      globalThis[Symbol.for("pulumi-bmc-credentials.bmsPassword")].insecureWarned = false;
      await start({ env: { HW_INSECURE: "true" } });
      await provider.create(inputs());
      await provider.create(inputs());
      const warnings = h.logs.filter((l) => /WARNING: insecure is true/.test(l));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /HW_INSECURE \(environment\)/);
    });

    it("a cacertFile that is missing or holds no certificate: INVALID_INPUT naming the file and the key", async () => {
      await start({ config: { cacertFile: `${ca.dir}/missing.pem` } });
      let e = await failure(() => provider.create(inputs()));
      assert.ok(isCredentialsError(e, "INVALID_INPUT"), String(e));
      assert.match(e.message, /missing\.pem \(huaweicloud:cacertFile \(stack config\)\) cannot be read \(ENOENT\)/);
      runtime.setHuaweiConfig({ cacertFile: `${ca.dir}/server.key` });
      e = await failure(() => provider.create(inputs()));
      assert.match(e.message, /holds no PEM certificate/);
    });
  });

  describe("proxy", () => {
    let proxy;
    let authProxy;
    before(async () => {
      proxy = await startTinyproxy();
      authProxy = await startTinyproxy({ user: PROXY_USER, password: PROXY_PW });
    });
    after(async () => {
      texts.push(proxy.log(), authProxy.log());
      await proxy.stop();
      await authProxy.stop();
    });

    it("HTTPS_PROXY: every request goes through a CONNECT tunnel (tinyproxy's log), TLS still verified end to end", async () => {
      await start({ config: { cacertFile: ca.caFile }, env: { HTTPS_PROXY: proxy.url } });
      const port = new URL(h.url).port;
      const before = requestsIn(proxy, port);
      await provider.create(inputs());
      const sent = h.emu.requests.length;
      assert.ok(sent >= 3);
      assert.equal(requestsIn(proxy, port) - before, sent, proxy.log().slice(-2000));
    });

    it("https_proxy (lower case) works the same, and the certificate is still checked through the tunnel", async () => {
      await start({ env: { https_proxy: proxy.url } });
      const port = new URL(h.url).port;
      const before = requestsIn(proxy, port);
      const e = await failure(() => provider.create(inputs()));
      assert.ok(isCredentialsError(e, "HWC_TLS_FAILED"), String(e));
      assert.ok(requestsIn(proxy, port) > before, "the tunnel was opened, the TLS check refused the endpoint");
    });

    it("NO_PROXY / no_proxy bypass it", async () => {
      for (const [name, value] of [["NO_PROXY", "127.0.0.1"], ["no_proxy", "127.0.0.0/8"], ["NO_PROXY", "example.com, 127.0.0.1:" + "PORT"]]) {
        await start({ config: { cacertFile: ca.caFile } });
        const port = new URL(h.url).port;
        h.env.HTTPS_PROXY = proxy.url;
        h.env[name] = value.replace("PORT", port);
        const before = requestsIn(proxy, port);
        await provider.create(inputs());
        assert.equal(requestsIn(proxy, port), before, `${name}=${value}`);
        await h.teardown();
        h = undefined;
      }
    });

    it("HTTP_PROXY for a plain-http endpoint (the local emulator): forwarded by the proxy", async () => {
      h = await setup({ env: { HTTP_PROXY: proxy.url } });
      server = h.emu.addServer({ osType: "Linux" });
      const port = new URL(h.url).port;
      const before = (proxy.log().match(new RegExp(`Request \\(file descriptor \\d+\\): (GET|PUT) http://127\\.0\\.0\\.1:${port}/`, "g")) || []).length;
      await provider.create(inputs());
      const after = (proxy.log().match(new RegExp(`Request \\(file descriptor \\d+\\): (GET|PUT) http://127\\.0\\.0\\.1:${port}/`, "g")) || []).length;
      assert.equal(after - before, h.emu.requests.length);
    });

    it("credentials in the proxy URL authenticate to the proxy and never reach logs, errors or the endpoint", async () => {
      const withCreds = authProxy.url.replace("http://", `http://${PROXY_USER}:${encodeURIComponent(PROXY_PW)}@`);
      await start({ config: { cacertFile: ca.caFile }, env: { HTTPS_PROXY: withCreds } });
      const port = new URL(h.url).port;
      await provider.create(inputs());
      assert.ok(requestsIn(authProxy, port) >= 3);
      assert.ok(h.emu.requests.every((r) => r.headers["proxy-authorization"] === undefined), "the endpoint never sees the proxy credentials");
      texts.push(...h.logs);
    });

    it("wrong proxy credentials: HWC_PROXY_FAILED (401/407) naming the proxy without its credentials", async () => {
      const wrong = authProxy.url.replace("http://", `http://${PROXY_USER}:${encodeURIComponent(PROXY_PW)}x@`);
      await start({ config: { cacertFile: ca.caFile }, env: { HTTPS_PROXY: wrong } });
      const e = await failure(() => provider.create(inputs()));
      assert.ok(isCredentialsError(e, "HWC_PROXY_FAILED"), String(e));
      // RFC 9110 says 407; tinyproxy 1.11 answers a CONNECT with wrong credentials with 401. Both mean the same here.
      assert.match(e.message, /HTTP 40[17]/);
      assert.ok(e.message.includes(`http://127.0.0.1:${authProxy.port} (HTTPS_PROXY)`), e.message);
      assert.match(e.hint, /user:password@host:port/);
      assert.equal(h.emu.requests.length, 0);
    });

    it("an unreachable proxy: HWC_NETWORK naming the proxy (retried, then fails), no credential in any text", async () => {
      const dead = `http://${PROXY_USER}:${encodeURIComponent(PROXY_PW)}@127.0.0.1:1`;
      await start({ config: { cacertFile: ca.caFile }, env: { HTTPS_PROXY: dead } });
      const e = await failure(() => provider.create(inputs()));
      assert.ok(isCredentialsError(e, "HWC_NETWORK"), String(e));
      assert.match(e.message, /through the proxy http:\/\/127\.0\.0\.1:1 \(HTTPS_PROXY\)/);
      assert.ok(h.logs.some((l) => /retrying/.test(l)));
    });
  });
});
