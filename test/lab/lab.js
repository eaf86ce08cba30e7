"use strict";
/**
 * A lab of simulated BMCs: one OpenIPMI `ipmi_sim` process per BMC, each on its own loopback UDP port with fresh state
 * and a vendor personality (default account, manufacturer id). Started processes are tracked by PID and stopped by
 * PID, also when tests fail or the process exits.
 *
 * Out-of-band helpers (`oob`, `canLogin`) drive the BMC with ipmitool directly, independent of the provider's own
 * transport, so tests never check the provider with its own code. Passwords go through pipes, never argv.
 */

const { spawn, spawnSync } = require("node:child_process");
const dgram = require("node:dgram");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { claimPort } = require("./ports");
const { TRANSPORT } = require("./transport");

/** Vendor personalities: the default administrator in slot 2 and the Get Device ID manufacturer (IANA) id. */
const PERSONALITIES = {
  supermicro: { username: "ADMIN", password: "ADMIN", manufacturerId: 0x2a7c, productId: 0x1b0a },
  dell: { username: "root", password: "calvin", manufacturerId: 0x02a2, productId: 0x0100 },
  lenovo: { username: "USERID", password: "PASSW0RD", manufacturerId: 0x4a66, productId: 0x0200 },
  hpe: { username: "Administrator", password: "Label-8ch", manufacturerId: 0x000b, productId: 0x2000 },
  openbmc: { username: "root", password: "0penBmc", manufacturerId: 0xc269, productId: 0x0001 },
  generic: { username: "ADMIN", password: "ADMIN", manufacturerId: 0x1291, productId: 0x0f02 },
};

const started = new Map(); // pid -> { proc, dir }

