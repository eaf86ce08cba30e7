"use strict";
/**
 * The program runner: `pulumi preview / up / refresh / destroy` for a real Pulumi JavaScript program, without the CLI.
 *
 * The program runs as the Node language host runs it: `node [nodeargs] <sdk>/cmd/run --monitor … --engine … --project
 * … --stack … --pwd … [--dry-run] .` inside the project directory, with the stack config in `PULUMI_CONFIG` and the
 * secret keys in `PULUMI_CONFIG_SECRET_KEYS` (decrypted, in the program's environment, exactly as the CLI hands them
 * over). Its RPCs reach a hand-written ResourceMonitor + Engine gRPC server (the SDK's own generated service
 * definitions and grpc-js). Dynamic resources are forwarded, one registration at a time, to the engine model
 * (engine.js) and the real dynamic-provider process (provider-host.js): Check and Diff serial, Create/Update/Delete
 * concurrent, secrets stripped and re-applied, preview = Check + Diff with the inputs returned as outputs, the state
 * file holding secrets only as encrypted envelopes. What it does not model is in RUNNER-LIMITS.md.
 */
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { Engine, PassphraseSecrets, UNKNOWN, annotate, isSecret, reveal, summarize } = require("./engine");
const { toStruct } = require("./provider-host");

const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromSdk = (id) => require(require.resolve(id, { paths: [SDK] }));
const grpc = fromSdk("@grpc/grpc-js");
const yaml = fromSdk("js-yaml");
const resourceRpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resourceProto = require("@pulumi/pulumi/proto/resource_pb");
const engineRpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineProto = require("@pulumi/pulumi/proto/engine_pb");
const { Empty } = fromSdk("google-protobuf/google/protobuf/empty_pb");

const STACK_TYPE = "pulumi:pulumi:Stack";
const DYNAMIC = "pulumi-nodejs:dynamic";
// Only secrets: without resourceReferences/outputValues the SDK sends plain values, as to an older engine.
const FEATURES = new Set(["secrets"]);
const SEVERITY = ["debug", "info", "warning", "error"];
const SYMBOL = { create: "+", update: "~", replace: "+-", delete: "-", same: " ", "check-failed": "!" };

/** Pulumi.yaml: project name, program directory (`main`) and `nodeargs`; typescript must be off (we run JS). */
function readProject(projectDir) {
  const file = path.join(projectDir, "Pulumi.yaml");
  const doc = yaml.load(fs.readFileSync(file, "utf8"));
  const runtime = typeof doc.runtime === "string" ? { name: doc.runtime } : doc.runtime ?? {};
  if (runtime.name !== "nodejs") throw new Error(`${file}: runtime must be nodejs, not ${runtime.name}`);
  if (runtime.options?.typescript !== false) throw new Error(`${file}: set runtime.options.typescript: false (the runner runs compiled JavaScript)`);
  const nodeArgs = String(runtime.options?.nodeargs ?? "").split(/\s+/).filter(Boolean);
  return { name: doc.name, programDir: path.resolve(projectDir, doc.main ?? "."), nodeArgs };
}

/** A failure the program sees as the RPC's error, as the engine's own step failures reach it. */
const rpcError = (message) => Object.assign(new Error(message), { code: grpc.status.UNKNOWN, details: message });

/** One run of the program against the monitor: registrations become steps, applied now (up) or only planned. */
class Deployment {
  constructor(engine, { dryRun, log }) {
    Object.assign(this, { engine, dryRun, log });
    // The provider process starts while the program loads (both take about a second); registrations wait for it.
    this.hostReady = new Promise((resolve) => (this.setHost = (host) => resolve((this.host = host))));
    this.steps = [];
    this.errors = [];
    this.registered = new Set();
    this.types = new Map(); // urn -> qualified type, for children's URNs
    this.replaced = []; // old records of create-before-delete replacements, deleted at the end
    this.inflight = new Set();
    this.serial = Promise.resolve(); // Check and Diff one at a time, as the engine's step generator sends them
    this.stackOutputs = {};
  }

  urnFor(type, name, parent) {
    const parentType = parent ? this.types.get(parent) : undefined;
    const qualified = parentType && parentType !== STACK_TYPE ? `${parentType}$${type}` : type;
    const urn = `urn:pulumi:${this.engine.stack}::${this.engine.project}::${qualified}::${name}`;
    this.types.set(urn, qualified);
    return urn;
  }

