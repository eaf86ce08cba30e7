"use strict";
/**
 * pyghmi's BMC server (Debian `python3-pyghmi`, run with /usr/bin/python3) on a free loopback port: an RMCP+ peer
 * nobody here wrote. Users and passwords go to it on stdin, never argv. Started processes are stopped by PID.
 */
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { freeUdpPort } = require("./lab");

const PYTHON = "/usr/bin/python3";
const started = new Map();

/** Fails loudly when Debian's pyghmi is missing: the interop tier is mandatory, never skipped. */
function requirePyghmi() {
  if (!fs.existsSync(PYTHON) || !fs.existsSync("/usr/lib/python3/dist-packages/pyghmi/ipmi/bmc.py")) {
    throw new Error("the pyghmi BMC peer needs Debian's python3-pyghmi: apt-get install -y python3-pyghmi");
  }
}

/**
 * Starts one pyghmi BMC with `users` ({ name: password }); resolves once it listens. `suite: 17` makes it speak cipher
 * suite 17 by substituting SHA-256 in pyghmi's own session code (see pyghmi-bmc.py).
 */
async function startPyghmiBmc(users, { suite = 3 } = {}) {
  requirePyghmi();
  const port = await freeUdpPort();
  const proc = spawn(PYTHON, [path.join(__dirname, "pyghmi-bmc.py"), String(port), ...(suite === 17 ? ["17"] : [])], { stdio: ["pipe", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin", LANG: "C" } });
  started.set(proc.pid, proc);
  proc.on("exit", () => started.delete(proc.pid));
  let err = "";
  proc.stderr.on("data", (d) => (err += d));
  proc.stdin.end(`${JSON.stringify(users)}\n`);
  await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`pyghmi BMC did not start: ${err.slice(-400)}`)), 10000);
    proc.stdout.on("data", (d) => {
      out += d;
      if (out.includes(`ready ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pyghmi BMC exited (${code}): ${err.slice(-400)}`));
    });
  });
  return {
    port,
    pid: proc.pid,
    stderr: () => err,
    stop: () => stopPid(proc),
  };
}

function stopPid(proc) {
  if (!started.has(proc.pid)) return Promise.resolve();
  const done = new Promise((r) => proc.once("exit", r));
  try {
    process.kill(proc.pid, "SIGTERM");
  } catch {
    started.delete(proc.pid);
    return Promise.resolve();
  }
  const t = setTimeout(() => {
    try {
      process.kill(proc.pid, "SIGKILL");
    } catch {}
  }, 2000);
  return done.then(() => clearTimeout(t));
}

process.on("exit", () => {
  for (const pid of started.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
});

module.exports = { startPyghmiBmc, requirePyghmi };
