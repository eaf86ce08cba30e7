"use strict";
// The error family, redaction, retries and the concurrency limits every resource shares.
const assert = require("node:assert/strict");
const { CredentialsError, PartialFailureError } = require("../../dist/shared/errors");
const { redact, registerSecrets, REDACTED } = require("../../dist/shared/redact");
const { withRetry, backoffDelay } = require("../../dist/shared/retry");
const { KeyedMutex, Semaphore, sharedLimits, withBmcSession } = require("../../dist/shared/limiter");

describe("unit: errors and redaction", () => {
  it("redacts registered secrets, their hex spellings, and extra secrets, in one pass", () => {
    registerSecrets("Registered-Secret-1");
    const hex = [...Buffer.from("Registered-Secret-1")].map((b) => `0x${b.toString(16)}`).join(" ");
    const out = redact(`a Registered-Secret-1 b ${hex} c Extra-Secret-2`, ["Extra-Secret-2"]);
    assert.equal(out, `a ${REDACTED} b ${REDACTED} c ${REDACTED}`);
  });

  it("the compiled pattern follows the registry: a secret registered after a redaction is removed by the next one", () => {
    const first = `first-secret-${Math.random().toString(36).slice(2)}`;
    const later = `later-${first}-longer`;
    registerSecrets(first);
    assert.equal(redact(`a ${first} b`), "a [secret] b");
    assert.equal(redact(`a ${later} b`), `a later-[secret]-longer b`, "not registered yet: only the part that is");
    registerSecrets(later);
    assert.equal(redact(`a ${later} b`), "a [secret] b", "registered now: removed whole, longest first");
    const extra = `extra-${first}-x`;
    assert.equal(redact(`${extra}`, [extra]), "[secret]", "an unregistered extra containing a registered secret is removed whole");
  });

  it("does not garble text with very short values", () => {
    registerSecrets("a", "ab", "xyz");
    assert.equal(redact("a cab"), "a cab");
  });

  it("CredentialsError redacts message, hint, context and cause at construction, and keeps a stable code", () => {
    const secret = "Sentinel-Err-314";
    const cause = new Error(`spawn failed with ${secret}`);
    const e = new CredentialsError("BMC_TIMEOUT", {
      message: `stalled after ${secret}`,
      hint: `retry ${secret}`,
      context: { host: "h", note: secret },
      cause,
      secrets: [secret],
      transient: true,
    });
    assert.equal(e.code, "BMC_TIMEOUT");
    assert.equal(e.transient, true);
    for (const text of [e.message, e.hint, String(e.context.note), e.cause.message, e.stack]) {
      assert.ok(!text.includes(secret), text);
    }
    assert.notEqual(e.cause, cause, "the original cause object (and its stack) is not kept");
    assert.match(e.message, /^BMC_TIMEOUT: .* \[host=h note=\[secret\]\] — retry \[secret\]$/);
  });

  it("PartialFailureError carries id, properties and reasons built from the redacted message", () => {
    const inner = new CredentialsError("BMC_READBACK_MISMATCH", { message: "Sentinel-Partial-1 mismatch", secrets: ["Sentinel-Partial-1"] });
    const p = new PartialFailureError("h:623/ch1/user3", { __provider: "x" }, inner);
    assert.equal(p.id, "h:623/ch1/user3");
    assert.equal(p.properties.__provider, "x");
    assert.equal(p.reasons.length, 1);
    assert.ok(!p.reasons[0].includes("Sentinel-Partial-1"));
    assert.equal(p.code, "BMC_READBACK_MISMATCH");
  });
});

describe("unit: retry", () => {
  const transient = Object.assign(new Error("t"), { transient: true });
  const fatal = new Error("f");
  const isTransient = (e) => e.transient === true;

  it("retries transient failures up to the bound, then throws the last one", async () => {
    const sleeps = [];
    let calls = 0;
    await assert.rejects(
      withRetry(async () => { calls++; throw transient; }, { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000, isTransient, sleep: async (ms) => sleeps.push(ms), random: () => 0.999 }),
      /t/,
    );
    assert.equal(calls, 3);
    assert.deepEqual(sleeps, [99, 199]);
  });

  it("never retries a non-transient failure (e.g. a rejected password)", async () => {
    let calls = 0;
    await assert.rejects(withRetry(async () => { calls++; throw fatal; }, { attempts: 5, baseDelayMs: 1, maxDelayMs: 1, isTransient, sleep: async () => {} }));
    assert.equal(calls, 1);
  });

  it("honours a server-requested delay, capped", async () => {
    const sleeps = [];
    let calls = 0;
    const r = await withRetry(async () => { if (++calls < 2) throw transient; return "ok"; }, { attempts: 3, baseDelayMs: 1, maxDelayMs: 5000, isTransient, retryAfterMs: () => 9000, sleep: async (ms) => sleeps.push(ms) });
    assert.equal(r, "ok");
    assert.deepEqual(sleeps, [5000]);
  });

  it("full-jitter backoff stays under the exponential ceiling and the cap", () => {
    assert.equal(backoffDelay(1, 500, 4000, () => 0.5), 250);
    assert.equal(backoffDelay(4, 500, 4000, () => 0.99), 3960);
    assert.equal(backoffDelay(10, 500, 4000, () => 0), 0);
  });
});

describe("unit: per-BMC mutex and global session cap", () => {
  it("serialises work on one key and runs different keys concurrently", async () => {
    const m = new KeyedMutex();
    const log = [];
    const job = (key, name, ms) => m.run(key, async () => { log.push(`+${name}`); await new Promise((r) => setTimeout(r, ms)); log.push(`-${name}`); });
    await Promise.all([job("a", "a1", 20), job("a", "a2", 1), job("b", "b1", 5)]);
    assert.ok(log.indexOf("-a1") < log.indexOf("+a2"), log.join(" "));
    assert.ok(log.indexOf("+b1") < log.indexOf("-a1"), log.join(" "));
    assert.equal(m.activeKeys, 0, "idle keys are dropped");
  });

  it("a failing job releases the key", async () => {
    const m = new KeyedMutex();
    await assert.rejects(m.run("k", async () => { throw new Error("x"); }));
    assert.equal(await m.run("k", async () => 7), 7);
  });

  it("the semaphore never lets more than its capacity run", async () => {
    const s = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 12 }, () => s.run(async () => {
      running++; peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
    })));
    assert.equal(peak, 3);
    assert.equal(s.inUse, 0);
  });

  it("a held tail (a session closing) frees the BMC at once but keeps its global slot until it settles", async () => {
    const slots = sharedLimits().sessions;
    const base = slots.inUse;
    let finishClose;
    const closing = new Promise((r) => (finishClose = r));
    const first = await withBmcSession("tail:1", async (holdSlot) => {
      holdSlot(closing);
      return "done";
    });
    assert.equal(first, "done");
    // The same BMC's next operation runs while the first session is still closing...
    assert.equal(await withBmcSession("tail:1", async () => slots.inUse - base), 2);
    // ...and the closing session still counts against the cap until it has exited.
    assert.equal(slots.inUse - base, 1);
    finishClose();
    await new Promise((r) => setImmediate(r));
    assert.equal(slots.inUse - base, 0);
  });
});