  /** Plans one registration (serially) and, outside a preview, applies it; resolves to `{urn, id, outputs}`. */
  async register(req) {
    const type = req.getType();
    const urn = this.urnFor(type, req.getName(), req.getParent());
    this.registered.add(urn);
    if (!req.getCustom()) return { urn, id: "", outputs: {} }; // the stack and components: no provider, no state
    if (!type.startsWith(DYNAMIC)) throw rpcError(`${urn}: the runner only runs dynamic resources (${DYNAMIC}:*)`);
    if (req.getImportid()) throw rpcError(`${urn}: import is not supported for dynamic resources`);
    const reg = {
      urn,
      type,
      name: req.getName(),
      inputs: req.getObject()?.toJavaScript() ?? {},
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      dependencies: req.getDependenciesList(),
    };
    const planned = this.serial.then(async () => this.engine.planOne(await this.hostReady, reg));
    this.serial = planned.catch(() => {});
    const step = await planned;
    this.steps.push(step);
    if (step.op === "check-failed") {
      const message = `${urn}: ${step.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`;
      this.errors.push({ urn, op: "check", message });
      throw rpcError(message);
    }
    if (this.dryRun) {
      // The provider does not support preview: the engine answers with the checked inputs as outputs.
      const outputs = step.op === "same" ? step.old.outputs : annotate(step.inputs, [], reg.additionalSecretOutputs);
      return { urn, id: step.old && step.op !== "replace" ? step.old.id : "", outputs };
    }
    const applied = this.apply(step);
    this.inflight.add(applied);
    try {
      await applied;
    } catch (e) {
      this.errors.push({ urn, op: step.op, message: e.message, initFailure: e.initFailure });
      throw rpcError(e.message);
    } finally {
      this.inflight.delete(applied);
    }
    const record = this.engine.find(urn);
    return { urn, id: record.id, outputs: record.outputs };
  }

  async apply(step) {
    const { engine, host } = this;
    if (step.op === "create") return engine.createOne(host, step);
    if (step.op === "update") return engine.updateOne(host, step);
    if (step.op === "same") return engine.store(step.urn, { ...step.old, inputs: step.inputs, dependencies: step.reg.dependencies });
    // replace
    if (step.deleteBeforeReplace) {
      await engine.deleteOne(host, step.old);
      return engine.createOne(host, step);
    }
    await engine.createOne(host, step);
    this.replaced.push(step.old);
  }

  /** After the program: replaced and orphaned resources go (dependents first); preview only lists the orphans. */
  async finish(programOk) {
    await Promise.allSettled([...this.inflight]);
    if (!programOk) return;
    const orphans = this.engine.resources.filter((r) => !this.registered.has(r.urn));
    for (const old of orphans) this.steps.push({ urn: old.urn, op: "delete", old });
    if (this.dryRun) return;
    await Promise.all(
      this.replaced.map((old) =>
        this.engine.deleteOne(this.host, old, { keepRecord: true }).catch((e) => this.errors.push({ urn: old.urn, op: "delete", message: e.message })),
      ),
    );
    await this.engine.deleteAll(this.host, orphans, this.errors);
  }

  /** The monitor and engine services this deployment answers, keyed as grpc-js expects. */
  services() {
    const unary = (fn) => (call, callback) =>
      Promise.resolve()
        .then(() => fn(call.request))
        .then((res) => callback(null, res), (err) => callback(err));
    const monitor = {
      supportsFeature: unary((req) => {
        const res = new resourceProto.SupportsFeatureResponse();
        res.setHassupport(FEATURES.has(req.getId()));
        return res;
      }),
      registerResource: unary(async (req) => {
        const { urn, id, outputs } = await this.register(req);
        const res = new resourceProto.RegisterResourceResponse();
        res.setUrn(urn);
        res.setId(id);
        res.setObject(toStruct(outputs));
        return res;
      }),
      registerResourceOutputs: unary((req) => {
        if (this.types.get(req.getUrn()) === STACK_TYPE) this.stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
        return new Empty();
      }),
      invoke: unary((req) => {
        throw rpcError(`the runner implements no provider functions (${req.getTok()})`);
      }),
      readResource: unary((req) => {
        throw rpcError(`${req.getName()}: reading existing resources (.get()) is not modelled by the runner`);
      }),
      signalAndWaitForShutdown: unary(async () => {
        await Promise.allSettled([...this.inflight]);
        return new Empty();
      }),
    };
    let root = "";
    const engine = {
      log: unary((req) => {
        // Debug messages are dropped, as the CLI drops them without -v/--debug; the SDK's include whole resource
        // responses with secret values in plaintext. RUNNER_DEBUG=1 shows them, for debugging the runner only.
        if (req.getSeverity() === engineProto.LogSeverity.DEBUG && !process.env.RUNNER_DEBUG) return new Empty();
        this.log(`${SEVERITY[req.getSeverity()] ?? "info"}: ${req.getUrn() ? `${req.getUrn()}: ` : ""}${req.getMessage().trimEnd()}`);
        return new Empty();
      }),
      getRootResource: unary(() => new engineProto.GetRootResourceResponse().setUrn(root)),
      setRootResource: unary((req) => {
        root = req.getUrn();
        return new engineProto.SetRootResourceResponse();
      }),
    };
    return { monitor, engine };
  }
}

