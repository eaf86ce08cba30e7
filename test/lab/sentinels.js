"use strict";
/**
 * The sentinel scan: distinctive passwords are used in tests, and every place a secret could leak is searched for
 * them — the argv and environment of every process (sampled every millisecond while an operation runs), the test
 * process's own stdout/stderr, error texts (message, stack, hint, context, reasons) and state outside its secret
 * fields (`password` and `bmc`, which the resource marks as secret outputs). Each scan counts as one check, so a tier
 * can report how many ran.
 */

const assert = require("node:assert/strict");
const { sampleProcesses } = require("../harness/proc-watch");

/** Outputs as the engine stores them in plaintext: everything but the secret outputs. */
function plaintextState(props) {
  if (!props || typeof props !== "object") return props;
  const { password: _p, bmc: _b, ...rest } = props;
  return rest;
}

class SentinelScan {
  /** @param {string[]} sentinels values that must never appear */
  constructor(sentinels) {
    this.sentinels = sentinels;
    this.checks = 0;
    this.processSamples = 0;
  }

  /** Asserts that `text` holds no sentinel; `where` names the place in the failure message. */
  text(where, text) {
    this.checks++;
    const s = String(text ?? "");
    for (const secret of this.sentinels) {
      assert.ok(!s.includes(secret), `a sentinel password leaked into ${where}`);
    }
  }

  /** Every text an error carries. */
  error(e) {
    this.text("error message", e?.message);
    this.text("error stack", e?.stack);
    this.text("error hint and context", JSON.stringify({ hint: e?.hint, context: e?.context, code: e?.code }));
    if (e?.reasons) this.text("partial-failure reasons", e.reasons.join("\n"));
    if (e?.properties) this.text("partial-failure state", JSON.stringify(plaintextState(e.properties)));
  }

  /** Plaintext state (outputs without their secret fields) and the id. */
  state(result) {
    this.text("resource id", result?.id ?? "");
    this.text("plaintext state", JSON.stringify(plaintextState(result?.outs ?? result?.props)));
  }

  /**
   * Runs `fn` while sampling every process's argv and environment and capturing this process's stdout/stderr, then
   * checks both. Returns `{ result }` or `{ error }` (already scanned); never throws what `fn` threw.
   */
  async watch(fn) {
    const hits = new Set();
    const sample = () => {
      this.processSamples++;
      sampleProcesses(this.sentinels, hits);
    };
    let output = "";
    const originals = { out: process.stdout.write, err: process.stderr.write };
    const tap = (orig) =>
      function (chunk, ...rest) {
        output += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
        return orig.call(this, chunk, ...rest);
      };
    process.stdout.write = tap(originals.out);
    process.stderr.write = tap(originals.err);
    const timer = setInterval(sample, 1);
    let outcome;
    try {
      outcome = { result: await fn() };
    } catch (error) {
      outcome = { error };
    } finally {
      clearInterval(timer);
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
      sample();
    }
    this.checks++;
    assert.deepEqual([...hits], [], "a sentinel password appeared in a process's argv or environment");
    this.text("provider stdout/stderr", output);
    if (outcome.error) this.error(outcome.error);
    else if (outcome.result && typeof outcome.result === "object") this.state(outcome.result);
    return outcome;
  }
}

module.exports = { SentinelScan, plaintextState };
