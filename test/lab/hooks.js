"use strict";
// Mocha root hooks: whatever happens in a test file, every simulator the lab started is stopped by PID at the end.
const { killAllSync } = require("./lab");

// BmsPassword falls back to the ECS metadata service when no credentials are configured. No test may send a packet to
// the real 169.254.169.254: every test process (and the provider processes it starts, which inherit it where the
// harness passes it on) points the metadata seam at a loopback port nothing listens on, unless a test sets its own.
process.env.PULUMI_BMC_HW_METADATA_URL ??= "http://127.0.0.1:1/openstack/latest/securitykey";

exports.mochaHooks = {
  afterAll() {
    killAllSync();
  },
};
