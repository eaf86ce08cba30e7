"use strict";
// Engine tier: BmsPassword through the real dynamic-provider process, driven by the engine model
// (test/harness/engine.js) against the local Huawei BMS emulator. Credentials reach the provider as the engine sends
// stack config: through Configure, the secret key as a secret; never through argv, env or the resource inputs.
const assert = require("node:assert/strict");
const path = require("node:path");
const crypto = require("node:crypto");
const { createBmsEmulator, DEFAULT_AK, DEFAULT_PROJECT } = require("../emulator/bms-emulator");
const { installConsumer, removeConsumer, registrations } = require("../harness/consumer");
const { UNKNOWN, isSecret, reveal } = require("../harness/engine");
const { stackSession } = require("../harness/session");

const PW = "Sentinel-Bms-7Q!x";
const BAD_PW = "Sentinel Bms#7Qx"; // a space and '#': refused by check
// A secret key of this run only: the /proc scan sees every process on the machine, and a fixed key would match other
// runs that legitimately hold it.
const SECRET_KEY = `sentinel-sk-${crypto.randomBytes(12).toString("hex")}`;
const SENTINELS = [PW, BAD_PW, SECRET_KEY];
const SERVER_A = "77616c78-0bc4-4156-b24b-4286586ac350";
const SERVER_B = "0b5f1f2e-7d4c-4a57-9a43-4e1c8f3b2d61";
const OLD_PROVIDER =
  'exports.handler = () => { console.error("old-provider-code loaded"); return require("pulumi-bmc-credentials/providers/bms-password"); };\n';

/**
 * An emulator with the given servers and a consumer project whose stack config holds the emulator's key pair (the
 * secret key as a secret) — or, with `metadata`, no credentials at all and the emulator's ECS metadata service as the
 * provider process's — plus `config` and the provider process's `hostEnv`.
 */
async function bmsStack({ servers, emulator = {}, config = () => ({}), hostEnv = {}, metadata = false }) {
  const emu = createBmsEmulator({ credentials: { [DEFAULT_AK]: SECRET_KEY }, ...emulator });
  const url = await emu.start();
  for (const s of servers) emu.addServer({ osType: "Linux", ...s });
  const keys = metadata ? {} : { "huaweicloud:accessKey": DEFAULT_AK, "huaweicloud:secretKey": SECRET_KEY };
  const seam = metadata ? { PULUMI_BMC_HW_METADATA_URL: await emu.startMetadata() } : {};
  const dir = installConsumer();
  const session = stackSession({
    programDir: dir,
    statePath: path.join(dir, "state.json"),
    sentinels: SENTINELS,
    engineOptions: {
      config: { ...keys, "huaweicloud:projectId": DEFAULT_PROJECT, ...config(url) },
      secretConfigKeys: ["huaweicloud:secretKey"],
      hostEnv: { ...seam, ...hostEnv },
    },
  });
  return { emu, url, dir, session, close: async () => (await emu.close(), removeConsumer(dir)) };
}

