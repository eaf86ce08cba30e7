"use strict";
// The smallest program: one operator account on one BMC. Stack config:
//   pulumi config set bmcHost 10.0.0.5
//   pulumi config set --secret bmcAdmin '<current ADMIN password>'
//   pulumi config set --secret opsPw "$(openssl rand -base64 15)"   # 20 characters
// Optional: bmcPort (default 623), bmcCipherSuite (17, or 3 for BMCs without SHA-256 suites).
const pulumi = require("@pulumi/pulumi");
const { BmcUser } = require("pulumi-bmc-credentials");

const cfg = new pulumi.Config();
const ops = new BmcUser("ops", {
  bmc: {
    host: cfg.require("bmcHost"),
    port: cfg.getNumber("bmcPort"),
    cipherSuite: cfg.getNumber("bmcCipherSuite"),
    username: "ADMIN",
    password: cfg.requireSecret("bmcAdmin"),
  },
  username: "ops",
  password: cfg.requireSecret("opsPw"),
  privilege: "operator",
});

exports.opsSlot = ops.userId;
exports.opsPasswordState = ops.passwordState;
