"use strict";
// ipmitool exits 1 for nearly everything: the failure class comes from its text. These are the texts observed against
// ipmi_sim and documented for real BMCs.
const assert = require("node:assert/strict");
const { classifyLoginFailure, completionCodeOf, isNoise } = require("../../dist/transport/ipmitool/classify");
const { completionError } = require("../../dist/ipmi/session");

/** ipmitool's line for a failed raw command → the completion code (transport) → its meaning (IPMI layer). */
function classifyCommandFailure(line, label, ctx) {
  const cc = completionCodeOf(line);
  return cc === undefined ? { code: "BMC_TIMEOUT", transient: true } : completionError(cc, label, ctx);
}

const ctx = { host: "10.0.0.5", port: 623, username: "ADMIN", userId: 4, channel: 1 };

describe("unit: ipmitool failure classification", () => {
  const cases = [
    ["> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_LOGIN_REJECTED", false, "password"],
    ["RAKP 2 message indicates an error : unauthorized name\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_LOGIN_REJECTED", false, "user"],
    ["Get Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_UNREACHABLE", true],
    ["Address lookup for nonexistent.invalid failed\nCould not open socket!\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_DNS_FAILED", false],
    ["Error in open session response message : invalid authentication algorithm\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_CIPHER_REFUSED", false],
    ["Error in open session response message : insufficient resources for session\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_SESSION_LIMIT", true],
    ["ipmitool: lanplus.c:1839: ipmi_lanplus_build_v2x_msg: Assertion '0' failed.", "BMC_CIPHER_REFUSED", false],
    // ipmitool 1.8.19 lanplus.c: a refusal prints the completion code after a colon; no answer prints nothing after "failed".
    ["Set Session Privilege Level to ADMINISTRATOR failed: Unknown (0x81)\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_INSUFFICIENT_PRIVILEGE", false],
    ["Set Session Privilege Level to ADMINISTRATOR failed\nError: Unable to establish IPMI v2 / RMCP+ session", "BMC_TIMEOUT", true],
    ["something nobody has seen before", "IPMITOOL_FAILED", false],
  ];
  for (const [text, code, transient, reason] of cases) {
    it(`login: ${text.split("\n")[0].slice(0, 60)} → ${code}`, () => {
      const e = classifyLoginFailure(text, ctx, 17);
      assert.equal(e.code, code);
      assert.equal(e.transient, transient);
      assert.equal(e.context.host, "10.0.0.5");
      if (reason) assert.equal(e.context.reason, reason);
      assert.ok(e.hint.length > 20, "every failure says what to do");
    });
  }

  it("cipher refusal names the other suite to try", () => {
    assert.match(classifyLoginFailure("invalid authentication algorithm", ctx, 17).hint, /cipherSuite to 3/);
  });

  it("command failures map completion codes; 0xC0/0xC3/0xFF are transient, the rest are not", () => {
    const line = (cc) => `Unable to send RAW command (channel=0x0 netfn=0x6 lun=0x0 cmd=0x45 rsp=0x${cc}): text`;
    assert.equal(classifyCommandFailure(line("d4"), "Set User Name", ctx).code, "BMC_INSUFFICIENT_PRIVILEGE");
    assert.equal(classifyCommandFailure(line("c1"), "Set User Name", ctx).code, "BMC_UNSUPPORTED_COMMAND");
    const cc = classifyCommandFailure(line("cc"), "Set User Name", ctx);
    assert.equal(cc.code, "BMC_COMMAND_REJECTED");
    assert.equal(cc.context.completionCode, "0xcc");
    assert.match(cc.hint, /already exist/);
    assert.equal(cc.context.slot, 4);
    assert.equal(cc.transient, false);
    assert.match(classifyCommandFailure(line("c8"), "Set User Password", ctx).hint, /16 characters/);
    for (const t of ["c0", "c3", "ff"]) assert.equal(classifyCommandFailure(line(t), "x", ctx).transient, true);
  });

  it("0xC9 on a user-management command names the userId it addressed; elsewhere it stays a rejected command", () => {
    const codec = require("../../dist/ipmi/commands");
    for (const c of [codec.setUserName(17, "far"), codec.getUserName(17), codec.getUserAccess(1, 17), codec.setUserPassword(17, "Abcdefgh-1")]) {
      const e = completionError(0xc9, c.label, ctx, c);
      assert.equal(e.code, "BMC_SLOT_OUT_OF_RANGE", c.label);
      assert.match(e.message, /userId 17 is beyond this BMC's user slots/);
      assert.equal(e.context.slot, 17);
    }
    assert.equal(completionError(0xc9, "Get Channel Info", ctx, codec.getChannelInfo(9)).code, "BMC_COMMAND_REJECTED");
  });

  it("a raw failure without rsp= is no completion code: the BMC did not answer", () => {
    assert.equal(completionCodeOf("Unable to send RAW command (channel=0x0 netfn=0x6 lun=0x0 cmd=0x44)"), undefined);
    assert.equal(completionCodeOf("Unable to send RAW command (channel=0x0 netfn=0x6 lun=0x0 cmd=0x44 rsp=0xcc): x"), 0xcc);
  });

  it("vendor probe chatter and -v headers are noise, data lines are not", () => {
    assert.ok(isNoise("Get HPM.x Capabilities request failed, compcode = d4"));
    assert.ok(isNoise("RAW REQ (channel=0x0 netfn=0x6 lun=0x0 cmd=0x47 data_len=18)"));
    assert.ok(!isNoise(" 3f 01 00 14"));
  });
});

describe("unit: LAN channel detection", () => {
  const { detectLanChannel } = require("../../dist/ipmi/accounts");
  const ctx = { host: "10.0.0.5", port: 623 };
  const failing = (rsp) => ({
    run: async () => [{ ok: false, error: classifyCommandFailure(`Unable to send RAW command (channel=0x0 netfn=0x6 lun=0x0 cmd=0x42 rsp=${rsp}): x`, "Get Channel Info", ctx) }],
  });

  it("a BMC answering 0xFF to everything is reported as that (transient), not as a missing LAN channel", async () => {
    await assert.rejects(detectLanChannel(failing("0xff"), ctx), (e) => e.code === "BMC_COMMAND_REJECTED" && e.transient && e.context.completionCode === "0xff");
  });

  it("channels that do not exist (0xCC) are skipped until none is left", async () => {
    await assert.rejects(detectLanChannel(failing("0xcc"), ctx), (e) => e.code === "BMC_NO_LAN_CHANNEL");
  });
});
