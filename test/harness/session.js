"use strict";
/**
 * One stack's life across several operations, each a fresh Engine read from the state file (as separate `pulumi`
 * invocations are). Records, for the secrets checks, everything a user or another process could see: processes'
 * argv and environment sampled while the operation ran, provider output, errors, check failures, init-error reasons,
 * ids, and the state file after each operation.
 */
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { installConsumer, registrations, removeConsumer } = require("./consumer");
const { Engine } = require("./engine");
const { watchProcesses } = require("./proc-watch");
const { assertNoSentinel } = require("./secrets");

function stackSession({ programDir, statePath, sentinels, engineOptions = {} }) {
  const seen = { leaks: [], visible: [], states: [] };
  const engine = () => new Engine({ programDir, statePath, passphrase: "test-passphrase", ...engineOptions });

  /** Runs `fn(engine)` as one operation; returns its result and the engine (for its state, journal and output). */
  async function run(fn) {
    const e = engine();
    try {
      const { result, leaks } = await watchProcesses(sentinels, () => fn(e));
      seen.leaks.push(...leaks);
      for (const err of [...(result?.errors ?? []), ...(result?.warnings ?? [])]) {
        seen.visible.push(err.message, ...(err.initFailure?.reasons ?? []), ...(err.reasons ?? []));
      }
      for (const s of result?.steps ?? []) for (const f of s.failures ?? []) seen.visible.push(f.reason);
      return { result, engine: e };
    } finally {
      seen.visible.push(...e.providerOutput, ...e.resources.map((r) => r.id));
      if (fs.existsSync(statePath)) seen.states.push(fs.readFileSync(statePath, "utf8"));
    }
  }

  /** No sentinel outside a secret anywhere recorded; `minStates` proves the recording happened. */
  function assertNoLeaks({ minStates }) {
    assert.deepEqual(seen.leaks, [], "a sentinel password appeared in a process argv or environment");
    assert.ok(seen.states.length >= minStates, `${seen.states.length} state snapshots`);
    assertNoSentinel(sentinels, seen.visible.join("\n"), "provider output, errors, check failures or ids");
    for (const text of seen.states) assertNoSentinel(sentinels, text, "the state file");
  }

  return { engine, run, seen, assertNoLeaks };
}

/**
 * A fresh consumer project whose program declares one `BmcUser` "ops" (operator, `password`, on `connection`) in
 * several versions — `base` and each of `variants` (name → args laid over the base) — and its stack session.
 * `remove()` deletes the project.
 */
function opsStack({ connection, password, sentinels, variants = {} }) {
  const dir = installConsumer();
  const statePath = path.join(dir, "state.json");
  const session = stackSession({ programDir: dir, statePath, sentinels });
  const ops = (args) => [{ kind: "BmcUser", name: "ops", args: { bmc: connection, username: "ops", password, privilege: "operator", ...args } }];
  const program = registrations(dir, Object.fromEntries(Object.entries({ base: {}, ...variants }).map(([name, args]) => [name, ops(args)])));
  return { dir, statePath, session, withEngine: session.run, engine: session.engine, program, urn: session.engine().urn(program.base[0]), remove: () => removeConsumer(dir) };
}

module.exports = { stackSession, opsStack };
