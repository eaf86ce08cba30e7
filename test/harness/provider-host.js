"use strict";
/**
 * The dynamic-provider process as the Pulumi engine runs it: `node @pulumi/pulumi/cmd/dynamic-provider <engine>`
 * started in the program directory with `PULUMI_NODEJS_PROJECT` set, its port read from the first stdout line, and
 * every RPC sent through the SDK's own generated gRPC stubs. Values go on the wire as the engine sends them to a
 * provider that answered `acceptSecrets=false`: plain (the caller strips secret envelopes; see engine.js).
 *
 * Everything the process prints after the port is kept in `output`: it is what a user sees in the update log.
 */
const { spawn } = require("node:child_process");
const path = require("node:path");
const { NODE_ARGS, sdkDir } = require("./consumer");

// The client side loads the stubs from the SDK this repository depends on; grpc-js is the SDK's own copy.
const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [SDK] }));
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const providerProto = require("@pulumi/pulumi/proto/provider_pb");
const statusProto = require("@pulumi/pulumi/proto/status_pb");
const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [SDK] }));

const DIFF = { 0: "unknown", 1: "none", 2: "some" };
const START_TIMEOUT_MS = 15000;

/** Struct.fromJavaScript rejects `undefined`; the engine's property maps have no such value either. */
const toStruct = (value) => Struct.fromJavaScript(JSON.parse(JSON.stringify(value ?? {})));

/** Diff and Update requests carry the same fields: olds are the prior outputs, news the checked inputs. */
function oldsAndNews(req, id, urn, olds, news, oldInputs) {
  req.setId(id);
  req.setUrn(urn);
  req.setOlds(toStruct(olds));
  req.setNews(toStruct(news));
  req.setOldInputs(toStruct(oldInputs));
  return req;
}

/** An error from Create/Update, with the `ErrorResourceInitFailed` detail decoded when the provider sent one. */
function decodeError(e) {
  const error = new Error(e.details ?? e.message);
  error.code = e.code;
  const [bin] = e.metadata?.get("grpc-status-details-bin") ?? [];
  if (bin) {
    const status = statusProto.Status.deserializeBinary(bin);
    const [detail] = status.getDetailsList();
    if (detail && detail.getTypeName() === "pulumirpc.ErrorResourceInitFailed") {
      const init = providerProto.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
      error.initFailure = { id: init.getId(), properties: init.getProperties()?.toJavaScript() ?? {}, reasons: init.getReasonsList() };
    }
  }
  return error;
}

/**
 * Starts the host inside `programDir` (a consumer project) and configures it with `config` (keys `<ns>:<key>`;
 * values already wrapped as secret envelopes where the stack holds secrets, as the engine sends them).
 */
async function startProviderHost({ programDir, project, config = {}, env = {} }) {
  const child = spawn(process.execPath, [...NODE_ARGS, path.join(sdkDir(programDir), "cmd/dynamic-provider"), "127.0.0.1:0"], {
    cwd: programDir,
    env: {
      PATH: process.env.PATH,
      PULUMI_NODEJS_PROJECT: project,
      PULUMI_PROJECT: project,
      // Never the real ECS metadata service from a test (see test/lab/hooks.js).
      ...(process.env.PULUMI_BMC_HW_METADATA_URL ? { PULUMI_BMC_HW_METADATA_URL: process.env.PULUMI_BMC_HW_METADATA_URL } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const port = await new Promise((resolve, reject) => {
    let first = "";
    const timer = setTimeout(() => reject(new Error(`dynamic-provider did not print its port: ${output}`)), START_TIMEOUT_MS);
    child.stdout.on("data", (d) => {
      if (first !== undefined) {
        first += d.toString("utf8");
        const nl = first.indexOf("\n");
        if (nl === -1) return;
        output += first.slice(nl + 1);
        clearTimeout(timer);
        resolve(Number(first.slice(0, nl)));
        first = undefined;
      } else {
        output += d.toString("utf8");
      }
    });
    child.stderr.on("data", (d) => (output += d.toString("utf8")));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dynamic-provider exited with ${code}: ${output}`));
    });
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (method, req) =>
    new Promise((resolve, reject) => client[method](req, (err, res) => (err ? reject(decodeError(err)) : resolve(res))));

  const host = {
    pid: child.pid,
    get output() {
      return output;
    },

    async configure(args) {
      const req = new providerProto.ConfigureRequest();
      req.setArgs(toStruct(args));
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      const res = await call("configure", req);
      return { acceptSecrets: res.getAcceptsecrets(), supportsPreview: res.getSupportspreview() };
    },

    async check(urn, olds, news) {
      const req = new providerProto.CheckRequest();
      req.setUrn(urn);
      req.setOlds(toStruct(olds));
      req.setNews(toStruct(news));
      const res = await call("check", req);
      return {
        inputs: res.getInputs()?.toJavaScript() ?? {},
        failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },

    async diff(id, urn, olds, news, oldInputs) {
      const res = await call("diff", oldsAndNews(new providerProto.DiffRequest(), id, urn, olds, news, oldInputs));
      return { changes: DIFF[res.getChanges()], replaces: res.getReplacesList(), deleteBeforeReplace: res.getDeletebeforereplace() };
    },

    async create(urn, properties) {
      const req = new providerProto.CreateRequest();
      req.setUrn(urn);
      req.setProperties(toStruct(properties));
      const res = await call("create", req);
      return { id: res.getId(), properties: res.getProperties()?.toJavaScript() ?? {} };
    },

    async read(id, urn, properties, inputs) {
      const req = new providerProto.ReadRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setProperties(toStruct(properties));
      req.setInputs(toStruct(inputs));
      const res = await call("read", req);
      return {
        id: res.getId(),
        properties: res.getProperties()?.toJavaScript() ?? {},
        inputs: res.hasInputs() ? res.getInputs().toJavaScript() : undefined,
      };
    },

    async update(id, urn, olds, news, oldInputs) {
      const res = await call("update", oldsAndNews(new providerProto.UpdateRequest(), id, urn, olds, news, oldInputs));
      return { properties: res.getProperties()?.toJavaScript() ?? {} };
    },

    async delete(id, urn, properties, oldInputs) {
      const req = new providerProto.DeleteRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setProperties(toStruct(properties));
      req.setOldInputs(toStruct(oldInputs));
      await call("delete", req);
    },

    /** Stops the process by its PID (the engine kills plugins at the end of an operation). */
    async stop() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
  const configured = await host.configure(config).catch(async (e) => {
    await host.stop();
    throw e;
  });
  host.configured = configured;
  return host;
}

module.exports = { startProviderHost, toStruct };
