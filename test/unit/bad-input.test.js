"use strict";
// The invalid-input table for both resources. Every row must yield a CheckFailure (or, for what only the call can
// tell, a typed CredentialsError) that names the field and says what to do — never a crash, and never the value of a
// secret. Rows that only a call can detect (missing credentials, state without a connection) go through the
// provider methods themselves.
const assert = require("node:assert/strict");
const { bmcUserProvider, bmsPasswordProvider, isCredentialsError } = require("../../dist");
const { setBmsPasswordRuntime, setHuaweiConfig } = require("../../dist/bmsPassword/runtime");

const SECRETS = {
  login: "Sentinel-Login-77",
  user: "Sentinel-User-42x",
  bms: "Sentinel-Bms-7Q!x",
  fallback: "Sentinel-Fallback-1",
  nulLogin: "Bad\u0000Secret",
  nulUser: "NUL\u0000in-pass",
  hashBms: "Sentinel#Bms-9Qx",
  shortBms: "Sn-1!x",
  sshPassword: "Sentinel-SshPw-55",
  sshPassphrase: "Sentinel-Phrase-66",
  sshKeyBody: "SentinelKeyBody88",
};
// A real throwaway key pair (pure JS, ssh2's generator), and one encrypted with a sentinel passphrase.
const { utils: sshUtils } = require("ssh2");
const KEY = sshUtils.generateKeyPairSync("ed25519");
const ENCRYPTED = sshUtils.generateKeyPairSync("ed25519", { passphrase: SECRETS.sshPassphrase, cipher: "aes256-ctr" });
const HOST_KEY = KEY.public;
const SSH = { host: "10.0.0.9", username: "ops", privateKey: KEY.private, hostKey: HOST_KEY };
/** An in-band bmc block: no BMC address, no login. */
const INBAND = { host: undefined, username: undefined, password: undefined };
const SERVER = "77616c78-0bc4-4156-b24b-4286586ac350";
let checks = 0;

function noSecret(text) {
  checks++;
  for (const s of Object.values(SECRETS)) assert.ok(!String(text).includes(s), `a secret leaked into: ${text}`);
}

function bmcUser(overrides = {}) {
  const { bmc, ...rest } = overrides;
  const connection = "bmc" in overrides && bmc === undefined ? undefined : { host: "10.0.0.5", username: "ADMIN", password: SECRETS.login, ...(bmc || {}) };
  return { bmc: connection, username: "ops", password: SECRETS.user, privilege: "operator", ...rest };
}

/** A Redfish BmcUser; `bmc` overrides merge into a valid connection (fingerprint pinned). */
const FP = "AB:".repeat(31) + "AB";
function redfishUser(overrides = {}) {
  const { bmc, ...rest } = overrides;
  return {
    bmc: { protocol: "redfish", host: "10.0.0.6", username: "root", password: SECRETS.login, tls: { fingerprint: FP }, ...(bmc || {}) },
    username: "ops",
    password: SECRETS.user,
    privilege: "operator",
    ...rest,
  };
}
const PEM = "-----BEGIN CERTIFICATE-----\nMIIBsomethingelse\n-----END CERTIFICATE-----\n";

function bms(overrides = {}) {
  return { serverId: SERVER, password: SECRETS.bms, region: "cn-north-4", ...overrides };
}

/** Removes keys whose override is `undefined`, so "missing" rows can be written as `{ key: undefined }`. */
function withoutUndefined(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = v && typeof v === "object" && !Array.isArray(v) ? withoutUndefined(v) : v;
  }
  return out;
}

