"use strict";
/**
 * A discrete-event clock for driving many concurrent provider operations against the emulator without waiting in real
 * time. Time stands still while any task runs (its HTTP requests take no virtual time); when every task is asleep, the
 * clock jumps to the earliest wake-up and releases every sleeper due then. Runs are therefore deterministic in virtual
 * time, however loaded the machine: a 10-minute rate-limited schedule takes a few seconds.
 *
 * Use `now` and `sleep` for both the provider runtime and the emulator, and run each operation inside `task()`.
 */
class VirtualClock {
  constructor(startMs) {
    this.t = startMs;
    this.t0 = startMs;
    this.sleepers = [];
    this.running = 0;
    this.seq = 0;
    this.scheduled = false;
    this.now = () => this.t;
    this.sleep = (ms) =>
      new Promise((resolve) => {
        this.sleepers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve });
        this.running--;
        this.kick();
      });
  }

  /** Runs `fn` as one task of the simulation (its sleeps go through this clock). */
  async task(fn) {
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.kick();
    }
  }

  kick() {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.advance();
    });
  }

  advance() {
    if (this.running > 0 || this.sleepers.length === 0) return;
    this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.t = Math.max(this.t, this.sleepers[0].at);
    while (this.sleepers.length && this.sleepers[0].at <= this.t) {
      this.running++;
      this.sleepers.shift().resolve();
    }
  }
}

module.exports = { VirtualClock };
