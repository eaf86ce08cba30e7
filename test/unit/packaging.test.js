"use strict";
// `__provider` must be a module reference into node_modules: tiny, byte-identical across installs, free of paths,
// time, config and secrets, and loadable the way the dynamic-provider host loads it.
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { ROOT, installConsumer, removeConsumer, runInConsumer } = require("../harness/consumer");

/** Declares one resource of each type in a consumer project; returns each type's `__provider` text. */
function serializedProviders(dir) {
  const resources = [
    {
      kind: "BmcUser",
      name: "u",
      args: { bmc: { host: "10.0.0.5", username: "ADMIN", password: "Sentinel-Ser-001" }, username: "ops", password: "Sentinel-Ser-002", privilege: "user" },
    },
    { kind: "BmsPassword", name: "b", args: { serverId: "77616c78-0bc4-4156-b24b-4286586ac350", password: "Sentinel-Ser-003x!" } },
  ];
  const registered = JSON.parse(runInConsumer(dir, "register-program.js", JSON.stringify({ resources })));
  return Object.fromEntries(registered.map((r) => [r.type, r.inputs.__provider]));
}

describe("unit: __provider serialization and packaging", function () {
  this.timeout(60000);
  let first, second, dirs;

  before(() => {
    dirs = [installConsumer(), installConsumer()];
    first = serializedProviders(dirs[0]);
    second = serializedProviders(dirs[1]);
  });
  after(() => dirs.forEach(removeConsumer));

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

  it("__provider is byte-identical when built from a clean tree a second time", () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "bmc-clean-build-"));
    let dir;
    try {
      execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.json"), "--outDir", outDir], { cwd: ROOT });
      dir = installConsumer({ dist: outDir });
      assert.deepEqual(serializedProviders(dir), first);
    } finally {
      removeConsumer(dir);
      fs.rmSync(outDir, { recursive: true, force: true });
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
      const r = JSON.parse(runInConsumer(dirs[0], "load-provider.js", text));
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