/** Serves the monitor and the engine on one loopback port. */
async function serve(deployment) {
  const server = new grpc.Server();
  const { monitor, engine } = deployment.services();
  server.addService(resourceRpc.ResourceMonitorService, monitor);
  server.addService(engineRpc.EngineService, engine);
  const port = await new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, stop: () => new Promise((r) => server.tryShutdown(() => r())) };
}

/**
 * A stack of one project: its config (secrets encrypted with the passphrase, like `Pulumi.<stack>.yaml`) and its state
 * file, both under `stateDir`.
 */
class Stack {
  /**
   * @param {object} o
   * @param {string} o.projectDir directory holding Pulumi.yaml (its `main` holds the program and its node_modules)
   * @param {string} o.stateDir where `<stack>.config.json` and `<stack>.state.json` live
   * @param {string} o.passphrase the stack's secrets passphrase
   * @param {(line: string) => void} [o.log] where the update log goes (default: stdout)
   * @param {boolean} [o.showOutputs] print the stack outputs after each operation (default true)
   */
  constructor({ projectDir, stateDir, passphrase, stack = "dev", log = (l) => process.stdout.write(`${l}\n`), showOutputs = true }) {
    Object.assign(this, { projectDir, stateDir, passphrase, stack, log, showOutputs });
    this.project = readProject(projectDir);
    fs.mkdirSync(stateDir, { recursive: true });
    this.statePath = path.join(stateDir, `${stack}.state.json`);
    this.configPath = path.join(stateDir, `${stack}.config.json`);
    this.programPids = []; // every program process this stack ran: the only ones whose environment holds the config
  }

  /** The engine model over this stack's state, with the decrypted config. */
  engine() {
    const { config, secretKeys } = this.config();
    return new Engine({ programDir: this.project.programDir, statePath: this.statePath, passphrase: this.passphrase, project: this.project.name, stack: this.stack, config, secretConfigKeys: secretKeys });
  }

  /** `{config, secretKeys}` with secrets decrypted; keys are `<namespace>:<key>`, values strings. */
  config() {
    if (!fs.existsSync(this.configPath)) return { config: {}, secretKeys: [] };
    const file = JSON.parse(fs.readFileSync(this.configPath, "utf8"));
    const secrets = this.secrets(file.salt);
    const config = {};
    for (const [k, v] of Object.entries(file.config)) config[k] = isSecret(v) ? reveal(secrets.decrypt(v)) : v;
    return { config, secretKeys: Object.keys(file.config).filter((k) => isSecret(file.config[k])) };
  }

  /** `pulumi config set [--secret] key value`. A key without a namespace gets the project's. */
  setConfig(key, value, { secret = false } = {}) {
    const file = fs.existsSync(this.configPath) ? JSON.parse(fs.readFileSync(this.configPath, "utf8")) : { config: {} };
    const secrets = this.secrets(file.salt);
    file.salt = secrets.salt;
    const full = key.includes(":") ? key : `${this.project.name}:${key}`;
    file.config[full] = secret ? secrets.encrypt({ value: String(value) }) : String(value);
    fs.writeFileSync(this.configPath, JSON.stringify(file, null, 2));
  }

  secrets(salt) {
    return new PassphraseSecrets(this.passphrase, salt);
  }

  /** `pulumi preview`: runs the program with --dry-run; nothing is created, updated, deleted or saved. */
  preview() {
    return this.runProgram({ dryRun: true });
  }

  /** `pulumi up --yes --skip-preview`. */
  up() {
    return this.runProgram({ dryRun: false });
  }

  async runProgram({ dryRun }) {
    const started = Date.now();
    const engine = this.engine();
    const { config, secretKeys } = this.config();
    const deployment = new Deployment(engine, { dryRun, log: this.log });
    const server = await serve(deployment);
    let programExit;
    let programOutput = "";
    let program;
    try {
      program = this.spawnProgram(server.address, { dryRun, config, secretKeys }, (t) => (programOutput += t));
      await engine.withHost(async (host) => {
        deployment.setHost(host);
        programExit = await program.exited;
        await deployment.finish(programExit.code === 0);
      });
    } catch (e) {
      if (program && program.child.exitCode === null) program.child.kill("SIGTERM");
      throw e;
    } finally {
      await server.stop();
    }
    if (!dryRun) {
      if (programExit.code === 0) engine.stackOutputs = deployment.stackOutputs;
      engine.save();
    }
    const errors = [...deployment.errors];
    if (programExit.code !== 0 && errors.length === 0) errors.push({ op: "program", message: `the program exited with ${programExit.code}` });
    const result = {
      ...summarize(deployment.steps),
      errors,
      outputs: dryRun ? deployment.stackOutputs : engine.stackOutputs,
      programExit,
      programOutput,
      providerOutput: engine.providerOutput.join(""),
      engine,
      ms: Date.now() - started,
    };
    this.report(dryRun ? "Previewing update" : "Updating", result);
    return result;
  }

