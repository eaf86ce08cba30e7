"use strict";
/**
 * The external clients of the peers tier, driven the way an operator would run them: ipmitool 1.8.19 (`-I lanplus`),
 * FreeIPMI 1.6.10 (`ipmi-raw`, `bmc-config`/`ipmi-config`, `-D LAN_2_0`) and pyghmi 1.5.34's client (Debian's
 * `/usr/bin/python3`). None of them shares a line of code with the lab. Passwords reach every client through a pipe
 * (ipmitool `-f`, FreeIPMI `--config-file`, pyghmi on stdin), never through argv.
 */
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const PYTHON = "/usr/bin/python3";

/** Fails loudly (never skips) when a peer is missing: the tier is mandatory, CI installs them. */
function requirePeers() {
  const missing = [];
  const has = (cmd) => spawnSync("bash", ["-c", `command -v ${cmd}`]).status === 0;
  if (!has("ipmitool")) missing.push("ipmitool (apt ipmitool)");
  if (!has("ipmi-raw") || !has("bmc-config")) missing.push("ipmi-raw and bmc-config (apt freeipmi-tools)");
  if (spawnSync(PYTHON, ["-c", "import pyghmi.ipmi.command"]).status !== 0) missing.push(`pyghmi for ${PYTHON} (apt python3-pyghmi)`);
  if (missing.length) throw new Error(`the peers tier needs ${missing.join(", ")}; bash .ci/run installs them`);
}

let home;
/**
 * A HOME with a one-entry IANA registry: ipmitool parses `$HOME/.local/usr/share/misc/enterprise-numbers[.txt]` (else
 * the 4.7 MB system copy) before every session, ~40 ms each. It only names manufacturers in `mc info`.
 */
function peerHome() {
  if (!home) {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "lab-peers-"));
    const misc = path.join(home, ".local", "usr", "share", "misc");
    fs.mkdirSync(misc, { recursive: true });
    for (const name of ["enterprise-numbers", "enterprise-numbers.txt"]) fs.writeFileSync(path.join(misc, name), "0\n  Reserved\n  Internet Assigned Numbers Authority\n    iana&iana.org\n");
    process.once("exit", () => fs.rmSync(home, { recursive: true, force: true }));
  }
  return home;
}

/** Runs `argv[0]` with `argv.slice(1)` under bash, feeding `fds` (number → text) as real pipes, stdin `input`. */
function run(script, args, { fds = {}, input, timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    const stdio = ["pipe", "pipe", "pipe", "pipe", "pipe"];
    const child = spawn("bash", ["-c", script, "peer", ...args], { stdio, detached: true, env: { PATH: process.env.PATH, LANG: "C", HOME: peerHome() } });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, timeoutMs);
    child.stdout.on("data", (d) => (out += d.toString("latin1")));
    child.stderr.on("data", (d) => (err += d.toString("latin1")));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, text: out + err });
    });
    for (const fd of [0, 3, 4]) child.stdio[fd].on("error", () => {});
    child.stdio[0].end(input ?? "");
    child.stdio[3].end(fds[3] ?? "");
    child.stdio[4].end(fds[4] ?? "");
  });
}

/**
 * ipmitool against a lab BMC: one session running `commands` (lines of an exec file: the new users' passwords travel
 * there, never in argv), `-N 1 -R retries` (default 1). `suite` 17, 3 (or 0), or "auto" (no -C: ipmitool asks Get Channel Cipher Suites), `privilege` the -L level (default ADMINISTRATOR).
 */
function ipmitool(bmc, { user, password, suite = 17, privilege = "ADMINISTRATOR", verbose = false, retries = 1 }, commands) {
  // verbose: true = -v, 2 = -vv.
  const args = ["-I", "lanplus", "-H", bmc.host, "-p", String(bmc.port), "-U", user, ...(suite === "auto" ? [] : ["-C", String(suite)]), "-L", privilege, "-N", "1", "-R", String(retries)];
  if (verbose) args.push(verbose === 2 ? "-vv" : "-v");
  const lines = Array.isArray(commands) ? commands : [commands];
  return run('exec ipmitool "$@" -f <(cat <&3) exec <(cat <&4)', args, { fds: { 3: `${password}\n`, 4: `${lines.join("\n")}\n` } });
}