function which(cmd) {
  const r = spawnSync("bash", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Fails loudly (never skips) when the simulator or ipmitool is missing: the sim tier is mandatory. */
function requireTools() {
  const missing = [];
  if (!which("ipmi_sim")) missing.push("ipmi_sim (Debian package openipmi)");
  if (!which("ipmitool")) missing.push("ipmitool (Debian package ipmitool)");
  if (missing.length) {
    throw new Error(`BMC lab needs ${missing.join(" and ")}: install with apt-get install -y openipmi ipmitool`);
  }
}

/**
 * A free UDP port on 127.0.0.1 (bound then released; the window for a race is tiny), never one this process handed
 * out before (`ports.js`).
 */
async function freeUdpPort() {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await new Promise((resolve, reject) => {
      const s = dgram.createSocket("udp4");
      s.on("error", reject);
      s.bind(0, "127.0.0.1", () => {
        const { port: bound } = s.address();
        s.close(() => resolve(bound));
      });
    });
    if (claimPort(port)) return port;
  }
  throw new Error("no UDP port left that this test process has not used before");
}

function udpPortBound(port) {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const table = fs.readFileSync("/proc/net/udp", "utf8");
  return table.split("\n").some((l) => l.includes(`0100007F:${hex} `));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function lanBlock(channel, port, guid) {
  return [
    `  startlan ${channel}`,
    `    addr 127.0.0.1 ${port}`,
    "    priv_limit admin",
    "    allowed_auths_callback md5",
    "    allowed_auths_user md5",
    "    allowed_auths_operator md5",
    "    allowed_auths_admin md5",
    `    guid ${guid}`,
    "  endlan",
  ];
}

function lanConf({ name, port, consolePort, guid, personality, lanChannel = 1, extraLan }) {
  return [
    `name "${name}"`,
    "set_working_mc 0x20",
    ...lanBlock(lanChannel, port, guid),
    // A second LAN channel (its own UDP port): Get Channel Info reports 802.3 LAN on both.
    ...(extraLan ? lanBlock(extraLan.channel, extraLan.port, `${guid.slice(0, -2)}ee`) : []),
    consolePort ? `  console 127.0.0.1 ${consolePort}` : "",
    '  user 1 false ""        ""          user     10       md5',
    `  user 2 true  "${personality.username}"   "${personality.password}"     admin    10       md5`,
    "",
  ].join("\n");
}

function cmdsEmu(p) {
  const hex = (n) => `0x${n.toString(16)}`;
  return [
    "mc_setbmc 0x20",
    `mc_add 0x20 0 no-device-sdrs 0x23 1 0 0x9f ${hex(p.manufacturerId)} ${hex(p.productId)} persist_sdr`,
    "mc_enable 0x20",
    "",
  ].join("\n");
}

let guidCounter = 0;

class SimulatedBmc {
  constructor(fields) {
    Object.assign(this, fields);
  }

  /** Connection inputs for a BmcUser (`bmc`), logging in as the personality's administrator. */
  connection(extra = {}) {
    return {
      host: "127.0.0.1",
      port: this.port,
      username: this.admin.username,
      password: this.admin.password,
      cipherSuite: 3, // ipmi_sim has no SHA-256 suites (cipher 17 cannot be shown here)
      timeoutSeconds: 2, // a loaded 2-core CI machine stalls ipmi_sim and the provider for over a second at times
      retries: 1,
      transport: TRANSPORT, // the tier's transport (test/lab/transport.js)
      ...extra,
    };
  }

  /** Out-of-band raw commands (each an array of bytes after netfn/cmd), returning each response as bytes. */
  async raw(commands, creds = {}) {
    const lines = [];
    commands.forEach((c, i) => {
      lines.push(`raw ${c.map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(" ")}`);
      lines.push(`echo @@${i}`);
    });
    const out = await runIpmitool(this.port, creds.username ?? this.admin.username, creds.password ?? this.admin.password, "ADMINISTRATOR", lines.join("\n") + "\n");
    if (out.code !== 0) {
      throw new Error(`out-of-band ipmitool failed (rc ${out.code}): ${out.text.split("\n").filter((l) => !/^ /.test(l)).join(" | ")}`);
    }
    const results = [];
    let current = [];
    for (const line of out.text.split("\n")) {
      if (/^@@\d+\s*$/.test(line)) {
        results.push(current);
        current = [];
      } else if (/^(?: [0-9a-f]{2})+\s*$/.test(line)) {
        current.push(...line.trim().split(/\s+/).map((h) => parseInt(h, 16)));
      }
    }
    return results;
  }

  /** Reads a slot out of band: name and the Get User Access bytes. */
  async slot(userId, channel = 1) {
    const [access, name] = await this.raw([
      [0x06, 0x44, channel, userId],
      [0x06, 0x46, userId],
    ]);
    const end = name.indexOf(0);
    return {
      name: Buffer.from(end === -1 ? name : name.slice(0, end)).toString("latin1"),
      privilege: access[3] & 0x0f,
      ipmiMessaging: (access[3] & 0x10) !== 0,
      linkAuth: (access[3] & 0x20) !== 0,
      callin: (access[3] & 0x40) === 0,
      maxUsers: access[0] & 0x3f,
    };
  }

  /** True when a session as `username`/`password` at `privilege` opens. */
  async canLogin(username, password, privilege = "USER") {
    const out = await runIpmitool(this.port, username, password, privilege, "echo @@ok\n");
    return out.code === 0 && out.text.includes("@@ok");
  }
}

/** Runs one ipmitool exec batch; password via fd 3, batch via fd 4 (both turned into real pipes by bash). */
function runIpmitool(port, username, password, privilege, batch) {
  return new Promise((resolve) => {
    const script = 'exec ipmitool "$@" -f <(cat <&3) exec <(cat <&4) 2>&1';
    const args = ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", username, "-C", "3", "-L", privilege, "-N", "1", "-R", "1"];
    const child = spawn("bash", ["-c", script, "ipmitool", ...args], {
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
      detached: true,
      env: { PATH: process.env.PATH, LANG: "C" },
    });
    let text = "";
    child.stdout.on("data", (d) => (text += d.toString("latin1")));
    child.stderr.on("data", (d) => (text += d.toString("latin1")));
    child.on("exit", () => child.stdio[4].end());
    child.on("close", (code) => resolve({ code, text }));
    for (const fd of [3, 4]) child.stdio[fd].on("error", () => {});
    child.stdio[3].end(`${password}\n`);
    child.stdio[4].end(batch);
  });
}

class Lab {
  constructor() {
    requireTools();
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-lab-"));
    this.bmcs = [];
  }

  /**
   * Starts one simulated BMC per spec (`{ name, vendor, console, lanChannel }`) and waits until each listens.
   * @returns {Promise<SimulatedBmc[]>}
   */
  async start(specs) {
    const out = [];
    for (const spec of specs) {
      out.push(await this.startOne(spec));
    }
    return out;
  }

  /**
   * `lanChannel` puts the LAN on another channel (HPE: 2 on some models); Get Channel Info on the others answers 0xCB.
   * `extraLanChannel` adds a second LAN channel (on a port of its own, `bmc.extraLanPort`), as some boards have.
   */
  async startOne({ name, vendor = "generic", console: withConsole = false, lanChannel = 1, extraLanChannel }) {
    const personality = PERSONALITIES[vendor];
    if (!personality) throw new Error(`unknown vendor personality ${vendor}`);
    const dir = path.join(this.root, name);
    fs.rmSync(dir, { recursive: true, force: true }); // fresh state: saved users override lan.conf
    fs.mkdirSync(path.join(dir, "state"), { recursive: true });
    const port = await freeUdpPort();
    const consolePort = withConsole ? await freeUdpPort() : undefined;
    const extraLan = extraLanChannel ? { channel: extraLanChannel, port: await freeUdpPort() } : undefined;
    const guid = `a1b2c3d4e5f60718293a4b5c${(++guidCounter + process.pid * 64).toString(16).padStart(8, "0").slice(-8)}`;
    fs.writeFileSync(path.join(dir, "lan.conf"), lanConf({ name, port, consolePort, guid, personality, lanChannel, extraLan }));
    fs.writeFileSync(path.join(dir, "cmds.emu"), cmdsEmu(personality));
    const proc = await spawnSimulator(name, dir, port, "w");
    const bmc = new SimulatedBmc({ name, vendor, port, consolePort, pid: proc.pid, proc, dir, admin: { username: personality.username, password: personality.password }, manufacturerId: personality.manufacturerId, lanChannel, extraLanPort: extraLan?.port });
    this.bmcs.push(bmc);
    return bmc;
  }

  /** Stops one BMC by PID and waits for it to exit. */
  async stopOne(bmc) {
    await stopPid(bmc.pid, bmc.proc);
  }

  /**
   * Restarts one BMC by PID on the same port, keeping its saved state (users survive, sessions do not). ipmi_sim
   * writes its user table lazily, about a second after a change (0.9 s observed), so a restart sooner loses the
   * change; `settleMs` waits for that first, as a real BMC's flash write would have completed.
   */
  async restart(bmc, { settleMs = 1500 } = {}) {
    await sleep(settleMs);
    await stopPid(bmc.pid, bmc.proc);
    if (bmc.consolePort) {
      // A console connection that was open when the simulator stopped keeps its port in TIME_WAIT, and ipmi_sim binds
      // without SO_REUSEADDR: move the console to a fresh port.
      const consolePort = await freeUdpPort();
      const conf = path.join(bmc.dir, "lan.conf");
      fs.writeFileSync(conf, fs.readFileSync(conf, "utf8").replace(`console 127.0.0.1 ${bmc.consolePort}`, `console 127.0.0.1 ${consolePort}`));
      bmc.consolePort = consolePort;
    }
    const proc = await spawnSimulator(bmc.name, bmc.dir, bmc.port, "a");
    Object.assign(bmc, { pid: proc.pid, proc });
  }

  /**
   * Opens the simulator's debug console (TCP) for commands such as `mc_disable 0x20`. Deviation 17: once a console
   * client disconnects ipmi_sim spins at 100 % CPU, so callers stop that BMC by PID (`stopOne`) before `close()`.
   */
  async console(bmc) {
    if (!bmc.consolePort) throw new Error(`${bmc.name} was started without { console: true }`);
    const socket = net.connect(bmc.consolePort, "127.0.0.1");
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    socket.on("error", () => {});
    let text = "";
    socket.on("data", (d) => (text += d.toString("latin1")));
    return {
      /** Sends one console line and waits briefly for the simulator to act on it. */
      async send(line) {
        socket.write(`${line}\n`);
        await sleep(100);
        return text;
      },
      close: () => socket.destroy(),
    };
  }

  /** Stops every BMC this lab started and removes its files. */
  async stop() {
    await Promise.all(this.bmcs.map((b) => stopPid(b.pid, b.proc)));
    this.bmcs = [];
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Starts ipmi_sim in `dir` (log opened with `flags`), records its PID, and waits until it listens on `port`. */
async function spawnSimulator(name, dir, port, flags) {
  const log = fs.openSync(path.join(dir, "sim.log"), flags);
  const proc = spawn("ipmi_sim", ["-c", "lan.conf", "-f", "cmds.emu", "-s", "state", "-n"], {
    cwd: dir,
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  started.set(proc.pid, { proc, dir });
  let exited = false;
  proc.on("exit", () => {
    exited = true;
    started.delete(proc.pid);
  });
  const deadline = Date.now() + 10000;
  while (!udpPortBound(port)) {
    if (exited || Date.now() > deadline) {
      const text = fs.readFileSync(path.join(dir, "sim.log"), "utf8");
      throw new Error(`ipmi_sim ${name} did not start on port ${port}: ${text.slice(-500)}`);
    }
    await sleep(20);
  }
  return proc;
}

async function stopPid(pid, proc) {
  if (!started.has(pid)) return;
  const done = new Promise((r) => proc.once("exit", r));
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    started.delete(pid);
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }, 2000);
  await done;
  clearTimeout(timer);
}

/** Synchronous last resort (process exit, mocha crash): SIGKILL every simulator still running, by PID. */
function killAllSync() {
  for (const pid of started.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  started.clear();
}

process.on("exit", killAllSync);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    killAllSync();
    process.exit(130);
  });
}

module.exports = { Lab, PERSONALITIES, killAllSync, runningSimulators: () => [...started.keys()], runIpmitool, freeUdpPort };
