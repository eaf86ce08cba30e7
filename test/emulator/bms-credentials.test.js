"use strict";
// The credential chain against the emulator, source by source: stack config, environment, KooCLI's shared file, the
// ECS metadata service, an IAM agency on top; which one signed each request (the emulator records the access key),
// what errors name (the source, never a value), and renewal of temporary credentials during a long run on the
// virtual clock.
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const provider = require("../../dist/bmsPassword/provider");
const { isCredentialsError } = require("../../dist/shared/errors");
const { setup, rejection, DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT } = require("./harness");
const { resetFleet } = require("./reset-fleet");

const PW = "Sentinel-Bms-7Q!x";
const SK_CONFIG = "sentinel-sk-config-71c2e9";
const SK_ENV = "sentinel-sk-env-5b0d44";
const SK_FILE = "sentinel-sk-file-c3a9f0";
const TOKEN = "sentinel-iam-token-e81f55";
const SENTINELS = [PW, SK_CONFIG, SK_ENV, SK_FILE, TOKEN];
const KEYS = { AKCONFIG00000000000A: SK_CONFIG, AKENV0000000000000AA: SK_ENV, AKFILE00000000000AAA: SK_FILE };

describe("BmsPassword credential chain against the emulator", () => {
  let h;
  let server;
  let dir;
  const inputs = (patch = {}) => ({ serverId: server.id, password: PW, endpoint: h.url, osType: "auto", restart: "never", __provider: "stub", ...patch });
  const signers = () => [...new Set(h.emu.requests.filter((r) => r.api !== "securitytokens").map((r) => r.accessKey ?? (r.headers["x-auth-token"] ? "token" : "none")))];
  const texts = [];
  const sharedFile = (profiles, current = profiles[0].name) => {
    const file = path.join(dir, `config-${texts.length}-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, JSON.stringify({ current, profiles }), { mode: 0o600 });
    return file;
  };
  const fileProfile = (patch = {}) => ({ name: "default", mode: "AKSK", accessKeyId: "AKFILE00000000000AAA", secretAccessKey: SK_FILE, region: "cn-north-4", projectId: DEFAULT_PROJECT, ...patch });
  async function start({ config = {}, env = {}, metadata = false, emulator = {} } = {}) {
    h = await setup({ config, env: { HW_ACCESS_KEY: undefined, HW_SECRET_KEY: undefined, ...env }, emulator: { credentials: { ...KEYS }, tokens: { [TOKEN]: DEFAULT_PROJECT }, ...emulator } });
    if (metadata) {
      const url = await h.emu.startMetadata();
      // The runtime's metadata seam (a loopback emulator); setup() already installed the rest of the runtime.
      require("../../dist/bmsPassword/runtime").setBmsPasswordRuntime({ ...currentOverrides(), metadataUrl: url });
    }
    server = h.emu.addServer({ osType: "Linux" });
  }
  const currentOverrides = () => globalThis[Symbol.for("pulumi-bmc-credentials.bmsPassword")].overrides;
  const capture = async (fn) => {
    try {
      const result = await fn();
      texts.push(JSON.stringify(result));
      return result;
    } catch (e) {
      texts.push(String(e), e.stack ?? "", JSON.stringify(e.context ?? {}), e.hint ?? "");
      throw e;
    }
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bms-cred-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    assert.ok(issued.length >= 10, `${issued.length} temporary secrets checked`);
    for (const t of texts) for (const s of [...SENTINELS, ...issued]) assert.ok(!t.includes(s), `a secret leaked: ${t.slice(0, 200)}`);
  });
  // Temporary secret keys and security tokens the emulator issued (metadata, agency, given): secrets too.
  const issued = [];
  afterEach(async () => {
    if (h) {
      for (const lease of h.emu.temporary.values()) issued.push(lease.sk, lease.token);
      texts.push(...h.logs);
      for (const r of h.emu.requests) texts.push(r.url, r.api === "reset" ? "" : r.body);
      await h.teardown();
    }
  });

  describe("precedence, source by source", () => {
    const all = () => ({
      config: { accessKey: "AKCONFIG00000000000A", secretKey: SK_CONFIG },
      env: { HW_ACCESS_KEY: "AKENV0000000000000AA", HW_SECRET_KEY: SK_ENV, HW_SHARED_CONFIG_FILE: sharedFile([fileProfile()]) },
      metadata: true,
    });

    it("1. stack config wins over environment, shared file and metadata", async () => {
      await start(all());
      await capture(() => provider.create(inputs()));
      assert.deepEqual(signers(), ["AKCONFIG00000000000A"]);
      assert.equal(h.emu.metadataRequests.length, 0);
    });

    it("2. then the environment", async () => {
      const a = all();
      await start({ env: a.env, metadata: true });
      await capture(() => provider.create(inputs()));
      assert.deepEqual(signers(), ["AKENV0000000000000AA"]);
    });

    it("3. then KooCLI's shared file (HW_SHARED_CONFIG_FILE), whose region and project id are used", async () => {
      await start({ env: { HW_PROJECT_ID: undefined, HW_SHARED_CONFIG_FILE: sharedFile([fileProfile({ projectId: "0123456789abcdef0123456789abcdef" })]) }, metadata: true });
      h.emu.addServer({ id: server.id, projectId: "0123456789abcdef0123456789abcdef", osType: "Linux" });
      const outs = (await capture(() => provider.create(inputs()))).outs;
      assert.deepEqual(signers(), ["AKFILE00000000000AAA"]);
      assert.equal(outs.projectId, "0123456789abcdef0123456789abcdef");
      assert.equal(h.emu.metadataRequests.length, 0);
    });

    it("3b. huaweicloud:profile picks another profile; SSO profiles use their STS token", async () => {
      const sts = { ak: "", sk: "", token: "" };
      await start({ emulator: {} });
      const lease = h.emu.issueTemporary(3600_000);
      Object.assign(sts, lease);
      const file = sharedFile([fileProfile(), { name: "sso", mode: "SSO", ssoAuth: { stsToken: { accessKeyId: lease.ak, secretAccessKey: lease.sk, securityToken: lease.token } } }]);
      require("../../dist/bmsPassword/runtime").setHuaweiConfig({ sharedConfigFile: file, profile: "sso" });
      await capture(() => provider.create(inputs()));
      assert.deepEqual(signers(), [lease.ak]);
      assert.ok(h.emu.requests.every((r) => r.headers["x-security-token"] === lease.token));
    });

    it("3c. HW_PROFILE alone reads the default ~/.hcloud/config.json; a ~/ path is expanded too", async () => {
      const home = fs.mkdtempSync(path.join(dir, "home-"));
      fs.mkdirSync(path.join(home, ".hcloud"));
      fs.writeFileSync(path.join(home, ".hcloud", "config.json"), JSON.stringify({ current: "x", profiles: [fileProfile({ name: "ops" })] }));
      await start({ env: { HW_PROFILE: "ops" } });
      require("../../dist/bmsPassword/runtime").setBmsPasswordRuntime({ ...currentOverrides(), homeDir: home });
      await capture(() => provider.create(inputs()));
      assert.deepEqual(signers(), ["AKFILE00000000000AAA"]);
      require("../../dist/bmsPassword/runtime").setHuaweiConfig({ sharedConfigFile: "~/.hcloud/config.json", profile: "ops" });
      await capture(() => provider.create(inputs()));
    });

    it("4. then the ECS metadata service's temporary credentials (signed with their security token)", async () => {
      await start({ metadata: true });
      await capture(() => provider.create(inputs()));
      assert.equal(h.emu.metadataRequests.length, 1);
      const ak = h.emu.metadataRequests[0].ak;
      assert.deepEqual(signers(), [ak]);
      assert.ok(h.emu.requests.every((r) => /x-security-token/.test(r.headers.authorization)));
    });

    it("none of them: HWC_CREDENTIALS_MISSING listing every source tried, nothing sent to the API", async () => {
      await start({ metadata: true, emulator: { metadataAgency: false } });
      const e = await rejection(() => capture(() => provider.create(inputs())));
      assert.ok(isCredentialsError(e, "HWC_CREDENTIALS_MISSING"), String(e));
      assert.match(e.message, /HTTP 404/);
      assert.match(e.hint, /agency/);
      assert.equal(h.emu.requests.length, 0);
    });

    it("an IAM token (huaweicloud:token, or the deprecated huaweicloud:authToken) is sent as X-Auth-Token", async () => {
      for (const key of ["token", "authToken"]) {
        await start({ config: { [key]: TOKEN } });
        await capture(() => provider.create(inputs()));
        assert.deepEqual(signers(), ["token"]);
        await h.teardown();
        h = undefined;
      }
    });
  });

  describe("errors name the source used, never a value", () => {
    it("a wrong secret key in the shared file: HWC_AUTH_FAILED naming the file and profile", async () => {
      const file = sharedFile([fileProfile({ name: "ops", secretAccessKey: `${SK_FILE}-wrong` })]);
      await start({ config: { sharedConfigFile: file, profile: "ops" } });
      const e = await rejection(() => capture(() => provider.create(inputs())));
      assert.ok(isCredentialsError(e, "HWC_AUTH_FAILED"), String(e));
      assert.ok(e.message.includes(`shared config file ${file} (profile ops)`), e.message);
      assert.equal(e.context.credentials, `shared config file ${file} (profile ops)`);
    });

    it("a missing shared file names the path and the setting that asked for it", async () => {
      await start({ env: { HW_SHARED_CONFIG_FILE: path.join(dir, "nope.json") } });
      const e = await rejection(() => capture(() => provider.create(inputs())));
      assert.ok(isCredentialsError(e, "HWC_CREDENTIALS_MISSING"), String(e));
      assert.match(e.message, /nope\.json \(asked for by HW_SHARED_CONFIG_FILE \(environment\)\) cannot be read \(ENOENT\)/);
    });

    it("a given security token that expired: HWC_AUTH_FAILED naming its source and saying it cannot be renewed here", async () => {
      await start();
      const lease = h.emu.issueTemporary(10 * 60_000);
      h.env.HW_ACCESS_KEY = lease.ak;
      h.env.HW_SECRET_KEY = lease.sk;
      h.env.HW_SECURITY_TOKEN = lease.token;
      await capture(() => provider.create(inputs()));
      h.clock.t += 11 * 60_000;
      const before = h.emu.requests.length;
      const e = await rejection(() => capture(() => provider.create(inputs())));
      assert.ok(isCredentialsError(e, "HWC_AUTH_FAILED"), String(e));
      assert.match(e.hint, /from HW_ACCESS_KEY\/HW_SECRET_KEY \(environment\) is invalid or expired/);
      assert.match(e.hint, /cannot be renewed by the provider/);
      assert.equal(h.emu.requests.length - before, 1, "not retried: given credentials cannot change");
      for (const s of [lease.sk, lease.token]) assert.ok(!String(e).includes(s));
    });
  });

  describe("agency (assume role) on top of any source", () => {
    it("huaweicloud:assumeRole: IAM securitytokens signed with the configured key, every BMS call with the agency's", async () => {
      await start({ config: { accessKey: "AKCONFIG00000000000A", secretKey: SK_CONFIG, assumeRole: JSON.stringify({ agencyName: "bms-operator", domainName: "owner-account" }) } });
      await capture(() => provider.create(inputs()));
      const sts = h.emu.requests.filter((r) => r.api === "securitytokens");
      assert.equal(sts.length, 1);
      assert.equal(sts[0].accessKey, "AKCONFIG00000000000A");
      assert.deepEqual(JSON.parse(sts[0].body), { auth: { identity: { methods: ["assume_role"], assume_role: { agency_name: "bms-operator", domain_name: "owner-account", duration_seconds: 3600 } } } });
      const [agencyAk] = signers();
      assert.equal(signers().length, 1);
      assert.equal(h.emu.temporary.get(agencyAk).kind, "agency");
      await capture(() => provider.create(inputs()));
      assert.equal(h.emu.requests.filter((r) => r.api === "securitytokens").length, 1, "agency credentials are reused until renewal");
    });

    it("HW_ASSUME_ROLE_AGENCY_NAME/DOMAIN_NAME on the ECS metadata credentials", async () => {
      await start({ env: { HW_ASSUME_ROLE_AGENCY_NAME: "bms-operator", HW_ASSUME_ROLE_DOMAIN_NAME: "owner-account" }, metadata: true });
      await capture(() => provider.create(inputs()));
      const sts = h.emu.requests.filter((r) => r.api === "securitytokens");
      assert.equal(sts[0].accessKey, h.emu.metadataRequests[0].ak);
      assert.equal(h.emu.temporary.get(signers()[0]).kind, "agency");
    });

    it("the shared profile's agencyName/agencyDomainName", async () => {
      await start({ env: { HW_SHARED_CONFIG_FILE: sharedFile([fileProfile({ agencyName: "bms-operator", agencyDomainName: "owner-account" })]) } });
      await capture(() => provider.create(inputs()));
      assert.equal(h.emu.requests.find((r) => r.api === "securitytokens").accessKey, "AKFILE00000000000AAA");
      assert.equal(h.emu.temporary.get(signers()[0]).kind, "agency");
    });

    it("an agency the identity may not assume: HWC_FORBIDDEN naming the agency and the base source", async () => {
      await start({ config: { accessKey: "AKCONFIG00000000000A", secretKey: SK_CONFIG, agencyName: "nope", agencyDomainName: "owner-account" } });
      const e = await rejection(() => capture(() => provider.create(inputs())));
      assert.ok(isCredentialsError(e, "HWC_FORBIDDEN"), String(e));
      assert.match(e.hint, /may not assume this agency/);
      assert.match(e.hint, /huaweicloud:accessKey\/secretKey \(stack config\)/);
      assert.equal(h.emu.requests.filter((r) => r.api === "reset").length, 0);
    });
  });

  describe("the other settings reach the client", () => {
    // A transport that records where requests go and refuses them: endpoints are checked without DNS.
    const recorder = () => {
      const urls = [];
      const transport = async (req) => {
        urls.push(req.url);
        throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
      };
      return { urls, transport };
    };
    const runtimeApi = require("../../dist/bmsPassword/runtime");

    it("cloud and region build https://bms.{region}.{cloud}; endpoints.bms overrides it; the resource's endpoint overrides both", async () => {
      await start({ env: { HW_ACCESS_KEY: DEFAULT_AK, HW_SECRET_KEY: DEFAULT_SK } });
      const rec = recorder();
      runtimeApi.setBmsPasswordRuntime({ ...currentOverrides(), transport: rec.transport, attempts: 1 });
      const hosts = [];
      for (const [config, endpoint] of [
        [{ region: "ap-southeast-3", cloud: "example-cloud.test" }, undefined],
        [{ region: "eu-west-101" }, undefined],
        [{ region: "ap-southeast-3", endpoints: { bms: "bms.private.example.test" } }, undefined],
        [{ region: "ap-southeast-3", endpoints: { bms: "bms.private.example.test" } }, "https://bms.input.example.test"],
      ]) {
        runtimeApi.setHuaweiConfig(config);
        await rejection(() => provider.create(inputs({ endpoint })));
        hosts.push(new URL(rec.urls.at(-1)).host);
      }
      assert.deepEqual(hosts, ["bms.ap-southeast-3.example-cloud.test", "bms.eu-west-101.myhuaweicloud.eu", "bms.private.example.test", "bms.input.example.test"]);
    });

    it("the IAM project lookup goes to endpoints.iam, else https://iam.{region}.{cloud}", async () => {
      await start({ env: { HW_ACCESS_KEY: DEFAULT_AK, HW_SECRET_KEY: DEFAULT_SK, HW_PROJECT_ID: undefined } });
      const rec = recorder();
      runtimeApi.setBmsPasswordRuntime({ ...currentOverrides(), transport: rec.transport, attempts: 1 });
      runtimeApi.setHuaweiConfig({ region: "ap-southeast-3", cloud: "example-cloud.test" });
      await rejection(() => provider.create(inputs({ endpoint: undefined })));
      assert.equal(new URL(rec.urls.at(-1)).host, "iam.ap-southeast-3.example-cloud.test");
      runtimeApi.setHuaweiConfig({ region: "ap-southeast-3", endpoints: JSON.stringify({ iam: "https://iam.private.example.test" }) });
      await rejection(() => provider.create(inputs({ endpoint: undefined })));
      assert.equal(rec.urls.at(-1), "https://iam.private.example.test/v3/projects?name=ap-southeast-3");
    });

    it("maxRetries: HW_MAX_RETRIES=1 means two attempts; huaweicloud:maxRetries wins over it", async () => {
      await start({ env: { HW_ACCESS_KEY: "AKENV0000000000000AA", HW_SECRET_KEY: SK_ENV, HW_MAX_RETRIES: "1" } });
      runtimeApi.setBmsPasswordRuntime({ ...currentOverrides(), attempts: undefined });
      h.emu.inject({ api: "details", kind: "status", status: 502, times: 100 });
      await rejection(() => provider.create(inputs()));
      assert.equal(h.emu.requests.filter((r) => r.api === "details").length, 2);
      runtimeApi.setHuaweiConfig({ maxRetries: "3" });
      await rejection(() => provider.create(inputs()));
      assert.equal(h.emu.requests.filter((r) => r.api === "details").length, 2 + 4);
    });
  });

  describe("renewal during a long run (virtual clock)", function () {
    this.timeout(120000);

    it("metadata credentials (10-minute life) and agency credentials (15 minutes) are renewed before they expire: 1000 resets over ~20 minutes, no request refused", async () => {
      const r = await resetFleet({
        servers: 1000,
        parallel: 16,
        emulator: { metadataLifetimeMs: 10 * 60_000, metadataRotateBeforeMs: 6 * 60_000 },
        env: async () => ({ HW_ASSUME_ROLE_AGENCY_NAME: "bms-operator", HW_ASSUME_ROLE_DOMAIN_NAME: "owner-account" }),
        runtime: async (emu) => ({ metadataUrl: await emu.startMetadata(), agencyDurationSeconds: 900 }),
      });
      const emu = r.emu;
      assert.equal(r.resets, 1000);
      assert.ok(r.virtualMinutes >= 19, `${r.virtualMinutes} virtual minutes`);
      const refused = emu.requests.filter((x) => x.status === 401);
      assert.deepEqual(refused.map((x) => x.api), [], "no request was signed with expired credentials");
      // Each credential was replaced before it expired, and every request used one that was valid at the time.
      const metadataLeases = [...new Map(emu.metadataRequests.map((m) => [m.ak, m])).values()];
      assert.ok(metadataLeases.length >= 2, `${metadataLeases.length} metadata leases`);
      const agencyLeases = [...emu.temporary.values()].filter((l) => l.kind === "agency").sort((a, b) => a.expiresAt - b.expiresAt);
      assert.ok(agencyLeases.length >= 2, `${agencyLeases.length} agency leases`);
      for (const x of emu.requests) {
        const lease = emu.temporary.get(x.accessKey);
        assert.ok(lease, `request ${x.api} signed with temporary credentials`);
        assert.ok(x.at < lease.expiresAt, `${x.api} at ${x.at} with credentials expiring at ${lease.expiresAt}`);
      }
      const stsCalls = emu.requests.filter((x) => x.api === "securitytokens");
      assert.equal(stsCalls.length, agencyLeases.length, "one IAM call per agency lease, shared by 16 parallel operations");
      console.log(`      renewal: ${r.virtualMinutes} virtual min, ${metadataLeases.length} metadata leases (${emu.metadataRequests.length} fetches), ${agencyLeases.length} agency leases, ${r.realMs} ms real`);
    });
  });
});
