// diagnostic: host RSS idle, after Configure, after one Check (loads our module)
const fs = require("fs");
const { installConsumer, removeConsumer, registrations } = require("../test/harness/consumer");
const { startProviderHost } = require("../test/harness/provider-host");
const { reveal } = require("../test/harness/engine");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const st = (pid) => { const s = fs.readFileSync(`/proc/${pid}/status`, "utf8"); return { rss: +(+/VmRSS:\s+(\d+)/.exec(s)[1] / 1024).toFixed(1), hwm: +(+/VmHWM:\s+(\d+)/.exec(s)[1] / 1024).toFixed(1) }; };
(async () => {
  const dir = installConsumer(); if (process.env.TRIVIAL) require("fs").writeFileSync(dir + "/node_modules/pulumi-bmc-credentials/dist/bmcUser/provider.js", "exports.check = async (o, n) => ({ inputs: n, failures: [] });");
  try {
    const [reg] = registrations(dir, { v: [{ kind: "BmcUser", name: "x", args: { bmc: { host: "127.0.0.1", port: 9001, username: "admin", password: "adminpw1" }, userId: 3, username: "u3", password: "Fleet-pw-1234", privilege: "user" } }] }).v;
    const host = await startProviderHost({ programDir: dir, project: "consumer", env: process.env.HOST_NODE_OPTIONS ? { NODE_OPTIONS: process.env.HOST_NODE_OPTIONS } : {} });
    await sleep(1500); console.log("started", st(host.pid));
    await host.configure({}); await sleep(1500); console.log("configured", st(host.pid));
    const r = await host.check("urn:pulumi:test::consumer::pulumi-nodejs:dynamic:Resource::x", {}, reveal(reg.inputs));
    await sleep(1500); console.log("one check", st(host.pid), r.failures);
    for (let i = 0; i < 1000; i++) await host.check("urn:pulumi:test::consumer::pulumi-nodejs:dynamic:Resource::x", {}, reveal(reg.inputs));
    await sleep(500); console.log("1000 checks", st(host.pid));
    await host.stop?.();
    try { process.kill(host.pid); } catch {}
  } finally { removeConsumer(dir); }
})();
