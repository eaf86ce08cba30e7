"use strict";
// Tiers: unit (pure, no processes but fixture executables), emulator (BmsPassword against a local Huawei BMS
// emulator), sim (real ipmitool against ipmi_sim BMCs), faults (sim BMCs behind injected faults), peers (the virtual BMC
// lab of provider/lab against ipmitool, FreeIPMI and pyghmi, and the provider on it) and engine (the real
// dynamic-provider process driven by a model of the engine's rules, against both). The sim, faults, peers and engine
// tiers are mandatory: they fail loudly when ipmi_sim, ipmitool, FreeIPMI or pyghmi is missing.
module.exports = {
  spec: ["test/unit/**/*.test.js", "test/emulator/**/*.test.js", "test/sim/**/*.test.js", "test/faults/**/*.test.js", "test/peers/**/*.test.js", "test/engine/**/*.test.js"],
  require: ["test/lab/hooks.js"],
  timeout: 60000,
  reporter: "spec",
};
