"use strict";
// Unit: the remote wrapper's own failures, classified from what the real wrapper prints. The wrapper command line
// (`remoteCommand`) runs here under bash with a PATH made for the case, as an SSH server would run it for a user whose
// PATH lacks a program.
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { classifyRemoteFailure, remoteCommand } = require("../../dist/transport/ssh/remote");

const CTX = { sshHost: "web01", sshPort: 22, sshUser: "ipmi" };

function which(cmd) {
  const r = spawnSync("bash", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.stdout.trim();
}

/** What the remote wrapper prints, run by the login shell `shell` (absolute path, as sshd runs it), with only `programs` on PATH. */
function wrapperOutput(programs, shell = "bash") {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "remote-path-"));
  try {
    for (const p of programs) fs.symlinkSync(which(p), path.join(dir, p));
    const command = remoteCommand(["-I", "open", "-V"], { password: false, sudo: false });
    const r = spawnSync(which(shell), ["-c", command], { encoding: "utf8", env: { PATH: dir }, input: "" });
    return `${r.stdout}${r.stderr}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("unit: remote wrapper failures name the missing program", () => {
  it("no stdbuf on the remote PATH: TOOL_MISSING naming stdbuf and the host", () => {
    const e = classifyRemoteFailure(wrapperOutput(["bash", "ipmitool", "cat"]), CTX, false);
    assert.equal(e?.code, "TOOL_MISSING", e?.message);
    assert.match(e.message, /web01 has no stdbuf/);
  });

  it("no bash on the remote PATH: TOOL_MISSING naming bash", () => {
    const e = classifyRemoteFailure(wrapperOutput(["ipmitool", "cat", "stdbuf"], "sh"), CTX, false);
    assert.equal(e?.code, "TOOL_MISSING");
    assert.match(e.message, /web01 has no bash/);
  });

  it("no ipmitool on the remote PATH: IPMITOOL_MISSING (the wrapper's own check)", () => {
    const e = classifyRemoteFailure(wrapperOutput(["bash", "cat", "stdbuf"]), CTX, false);
    assert.equal(e?.code, "IPMITOOL_MISSING");
  });
});
