"use strict";
// Pure parts of the Huawei Cloud configuration: the official provider's keys and environment variables, their
// precedence source by source, KooCLI's shared file, NO_PROXY, and when temporary credentials are renewed.
const assert = require("node:assert/strict");
const { resolveSettings, staticCredentials, SETTINGS, normaliseEndpoint } = require("../../dist/transport/huaweicloud/settings");
const { parseSharedConfig } = require("../../dist/transport/huaweicloud/sharedConfig");
const { bypassesProxy, proxyFor, parseProxyUrl } = require("../../dist/transport/huaweicloud/proxy");
const { RenewingCredentials, leaseFromBody } = require("../../dist/transport/huaweicloud/credentials");

const SK = "sentinel-settings-sk-4f1e";
const TOKEN = "sentinel-settings-token-9c2a";
const PROXY_PW = "sentinel-proxy-pw-77aa";

function message(fn) {
  try {
    fn();
  } catch (e) {
    return `${e.code}: ${e.message} ${e.hint}`;
  }
  assert.fail("expected an error");
}

describe("huaweicloud settings: keys and environment variables of the official provider", () => {
  it("every key has the official provider's environment variables (verified against terraform-provider-huaweicloud)", () => {
    assert.deepEqual(SETTINGS.accessKey.env, ["HW_ACCESS_KEY", "OS_ACCESS_KEY"]);
    assert.deepEqual(SETTINGS.secretKey.env, ["HW_SECRET_KEY", "OS_SECRET_KEY"]);
    assert.deepEqual(SETTINGS.securityToken.env, ["HW_SECURITY_TOKEN"]);
    assert.deepEqual(SETTINGS.token.env, ["HW_AUTH_TOKEN", "OS_AUTH_TOKEN"]);
    assert.deepEqual(SETTINGS.region.env, ["HW_REGION_NAME", "OS_REGION_NAME"]);
    assert.deepEqual(SETTINGS.cloud.env, ["HW_CLOUD"]);
    assert.deepEqual(SETTINGS.sharedConfigFile.env, ["HW_SHARED_CONFIG_FILE"]);
    assert.deepEqual(SETTINGS.profile.env, ["HW_PROFILE"]);
    assert.deepEqual(SETTINGS.cacertFile.env, ["OS_CACERT"]);
    assert.deepEqual(SETTINGS.insecure.env, ["HW_INSECURE", "OS_INSECURE"]);
    assert.deepEqual(SETTINGS.maxRetries.env, ["HW_MAX_RETRIES"]);
  });

  it("defaults: cloud myhuaweicloud.com (myhuaweicloud.eu for eu-west-1xx), maxRetries 5, insecure false", () => {
    const s = resolveSettings({}, {});
    assert.equal(s.cloud, "myhuaweicloud.com");
    assert.equal(s.maxRetries, 5);
    assert.equal(s.insecure.value, false);
    assert.equal(s.credentials, undefined);
    assert.equal(resolveSettings({ region: "eu-west-101" }, {}).cloud, "myhuaweicloud.eu");
  });

  it("each setting: stack config wins over the environment, HW_* over OS_*", () => {
    const env = { HW_REGION_NAME: "cn-south-1", OS_REGION_NAME: "cn-east-3", HW_CLOUD: "env.example.com", HW_MAX_RETRIES: "2", HW_INSECURE: "false", OS_CACERT: "/env/ca.pem", HW_PROJECT_ID: "e".repeat(32) };
    const fromEnv = resolveSettings({}, env);
    assert.deepEqual(fromEnv.region, { value: "cn-south-1", source: "HW_REGION_NAME (environment)" });
    assert.equal(resolveSettings({}, { OS_REGION_NAME: "cn-east-3" }).region.source, "OS_REGION_NAME (environment)");
    assert.equal(fromEnv.cloud, "env.example.com");
    assert.equal(fromEnv.maxRetries, 2);
    assert.deepEqual(fromEnv.cacertFile, { value: "/env/ca.pem", source: "OS_CACERT (environment)" });
    const fromConfig = resolveSettings({ region: "cn-north-4", cloud: "cfg.example.com", maxRetries: "0", insecure: "true", cacertFile: "/cfg/ca.pem", projectId: "c".repeat(32) }, env);
    assert.deepEqual(fromConfig.region, { value: "cn-north-4", source: "huaweicloud:region (stack config)" });
    assert.equal(fromConfig.cloud, "cfg.example.com");
    assert.equal(fromConfig.maxRetries, 0);
    assert.deepEqual(fromConfig.insecure, { value: true, source: "huaweicloud:insecure (stack config)" });
    assert.equal(fromConfig.cacertFile.value, "/cfg/ca.pem");
    assert.equal(fromConfig.projectId.value, "c".repeat(32));
  });

  it("credentials: stack config, then environment, each taken whole; a token wins within a source", () => {
    const env = { HW_ACCESS_KEY: "ENVAK", HW_SECRET_KEY: SK, HW_SECURITY_TOKEN: TOKEN };
    assert.deepEqual(staticCredentials({}, env), { kind: "aksk", accessKey: "ENVAK", secretKey: SK, securityToken: TOKEN, source: "HW_ACCESS_KEY/HW_SECRET_KEY (environment)" });
    assert.equal(staticCredentials({}, { OS_ACCESS_KEY: "A", OS_SECRET_KEY: SK }).source, "OS_ACCESS_KEY/OS_SECRET_KEY (environment)");
    const cfg = staticCredentials({ accessKey: "CFGAK", secretKey: SK }, env);
    assert.deepEqual(cfg, { kind: "aksk", accessKey: "CFGAK", secretKey: SK, source: "huaweicloud:accessKey/secretKey (stack config)" }, "the environment's security token is not mixed in");
    assert.deepEqual(staticCredentials({}, { ...env, HW_AUTH_TOKEN: TOKEN }), { kind: "token", token: TOKEN, source: "HW_AUTH_TOKEN (environment)" });
    assert.deepEqual(staticCredentials({ token: TOKEN, accessKey: "A", secretKey: SK }, {}), { kind: "token", token: TOKEN, source: "huaweicloud:token (stack config)" });
    assert.equal(staticCredentials({}, {}), undefined);
  });

  it("huaweicloud:authToken is a deprecated alias of huaweicloud:token; both set and different is an error naming both", () => {
    assert.deepEqual(staticCredentials({ authToken: TOKEN }, {}), { kind: "token", token: TOKEN, source: "huaweicloud:authToken (stack config)" });
    assert.equal(staticCredentials({ authToken: TOKEN, token: TOKEN }, {}).source, "huaweicloud:token (stack config)");
    const m = message(() => staticCredentials({ authToken: TOKEN, token: `${TOKEN}x` }, {}));
    assert.match(m, /huaweicloud:token and huaweicloud:authToken/);
    assert.ok(!m.includes(TOKEN));
  });

  it("half a key pair is an error naming the source, never the value", () => {
    const m1 = message(() => staticCredentials({ secretKey: SK }, {}));
    assert.match(m1, /HWC_CREDENTIALS_MISSING.*stack config.*access key is missing/);
    const m2 = message(() => staticCredentials({}, { HW_SECRET_KEY: SK }));
    assert.match(m2, /environment.*access key is missing/);
    for (const m of [m1, m2]) assert.ok(!m.includes(SK));
  });

  it("malformed values: INVALID_INPUT naming the key and where it came from, never the value", () => {
    const cases = [
      [{ maxRetries: "many" }, {}, /huaweicloud:maxRetries \(stack config\) must be a whole number/],
      [{}, { HW_MAX_RETRIES: "-1" }, /HW_MAX_RETRIES \(environment\) must be a whole number/],
      [{}, { HW_MAX_RETRIES: "21" }, /from 0 to 20/],
      [{ insecure: "yes please" }, {}, /huaweicloud:insecure \(stack config\) must be true or false/],
      [{}, { HW_INSECURE: "maybe" }, /HW_INSECURE \(environment\) must be true or false/],
      [{ cloud: "not a domain" }, {}, /huaweicloud:cloud \(stack config\) must be a domain name/],
      [{ endpoints: "{not json" }, {}, /huaweicloud:endpoints \(stack config\) is not a JSON object/],
      [{ endpoints: { bms: "http://bms.example.com" } }, {}, /huaweicloud:endpoints.bms \(stack config\) must use https/],
      [{ endpoints: { iam: "https://u:p@iam.example.com" } }, {}, /huaweicloud:endpoints.iam \(stack config\) must be a service root/],
      [{ assumeRole: { agencyName: "a" } }, {}, /huaweicloud:assumeRole \(stack config\) needs agencyName and domainName/],
      [{ assumeRole: { agencyName: "a", domainName: "d", domainId: "x" } }, {}, /assumeRole.domainId \(stack config\) is not supported/],
      [{ assumeRole: [{ agencyName: "a", domainName: "d" }, { agencyName: "b", domainName: "e" }] }, {}, /role chains are not supported/],
      [{ agencyName: "a" }, {}, /huaweicloud:agencyName \(stack config\) must be set together with huaweicloud:agencyDomainName/],
      [{}, { HW_ASSUME_ROLE_AGENCY_NAME: "a" }, /HW_ASSUME_ROLE_AGENCY_NAME \(environment\) is set without HW_ASSUME_ROLE_DOMAIN_NAME/],
      [{ region: 42 }, {}, /huaweicloud:region \(stack config\) must be a string/],
    ];
    for (const [config, env, re] of cases) {
      const m = message(() => resolveSettings(config, env));
      assert.match(m, re);
      assert.match(m, /^INVALID_INPUT/);
    }
  });

  it("endpoints: JSON string or object; bare hosts get https://; other services are ignored", () => {
    const s = resolveSettings({ endpoints: JSON.stringify({ bms: "bms.example.com:8443/", iam: "https://iam.example.com/", ecs: "https://ecs.example.com" }) }, {});
    assert.deepEqual(s.endpoints, { bms: "https://bms.example.com:8443", iam: "https://iam.example.com" });
    assert.equal(normaliseEndpoint("http://127.0.0.1:9000", "x"), "http://127.0.0.1:9000");
  });

  it("agency: assumeRole (object or JSON), then agencyName/agencyDomainName, then HW_ASSUME_ROLE_*, then OS_AGENCY_*", () => {
    const env = { HW_ASSUME_ROLE_AGENCY_NAME: "env-agency", HW_ASSUME_ROLE_DOMAIN_NAME: "env-domain", OS_AGENCY_NAME: "os-agency", OS_AGENCY_DOMAIN_NAME: "os-domain" };
    assert.deepEqual(resolveSettings({ assumeRole: '{"agencyName":"a1","domainName":"d1"}' }, env).agency, { agencyName: "a1", domainName: "d1", source: "huaweicloud:assumeRole (stack config)" });
    assert.deepEqual(resolveSettings({ assumeRole: [{ agencyName: "a1", domainName: "d1" }] }, {}).agency.agencyName, "a1");
    assert.deepEqual(resolveSettings({ agencyName: "a2", agencyDomainName: "d2" }, env).agency, { agencyName: "a2", domainName: "d2", source: "huaweicloud:agencyName/agencyDomainName (stack config)" });
    assert.deepEqual(resolveSettings({}, env).agency, { agencyName: "env-agency", domainName: "env-domain", source: "HW_ASSUME_ROLE_AGENCY_NAME/HW_ASSUME_ROLE_DOMAIN_NAME (environment)" });
    assert.deepEqual(resolveSettings({}, { OS_AGENCY_NAME: "os-agency", OS_AGENCY_DOMAIN_NAME: "os-domain" }).agency.source, "OS_AGENCY_NAME/OS_AGENCY_DOMAIN_NAME (environment)");
  });

  it("the shared file is asked for by sharedConfigFile or profile, from config or HW_SHARED_CONFIG_FILE/HW_PROFILE", () => {
    assert.equal(resolveSettings({}, {}).sharedConfig, undefined);
    assert.deepEqual(resolveSettings({}, { HW_PROFILE: "dev" }).sharedConfig, { profile: "dev", source: "HW_PROFILE (environment)" });
    assert.deepEqual(resolveSettings({ sharedConfigFile: "/c.json" }, { HW_PROFILE: "dev" }).sharedConfig, { path: "/c.json", profile: "dev", source: "huaweicloud:sharedConfigFile (stack config) and HW_PROFILE (environment)" });
  });
});

