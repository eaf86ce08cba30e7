require("source-map-support/register");
const mb = (x) => (x / 1048576).toFixed(1);
const show = (l) => { const m = process.memoryUsage(); console.log(l, "rss", mb(m.rss), "heapUsed", mb(m.heapUsed), "ext", mb(m.external), "ab", mb(m.arrayBuffers)); };
require("@pulumi/pulumi/runtime");
show("sdk");
const p = require("./dist/bmcUser/provider.js"); show("provider");
const news = { bmc: { host: "127.0.0.1", port: 9001, username: "admin", password: "adminpw1" }, userId: 3, username: "u3", password: "Fleet-pw-1234", privilege: "user" };
(async () => {
  const r = await p.check({}, news); show("check1"); console.log(JSON.stringify(r).slice(0, 200));
  await p.check({}, news); show("check2");
})();
