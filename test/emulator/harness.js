"use strict";
// Shared setup for the BmsPassword emulator tests: one emulator per test, a virtual clock shared by the provider and
// the emulator (sleep advances it, so backoff, Retry-After, rate-limit windows and job polling cost no wall time),
// fresh token buckets, and captured log lines.
const { createBmsEmulator, DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT } = require("./bms-emulator");
const runtime = require("../../dist/bmsPassword/runtime");
const { newBucketSet } = require("../../dist/transport/huaweicloud/buckets");

async function setup(options = {}) {
    const clock = { t: Date.UTC(2026, 10, 21, 12, 0, 0) };
    const emu = createBmsEmulator({ now: () => clock.t, ...(options.emulator || {}) });
    const url = await emu.start();
    const logs = [];
    const sleeps = [];
    const env = { HW_ACCESS_KEY: DEFAULT_AK, HW_SECRET_KEY: DEFAULT_SK, HW_PROJECT_ID: DEFAULT_PROJECT, ...(options.env || {}) };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    runtime.setHuaweiConfig(options.config || {});
    runtime.setBmsPasswordRuntime({
        now: () => new Date(clock.t + (options.clientSkewMs || 0)),
        sleep: async (ms) => {
            sleeps.push(ms);
            clock.t += ms;
        },
        random: () => 0.5,
        buckets: newBucketSet(),
        log: (line) => logs.push(line),
        timeoutMs: options.timeoutMs || 2000,
        attempts: 4,
        baseDelayMs: 1000,
        maxDelayMs: 30000,
        env: () => env,
        ...(options.runtime || {}),
    });
    return {
        emu,
        url,
        clock,
        logs,
        sleeps,
        env,
        async teardown() {
            runtime.setBmsPasswordRuntime({});
            runtime.setHuaweiConfig({});
            await emu.close();
        },
    };
}

/** Runs fn and returns the error it throws (fails the test when it does not throw). */
async function rejection(fn) {
    try {
        await fn();
    } catch (e) {
        return e;
    }
    throw new Error("expected a rejection");
}

module.exports = { setup, rejection, DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT };
