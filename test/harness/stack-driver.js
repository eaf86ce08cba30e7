"use strict";
/**
 * One interface over two ways to run a stack: the real `pulumi` CLI when it is on PATH (a local file backend, the
 * passphrase secrets provider), else the program runner (runner.js). Both offer `setConfig`, `preview`, `up`,
 * `refresh`, `destroy` and `outputs()`; operations resolve with `{byOp, errors}` (the CLI's from `--json` where the
 * CLI offers it). PULUMI_BMC_RUNNER=1 forces the runner.
 *
 * The CLI branch cannot run on this project's machines (the CLI cannot be installed there): it is written against the
 * CLI's documented flags and environment variables and has never been executed. The runner branch is what the tests
 * and the demo exercise.
 */
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { Stack } = require("./runner");

function pulumiOnPath() {
  if (process.env.PULUMI_BMC_RUNNER === "1") return undefined;
  const r = spawnSync("bash", ["-c", "command -v pulumi"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The real CLI against `file://<stateDir>`; the passphrase goes through a 0600 file, never argv. */
class PulumiCliStack {
  constructor({ pulumi, projectDir, stateDir, passphrase, stack = "dev", log = (l) => process.stdout.write(`${l}\n`) }) {
    Object.assign(this, { pulumi, projectDir, stateDir, stack, log, kind: "pulumi CLI" });
    fs.mkdirSync(stateDir, { recursive: true });
    this.passphraseFile = path.join(stateDir, ".passphrase");
    fs.writeFileSync(this.passphraseFile, passphrase, { mode: 0o600 });
    this.env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${stateDir}`,
      PULUMI_CONFIG_PASSPHRASE_FILE: this.passphraseFile,
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    this.run(["stack", "select", "--create", stack]);
  }

  run(args, { input, json = false } = {}) {
    const r = spawnSync(this.pulumi, [...args, "--cwd", this.projectDir, "--non-interactive"], { env: this.env, input, encoding: "utf8" });
    if (!json) for (const line of `${r.stdout}${r.stderr}`.split("\n").filter(Boolean)) this.log(line);
    return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
  }

  /** The value goes on stdin: `pulumi config set` reads it there when it is not given as an argument. */
  setConfig(key, value, { secret = false } = {}) {
    const r = this.run(["config", "set", ...(secret ? ["--secret"] : []), key], { input: String(value) });
    if (!r.ok) throw new Error(`pulumi config set ${key} failed`);
  }

  result(r) {
    const errors = r.ok ? [] : [{ message: "the pulumi CLI reported an error (see its output above)" }];
    let byOp = {};
    try {
      byOp = Object.fromEntries(Object.entries(JSON.parse(r.stdout).changeSummary ?? {}).map(([op, n]) => [op, new Array(n).fill(op)]));
    } catch {
      // not JSON: the counts are in the CLI's own output
    }
    return { byOp, errors, outputs: this.outputs() };
  }

  async preview() {
    const r = this.run(["preview", "--json"], { json: true });
    return this.result(r);
  }

  async up() {
    return this.result(this.run(["up", "--yes", "--skip-preview"]));
  }

  async refresh({ preview = false } = {}) {
    return this.result(this.run(["refresh", "--yes", ...(preview ? ["--preview-only"] : [])]));
  }

  async destroy() {
    return this.result(this.run(["destroy", "--yes"]));
  }

  outputs() {
    const r = this.run(["stack", "output", "--json"], { json: true });
    return r.ok ? JSON.parse(r.stdout || "{}") : {};
  }
}

/** A stack for `projectDir`: the real CLI when `pulumi` is on PATH, else the runner. */
function openStack(options) {
  const pulumi = pulumiOnPath();
  if (pulumi) return new PulumiCliStack({ ...options, pulumi });
  const stack = new Stack(options);
  stack.kind = "program runner (pulumi CLI not on PATH)";
  return stack;
}

module.exports = { openStack, pulumiOnPath, PulumiCliStack };
