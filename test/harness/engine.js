"use strict";
/**
 * A small model of the Pulumi engine's deployment rules for dynamic resources, replayed against the real
 * dynamic-provider process (provider-host.js). The rules follow /work/shared/reference/pulumi-dynamic-providers.md
 * §5, §6, §7 and §10.4:
 *
 * - secrets: the provider answers acceptSecrets=false, so envelopes are stripped before every call; afterwards an
 *   output becomes secret when the input of the same name held a secret, or when it is in additionalSecretOutputs;
 * - preview: Check and Diff only (unknowns allowed); no Create/Update/Delete;
 * - Diff gets the prior OUTPUTS as olds; DIFF_UNKNOWN falls back to comparing inputs, `__provider` included;
 * - no change = SameStep: new inputs, old outputs (old `__provider` too);
 * - replace: a second Check with empty olds; create-before-delete deletes the old one at the end, deleteBeforeReplace
 *   first;
 * - refresh: Read(outputs, inputs); a blank id removes the resource; drift = Diff(refreshed outputs, inputs);
 * - partial failures (ErrorResourceInitFailed) are recorded with their outputs and init errors, and force an Update on
 *   the next up even when Diff finds nothing;
 * - Check and Diff are sent one at a time, Create/Update/Delete/Read concurrently;
 * - each operation starts a fresh provider process and configures it with the stack config (secrets as envelopes);
 * - the state file holds secrets only as encrypted envelopes, as a stack with a passphrase secrets provider does.
 *
 * Not modelled: dependencies between resources (every resource is independent, so deletes need no ordering),
 * protect/retainOnDelete/ignoreChanges/replaceOnChanges/aliases, import, `.get()`, cancellation, and the engine's
 * display. Parallelism is unbounded (every CRUD call in flight at once) unless `parallel` is given.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const { isDeepStrictEqual } = require("node:util");
const { startProviderHost } = require("./provider-host");

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isSecret = (v) => isObject(v) && v[SIG] === SECRET_SIG;
const secret = (v) => ({ [SIG]: SECRET_SIG, value: reveal(v) });

/** The value with every secret envelope removed: what a provider with acceptSecrets=false receives. */
function reveal(v) {
  if (isSecret(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map(reveal);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}

function containsSecrets(v) {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecrets);
  if (isObject(v)) return Object.values(v).some(containsSecrets);
  return false;
}

function containsUnknowns(v) {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknowns);
  if (isObject(v)) return Object.values(v).some(containsUnknowns);
  return false;
}

/** The engine's annotateSecrets plus additionalSecretOutputs: secretness re-applied by key name only. */
function annotate(outs, secretSources, additionalSecretOutputs = []) {
  const result = { ...outs };
  for (const ins of secretSources) {
    for (const [k, v] of Object.entries(ins ?? {})) {
      if (k in result && containsSecrets(v)) result[k] = secret(result[k]);
    }
  }
  for (const k of additionalSecretOutputs) {
    if (k in result) result[k] = secret(result[k]);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------------
// State file: secrets as `{SIG: SECRET_SIG, ciphertext}` (AES-256-GCM under a scrypt key from the passphrase).

function mapSecrets(v, fn) {
  if (isSecret(v)) return fn(v);
  if (Array.isArray(v)) return v.map((x) => mapSecrets(x, fn));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapSecrets(x, fn)]));
  return v;
}

class PassphraseSecrets {
  constructor(passphrase, salt = crypto.randomBytes(16).toString("base64")) {
    this.salt = salt;
    this.key = crypto.scryptSync(passphrase, Buffer.from(salt, "base64"), 32);
  }

  encrypt(envelope) {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(envelope.value), "utf8"), cipher.final(), cipher.getAuthTag()]);
    return { [SIG]: SECRET_SIG, ciphertext: `v1:${iv.toString("base64")}:${body.toString("base64")}` };
  }

  decrypt(envelope) {
    const [, iv, body] = envelope.ciphertext.split(":");
    const raw = Buffer.from(body, "base64");
    const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64"));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const text = Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString("utf8");
    return secret(JSON.parse(text));
  }
}

// ---------------------------------------------------------------------------------------------------------------------

