const before = new Set(Object.keys(require.cache));
const m0 = process.memoryUsage();
const sdkFirst = process.argv[2] === "sdk";
if (sdkFirst) { require("@pulumi/pulumi"); require("@pulumi/pulumi/dynamic"); }
const mid = new Set(Object.keys(require.cache));
const m1 = process.memoryUsage();
require("/work/wt-rss/dist/bmcUser/provider.js");
const m2 = process.memoryUsage();
const added = Object.keys(require.cache).filter((k) => !mid.has(k));
const byPkg = {};
for (const k of added) { const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(k); const p = m ? m[1] : (k.includes("/dist/") ? "dist" : k); byPkg[p] = (byPkg[p]||0)+1; }
console.log("sdk modules", mid.size - before.size, "rss", (m1.rss/1048576).toFixed(1));
console.log("added by provider", added.length, byPkg, "rss", (m2.rss/1048576).toFixed(1), "heapUsed", (m2.heapUsed/1048576).toFixed(1));