describe("KooCLI shared config file", () => {
  const doc = {
    current: "default",
    profiles: [
      { name: "default", mode: "AKSK", accessKeyId: "AK1", secretAccessKey: SK, region: "cn-north-4", projectId: "a".repeat(32) },
      { name: "agency", mode: "AKSK", accessKeyId: "AK2", secretAccessKey: SK, agencyName: "bms-operator", agencyDomainName: "owner-account" },
      { name: "sso", mode: "SSO", ssoAuth: { stsToken: { accessKeyId: "AK3", secretAccessKey: SK, securityToken: TOKEN } } },
      { name: "encrypted", mode: "AKSK", accessKeyId: "", secretAccessKey: "" },
    ],
  };
  const text = JSON.stringify(doc);

  it("the current profile by default, another by name; region, project id and agency come along", () => {
    assert.deepEqual(parseSharedConfig(text, "/h/.hcloud/config.json", undefined), { accessKey: "AK1", secretKey: SK, region: "cn-north-4", projectId: "a".repeat(32), source: "shared config file /h/.hcloud/config.json (profile default)" });
    const agency = parseSharedConfig(text, "/c.json", "agency");
    assert.equal(agency.agencyName, "bms-operator");
    assert.equal(agency.agencyDomainName, "owner-account");
  });

  it("SSO profiles use ssoAuth.stsToken, with its security token", () => {
    const p = parseSharedConfig(text, "/c.json", "sso");
    assert.equal(p.accessKey, "AK3");
    assert.equal(p.securityToken, TOKEN);
  });

  it("errors name the file and profile, never a value, and say what to do", () => {
    assert.match(message(() => parseSharedConfig(text, "/c.json", "nope")), /\/c.json: has no profile named nope/);
    assert.match(message(() => parseSharedConfig(text, "/c.json", "encrypted")), /cli-auth-encrypt=false/);
    assert.match(message(() => parseSharedConfig("{", "/c.json", undefined)), /is not JSON/);
    assert.match(message(() => parseSharedConfig("{}", "/c.json", undefined)), /no current profile/);
    assert.ok(!message(() => parseSharedConfig(text, "/c.json", "nope")).includes(SK));
  });
});

