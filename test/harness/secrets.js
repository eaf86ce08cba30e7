"use strict";
const assert = require("node:assert/strict");

/** Fails naming where a sentinel password appeared, without printing the text around it (which would leak it too). */
function assertNoSentinel(sentinels, text, where) {
  for (const s of sentinels) {
    assert.ok(!String(text).includes(s), `a sentinel password appeared in ${where}`);
  }
}

module.exports = { assertNoSentinel };
