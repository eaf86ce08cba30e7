"use strict";
/**
 * The engine model (test/harness/engine.js) measuring what the benchmarks report: each provider process's peak RSS
 * (VmHWM, read just before the engine stops it) and the CRUD phase — from the first Create/Read sent to the last one
 * answered. The model sends every Check and Diff first, one at a time, before any Create (the real engine overlaps
 * them with the program's registrations), so an `up`'s wall time holds a serial planning phase that is the model's,
 * not the provider's: the phase is what the provider and its transport do.
 */
const fs = require("node:fs");
const { Engine } = require("../test/harness/engine");

/** Peak resident set of a live process, in MB. */
function vmHwmMb(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? +(Number(m[1]) / 1024).toFixed(1) : NaN;
}

class MeasuredEngine extends Engine {
  async withHost(fn) {
    return super.withHost(async (host) => {
      for (const method of ["create", "read"]) {
        const call = host[method];
        host[method] = async (...a) => {
          this.firstCall ??= Date.now();
          try {
            return await call.apply(host, a);
          } finally {
            this.lastAnswer = Date.now();
          }
        };
      }
      try {
        return await fn(host);
      } finally {
        this.peakRssMb = vmHwmMb(host.pid);
      }
    });
  }

  /** Milliseconds from the first Create/Read sent to the last answered. */
  get phaseMs() {
    return this.lastAnswer - this.firstCall;
  }
}

module.exports = { MeasuredEngine, vmHwmMb };