describe("engine: BmsPassword lifecycle through the dynamic-provider process", function () {
  this.timeout(120000);
  let emu, url, dir, program, urn, session, run, engine;
  const resets = (id) => emu.server(id).resets;

  before(async () => {
    ({ emu, url, dir, session } = await bmsStack({ servers: [{ id: SERVER_A }, { id: SERVER_B }], config: () => ({ "huaweicloud:region": "cn-north-4" }) }));
    ({ run, engine } = session);
    const root = (args = {}) => [{ kind: "BmsPassword", name: "root", args: { serverId: SERVER_A, password: PW, endpoint: url, ...args } }];
    program = registrations(dir, {
      base: root(),
      bad: root({ password: BAD_PW }),
      hard: root({ restart: "hard" }),
      moved: root({ serverId: SERVER_B }),
    });
    urn = engine().urn(program.base[0]);
  });
  after(async () => {
    await emu.close();
    removeConsumer(dir);
  });

  it("preview: Check and Diff only, with unknowns; no request reaches the API", async () => {
    const unknownEndpoint = [{ ...program.base[0], inputs: { ...program.base[0].inputs, endpoint: UNKNOWN } }];
    for (const regs of [program.base, unknownEndpoint]) {
      const { result } = await run((e) => e.preview(regs));
      assert.deepEqual(result.byOp, { create: [urn] });
    }
    assert.equal(emu.requests.length, 0);
  });

  it("a password that breaks the rules fails Check, naming the rule and not the password; nothing is called", async () => {
    const { result, engine: e } = await run((e) => e.up(program.bad));
    assert.deepEqual(Object.keys(result.byOp), ["check-failed"]);
    assert.ok(result.steps[0].failures.some((f) => f.property === "password" && /allowed/.test(f.reason)), JSON.stringify(result.steps[0].failures));
    assert.deepEqual(e.journal, []);
    assert.equal(emu.requests.length, 0);
  });

  it("up resets the password once; the password and its digest are secret in state", async () => {
    const { result, engine: e } = await run((e) => e.up(program.base));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.byOp, { create: [urn] });
    const [r] = e.resources;
    assert.equal(r.id, SERVER_A);
    assert.ok(isSecret(r.inputs.password) && isSecret(r.outputs.passwordDigest));
    assert.equal(r.outputs.password, undefined, "the password is never an output");
    assert.ok(JSON.stringify(reveal(r.inputs)).includes(PW));
    assert.equal(resets(SERVER_A), 1);
  });

  it("a second preview is empty", async () => {
    const { result } = await run((e) => e.preview(program.base));
    assert.deepEqual(result.changes, []);
  });

  it("a server deleted out of band leaves the stack on refresh; once rebuilt, up resets it again", async () => {
    emu.deleteServer(SERVER_A);
    const { result: refreshed, engine: e } = await run((e) => e.refresh());
    assert.deepEqual(refreshed.byOp, { delete: [urn] });
    assert.deepEqual(e.resources, []);
    emu.addServer({ id: SERVER_A, osType: "Linux" });
    const { result: preview } = await run((e) => e.preview(program.base));
    assert.deepEqual(preview.byOp, { create: [urn] });
    const { result: up } = await run((e) => e.up(program.base));
    assert.deepEqual(up.errors, []);
    assert.equal(resets(SERVER_A), 1);
    const { result: after } = await run((e) => e.preview(program.base));
    assert.deepEqual(after.changes, []);
  });

  it("upgrade: state written by another __provider stays a no-op; refresh runs the code in the outputs", async () => {
    const e = engine();
    for (const r of e.resources) r.inputs.__provider = r.outputs.__provider = OLD_PROVIDER;
    e.save();
    const { result: preview } = await run((e) => e.preview(program.base));
    assert.deepEqual(preview.changes, []);
    const { engine: upped } = await run((e) => e.up(program.base));
    assert.equal(upped.resources[0].outputs.__provider, OLD_PROVIDER);
    assert.equal(upped.resources[0].inputs.__provider, program.base[0].inputs.__provider);
    const { result: refreshed, engine: re } = await run((e) => e.refresh());
    assert.deepEqual(refreshed.changes, []);
    assert.match(re.providerOutput.join(""), /old-provider-code loaded/);
  });

  it("a reboot that fails after the reset is a partial failure: recorded, retried by the next up", async () => {
    emu.inject({ api: "action", kind: "drop" });
    const { result, engine: e } = await run((e) => e.up(program.hard));
    assert.equal(result.errors.length, 1);
    assert.ok(result.errors[0].initFailure, result.errors[0].message);
    const [r] = e.resources;
    assert.ok(r.initErrors.length > 0);
    assert.equal(r.outputs.pendingRestart, true);
    assert.equal(r.outputs.__provider, program.hard[0].inputs.__provider);
    assert.ok(isSecret(r.outputs.passwordDigest));
    const { result: preview } = await run((e) => e.preview(program.base));
    assert.deepEqual(preview.byOp, { update: [urn] });
    const { result: fixed, engine: f } = await run((e) => e.up(program.base));
    assert.deepEqual(fixed.errors, []);
    assert.equal(f.resources[0].initErrors, undefined);
    assert.equal(resets(SERVER_A), 1, "the password was not reset again");
  });

  it("replace (another serverId) creates the new resource before deleting the old one", async () => {
    const { result: preview } = await run((e) => e.preview(program.moved));
    assert.equal(preview.steps[0].op, "replace");
    assert.deepEqual(preview.steps[0].replaces, ["serverId"]);
    assert.equal(preview.steps[0].deleteBeforeReplace, false);
    const { result, engine: e } = await run((e) => e.up(program.moved));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(e.journal, [`create ${urn}`, `delete ${SERVER_A}`]);
    assert.equal(e.resources[0].id, SERVER_B);
    assert.equal(resets(SERVER_B), 1);
  });

  it("destroy forgets the resource (a reset cannot be undone) and says so", async () => {
    const { result, engine: e } = await run((e) => e.destroy());
    assert.deepEqual(result.errors, []);
    assert.deepEqual(e.resources, []);
    assert.match(e.providerOutput.join(""), /nothing to undo/);
  });

  it("no sentinel password or secret key anywhere outside a secret: state file, provider output, errors, ids, argv, environment", () => {
    session.assertNoLeaks({ minStates: 10 });
  });
});