describe("proxy selection (HTTPS_PROXY / HTTP_PROXY / NO_PROXY)", () => {
  const https = new URL("https://bms.cn-north-4.myhuaweicloud.com/v1/x");
  const http = new URL("http://127.0.0.1:8080/v1/x");

  it("https targets use https_proxy/HTTPS_PROXY (lower case first), http targets http_proxy/HTTP_PROXY", () => {
    assert.equal(proxyFor(https, {}), undefined);
    assert.equal(proxyFor(https, { HTTPS_PROXY: "http://p1:3128" }).label, "http://p1:3128 (HTTPS_PROXY)");
    assert.equal(proxyFor(https, { HTTPS_PROXY: "http://p1:3128", https_proxy: "http://p2:3128" }).label, "http://p2:3128 (https_proxy)");
    assert.equal(proxyFor(https, { HTTP_PROXY: "http://p1:3128" }), undefined, "HTTP_PROXY is not for https targets");
    assert.equal(proxyFor(http, { http_proxy: "p3:8888" }).label, "http://p3:8888 (http_proxy)");
  });

  it("NO_PROXY (either case): *, domains with or without a leading dot or *., IPs, CIDRs, ports", () => {
    const cases = [
      ["*", "bms.cn-north-4.myhuaweicloud.com", 443, true],
      ["myhuaweicloud.com", "bms.cn-north-4.myhuaweicloud.com", 443, true],
      [".myhuaweicloud.com", "bms.cn-north-4.myhuaweicloud.com", 443, true],
      ["*.myhuaweicloud.com", "bms.cn-north-4.myhuaweicloud.com", 443, true],
      ["huaweicloud.com", "bms.cn-north-4.myhuaweicloud.com", 443, false],
      ["example.com, myhuaweicloud.com:443", "bms.cn-north-4.myhuaweicloud.com", 443, true],
      ["myhuaweicloud.com:8443", "bms.cn-north-4.myhuaweicloud.com", 443, false],
      ["127.0.0.1", "127.0.0.1", 8080, true],
      ["127.0.0.0/8", "127.0.0.7", 8080, true],
      ["10.0.0.0/8", "127.0.0.1", 8080, false],
      ["localhost", "127.0.0.1", 8080, false],
      ["::1", "[::1]", 8080, true],
      ["[0:0:0:0:0:0:0:1]:8080", "::1", 8080, true],
      ["", "127.0.0.1", 8080, false],
    ];
    for (const [noProxy, host, port, bypass] of cases) assert.equal(bypassesProxy(host, port, noProxy), bypass, `${noProxy} vs ${host}:${port}`);
    assert.equal(proxyFor(https, { HTTPS_PROXY: "http://p:1", no_proxy: ".myhuaweicloud.com" }), undefined);
    assert.equal(proxyFor(https, { HTTPS_PROXY: "http://p:1", NO_PROXY: ".myhuaweicloud.com" }), undefined);
  });

  it("credentials in the proxy URL become Proxy-Authorization; the label and errors never carry them", () => {
    const r = parseProxyUrl("HTTPS_PROXY", `http://svc%40corp:${encodeURIComponent(PROXY_PW)}@proxy.corp:3128`);
    assert.equal(r.authorization, `Basic ${Buffer.from(`svc@corp:${PROXY_PW}`).toString("base64")}`);
    assert.equal(r.label, "http://proxy.corp:3128 (HTTPS_PROXY)");
    assert.ok(r.secrets.includes(PROXY_PW));
    const m = message(() => parseProxyUrl("HTTPS_PROXY", `https://u:${PROXY_PW}@proxy.corp:3128`));
    assert.match(m, /only http:\/\/ proxies/);
    assert.ok(!m.includes(PROXY_PW));
    assert.ok(!message(() => parseProxyUrl("HTTPS_PROXY", `http://u:${PROXY_PW}@[bad`)).includes(PROXY_PW));
  });
});

