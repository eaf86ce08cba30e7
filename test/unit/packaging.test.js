"use strict";
// `__provider` must be a module reference into node_modules: tiny, byte-identical across installs, free of paths,
// time, config and secrets, and loadable the way the dynamic-provider host loads it.
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "../..");

/** A throwaway project with this package copied (not linked) into node_modules and its dependencies beside it. */
function install() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-consumer-"));
  const nm = path.join(dir, "node_modules");
  const pkgDir = path.join(nm, "pulumi-bmc-credentials");
  fs.mkdirSync(pkgDir, { recursive: true });
  fs.copyFileSync(path.join(ROOT, "package.json"), path.join(pkgDir, "package.json"));
  fs.cpSync(path.join(ROOT, "dist"), path.join(pkgDir, "dist"), { recursive: true });
  for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) {
    if (entry.startsWith(".")) continue;
    fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(nm, entry));
  }
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  // The programs run from inside the project, so that every require resolves through its node_modules.
  for (const script of ["serialize-program.js", "load-provider.js"]) {
    fs.copyFileSync(path.join(ROOT, "test/fixtures", script), path.join(dir, script));
  }
  return dir;
}

// Dependencies are symlinked to save copying 16 MB per install; --preserve-symlinks makes Node see the project's own
// node_modules layout, as a real install has it.
const node = (dir, script, input) =>
  execFileSync(process.execPath, ["--preserve-symlinks", path.join(dir, script)], { cwd: dir, input, encoding: "utf8" });

describe("unit: __provider serialization and packaging", function () {
  this.timeout(60000);
  let first, second, dirs;

  before(() => {
    dirs = [install(), install()];
    first = JSON.parse(node(dirs[0], "serialize-program.js"));
    second = JSON.parse(node(dirs[1], "serialize-program.js"));
  });
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("BmcUser uses the permanent type token and a module reference to the installed package", () => {
    const text = first["pulumi-nodejs:dynamic/bmc:BmcUser"];
    assert.ok(text, `BmcUser registered: ${Object.keys(first)}`);
    assert.match(text, /require\("pulumi-bmc-credentials\/providers\/bmc-user"\)/);
  });

  it("every resource's __provider is at most 1 KB and identical across two installs at different paths", () => {
    for (const [type, text] of Object.entries(first)) {
      assert.ok(text.length <= 1024, `${type}: ${text.length} bytes`);
      assert.equal(second[type], text, `${type} differs between installs`);
    }
  });

  it("__provider holds no path, no secret and no captured state", () => {
    for (const text of Object.values(first)) {
      assert.ok(!text.includes(os.tmpdir()) && !text.includes(ROOT) && !text.includes("node_modules/"), text);
      assert.ok(!/Sentinel-Ser/.test(text));
      assert.ok(!/with\(\{[^}]*[a-zA-Z]+: [^u]/.test(text.replace("this: undefined, arguments: undefined", "")), `captured values: ${text}`);
    }
  });

  it("loads like the dynamic-provider host loads it and yields the installed provider module", () => {
    for (const text of Object.values(first)) {
      const r = JSON.parse(node(dirs[0], "load-provider.js", text));
      assert.equal(r.sameModule, true);
      for (const m of ["check", "configure", "create", "delete", "diff", "read", "update"]) assert.ok(r.methods.includes(m), m);
    }
  });

  it("package.json has main and an exports map with '.' and the provider subpaths", () => {
    const pkg = require(path.join(ROOT, "package.json"));
    assert.equal(pkg.name, "pulumi-bmc-credentials");
    assert.ok(fs.existsSync(path.join(ROOT, pkg.main)), "main points at the build output");
    assert.ok(pkg.exports["."]);
    assert.ok(pkg.exports["./providers/bmc-user"]);
  });
});
