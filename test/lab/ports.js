"use strict";
/**
 * Ports the lab has handed out in this test process. The provider keeps what it learnt about a BMC (identity, LAN
 * channel, rejected logins) per address and port for the life of the process, as it does for one `pulumi up`; a test
 * process starts hundreds of simulators and proxies, and a later one landing on a port an earlier one used would look
 * like the same BMC. The lab therefore never hands out a port twice in one process.
 */
const used = new Set();

/** Records `port` as handed out; false when it was handed out before in this process. */
function claimPort(port) {
  if (used.has(port)) return false;
  used.add(port);
  return true;
}

module.exports = { claimPort };
