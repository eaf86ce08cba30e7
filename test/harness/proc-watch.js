"use strict";
/**
 * Samples every process's argv and environment (`/proc/<pid>/cmdline`, `environ`) and records each one that contains
 * a sentinel password. Processes of other users are unreadable and skipped.
 */
const fs = require("node:fs");

/** One pass over /proc; adds `<pid>/<file>` to `hits` for every sentinel found. */
function sampleProcesses(sentinels, hits) {
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    for (const file of ["cmdline", "environ"]) {
      try {
        const text = fs.readFileSync(`/proc/${pid}/${file}`, "latin1");
        for (const s of sentinels) if (text.includes(s)) hits.add(`${pid}/${file}`);
      } catch {
        // gone, or not ours to read
      }
    }
  }
}

/** Samples every millisecond while `fn` runs; returns its result and the leaks seen. */
async function watchProcesses(sentinels, fn) {
  const hits = new Set();
  const timer = setInterval(() => sampleProcesses(sentinels, hits), 1);
  let result;
  try {
    result = await fn();
  } finally {
    clearInterval(timer);
    sampleProcesses(sentinels, hits);
  }
  return { result, leaks: [...hits] };
}

module.exports = { watchProcesses, sampleProcesses };