  /** Spawns the program through cmd/run as the language host does; `exited` resolves with its exit. */
  spawnProgram(address, { dryRun, config, secretKeys }, onOutput) {
    const { programDir, nodeArgs, name } = this.project;
    const runPath = path.join(programDir, "node_modules/@pulumi/pulumi/cmd/run");
    const args = [...nodeArgs, runPath, `--monitor=${address}`, `--engine=${address}`, `--project=${name}`, `--stack=${this.stack}`, `--pwd=${programDir}`, `--root-directory=${this.projectDir}`];
    if (dryRun) args.push("--dry-run");
    args.push(".");
    const child = spawn(process.execPath, args, {
      cwd: programDir,
      env: {
        PATH: process.env.PATH,
        PULUMI_CONFIG: JSON.stringify(config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys),
        PULUMI_NODEJS_TYPESCRIPT: "false",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.programPids.push(child.pid);
    const onData = (d) => {
      const text = d.toString("utf8");
      onOutput(text);
      for (const line of text.split("\n").filter(Boolean)) this.log(`    ${line}`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    return { child, exited: new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal, pid: child.pid }))) };
  }

  /** `pulumi refresh --yes` (or its preview): Read every resource; drift is what Diff(refreshed, inputs) reports. */
  async refresh({ preview = false } = {}) {
    const started = Date.now();
    const engine = this.engine();
    const result = await engine.refresh({ preview });
    Object.assign(result, { outputs: engine.stackOutputs, providerOutput: engine.providerOutput.join(""), engine, ms: Date.now() - started });
    this.report(preview ? "Previewing refresh" : "Refreshing", result);
    return result;
  }

  /** `pulumi destroy --yes`. */
  async destroy() {
    const started = Date.now();
    const engine = this.engine();
    const steps = engine.resources.map((old) => ({ urn: old.urn, op: "delete", old }));
    const { errors } = await engine.destroy();
    const result = { ...summarize(steps), errors, outputs: {}, providerOutput: engine.providerOutput.join(""), engine, ms: Date.now() - started };
    this.report("Destroying", result);
    return result;
  }

  /** `pulumi stack output --json --show-secrets=false`: secrets as "[secret]". */
  outputs() {
    return masked(this.engine().stackOutputs);
  }

  /** The update log: one line per step, drift per field on refresh, provider output, stack outputs, counts. */
  report(verb, result) {
    const log = this.log;
    log(`${verb} (${this.stack}):`);
    for (const s of result.steps) {
      if (s.op === "same") continue;
      const [, , type, name] = s.urn.split("::");
      log(`  ${SYMBOL[s.op].padEnd(2)} ${type.split("$").pop()}  ${name}  ${s.op}${s.replaces ? ` [diff: ${s.replaces.join(", ")}]` : ""}`);
      if (s.next && s.op === "update") {
        for (const line of drift(s.old.outputs, s.next.outputs)) log(`        ${line}`);
      }
      for (const f of s.failures ?? []) log(`        ${f.property}: ${f.reason}`);
    }
    for (const line of result.providerOutput.split("\n").filter(Boolean)) log(`    provider: ${line}`);
    for (const e of result.errors) log(`  error: ${e.urn ? `${e.urn}: ` : ""}${e.message}`);
    if (this.showOutputs && Object.keys(result.outputs ?? {}).length > 0) {
      log("Outputs:");
      for (const line of JSON.stringify(masked(result.outputs), null, 2).split("\n")) log(`    ${line}`);
    }
    const counts = Object.entries(result.byOp).map(([op, urns]) => `${SYMBOL[op].trim() || "="} ${urns.length} ${op}`);
    log(`Resources: ${counts.join(", ") || "none"}   (${(result.ms / 1000).toFixed(1)} s)`);
  }
}

/** Output fields whose value changed, `key: old => new`; secrets are shown as [secret], never by value. */
function drift(before, after) {
  const show = (v) => (v === undefined ? "<none>" : JSON.stringify(masked(v)));
  return [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])]
    .filter((k) => k !== "__provider" && JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]))
    .filter((k) => !(isSecret(before?.[k]) && isSecret(after?.[k]) && JSON.stringify(reveal(before[k])) === JSON.stringify(reveal(after[k]))))
    .map((k) => `${k}: ${show(before?.[k])} => ${show(after?.[k])}`);
}

function masked(v) {
  if (isSecret(v)) return "[secret]";
  if (v === UNKNOWN) return "[unknown]";
  if (Array.isArray(v)) return v.map(masked);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, masked(x)]));
  return v;
}

module.exports = { Stack, readProject, masked, drift };
