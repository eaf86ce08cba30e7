const mb = (x) => (x / 1048576).toFixed(1);
const show = (l) => { const m = process.memoryUsage(); console.log(l, "rss", mb(m.rss), "heapUsed", mb(m.heapUsed), "ext", mb(m.external), "ab", mb(m.arrayBuffers)); };
show("start");
require("@pulumi/pulumi/cmd/dynamic-provider/config"); require("@pulumi/pulumi/runtime"); require("@grpc/grpc-js"); require("@pulumi/pulumi/proto/provider_grpc_pb");
show("sdk");
for (const m of process.argv.slice(2)) { require(m); show(m); }
