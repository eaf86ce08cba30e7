"use strict";
// Mocha root hooks: whatever happens in a test file, every simulator the lab started is stopped by PID at the end.
const { killAllSync } = require("./lab");

exports.mochaHooks = {
  afterAll() {
    killAllSync();
  },
};