// [resource, what, overrides, property, reason]
const CHECK_ROWS = [
  // BmcUser: the managed account
  ["BmcUser", "username too long", { username: "a".repeat(17) }, "username", /16 bytes/],
  ["BmcUser", "empty username", { username: "" }, "username", /empty/],
  ["BmcUser", "blank username", { username: "   " }, "username", /visible character/],
  ["BmcUser", "non-ASCII username", { username: "opérateur" }, "username", /printable ASCII/],
  ["BmcUser", "username as a number", { username: 42 }, "username", /must be a string/],
  ["BmcUser", "password too long", { password: "x".repeat(21) }, "password", /20 bytes/],
  ["BmcUser", "NUL in password", { password: SECRETS.nulUser }, "password", /printable ASCII/],
  ["BmcUser", "DEL byte in password", { password: "abc\u007fdef" }, "password", /printable ASCII/],
  ["BmcUser", "empty password", { password: "" }, "password", /empty/],
  ["BmcUser", "missing password", { password: undefined }, "password", /must be a string/],
  ["BmcUser", "unknown privilege", { privilege: "root" }, "privilege", /administrator, operator/],
  ["BmcUser", "missing privilege", { privilege: undefined }, "privilege", /one of/],
  ["BmcUser", "slot 0", { userId: 0 }, "userId", /not a valid/],
  ["BmcUser", "slot 1", { userId: 1 }, "userId", /anonymous/],
  ["BmcUser", "slot 64", { userId: 64 }, "userId", /between 2 and 63/],
  ["BmcUser", "negative slot", { userId: -3 }, "userId", /between 2 and 63/],
  ["BmcUser", "fractional slot", { userId: 2.5 }, "userId", /whole number/],
  ["BmcUser", "slot as string", { userId: "3" }, "userId", /must be a number/],
  ["BmcUser", "channel 0", { channel: 0 }, "channel", /between 1 and 11/],
  ["BmcUser", "channel 12", { channel: 12 }, "channel", /between 1 and 11/],
  ["BmcUser", "enabled as string", { enabled: "yes" }, "enabled", /true or false/],
  ["BmcUser", "verifyPassword bogus", { verifyPassword: "test" }, "verifyPassword", /"login" or "off"/],
  ["BmcUser", "typo in a property", { privlege: "user" }, "(inputs)", /unknown property/],
  // BmcUser: the connection
  ["BmcUser", "missing bmc", { bmc: undefined }, "bmc", /object with host, username and password/],
  ["BmcUser", "cipher suite 0", { bmc: { cipherSuite: 0 } }, "bmc.cipherSuite", /CVE-2013-4782/],
  ["BmcUser", "cipher suite 1 (no integrity)", { bmc: { cipherSuite: 1 } }, "bmc.cipherSuite", /17 .* or 3/],
  ["BmcUser", "cipher suite as string", { bmc: { cipherSuite: "17" } }, "bmc.cipherSuite", /17/],
  ["BmcUser", "empty host", { bmc: { host: "" } }, "bmc.host", /must not be empty/],
  ["BmcUser", "host with a space", { bmc: { host: "bmc 1" } }, "bmc.host", /IP address or a DNS name/],
  ["BmcUser", "host longer than a DNS name", { bmc: { host: "a".repeat(254) } }, "bmc.host", /253/],
  ["BmcUser", "bracketed IPv6 host", { bmc: { host: "[::1]" } }, "bmc.host", /bmc\.host must be an IPv6 address without brackets \(::1, not \[::1\]\)/],
  ["BmcUser", "bracketed IPv6 jump host", { bmc: { via: { ssh: { ...SSH, host: "[fd00::9]" } } } }, "bmc.via.ssh.host", /bmc\.via\.ssh\.host must be an IPv6 address without brackets/],
  ["BmcUser", "port 0", { bmc: { port: 0 } }, "bmc.port", /between 1 and 65535/],
  ["BmcUser", "port 70000", { bmc: { port: 70000 } }, "bmc.port", /between 1 and 65535/],
  ["BmcUser", "negative timeout", { bmc: { timeoutSeconds: -1 } }, "bmc.timeoutSeconds", /between 1 and 60/],
  ["BmcUser", "retries 0 (ipmitool would use its default)", { bmc: { retries: 0 } }, "bmc.retries", /between 1 and 10/],
  ["BmcUser", "missing login user name", { bmc: { username: undefined } }, "bmc.username", /is required/],
  ["BmcUser", "missing login password", { bmc: { password: undefined } }, "bmc.password", /is required/],
  // BmcUser: in-band and SSH routes
  ["BmcUser", "missing host without in-band", { bmc: { host: undefined } }, "bmc.host", /required.*inband/],
  ["BmcUser", "inband other than local", { bmc: { ...INBAND, inband: "remote" } }, "bmc.inband", /"local"/],
  ["BmcUser", "inband with a BMC host", { bmc: { ...INBAND, inband: "local", host: "10.0.0.5" } }, "bmc.host", /in-band.*via\.ssh/],
  ["BmcUser", "inband with a login password", { bmc: { ...INBAND, inband: "local", password: SECRETS.login } }, "bmc.password", /not used in-band/],
  ["BmcUser", "inband with fallback passwords", { bmc: { ...INBAND, inband: "local", fallbackPasswords: [SECRETS.fallback] } }, "bmc.fallbackPasswords", /not used in-band/],
  ["BmcUser", "inband local and ssh", { bmc: { ...INBAND, inband: "local", ssh: SSH } }, "bmc.ssh", /set one of them/],
  ["BmcUser", "in-band ssh with via", { bmc: { ...INBAND, ssh: SSH, via: { ssh: SSH } } }, "bmc.via", /contradicts in-band/],
  ["BmcUser", "ssh without hostKey", { bmc: { ...INBAND, ssh: { ...SSH, hostKey: undefined } } }, "bmc.ssh.hostKey", /required.*known_hosts/],
  ["BmcUser", "ssh hostKey not a key", { bmc: { ...INBAND, ssh: { ...SSH, hostKey: "yes" } } }, "bmc.ssh.hostKey", /known_hosts form/],
  ["BmcUser", "ssh hostKey truncated", { bmc: { ...INBAND, ssh: { ...SSH, hostKey: HOST_KEY.slice(0, 40) } } }, "bmc.ssh.hostKey", /not a valid ssh-ed25519 key/],
  ["BmcUser", "ssh hostKey type mislabelled", { bmc: { ...INBAND, ssh: { ...SSH, hostKey: HOST_KEY.replace("ssh-ed25519", "ssh-rsa") } } }, "bmc.ssh.hostKey", /not a valid ssh-rsa key/],
  ["BmcUser", "ssh with neither key nor password", { bmc: { ...INBAND, ssh: { ...SSH, privateKey: undefined } } }, "bmc.ssh.privateKey", /privateKey .*or password/],
  ["BmcUser", "ssh with key and password", { bmc: { ...INBAND, ssh: { ...SSH, password: SECRETS.sshPassword } } }, "bmc.ssh.password", /not both/],
  ["BmcUser", "ssh privateKey not a key", { bmc: { ...INBAND, ssh: { ...SSH, privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${SECRETS.sshKeyBody}\n-----END OPENSSH PRIVATE KEY-----\n` } } }, "bmc.ssh.privateKey", /not an OpenSSH or PEM/],
  ["BmcUser", "encrypted key without passphrase", { bmc: { ...INBAND, ssh: { ...SSH, privateKey: ENCRYPTED.private } } }, "bmc.ssh.privateKey", /passphrase is missing or wrong/],
  ["BmcUser", "encrypted key with a wrong passphrase", { bmc: { ...INBAND, ssh: { ...SSH, privateKey: ENCRYPTED.private, passphrase: SECRETS.sshPassword } } }, "bmc.ssh.privateKey", /passphrase is missing or wrong/],
  ["BmcUser", "passphrase without a key", { bmc: { ...INBAND, ssh: { ...SSH, privateKey: undefined, password: SECRETS.sshPassword, passphrase: SECRETS.sshPassphrase } } }, "bmc.ssh.passphrase", /not set/],
  ["BmcUser", "ssh username with a space", { bmc: { ...INBAND, ssh: { ...SSH, username: "o ps" } } }, "bmc.ssh.username", /login name/],
  ["BmcUser", "ssh port 0", { bmc: { ...INBAND, ssh: { ...SSH, port: 0 } } }, "bmc.ssh.port", /normally 22/],
  ["BmcUser", "ssh unknown property", { bmc: { ...INBAND, ssh: { ...SSH, identityFile: "~/.ssh/id" } } }, "bmc.ssh", /accepts host, port/],
  ["BmcUser", "jump host without the BMC password", { bmc: { password: undefined, via: { ssh: SSH } } }, "bmc.password", /is required/],
  ["BmcUser", "sudo on a jump host", { bmc: { via: { ssh: { ...SSH, sudo: true } } } }, "bmc.via.ssh.sudo", /not supported/],
  ["BmcUser", "login password too long", { bmc: { password: "y".repeat(21) } }, "bmc.password", /20 bytes/],
  ["BmcUser", "NUL in login password", { bmc: { password: SECRETS.nulLogin } }, "bmc.password", /printable ASCII/],
  ["BmcUser", "too many fallbacks", { bmc: { fallbackPasswords: ["a", "b", "c", "d", "e"] } }, "bmc.fallbackPasswords", /at most 4/],
  ["BmcUser", "bad fallback", { bmc: { fallbackPasswords: [SECRETS.fallback, "\u0001"] } }, "bmc.fallbackPasswords[1]", /printable ASCII/],
  ["BmcUser", "fallbacks not a list", { bmc: { fallbackPasswords: SECRETS.fallback } }, "bmc.fallbackPasswords", /list of passwords/],
  // BmcUser over Redfish (bmc.protocol "redfish")
  ["Redfish", "no bmc.tls (no insecure mode)", { bmc: { tls: undefined } }, "bmc.tls", /required.*no insecure mode/],
  ["Redfish", "tls with both fingerprint and caCertificate", { bmc: { tls: { fingerprint: FP, caCertificate: PEM } } }, "bmc.tls.fingerprint", /exactly one/],
  ["Redfish", "tls with neither", { bmc: { tls: {} } }, "bmc.tls.fingerprint", /exactly one/],
  ["Redfish", "fingerprint too short (SHA-1)", { bmc: { tls: { fingerprint: "AB:".repeat(19) + "AB" } } }, "bmc.tls.fingerprint", /64 hex digits/],
  ["Redfish", "fingerprint with a non-hex digit", { bmc: { tls: { fingerprint: "ZZ" + FP.slice(2) } } }, "bmc.tls.fingerprint", /64 hex digits/],
  ["Redfish", "fingerprint with misplaced colons", { bmc: { tls: { fingerprint: FP.replace(/:/g, "").replace(/(.{4})/g, "$1:").slice(0, -1) } } }, "bmc.tls.fingerprint", /pairs separated by colons/],
  ["Redfish", "fingerprint as a number", { bmc: { tls: { fingerprint: 42 } } }, "bmc.tls.fingerprint", /must be a string/],
  ["Redfish", "caCertificate that is not PEM", { bmc: { tls: { caCertificate: PEM } } }, "bmc.tls.caCertificate", /not a PEM certificate/],
  ["Redfish", "tls asking to skip verification", { bmc: { tls: { fingerprint: FP, insecure: true } } }, "bmc.tls", /accepts fingerprint or caCertificate/],
  ["Redfish", "an RMCP+ cipher suite", { bmc: { cipherSuite: 17 } }, "bmc.cipherSuite", /RMCP\+ setting.*HTTPS/],
  ["Redfish", "RMCP+ retries", { bmc: { retries: 3 } }, "bmc.retries", /RMCP\+ setting/],
  ["Redfish", "an IPMI transport", { bmc: { transport: "native" } }, "bmc.transport", /IPMI sessions.*HTTPS/],
  ["Redfish", "in-band access", { bmc: { inband: "local" } }, "bmc.inband", /in-band/],
  ["Redfish", "a jump host", { bmc: { via: { ssh: SSH } } }, "bmc.via", /not supported with protocol "redfish"/],
  ["Redfish", "an unknown bmc property", { bmc: { verifyTls: false } }, "bmc", /unknown property; with protocol "redfish" bmc accepts/],
  ["Redfish", "port 0", { bmc: { port: 0 } }, "bmc.port", /HTTPS port/],
  ["Redfish", "timeout 0", { bmc: { timeoutSeconds: 0 } }, "bmc.timeoutSeconds", /between 1 and 300/],
  ["Redfish", "five fallback passwords", { bmc: { fallbackPasswords: ["a", "b", "c", "d", "e"] } }, "bmc.fallbackPasswords", /at most 4/],
  ["Redfish", "login password with a NUL", { bmc: { password: SECRETS.nulLogin } }, "bmc.password", /printable ASCII/],
  ["Redfish", "privilege callback (no Redfish role)", { privilege: "callback" }, "privilege", /callback has no Redfish role/],
  ["Redfish", "an IPMI channel", { channel: 1 }, "channel", /no channel/],
  ["Redfish", "linkAuth", { linkAuth: true }, "linkAuth", /no Redfish equivalent/],
  ["Redfish", "callin", { callin: false }, "callin", /no Redfish equivalent/],
  ["Redfish", "vendorProfile", { vendorProfile: "dell" }, "vendorProfile", /IPMI vendor rules/],
  ["Redfish", "userId 1 (reserved slot)", { userId: 1 }, "userId", /reserved on iDRAC/],
  ["Redfish", "username with a slash (it may end up in a URI)", { username: "ops/admin" }, "username", /must not contain '\/'/],
  ["Redfish", "password longer than any Redfish service takes", { password: "p".repeat(128) }, "password", /at most 127/],
  ["Redfish", "disabling the login account", { username: "root", privilege: "administrator", enabled: false }, "enabled", /allowSelfLockout/],
  ["BmcUser", "a protocol that does not exist", { bmc: { protocol: "https" } }, "bmc.protocol", /"ipmi" \(the default\) or "redfish"/],
  // BmsPassword
  ["BmsPassword", "missing serverId", { serverId: undefined }, "serverId", /required/],
  ["BmsPassword", "serverId not a UUID", { serverId: "server-1" }, "serverId", /UUID/],
  ["BmsPassword", "serverId as a number", { serverId: 42 }, "serverId", /required|UUID/],
  ["BmsPassword", "missing password", { password: undefined }, "password", /required/],
  ["BmsPassword", "empty password", { password: "" }, "password", /empty/],
  ["BmsPassword", "password shorter than 8", { password: SECRETS.shortBms }, "password", /8/],
  ["BmsPassword", "password longer than 26", { password: "Ab1!" + "x".repeat(23) }, "password", /26/],
  ["BmsPassword", "# is in neither OS's special set", { password: SECRETS.hashBms }, "password", /character|special/i],
  ["BmsPassword", "NUL in password", { password: "Abcd\u00001234!" }, "password", /character|special/i],
  ["BmsPassword", "one character class only", { password: "abcdefghij" }, "password", /three|classes|kinds/i],
  ["BmsPassword", "unknown osType", { osType: "freebsd" }, "osType", /auto, linux, windows/],
  ["BmsPassword", "restart soft", { restart: "soft" }, "restart", /never or hard/],
  ["BmsPassword", "bad region", { region: "North China 4" }, "region", /cn-north-4/],
  ["BmsPassword", "bad projectId", { projectId: "xyz" }, "projectId", /32-hex/],
  ["BmsPassword", "plain http endpoint", { endpoint: "http://bms.example.com" }, "endpoint", /https/],
  ["BmsPassword", "endpoint with a path", { endpoint: "https://bms.cn-north-4.myhuaweicloud.com/v1" }, "endpoint", /without a path/],
  ["BmsPassword", "username with a space", { username: "ad min" }, "username", /without spaces/],
  ["BmsPassword", "password contains the user name", { osType: "linux", password: "MyRoot@123" }, "password", /root|user name/i],
];

describe("unit: bad input across both resources (CheckFailure naming the field, never the secret)", () => {
  after(() => {
    // eslint-disable-next-line no-console
    console.log(`      bad-input cases: ${CHECK_ROWS.length + CALL_ROWS.length} (${CHECK_ROWS.length} check, ${CALL_ROWS.length} call); secret checks: ${checks}`);
  });

  for (const [resource, what, overrides, property, reason] of CHECK_ROWS) {
    it(`${resource}: ${what} → ${property}`, async () => {
      const news = withoutUndefined(resource === "BmcUser" ? bmcUser(overrides) : resource === "Redfish" ? redfishUser(overrides) : bms(overrides));
      const provider = resource === "BmsPassword" ? bmsPasswordProvider : bmcUserProvider;
      const r = await provider.check({}, news);
      const failures = r.failures || [];
      for (const f of failures) noSecret(`${f.property} ${f.reason}`);
      const f = failures.find((x) => x.property === property);
      assert.ok(f, `expected a failure on ${property}, got ${JSON.stringify(failures)}`);
      assert.match(f.reason, reason);
    });
  }

  const bmsEnv = (env) => () => {
    setHuaweiConfig({});
    setBmsPasswordRuntime({ env: () => env });
  };
  // [what, call, code, field named in the message or hint]
  const CALL_ROWS = [
    ["BmcUser create without bmc", () => bmcUserProvider.create({ username: "ops", password: SECRETS.user, privilege: "user" }), "INVALID_INPUT", /bmc/],
    ["BmcUser update with a NUL in the password", () => bmcUserProvider.update("id", {}, bmcUser({ password: SECRETS.nulUser })), "INVALID_INPUT", /password/],
    ["BmcUser read of state without a connection", () => bmcUserProvider.read("10.0.0.5:623/ch1/user3", { username: "ops" }), "INVALID_INPUT", /bmc/],
    ["BmcUser delete of state without a connection", () => bmcUserProvider.delete("10.0.0.5:623/ch1/user3", { username: "ops" }), "INVALID_INPUT", /bmc/],
    ["BmcUser over Redfish: read of state without a pinned certificate", () => bmcUserProvider.read("10.0.0.6:443/redfish/3", { bmc: { protocol: "redfish", host: "10.0.0.6", username: "root", password: SECRETS.login }, accountUri: "/redfish/v1/AccountService/Accounts/3", username: "ops" }), "INVALID_INPUT", /tls/],
    ["BmcUser over Redfish: delete of state without the account's URI", () => bmcUserProvider.delete("10.0.0.6:443/redfish/3", { bmc: { protocol: "redfish", host: "10.0.0.6", username: "root", password: SECRETS.login, tls: { fingerprint: FP } }, username: "ops" }), "INVALID_INPUT", /accountUri/],
    ["BmcUser over Redfish: create with inputs check would refuse", () => bmcUserProvider.create(redfishUser({ privilege: "callback" })), "INVALID_INPUT", /privilege/],
    ["BmsPassword create with no credentials", bmsEnv({ HW_REGION_NAME: "cn-north-4" }), "HWC_CREDENTIALS_MISSING", /accessKey|HW_ACCESS_KEY/],
    ["BmsPassword create with only an access key", bmsEnv({ HW_ACCESS_KEY: "AK", HW_REGION_NAME: "cn-north-4" }), "HWC_CREDENTIALS_MISSING", /secret key|secretKey/],
    ["BmsPassword create with no region and no endpoint", bmsEnv({ HW_ACCESS_KEY: "AK", HW_SECRET_KEY: SECRETS.login }), "HWC_CREDENTIALS_MISSING", /region/],
    ["BmsPassword create with an invalid serverId", () => bmsPasswordProvider.create(bms({ serverId: "nope" })), "INVALID_INPUT", /serverId/],
  ];

  for (const [what, call, code, field] of CALL_ROWS) {
    it(`call: ${what} → ${code}`, async () => {
      let e;
      try {
        const r = await call();
        // bmsEnv rows only prepare the runtime: the create follows.
        if (r === undefined && code.startsWith("HWC_")) await bmsPasswordProvider.create(withoutUndefined(bms({ region: undefined })));
      } catch (err) {
        e = err;
      } finally {
        setBmsPasswordRuntime({});
        setHuaweiConfig({});
      }
      assert.ok(e, "expected a typed failure");
      assert.ok(isCredentialsError(e, code), `expected ${code}, got ${e && e.name}: ${e && e.message}`);
      assert.match(`${e.message} ${e.hint}`, field);
      noSecret(e.message);
      noSecret(e.stack);
    });
  }
});
