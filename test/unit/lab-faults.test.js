"use strict";
// The lab's fault plan (provider/lab/faults.ts) as decisions: which datagram is dropped, which command is busy or
// broken. The peers tier shows the same faults as ipmitool, FreeIPMI and pyghmi meet them.
const assert = require("node:assert/strict");
const { Faults } = require("../../dist/lab/faults");

describe("unit: lab fault plan", () => {
  it("drop: the next N in the chosen direction only; a rate uses the injected randomness; counted", () => {
    const f = new Faults(() => 0.5);
    f.set({ drop: { next: 2 } });
    assert.deepEqual([f.drop("out"), f.drop("in"), f.drop("in"), f.drop("in")], [false, true, true, false]);
    f.set({ drop: { next: 1, direction: "out" } });
    assert.deepEqual([f.drop("in"), f.drop("out"), f.drop("out")], [false, true, false]);
    f.set({ drop: { rate: 0.6, direction: "both" } });
    assert.deepEqual([f.drop("in"), f.drop("out")], [true, true]);
    f.set({ drop: { rate: 0.4 } });
    assert.equal(f.drop("in"), false);
    assert.equal(f.dropped, 5);
  });

  it("busy: the next N commands (or only one netFn/cmd), never the session layer; 0xFF for every command when broken", () => {
    const f = new Faults();
    f.set({ busy: { count: 1, netFn: 0x06, cmd: 0x47 } });
    assert.equal(f.commandCompletion(0x06, 0x44), undefined);
    assert.equal(f.commandCompletion(0x06, 0x47), 0xc0);
    assert.equal(f.commandCompletion(0x06, 0x47), undefined);
    f.set({ busy: {} });
    assert.equal(f.commandCompletion(0x2c, 0x3e), 0xc0);
    assert.equal(f.commandCompletion(0x06, 0x3b), undefined, "Set Session Privilege Level is the session layer");
    assert.equal(f.commandCompletion(0x06, 0x3c), undefined, "Close Session too");
    f.set({ unspecified: true });
    assert.equal(f.commandCompletion(0x06, 0x01), 0xff);
    f.clear();
    assert.equal(f.commandCompletion(0x06, 0x01), undefined);
  });

  it("stall scopes, delay with jitter, garbage count, impostor", () => {
    const f = new Faults(() => 0.5);
    f.set({ stall: { scope: "session" } });
    assert.deepEqual([f.stalls(false), f.stalls(true)], [false, true]);
    f.set({ stall: { scope: "all" }, delay: { ms: 100, jitterMs: 40 }, garbage: {}, impostor: true });
    assert.deepEqual([f.stalls(false), f.delayMs(), f.garbageCount(), f.impostor], [true, 120, 1, true]);
    f.clear();
    assert.deepEqual([f.stalls(true), f.delayMs(), f.garbageCount(), f.impostor], [false, 0, 0, false]);
  });
});