describe("renewal of temporary credentials", () => {
  const lease = (now, lifetimeMs, n) => ({ credentials: { accessKey: `AK${n}`, secretKey: `${SK}${n}`, securityToken: `${TOKEN}${n}` }, expiresAt: now + lifetimeMs });

  it("renews ten minutes before expiry (or halfway through a shorter life), once for concurrent callers", async () => {
    let t = 0;
    let fetches = 0;
    const p = new RenewingCredentials("test source", "k", async () => lease(t, 60 * 60_000, ++fetches), () => t, () => {});
    await Promise.all([p.get(), p.get(), p.get()]);
    assert.equal(fetches, 1, "one fetch for concurrent callers");
    t = 49 * 60_000;
    assert.equal((await p.get()).credentials.accessKey, "AK1");
    t = 50 * 60_000;
    assert.equal((await p.get()).credentials.accessKey, "AK2", "renewed at expiry - 10 min");
    const short = new RenewingCredentials("s", "k2", async () => lease(t, 10 * 60_000, ++fetches), () => t, () => {});
    t = 0;
    await short.get();
    const before = fetches;
    t = 4 * 60_000 + 59_000;
    await short.get();
    assert.equal(fetches, before);
    t = 5 * 60_000;
    await short.get();
    assert.equal(fetches, before + 1, "renewed halfway through a 10-minute life");
  });

  it("a failed renewal keeps still-valid credentials (logged), and fails once they are about to expire", async () => {
    let t = 0;
    let fail = false;
    const logs = [];
    const p = new RenewingCredentials("the ECS metadata service (x)", "k", async () => {
      if (fail) throw new Error("metadata down");
      return lease(t, 60 * 60_000, 1);
    }, () => t, (l) => logs.push(l));
    await p.get();
    fail = true;
    t = 55 * 60_000;
    assert.equal((await p.get()).credentials.accessKey, "AK1");
    assert.match(logs[0], /renewing the credentials from the ECS metadata service \(x\) failed/);
    t = 60 * 60_000 - 10_000;
    await assert.rejects(p.get(), /metadata down/);
  });

  it("parses the metadata/IAM answer ({credential: {access, secret, securitytoken, expires_at}})", () => {
    const l = leaseFromBody(JSON.stringify({ credential: { access: "A", secret: SK, securitytoken: TOKEN, expires_at: "2026-12-02T10:00:00.000000Z" } }), "x");
    assert.equal(l.expiresAt, Date.UTC(2026, 11, 2, 10));
    assert.throws(() => leaseFromBody(JSON.stringify({ credential: { access: "A" } }), "the ECS metadata service"), /without a complete credential/);
  });
});
