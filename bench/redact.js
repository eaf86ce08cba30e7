"use strict";
/**
 * `npm run bench -- --redact`: the cost of redacting one retry log line while a deployment's passwords are registered,
 * for the shipped `redact` (the registry's pattern compiled once per change) against the baseline it replaced (the
 * pattern rebuilt on every call), side by side in the same process. Every `CredentialsError` redacts its message, hint
 * and each context value, so an error costs about ten of these.
 */
const { redact, registerSecrets } = require("../dist/shared/redact");

/** The previous algorithm, kept here only as the baseline: build the alternation of every secret on each call. */
function baselineRedact(text, secrets) {
  const forms = new Set();
  for (const s of secrets) {
    forms.add(s);
    const bytes = [...Buffer.from(s, "latin1")].map((b) => b.toString(16).padStart(2, "0"));
    forms.add(bytes.map((b) => `0x${b}`).join(" "));
    forms.add(bytes.join(" "));
  }
  const pattern = [...forms].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
  return text.replace(new RegExp(pattern, "g"), "[secret]");
}

function time(fn, n) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t) / 1e6 / n;
}

const LINE =
  "huaweicloud: PUT reset attempt 1 failed (HWC_RATE_LIMITED: PUT reset failed with HTTP 429 APIGW.0308: The throttling threshold has been reached [api=reset serverId=77616c78-0bc4-4156-b24b-4286586ac350 status=429]); retrying in 500 ms";
const secrets = [];
console.log("redact: one retry log line, ms per call (median of 3 runs)");
console.log("  registered secrets   baseline    shipped    ratio");
for (const target of [10, 100, 1000, 3000]) {
  while (secrets.length < target) {
    const s = `Fleet-Pw-${secrets.length.toString(16).padStart(8, "0")}!`;
    secrets.push(s);
    registerSecrets(s);
  }
  const n = target >= 1000 ? 50 : 200;
  const median = (f) => [f(), f(), f()].sort((a, b) => a - b)[1];
  const base = median(() => time(() => baselineRedact(LINE, secrets), n));
  const ours = median(() => time(() => redact(LINE), n));
  if (baselineRedact(`${LINE} ${secrets[0]}`, secrets) !== redact(`${LINE} ${secrets[0]}`)) throw new Error("the two disagree");
  console.log(`  ${String(target).padStart(18)}   ${base.toFixed(3).padStart(8)}   ${ours.toFixed(3).padStart(8)}   ${(base / ours).toFixed(0).padStart(5)}×`);
}