/** True when ipmitool opens a session as `user` at `privilege` (and closes it). */
async function ipmitoolLogin(bmc, creds) {
  const r = await ipmitool(bmc, creds, ["raw 0x06 0x01"]);
  return r.code === 0;
}

/** Hex bytes of ipmitool `raw` output lines. */
function rawBytes(text) {
  return text
    .split("\n")
    .filter((l) => /^(?: [0-9a-f]{2})+\s*$/.test(l))
    .flatMap((l) => l.trim().split(/\s+/).map((h) => parseInt(h, 16)));
}

/** FreeIPMI's common options: IPMI 2.0, the given cipher suite, credentials from a config file on fd 3. */
function freeipmiArgs(bmc, { user, suite = 17, privilege = "ADMIN" }) {
  return ["-h", `${bmc.host}:${bmc.port}`, "-D", "LAN_2_0", "-I", String(suite), "-u", user, "-l", privilege, "--session-timeout", "5000", "--retransmission-timeout", "500"];
}

function freeipmiConfig(password) {
  return `password ${password}\n`;
}

/** `ipmi-raw` with one request per line of `requests` (`"06 44 01 02"` = netFn cmd data…, LUN 0 prepended). */
function ipmiRaw(bmc, creds, requests) {
  const file = requests.map((r) => `00 ${r}`).join("\n") + "\n";
  return run('exec ipmi-raw "$@" --config-file=<(cat <&3) --file=<(cat <&4)', freeipmiArgs(bmc, creds), { fds: { 3: freeipmiConfig(creds.password), 4: file } });
}

/** `rcvd:` lines of ipmi-raw as byte arrays (cmd, cc, data…). */
function rcvd(text) {
  return text
    .split("\n")
    .filter((l) => l.startsWith("rcvd:"))
    .map((l) => l.slice(5).trim().split(/\s+/).map((h) => parseInt(h, 16)));
}

/** `bmc-config --checkout` of some sections; returns `{ code, sections: { Name: { Key: value } }, text }`. */
async function bmcConfigCheckout(bmc, creds, sections) {
  const args = [...freeipmiArgs(bmc, creds), "--checkout", ...sections.flatMap((s) => ["-S", s])];
  const r = await run('exec bmc-config "$@" --config-file=<(cat <&3)', args, { fds: { 3: freeipmiConfig(creds.password) } });
  return { ...r, sections: parseSections(r.out) };
}

/** `bmc-config --commit` of `text` (Section … EndSection blocks; secrets inside, on a pipe). */
function bmcConfigCommit(bmc, creds, text) {
  return run('exec bmc-config "$@" --config-file=<(cat <&3) --commit --filename=<(cat <&4)', freeipmiArgs(bmc, creds), { fds: { 3: freeipmiConfig(creds.password), 4: text } });
}

function parseSections(text) {
  const sections = {};
  let current;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === "Section") {
      current = sections[rest.join(" ")] = {};
    } else if (key === "EndSection") {
      current = undefined;
    } else if (current) {
      current[key] = rest.join(" ");
    }
  }
  return sections;
}

/**
 * pyghmi's client (pyghmi.ipmi.command.Command, suites 17 then 3) running `ops` in one session; see pyghmi-client.py.
 * Resolves with the script's JSON answer (`{ ok, results }` or `{ ok: false, error }`).
 */
async function pyghmi(bmc, { user, password, privlevel }, ops) {
  const input = JSON.stringify({ host: bmc.host, port: bmc.port, user, password, privlevel, ops });
  const r = await run(`exec ${PYTHON} "$@"`, [path.join(__dirname, "pyghmi-client.py")], { input, timeoutMs: 90000 });
  const line = r.out.trim().split("\n").pop();
  try {
    return JSON.parse(line);
  } catch {
    return { ok: false, error: `pyghmi-client printed no JSON (rc ${r.code}): ${r.text.slice(-400)}` };
  }
}

/** Pads a string to a 16- or 20-byte password field, as hex bytes for ipmitool `raw`. */
function hexBytes(s, size) {
  const b = Buffer.alloc(size);
  Buffer.from(s, "latin1").copy(b);
  return [...b].map((x) => `0x${x.toString(16).padStart(2, "0")}`).join(" ");
}

module.exports = { requirePeers, ipmitool, ipmitoolLogin, rawBytes, ipmiRaw, rcvd, bmcConfigCheckout, bmcConfigCommit, pyghmi, hexBytes, PYTHON };