describe("engine: BmsPassword plans settle (issue 14)", function () {
  this.timeout(120000);
  let emu, url, dir, session, close;
  const SERVER_OFF = "5d0d5e3a-6a51-4d3e-9f0e-2b8c1f1a7c90";

  before(async () => {
    ({ emu, url, dir, session, close } = await bmsStack({ servers: [{ id: SERVER_OFF, status: "SHUTOFF" }] }));
  });
  after(() => close());

  it("restart: hard on a SHUTOFF server: up resets once, the second plan is empty, a second up sends nothing", async () => {
    const program = registrations(dir, { off: [{ kind: "BmsPassword", name: "off", args: { serverId: SERVER_OFF, password: PW, endpoint: url, restart: "hard" } }] });
    const { result: up, engine: e } = await session.run((e) => e.up(program.off));
    assert.deepEqual(up.errors, []);
    assert.equal(e.resources[0].outputs.pendingRestart, true);
    assert.equal(emu.server(SERVER_OFF).status, "SHUTOFF", "not started");
    const { result: preview } = await session.run((e) => e.preview(program.off));
    assert.deepEqual(preview.changes, []);
    const before = emu.requests.length;
    const { result: again } = await session.run((e) => e.up(program.off));
    assert.deepEqual(again.changes, []);
    assert.equal(emu.requests.length, before, "a no-op up makes no API call");
    assert.equal(emu.server(SERVER_OFF).resets, 1);
  });

  it("refresh through an endpoint that answers 404 without BMS.0040 fails naming it and keeps the resource", async () => {
    const e0 = session.engine();
    const [r] = e0.resources;
    // The stored endpoint now points at a route the emulator does not publish, as a wrong region's gateway would.
    emu.inject({ api: "details", kind: "route-missing" });
    const { result, engine: e } = await session.run((e) => e.refresh());
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0].message, /HWC_WRONG_ENDPOINT/);
    assert.ok(result.errors[0].message.includes(url), result.errors[0].message);
    assert.deepEqual(e.resources.map((x) => x.id), [r.id]);
    // And the BMS service's own "server does not exist" still drops it.
    emu.deleteServer(SERVER_OFF);
    const { result: gone, engine: g } = await session.run((e) => e.refresh());
    assert.deepEqual(gone.errors, []);
    assert.deepEqual(g.resources, []);
  });

  it("no sentinel leaked", () => session.assertNoLeaks({ minStates: 4 }));
});

