"use strict";
// Tiers: unit (pure, no processes but fixture executables), emulator (BmsPassword against a local Huawei API emulator),
// sim (real ipmitool against ipmi_sim BMCs) and faults (sim BMCs behind injected faults).
// The sim tier is mandatory: the lab fails loudly when ipmi_sim or ipmitool is missing.
module.exports = {
  spec: ["test/unit/**/*.test.js", "test/emulator/**/*.test.js", "test/sim/**/*.test.js", "test/faults/**/*.test.js"],
  require: ["test/lab/hooks.js"],
  timeout: 60000,
  reporter: "spec",
};
