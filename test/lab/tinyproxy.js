"use strict";
/**
 * A real forward proxy for the tests: Debian's tinyproxy, started on a free loopback port with a generated config
 * (no ConnectPort line, so CONNECT to any port is allowed; optional Basic credentials), logging every connection at
 * level Connect to a file the tests read, and stopped by PID.
 */
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { spawn, execFileSync } = require("node:child_process");
const { freeTcpPort } = require("./sshd");

function tinyproxyPath() {
  for (const p of ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]) if (fs.existsSync(p)) return p;
  try {
    return execFileSync("sh", ["-c", "command -v tinyproxy"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("tinyproxy is not installed: apt-get install tinyproxy (bash .ci/run does)");
  }
}

async function waitForPort(port, deadlineMs) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`tinyproxy did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * @param {{ user?: string, password?: string }} [auth] Basic credentials the proxy requires
 * @returns {Promise<{ port: number, url: string, pid: number, log(): string, stop(): Promise<void> }>}
 */
async function startTinyproxy(auth) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tinyproxy-"));
  const port = await freeTcpPort();
  const logFile = path.join(dir, "tinyproxy.log");
  const conf = [
    `Port ${port}`,
    "Listen 127.0.0.1",
    "Timeout 30",
    `LogFile "${logFile}"`,
    "LogLevel Connect",
    "MaxClients 20",
    "Allow 127.0.0.1",
    "DisableViaHeader Yes",
    ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
  ].join("\n");
  // The config holds the proxy password: a file readable by us only, never an argument.
  fs.writeFileSync(path.join(dir, "tinyproxy.conf"), `${conf}\n`, { mode: 0o600 });
  const child = spawn(tinyproxyPath(), ["-d", "-c", path.join(dir, "tinyproxy.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    await Promise.race([waitForPort(port, 5000), exited.then((code) => Promise.reject(new Error(`tinyproxy exited with ${code}: ${stderr}`)))]);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    port,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : ""),
    async stop() {
      if (child.exitCode === null) {
        process.kill(child.pid, "SIGTERM");
        const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, "SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startTinyproxy };
