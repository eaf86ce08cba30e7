"use strict";
/**
 * `bmc-credentials` as an operator runs it: a real process with only PATH and the given variables in its environment
 * (passwords come from the environment or a file, never argv). `runCli` waits without blocking this process, so a lab
 * BMC or a proxy served from here keeps answering; `runCliSync` blocks, for commands that talk to another process.
 */
const { spawn, spawnSync } = require("node:child_process");
const path = require("node:path");

const CLI = path.resolve(__dirname, "../../dist/cli/main.js");

/** Resolves with `{code, out, err}`. */
function runCli(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

/** Returns `{code, out, err}`. */
function runCliSync(args, env = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

module.exports = { CLI, runCli, runCliSync };
