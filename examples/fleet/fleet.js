"use strict";
/**
 * The fleet example's pure parts: the inventory's shape (checked strictly, every error naming the entry and the field)
 * and the derivation of per-host passwords from one stack secret and a rotation counter.
 */
const crypto = require("node:crypto");

/** The administrator each vendor ships, used to log in unless the inventory names another (`login`). */
const VENDOR_LOGINS = { supermicro: "ADMIN", dell: "root", lenovo: "USERID", hpe: "Administrator", openbmc: "root", generic: "ADMIN" };
const PROTOCOLS = ["ipmi", "redfish"];
const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/;
const OS_TYPES = ["linux", "windows", "auto"];
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

class InventoryError extends Error {}

/**
 * Checks a parsed inventory document and fills defaults. Throws `InventoryError` naming `<file>: <path>: <problem>`.
 * @returns {{bmcs: {name, host, port, vendor, site, login, passwordBytes, protocol?, tlsFingerprint?}[], servers: {id, name, os}[]}}
 */
function checkInventory(doc, file = "inventory") {
  const fail = (where, problem) => {
    throw new InventoryError(`${file}: ${where}: ${problem}`);
  };
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) fail("(top)", "must be a mapping with `bmcs` and/or `servers`");
  for (const k of Object.keys(doc)) if (!["bmcs", "servers"].includes(k)) fail(k, "unknown key; expected `bmcs` or `servers`");

  const list = (key, fields, check) => {
    const items = doc[key] ?? [];
    if (!Array.isArray(items)) fail(key, "must be a list");
    const seen = new Set();
    return items.map((item, i) => {
      const at = `${key}[${i}]`;
      if (!item || typeof item !== "object" || Array.isArray(item)) fail(at, "must be a mapping");
      for (const k of Object.keys(item)) if (!fields.includes(k)) fail(`${at}.${k}`, `unknown key; expected one of ${fields.join(", ")}`);
      const str = (k, { required = false, pattern, hint } = {}) => {
        const v = item[k];
        if (v === undefined || v === null) return required ? fail(`${at}.${k}`, "is required") : undefined;
        if (typeof v !== "string" || v.length === 0) fail(`${at}.${k}`, "must be a non-empty string");
        if (pattern && !pattern.test(v)) fail(`${at}.${k}`, hint);
        return v;
      };
      const checked = check(str, item, at);
      const id = checked.name;
      if (seen.has(id)) fail(`${at}.name`, `duplicate name ${JSON.stringify(id)}`);
      seen.add(id);
      return checked;
    });
  };

  const bmcs = list("bmcs", ["name", "host", "port", "vendor", "site", "login", "passwordBytes", "protocol", "tlsFingerprint"], (str, item, at) => {
    const protocol = str("protocol") ?? "ipmi";
    if (!PROTOCOLS.includes(protocol)) fail(`${at}.protocol`, `must be one of ${PROTOCOLS.join(", ")}`);
    const redfish = protocol === "redfish";
    const tlsFingerprint = str("tlsFingerprint", { pattern: FINGERPRINT, hint: "must be the SHA-256 fingerprint of the BMC's certificate (64 hex digits, colons optional)" });
    if (redfish && tlsFingerprint === undefined) fail(`${at}.tlsFingerprint`, "is required with protocol redfish (the BMC's certificate is pinned; there is no insecure mode)");
    if (!redfish && tlsFingerprint !== undefined) fail(`${at}.tlsFingerprint`, "applies to protocol redfish only");
    const port = item.port ?? (redfish ? 443 : 623);
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`${at}.port`, `must be an integer 1-65535 (got ${JSON.stringify(item.port)})`);
    const passwordBytes = item.passwordBytes ?? 16;
    if (passwordBytes !== 16 && passwordBytes !== 20) fail(`${at}.passwordBytes`, `must be 16 or 20 (got ${JSON.stringify(item.passwordBytes)})`);
    const vendor = str("vendor") ?? "generic";
    if (!(vendor in VENDOR_LOGINS)) fail(`${at}.vendor`, `must be one of ${Object.keys(VENDOR_LOGINS).join(", ")}`);
    return {
      name: str("name", { required: true, pattern: NAME, hint: "lower-case letters, digits and '-', at most 63" }),
      host: str("host", { required: true }),
      port,
      vendor,
      site: str("site") ?? "",
      login: str("login") ?? VENDOR_LOGINS[vendor],
      passwordBytes,
      ...(redfish ? { protocol, tlsFingerprint } : {}),
    };
  });
  const servers = list("servers", ["id", "name", "os"], (str, item, at) => {
    const os = str("os") ?? "auto";
    if (!OS_TYPES.includes(os)) fail(`${at}.os`, `must be one of ${OS_TYPES.join(", ")}`);
    return {
      id: str("id", { required: true, pattern: UUID, hint: "must be the server's UUID (lower-case)" }),
      name: str("name", { required: true, pattern: NAME, hint: "lower-case letters, digits and '-', at most 63" }),
      os,
    };
  });
  return { bmcs, servers };
}

// No vowels and no 'r' (either case): a derived password can then never contain "root", "toor" or three letters in a
// row of "Administrator" (every 3-gram of it has a vowel or an 'r'), which Huawei's password rules forbid.
const UPPER = "BCDFGHJKLMNPQSTVWXYZ";
const LOWER = "bcdfghjklmnpqstvwxyz";
const DIGITS = "0123456789";
const SPECIAL = "-_=+.:@%"; // allowed for Linux and Windows BMS passwords, and printable ASCII for IPMI
const ALL = UPPER + LOWER + DIGITS + SPECIAL;

/**
 * The password of `scope` (e.g. `bmc/ams1-r01-smc/fleet-admin`) at rotation `rotation`: HMAC-SHA256 keyed by the
 * stack secret, expanded in counter mode, mapped without modulo bias. 16 characters by default (ipmi_sim and IPMI 1.5
 * formats keep 16 bytes), 20 for BMCs that keep the IPMI 2.0 format: one upper-case letter, one lower-case letter, one
 * digit and one special, then 12 (or 16) of all 58 (about 86 or 110 bits). Changing `rotation` changes every password;
 * nothing else does.
 */
function derivePassword(masterSecret, rotation, scope, length = 16) {
  if (typeof masterSecret !== "string" || masterSecret.length < 16) {
    throw new InventoryError("fleet:masterSecret must be a secret of at least 16 characters (pulumi config set --secret fleet:masterSecret …)");
  }
  if (!Number.isInteger(rotation) || rotation < 0) throw new InventoryError(`fleet:rotation must be a non-negative integer (got ${rotation})`);
  let block = 0;
  let pool = Buffer.alloc(0);
  const pick = (alphabet) => {
    const limit = 256 - (256 % alphabet.length);
    for (;;) {
      if (pool.length === 0) {
        pool = crypto.createHmac("sha256", masterSecret).update(`fleet-password/v1\0${rotation}\0${scope}\0${block++}`).digest();
      }
      const byte = pool[0];
      pool = pool.subarray(1);
      if (byte < limit) return alphabet[byte % alphabet.length];
    }
  };
  return [UPPER, LOWER, DIGITS, SPECIAL, ...new Array(length - 4).fill(ALL)].map(pick).join("");
}

module.exports = { checkInventory, derivePassword, InventoryError, VENDOR_LOGINS };