describe("engine: a stack configured for the official provider (@huaweicloudos/pulumi) runs BmsPassword unchanged", function () {
  this.timeout(120000);
  const { makeTestCa } = require("../lab/test-ca");
  const { startTinyproxy } = require("../lab/tinyproxy");
  let emu, ca, proxy, dir, session, close, program, urn;
  const SERVER = "9c7c2b9e-3f3a-4a8e-8d51-1f9c0e6a4b27";

  before(async () => {
    ca = makeTestCa();
    proxy = await startTinyproxy();
    ({ emu, dir, session, close } = await bmsStack({
      servers: [{ id: SERVER }],
      emulator: { tls: { key: ca.key, cert: ca.cert } },
      // Only keys of the official provider, as `pulumi config set huaweicloud:…` writes them (objects as JSON).
      config: (url) => ({
        "huaweicloud:region": "cn-north-4",
        "huaweicloud:endpoints": JSON.stringify({ bms: url, iam: url }),
        "huaweicloud:cacertFile": ca.caFile,
        "huaweicloud:maxRetries": "3",
        "huaweicloud:assumeRole": JSON.stringify({ agencyName: "bms-operator", domainName: "owner-account" }),
      }),
      hostEnv: { HTTPS_PROXY: proxy.url },
    }));
    // No endpoint input: the resource takes the BMS endpoint from huaweicloud:endpoints.
    program = registrations(dir, { base: [{ kind: "BmsPassword", name: "os", args: { serverId: SERVER, password: PW } }] });
    urn = session.engine().urn(program.base[0]);
  });
  after(async () => {
    await close();
    await proxy.stop();
    ca.cleanup();
  });

  it("up: through the proxy, over TLS checked against cacertFile, with the agency's temporary credentials; second plan empty", async () => {
    const { result } = await session.run((e) => e.up(program.base));
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.byOp, { create: [urn] });
    assert.equal(emu.server(SERVER).resets, 1);
    const sts = emu.requests.filter((r) => r.api === "securitytokens");
    assert.equal(sts.length, 1);
    assert.equal(sts[0].accessKey, DEFAULT_AK);
    const bms = emu.requests.filter((r) => r.api !== "securitytokens");
    assert.ok(bms.every((r) => emu.temporary.get(r.accessKey)?.kind === "agency"), "every BMS call signed with the agency's credentials");
    const port = new URL(emu.url).port;
    const tunnels = (proxy.log().match(new RegExp(`CONNECT 127\\.0\\.0\\.1:${port}`, "g")) || []).length;
    assert.equal(tunnels, emu.requests.length, "every request went through the proxy");
    const { result: preview } = await session.run((e) => e.preview(program.base));
    assert.deepEqual(preview.changes, []);
  });

  it("refresh and destroy work the same way", async () => {
    const { result: refreshed } = await session.run((e) => e.refresh());
    assert.deepEqual(refreshed.errors, []);
    assert.deepEqual(refreshed.changes, []);
    const { result, engine: e } = await session.run((e) => e.destroy());
    assert.deepEqual(result.errors, []);
    assert.deepEqual(e.resources, []);
  });

  it("no secret key or password anywhere outside a secret", () => session.assertNoLeaks({ minStates: 4 }));
});

describe("engine: on an ECS with an agency, no credentials configured: the metadata service's", function () {
  this.timeout(120000);
  let emu, dir, session, close, program;
  const SERVER = "4d3b1a0e-2c5f-4e8a-9b7d-6f1e0c2a3b58";

  before(async () => {
    ({ emu, dir, session, close } = await bmsStack({ servers: [{ id: SERVER }], metadata: true, config: (url) => ({ "huaweicloud:endpoints": JSON.stringify({ bms: url }) }) }));
    program = registrations(dir, { base: [{ kind: "BmsPassword", name: "os", args: { serverId: SERVER, password: PW } }] });
  });
  after(() => close());

  it("up signs with the temporary credentials from the metadata service (seam passed to the provider process); plan empty after", async () => {
    const { result } = await session.run((e) => e.up(program.base));
    assert.deepEqual(result.errors, []);
    assert.equal(emu.metadataRequests.length, 1);
    assert.ok(emu.requests.length >= 3 && emu.requests.every((r) => r.accessKey === emu.metadataRequests[0].ak));
    const { result: preview } = await session.run((e) => e.preview(program.base));
    assert.deepEqual(preview.changes, []);
    const { result: destroyed } = await session.run((e) => e.destroy());
    assert.deepEqual(destroyed.errors, []);
  });

  it("no sentinel leaked", () => session.assertNoLeaks({ minStates: 3 }));
});
