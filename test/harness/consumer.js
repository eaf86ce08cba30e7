"use strict";
/**
 * A consumer project: this package copied (not linked) into a temporary project's node_modules, the way `npm install`
 * lays it out, so the SDK serializes `__provider` as `require("pulumi-bmc-credentials/providers/...")` and the
 * dynamic-provider host `require`s the installed copy.
 *
 * Dependencies are symlinked to save copying 16 MB per install; `--preserve-symlinks` (what `nodeargs` in Pulumi.yaml
 * sets) makes Node resolve them from the project's own node_modules, as a real install has them.
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "../..");
const FIXTURES = path.join(ROOT, "test/fixtures");
const NODE_ARGS = ["--preserve-symlinks"];

/**
 * Creates the project. `dist` defaults to the repository's build; pass another build directory to install that one,
 * or `tarball` (from `npm pack`) to unpack the package as `npm install <tarball>` lays it out.
 * Returns the project directory; remove it with `removeConsumer`.
 */
function installConsumer({ dist = path.join(ROOT, "dist"), tarball } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-consumer-"));
  const nm = path.join(dir, "node_modules");
  const pkgDir = path.join(nm, "pulumi-bmc-credentials");
  fs.mkdirSync(pkgDir, { recursive: true });
  if (tarball) {
    execFileSync("tar", ["-xzf", tarball, "-C", pkgDir, "--strip-components=1"]);
  } else {
    fs.copyFileSync(path.join(ROOT, "package.json"), path.join(pkgDir, "package.json"));
    fs.cpSync(dist, path.join(pkgDir, "dist"), { recursive: true });
  }
  for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) {
    if (entry.startsWith(".") || entry === "pulumi-bmc-credentials") continue;
    fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(nm, entry));
  }
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  // Programs run from inside the project, so that every require resolves through its node_modules.
  for (const script of fs.readdirSync(FIXTURES).filter((f) => f.endsWith(".js"))) {
    fs.copyFileSync(path.join(FIXTURES, script), path.join(dir, script));
  }
  return dir;
}

/**
 * A Pulumi project (`Pulumi.yaml` + program) installed as `npm install` in its directory would: the project's files
 * copied into a fresh consumer project (the package from `dist` or `tarball`, its dependencies linked).
 */
function installProject(projectDir, options = {}) {
  const dir = installConsumer(options);
  fs.cpSync(projectDir, dir, { recursive: true, filter: (src) => path.basename(src) !== "node_modules" });
  return dir;
}

function removeConsumer(dir) {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs one of the fixture programs inside the project; `input` goes to its stdin (never argv or env). */
function runInConsumer(dir, script, input) {
  return execFileSync(process.execPath, [...NODE_ARGS, path.join(dir, script)], {
    cwd: dir,
    input,
    encoding: "utf8",
    env: { PATH: process.env.PATH },
  });
}

/**
 * What the program registers with the resource monitor, per version of the program: `versions` maps a version name to
 * its resource declarations (`{kind, name, args, opts}`); all versions run through the real constructors in one
 * process. Returns, per version, `{type, name, inputs, additionalSecretOutputs, deleteBeforeReplace}` per resource.
 */
function registrations(dir, versions) {
  const resources = Object.entries(versions).flatMap(([version, rs]) => rs.map((r) => ({ ...r, name: `${version}\u0000${r.name}` })));
  const registered = JSON.parse(runInConsumer(dir, "register-program.js", JSON.stringify({ resources })));
  const out = Object.fromEntries(Object.keys(versions).map((v) => [v, []]));
  for (const r of registered) {
    const [version, name] = r.name.split("\u0000");
    out[version].push({ ...r, name });
  }
  return out;
}

/** The SDK directory as the consumer project resolves it (a symlink, kept as such by --preserve-symlinks). */
const sdkDir = (dir) => path.join(dir, "node_modules/@pulumi/pulumi");

module.exports = { ROOT, NODE_ARGS, installConsumer, installProject, removeConsumer, runInConsumer, registrations, sdkDir };
