"use strict";
// Tiers: unit (pure, no processes but fixture executables), emulator (BmsPassword against a local Huawei BMS
// emulator), sim (the provider against ipmi_sim BMCs, and the native RMCP+ client against ipmi_sim, pyghmi and
// libfreeipmi), faults (sim BMCs behind injected faults, hostile RMCP+ peers), peers (the virtual BMC lab of
// provider/lab against ipmitool, FreeIPMI and pyghmi, and the provider on it) and engine (the real dynamic-provider
// process driven by a model of the engine's rules, against both). This run uses the native transport; `npm test` then
// runs the sim and fault tiers again over ipmitool (`npm run test:ipmitool`, BMC_TEST_TRANSPORT=ipmitool): one
// matrix, the same files. The sim, faults, peers and engine tiers are mandatory: they fail loudly when ipmi_sim,
// ipmitool, FreeIPMI or pyghmi is missing.
module.exports = {
  spec: ["test/unit/**/*.test.js", "test/emulator/**/*.test.js", "test/sim/**/*.test.js", "test/faults/**/*.test.js", "test/peers/**/*.test.js", "test/engine/**/*.test.js"],
  require: ["test/lab/hooks.js"],
  timeout: 60000,
  reporter: "spec",
};