class Engine {
  /**
   * @param {object} o
   * @param {string} o.programDir consumer project the provider process runs in
   * @param {string} o.statePath JSON state file
   * @param {string} o.passphrase stack passphrase for the state's secrets
   * @param {object} [o.config] stack config, keys `<ns>:<key>`
   * @param {string[]} [o.secretConfigKeys] config keys held as secrets
   * @param {number} [o.parallel] most CRUD calls in flight at once, as `pulumi up --parallel` (the engine's default is
   *   4 × GOMAXPROCS); default unbounded
   * @param {object} [o.hostEnv] extra environment of the provider process (e.g. NODE_OPTIONS for measurements)
   */
  constructor({ programDir, statePath, passphrase, project = "consumer", stack = "test", config = {}, secretConfigKeys = [], parallel = Infinity, hostEnv = {} }) {
    Object.assign(this, { programDir, statePath, project, stack, parallel, hostEnv });
    this.config = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, secretConfigKeys.includes(k) ? secret(v) : v]));
    this.providerOutput = []; // everything every provider process printed: the update log
    this.journal = []; // "<method> <urn for create, else id>" per completed CRUD call, in completion order
    if (fs.existsSync(statePath)) {
      const file = JSON.parse(fs.readFileSync(statePath, "utf8"));
      this.secrets = new PassphraseSecrets(passphrase, file.secrets.salt);
      this.resources = mapSecrets(file.resources, (e) => this.secrets.decrypt(e));
      this.stackOutputs = mapSecrets(file.outputs ?? {}, (e) => this.secrets.decrypt(e));
    } else {
      this.secrets = new PassphraseSecrets(passphrase);
      this.resources = [];
      this.stackOutputs = {}; // the program's stack outputs (the program runner sets them)
    }
  }

  /** The registration's URN: given by the caller (the program runner derives parent types), else built here. */
  urn(reg) {
    return reg.urn ?? `urn:pulumi:${this.stack}::${this.project}::${reg.type}::${reg.name}`;
  }

  find(urn) {
    return this.resources.find((r) => r.urn === urn);
  }

  save() {
    const encrypt = (v) => mapSecrets(v, (e) => this.secrets.encrypt(e));
    const file = { version: 1, secrets: { salt: this.secrets.salt }, resources: encrypt(this.resources), outputs: encrypt(this.stackOutputs) };
    fs.writeFileSync(this.statePath, JSON.stringify(file, null, 2));
  }

  async withHost(fn) {
    const host = await startProviderHost({ programDir: this.programDir, project: this.project, config: this.config, env: this.hostEnv });
    const traced = Object.create(host);
    let inFlight = 0;
    const waiting = [];
    for (const method of ["create", "read", "update", "delete"]) {
      traced[method] = async (...args) => {
        if (inFlight >= this.parallel) await new Promise((resolve) => waiting.push(resolve));
        inFlight++;
        try {
          const result = await host[method](...args);
          this.journal.push(`${method} ${args[0]}`);
          return result;
        } finally {
          inFlight--;
          waiting.shift()?.();
        }
      };
    }
    try {
      return await fn(traced);
    } finally {
      await host.stop();
      this.providerOutput.push(host.output);
    }
  }

  /** Check, then Diff against the prior outputs, for every registration; orphans become deletes. Serial. */
  async plan(host, registrations) {
    const steps = [];
    for (const reg of registrations) steps.push(await this.planOne(host, reg));
    const wanted = new Set(registrations.map((r) => this.urn(r)));
    for (const old of this.resources) {
      if (!wanted.has(old.urn)) steps.push({ urn: old.urn, op: "delete", old });
    }
    return steps;
  }

  /** Check, then Diff against the prior outputs; decides one registration's step. Callers keep these serial. */
  async planOne(host, reg) {
    const urn = this.urn(reg);
    const old = this.find(urn);
    const news = reveal(reg.inputs);
    const checked = await host.check(urn, old ? reveal(old.inputs) : {}, news);
    if (checked.failures.length > 0) return { urn, op: "check-failed", failures: checked.failures };
    const inputs = annotate(checked.inputs, [reg.inputs]);
    if (!old) return { urn, op: "create", reg, inputs };
    const d = await host.diff(old.id, urn, reveal(old.outputs), reveal(inputs), reveal(old.inputs));
    const changed = d.changes === "some" || (d.changes === "unknown" && !isDeepStrictEqual(reveal(old.inputs), reveal(inputs)));
    if (d.replaces.length > 0) {
      // The replacement is checked afresh: the provider must not take defaults from the resource it replaces.
      const again = await host.check(urn, {}, news);
      if (again.failures.length > 0) return { urn, op: "check-failed", failures: again.failures };
      const deleteBeforeReplace = d.deleteBeforeReplace || reg.deleteBeforeReplace;
      return { urn, op: "replace", reg, old, inputs: annotate(again.inputs, [reg.inputs]), replaces: d.replaces, deleteBeforeReplace };
    }
    if (changed || (old.initErrors ?? []).length > 0) return { urn, op: "update", reg, old, inputs, forcedByInitErrors: !changed };
    return { urn, op: "same", reg, old, inputs };
  }

  /** `pulumi preview`: steps only. Registrations may hold unknowns. */
  async preview(registrations) {
    const steps = await this.withHost((host) => this.plan(host, registrations));
    return summarize(steps);
  }

  /** `pulumi up`. Returns the steps and the errors; state is saved whatever happened. */
  async up(registrations) {
    for (const reg of registrations) {
      if (containsUnknowns(reg.inputs)) throw new Error(`${reg.name}: unknown inputs outside a preview`);
    }
    const errors = [];
    const steps = await this.withHost(async (host) => {
      const steps = await this.plan(host, registrations);
      const attempt = (step, fn) =>
        fn().then(
          () => true,
          (e) => (errors.push({ urn: step.urn, op: step.op, message: e.message, initFailure: e.initFailure }), false),
        );
      const replaces = steps.filter((s) => s.op === "replace");
      const failedDeletes = new Set();
      await Promise.all(
        replaces
          .filter((s) => s.deleteBeforeReplace)
          .map((s) => attempt(s, () => this.deleteOne(host, s.old)).then((ok) => ok || failedDeletes.add(s.urn))),
      );
      const created = new Set();
      await Promise.all(
        steps.map((s) => {
          if (s.op === "create" || (s.op === "replace" && !failedDeletes.has(s.urn))) {
            return attempt(s, () => this.createOne(host, s)).then((ok) => ok && created.add(s.urn));
          }
          if (s.op === "update") return attempt(s, () => this.updateOne(host, s));
          if (s.op === "same") this.store(s.urn, { ...s.old, inputs: s.inputs });
          return undefined;
        }),
      );
      // Create-before-delete: the old resource goes only once its replacement exists; orphans go at the end too.
      await Promise.all(
        steps.map((s) => {
          if (s.op === "replace" && !s.deleteBeforeReplace && created.has(s.urn)) return attempt(s, () => this.deleteOne(host, s.old, { keepRecord: true }));
          if (s.op === "delete") return attempt(s, () => this.deleteOne(host, s.old));
          return undefined;
        }),
      );
      return steps;
    });
    this.save();
    return { ...summarize(steps), errors };
  }

  store(urn, record) {
    this.resources = [...this.resources.filter((r) => r.urn !== urn), { ...record, urn }];
  }

  async createOne(host, step) {
    const { reg, inputs, urn } = step;
    const record = { urn, type: reg.type, inputs, additionalSecretOutputs: reg.additionalSecretOutputs, dependencies: reg.dependencies };
    try {
      const res = await host.create(urn, reveal(inputs));
      if (!res.id) throw new Error(`${urn}: provider returned an empty id`);
      this.store(urn, { ...record, id: res.id, outputs: annotate(res.properties, [inputs], reg.additionalSecretOutputs) });
    } catch (e) {
      if (e.initFailure) {
        const { id, properties, reasons } = e.initFailure;
        this.store(urn, { ...record, id, outputs: annotate(properties, [inputs], reg.additionalSecretOutputs), initErrors: reasons });
      }
      throw e;
    }
  }

  async updateOne(host, step) {
    const { reg, old, inputs, urn } = step;
    try {
      const res = await host.update(old.id, urn, reveal(old.outputs), reveal(inputs), reveal(old.inputs));
      this.store(urn, { ...old, inputs, outputs: annotate(res.properties, [inputs], reg.additionalSecretOutputs), initErrors: undefined });
    } catch (e) {
      if (e.initFailure) {
        const outputs = annotate(e.initFailure.properties, [inputs], reg.additionalSecretOutputs);
        this.store(urn, { ...old, inputs, outputs, initErrors: e.initFailure.reasons });
      }
      throw e;
    }
  }

  /** Delete with the OUTPUTS (and so their `__provider`). `keepRecord`: the URN now belongs to the replacement. */
  async deleteOne(host, old, { keepRecord = false } = {}) {
    await host.delete(old.id, old.urn, reveal(old.outputs), reveal(old.inputs));
    if (!keepRecord) this.resources = this.resources.filter((r) => r !== old);
  }

  /** `pulumi refresh` (or its preview): Read every resource concurrently, then report drift through Diff. */
  async refresh({ preview = false } = {}) {
    const errors = [];
    const warnings = [];
    const steps = await this.withHost((host) =>
      Promise.all(
        this.resources.map(async (r) => {
          try {
            const res = await host.read(r.id, r.urn, reveal(r.outputs), reveal(r.inputs));
            if (!res.id) return { urn: r.urn, op: "delete", old: r, next: undefined };
            const outputs = annotate(res.properties, [r.inputs, r.outputs], r.additionalSecretOutputs);
            const inputs = res.inputs ? annotate(res.inputs, [r.inputs]) : r.inputs;
            const d = await host.diff(res.id, r.urn, reveal(outputs), reveal(inputs), reveal(inputs));
            const next = { ...r, id: res.id, outputs, inputs };
            return { urn: r.urn, op: d.changes === "some" ? "update" : "same", drift: d, old: r, next };
          } catch (e) {
            if (e.initFailure) {
              warnings.push({ urn: r.urn, message: e.message, reasons: e.initFailure.reasons });
              return { urn: r.urn, op: "same", old: r, next: { ...r, initErrors: e.initFailure.reasons } };
            }
            errors.push({ urn: r.urn, op: "refresh", message: e.message });
            return { urn: r.urn, op: "same", old: r, next: r };
          }
        }),
      ),
    );
    if (!preview) {
      this.resources = steps.map((s) => s.next).filter(Boolean);
      this.save();
    }
    return { ...summarize(steps), errors, warnings };
  }

  /** `pulumi destroy`: Delete every resource with its stored outputs; dependents first, the others concurrently. */
  async destroy() {
    const errors = [];
    await this.withHost((host) => this.deleteAll(host, [...this.resources], errors));
    this.stackOutputs = {};
    this.save();
    return { errors };
  }

  /**
   * Deletes `records` in waves: a record goes once nothing else in the set depends on it (recorded `dependencies`,
   * URNs); each wave runs concurrently. A failed delete keeps its record and, like the engine, its dependencies too.
   */
  async deleteAll(host, records, errors) {
    let pending = records;
    while (pending.length > 0) {
      const needed = new Set(pending.flatMap((r) => r.dependencies ?? []));
      const wave = pending.filter((r) => !needed.has(r.urn));
      if (wave.length === 0) throw new Error("dependency cycle in state");
      const failed = [];
      await Promise.all(
        wave.map((r) => this.deleteOne(host, r).catch((e) => (failed.push(r), errors.push({ urn: r.urn, op: "delete", message: e.message })))),
      );
      if (failed.length > 0) return; // the rest still depends on what failed, or could not be ordered after it
      pending = pending.filter((r) => !wave.includes(r));
    }
  }
}

/** Steps by kind, e.g. `{create: [urn], same: [urn]}`; `changes` lists every step that is not `same`. */
function summarize(steps) {
  const byOp = {};
  for (const s of steps) (byOp[s.op] ??= []).push(s.urn);
  return { steps, byOp, changes: steps.filter((s) => s.op !== "same") };
}

module.exports = { Engine, PassphraseSecrets, reveal, annotate, secret, isSecret, containsSecrets, summarize, SIG, SECRET_SIG, UNKNOWN };
