"use strict";
// A fleet from an inventory: on every BMC an administrator (`fleet-admin`) and a read-only monitoring account
// (`monitor`, privilege user); on every Huawei Cloud BMS server the OS password. Every password is derived from one
// stack secret and a rotation counter, so `pulumi config set fleet:rotation 2 && pulumi up` rotates the whole fleet.
//
// Stack config:
//   pulumi config set --secret fleet:masterSecret "$(openssl rand -base64 32)"
//   pulumi config set fleet:rotation 1                          # bump to rotate
//   pulumi config set --secret fleet:loginPasswords '{"supermicro": "…", "ams1-r02-dell": "…"}'
//                                     # current login password per BMC name or per vendor (the name wins)
// Optional: fleet:inventory (default inventory.yaml), fleet:cipherSuite (17; 3 for BMCs without SHA-256 suites),
// fleet:timeoutSeconds, fleet:retries, fleet:bmsEndpoint (default: Huawei's public endpoint for the region), and the
// provider's own huaweicloud:accessKey / secretKey (secret) / region / projectId.
// BMCs with `protocol: redfish` in the inventory are managed over their Redfish AccountService (HTTPS, the certificate
// pinned by `tlsFingerprint`); cipherSuite and retries apply to the IPMI ones only.
const fs = require("node:fs");
const path = require("node:path");
const pulumi = require("@pulumi/pulumi");
const yaml = require("js-yaml");
const { BmcUser, BmsPassword } = require("pulumi-bmc-credentials");
const { checkInventory, derivePassword, InventoryError } = require("./fleet");

/**
 * A configuration mistake, reported as the message alone. A stack-less RunError also keeps the program from stalling:
 * Node 20's util.inspect loops until it runs out of string length on stacks with source-mapped `@pulumi/*.ts` frames
 * (nodejs/node#64011), which costs about 2 × 20 s per error before the message appears.
 */
function configError(e) {
  if (!(e instanceof InventoryError)) return e;
  const error = new pulumi.RunError(e.message);
  error.stack = undefined;
  return error;
}

/** Runs `fn`, turning inventory and config mistakes into {@link configError}s. */
function reported(fn) {
  try {
    return fn();
  } catch (e) {
    throw configError(e);
  }
}

const cfg = new pulumi.Config("fleet");
const rotation = cfg.getNumber("rotation") ?? 1;
const master = cfg.requireSecret("masterSecret");
const loginPasswords = cfg.requireSecretObject("loginPasswords");
const inventoryFile = path.resolve(__dirname, cfg.get("inventory") ?? "inventory.yaml");
const inventory = reported(() => checkInventory(yaml.load(fs.readFileSync(inventoryFile, "utf8")), inventoryFile));

/** A secret Output: the password of `scope` at the current rotation (`bytes` long: 16, or 20 where the BMC keeps 20). */
const password = (scope, bytes = 16) => master.apply((m) => reported(() => derivePassword(m, rotation, scope, bytes)));

const ACCOUNTS = [
  { username: "fleet-admin", privilege: "administrator" },
  { username: "monitor", privilege: "user" },
];

const bmcs = {};
for (const b of inventory.bmcs) {
  const redfish = b.protocol === "redfish";
  const bmc = {
    host: b.host,
    port: b.port,
    username: b.login,
    password: loginPasswords.apply((p) => {
      const pw = p?.[b.name] ?? p?.[b.vendor];
      if (typeof pw !== "string") throw configError(new InventoryError(`fleet:loginPasswords has no entry for BMC ${b.name} or vendor ${b.vendor}`));
      return pw;
    }),
    timeoutSeconds: cfg.getNumber("timeoutSeconds"),
    ...(redfish
      ? { protocol: "redfish", tls: { fingerprint: b.tlsFingerprint } }
      : { cipherSuite: cfg.getNumber("cipherSuite"), retries: cfg.getNumber("retries") }),
  };
  const accounts = {};
  for (const a of ACCOUNTS) {
    const user = new BmcUser(`${b.name}-${a.username}`, { bmc, ...a, password: password(`bmc/${b.name}/${a.username}`, b.passwordBytes) });
    // The slot: the IPMI user id, or the Redfish account's Id (a number on most BMCs, the user name on OpenBMC).
    accounts[a.username] = { slot: redfish ? user.accountId : user.userId, privilege: user.privilege, passwordState: user.passwordState, passwordSize: user.passwordSize };
  }
  bmcs[b.name] = { host: b.host, port: b.port, vendor: b.vendor, site: b.site, protocol: b.protocol ?? "ipmi", accounts };
}

const servers = {};
for (const s of inventory.servers) {
  const os = new BmsPassword(`${s.name}-os`, {
    serverId: s.id,
    password: password(`bms/${s.id}`),
    osType: s.os,
    endpoint: cfg.get("bmsEndpoint"),
  });
  servers[s.name] = { id: s.id, osType: os.osType, serverStatus: os.serverStatus, pendingRestart: os.pendingRestart, resetAt: os.resetAt };
}

exports.rotation = rotation;
exports.bmcs = bmcs;
exports.servers = servers;
