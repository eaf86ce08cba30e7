"use strict";
/**
 * Resets the passwords of a fleet of emulated BMS servers through the BmsPassword provider, `parallel` operations at
 * a time (as the engine would), under a virtual clock shared by the provider and the emulator, and reports the rate
 * the emulator saw. Used by `npm run bench -- --bms` and by the emulator tier.
 */
const { createBmsEmulator, DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT } = require("./bms-emulator");
const { VirtualClock } = require("./virtual-clock");
const runtime = require("../../dist/bmsPassword/runtime");
const provider = require("../../dist/bmsPassword/provider");
const { newBucketSet } = require("../../dist/transport/huaweicloud/buckets");

/**
 * @param {{ servers?: number, parallel?: number, limitPerMinute?: number, clientLimits?: object, emulator?: object,
 *   env?: (emu) => Promise<object>, runtime?: object }} options
 *   `clientLimits` replaces the client's documented limits (to show what happens to a client that exceeds them);
 *   `emulator` adds emulator options; `env(emu)` gives the credentials' environment (default: the emulator's static
 *   key pair); `runtime` (an object, or a function of the emulator) adds provider runtime overrides.
 * @returns {Promise<{ resets: number, throttled: number, requests: Record<string, number>, firstMs: number,
 *   lastMs: number, perMinute: number, allowedPerMinute: number, shareOfAllowed: number, realMs: number,
 *   windowMax: number }>}
 */
async function resetFleet({ servers = 500, parallel = 16, limitPerMinute = 50, clientLimits, emulator = {}, env: makeEnv, runtime: extra = {} } = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 21, 12, 0, 0));
  const emu = createBmsEmulator({ now: clock.now, ...emulator, limits: { reset: limitPerMinute, ...(emulator.limits || {}) } });
  const url = await emu.start();
  const env = makeEnv ? { HW_PROJECT_ID: DEFAULT_PROJECT, ...(await makeEnv(emu)) } : { HW_ACCESS_KEY: DEFAULT_AK, HW_SECRET_KEY: DEFAULT_SK, HW_PROJECT_ID: DEFAULT_PROJECT };
  const buckets = clientLimits ? newBucketSet(clientLimits) : newBucketSet();
  runtime.setHuaweiConfig({});
  const more = typeof extra === "function" ? await extra(emu) : extra;
  runtime.setBmsPasswordRuntime({ now: () => new Date(clock.now()), sleep: clock.sleep, buckets, log: () => {}, env: () => env, ...more });
  const started = Date.now();
  try {
    const ids = Array.from({ length: servers }, (_, i) => emu.addServer({ osType: "Linux", password: `Initial-Pw-${i}` }).id);
    let next = 0;
    const failures = [];
    await Promise.all(
      Array.from({ length: Math.min(parallel, servers) }, () =>
        clock.task(async () => {
          while (next < ids.length) {
            const id = ids[next++];
            const { inputs } = await provider.check({}, { serverId: id, password: `Fleet-Pw-${id.slice(0, 8)}!`, endpoint: url, osType: "auto", restart: "never" });
            await provider.create(inputs).catch((e) => failures.push(e));
          }
        }),
      ),
    );
    if (failures.length) throw new Error(`${failures.length} resets failed, first: ${failures[0].message}`);
    const ok = emu.requests.filter((r) => r.api === "reset" && r.status === 204).map((r) => r.at).sort((a, b) => a - b);
    const requests = {};
    for (const r of emu.requests) requests[`${r.api} ${r.status}`] = (requests[`${r.api} ${r.status}`] ?? 0) + 1;
    // The most resets in any 60-second sliding window: never above the limit if the client keeps to it.
    let windowMax = 0;
    for (let i = 0, j = 0; i < ok.length; i++) {
      while (ok[i] - ok[j] >= 60_000) j++;
      windowMax = Math.max(windowMax, i - j + 1);
    }
    const firstMs = ok[0] - clock.t0;
    const lastMs = ok[ok.length - 1] - clock.t0;
    // A client that keeps to L per minute sends its last burst at most one window after its first: N resets need
    // (lastMs - firstMs) + one minute, at best N / L minutes.
    const perMinute = (ok.length * 60_000) / (ok[ok.length - 1] - ok[0] + 60_000);
    // `emu` (for its request log) is not enumerable: the bench writes the result as JSON.
    return Object.defineProperty({
      resets: ok.length,
      throttled: emu.requests.filter((r) => r.status === 429).length,
      requests,
      firstMs,
      lastMs,
      perMinute: +perMinute.toFixed(2),
      allowedPerMinute: limitPerMinute,
      shareOfAllowed: +(perMinute / limitPerMinute).toFixed(4),
      windowMax,
      virtualMinutes: +((ok[ok.length - 1] - ok[0]) / 60_000).toFixed(2),
      realMs: Date.now() - started,
    }, "emu", { value: emu });
  } finally {
    runtime.setBmsPasswordRuntime({});
    await emu.close();
  }
}

module.exports = { resetFleet };
