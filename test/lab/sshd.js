"use strict";
/**
 * A real OpenSSH server on a loopback port for the SSH transport tests: throwaway host keys, a throwaway client key,
 * throwaway system users (created with useradd, removed with userdel at stop) and a sudoers drop-in (removed at stop).
 * sshd runs in the foreground (`-D -e`) as a child of the test process and is stopped by PID.
 *
 * Users:
 * - `admin`: may log in with the client key or its password; `sudo -n` works for `stdbuf -oL -eL ipmitool *`.
 * - `nosudo`: same logins; sudo asks for a password (a sudoers rule without NOPASSWD), so `sudo -n` fails.
 * - `nopath`: its SSH sessions get a PATH with bash, cat and stdbuf but no ipmitool (sshd `SetEnv`).
 * Requires root (useradd, sshd) and Debian's openssh-server and sudo; fails loudly otherwise.
 */

const { execFileSync, spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const started = new Map();

function requireTools() {
  const missing = ["/usr/sbin/sshd", "/usr/bin/ssh-keygen", "/usr/bin/sudo", "/usr/sbin/useradd"].filter((p) => !fs.existsSync(p));
  if (missing.length) throw new Error(`the SSH tests need ${missing.join(", ")}: apt-get install openssh-server sudo (bash .ci/run does)`);
  if (process.getuid() !== 0) throw new Error("the SSH tests create throwaway users and start sshd: run them as root (CI does)");
}

function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function keygen(file, type, passphrase = "") {
  // ssh-keygen takes the passphrase as an argument (-N); the tests' passphrase is a sentinel, so it is set afterwards
  // through ssh2 instead (see `encryptedKey`), never here.
  execFileSync("ssh-keygen", ["-q", "-t", type, "-N", passphrase, "-C", "", "-f", file], { stdio: "ignore" });
  return { privateKey: fs.readFileSync(file, "utf8"), publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim() };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Sshd {
  /** @param {{ passwords: Record<string,string> }} opts login passwords per role (set through chpasswd's stdin) */
  constructor({ passwords = {} } = {}) {
    requireTools();
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-sshd-"));
    fs.chmodSync(this.root, 0o755);
    const tag = `${process.pid % 100000}`;
    this.users = { admin: `bmcsa${tag}`, nosudo: `bmcsn${tag}`, nopath: `bmcsp${tag}` };
    this.passwords = passwords;
    this.sudoers = `/etc/sudoers.d/bmc-credentials-test-${tag}`;
  }

  async start() {
    const r = this.root;
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    this.hostKeys = { ed25519: keygen(path.join(r, "host_ed25519"), "ed25519"), ecdsa: keygen(path.join(r, "host_ecdsa"), "ecdsa") };
    this.clientKey = keygen(path.join(r, "client"), "ed25519");
    this.otherKey = keygen(path.join(r, "other"), "ed25519");
    fs.writeFileSync(path.join(r, "authorized_keys"), `${this.clientKey.publicKey}\n`, { mode: 0o644 });
    // A PATH without ipmitool for the `nopath` user; bash needs no more than these for the wrapper.
    const bin = path.join(r, "bin");
    fs.mkdirSync(bin);
    for (const tool of ["bash", "cat", "stdbuf", "sudo"]) {
      const where = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
      fs.symlinkSync(where, path.join(bin, tool));
    }
    this.createdUsers = [];
    for (const name of Object.values(this.users)) {
      spawnSync("userdel", ["-f", name], { stdio: "ignore" }); // a leftover of a killed run
      execFileSync("useradd", ["-M", "-d", path.join(r, "home"), "-s", "/bin/bash", name], { stdio: "ignore" });
      this.createdUsers.push(name);
      // chpasswd reads "user:password" on stdin: the sentinel never reaches an argv.
      const pw = this.passwords[Object.keys(this.users).find((k) => this.users[k] === name)] ?? `unused-${Math.random()}`;
      execFileSync("chpasswd", [], { input: `${name}:${pw}\n`, stdio: ["pipe", "ignore", "ignore"] });
    }
    fs.writeFileSync(
      this.sudoers,
      [
        `${this.users.admin} ALL=(root) NOPASSWD: /usr/bin/stdbuf -oL -eL ipmitool *`,
        `${this.users.nosudo} ALL=(root) /usr/bin/stdbuf -oL -eL ipmitool *`,
        "",
      ].join("\n"),
      { mode: 0o440 },
    );
    execFileSync("visudo", ["-cf", this.sudoers], { stdio: "ignore" });
    this.port = await freeTcpPort();
    this.logFile = path.join(r, "sshd.log");
    fs.writeFileSync(
      path.join(r, "sshd_config"),
      [
        `ListenAddress 127.0.0.1:${this.port}`,
        `HostKey ${path.join(r, "host_ed25519")}`,
        `HostKey ${path.join(r, "host_ecdsa")}`,
        "PidFile none",
        "UsePAM no",
        "StrictModes no",
        `AuthorizedKeysFile ${path.join(r, "authorized_keys")}`,
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin no",
        `AllowUsers ${Object.values(this.users).join(" ")}`,
        "LogLevel VERBOSE",
        "MaxStartups 100",
        "MaxSessions 100",
        `Match User ${this.users.nopath}`,
        `  SetEnv PATH=${bin}`,
        "",
      ].join("\n"),
    );
    const log = fs.openSync(this.logFile, "w");
    const proc = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(r, "sshd_config")], { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    this.proc = proc;
    this.pid = proc.pid;
    started.set(proc.pid, proc);
    let exited = false;
    proc.on("exit", () => {
      exited = true;
      started.delete(proc.pid);
    });
    const deadline = Date.now() + 10000;
    for (;;) {
      if (exited || Date.now() > deadline) throw new Error(`sshd did not start: ${fs.readFileSync(this.logFile, "utf8").slice(-800)}`);
      const ok = await new Promise((resolve) => {
        const s = net.connect(this.port, "127.0.0.1", () => (s.destroy(), resolve(true)));
        s.on("error", () => resolve(false));
      });
      if (ok) break;
      await sleep(20);
    }
    return this;
  }

  /** The `ssh` block of a BmcUser for `role`, authenticating with the client key (or `auth`). */
  ssh(role = "admin", auth) {
    return { host: "127.0.0.1", port: this.port, username: this.users[role], hostKey: this.hostKeys.ed25519.publicKey, ...(auth ?? { privateKey: this.clientKey.privateKey }) };
  }

  /** Adds a public key to every user's authorized keys. */
  authorize(publicKey) {
    fs.appendFileSync(path.join(this.root, "authorized_keys"), `${publicKey.trim()}\n`);
  }

  /** sshd's log so far. */
  log() {
    return fs.readFileSync(this.logFile, "utf8");
  }

  async stop() {
    if (this.proc && started.has(this.pid)) {
      const done = new Promise((r) => this.proc.once("exit", r));
      try {
        process.kill(this.pid, "SIGTERM");
      } catch {}
      await done;
    }
    this.cleanupSync();
  }

  cleanupSync() {
    for (const name of this.createdUsers ?? []) spawnSync("userdel", ["-f", name], { stdio: "ignore" });
    this.createdUsers = [];
    fs.rmSync(this.sudoers, { force: true });
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Last resort (mocha crash): SIGKILL every sshd still running, by PID. */
function killAllSshdSync() {
  for (const pid of started.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  started.clear();
}
process.on("exit", killAllSshdSync);

module.exports = { Sshd, killAllSshdSync, freeTcpPort };
