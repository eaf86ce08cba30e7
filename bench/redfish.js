"use strict";
/**
 * The Redfish half of `npm run bench`: the same two accounts per BMC as the IPMI half, created (verified by a login) and
 * refreshed (read + login probe) through the BmcUser provider over Redfish, against the lab's Redfish faces — one
 * personality at a time — each behind a userspace TCP proxy that adds the same delay as the IPMI half's UDP proxy. Requests
 * are counted in the faces' own logs and connections at the proxies, so the figures sit beside the IPMI ones with the
 * same RTT, parallelism and BMC count.
 */
const crypto = require("node:crypto");
const { startRedfishBmc, FLAVOURS } = require("../test/lab/redfish-lab");
const { TcpProxy } = require("../test/lab/tcp-proxy");
const { bmcUserProvider: provider } = require("..");

const pw = () => `Rf-${crypto.randomBytes(9).toString("base64").replace(/[+/=]/g, "x").slice(0, 12)}1`;

/**
 * Runs create and refresh on every Redfish personality; returns one row per (personality, operation) with p50/p95,
 * requests and connections per operation, and the round-trip floor (requests + TCP and TLS 1.3 handshakes, × RTT).
 * `helpers` are run.js's `pool` and `percentile`, so both halves are measured the same way.
 */
async function redfishScenarios({ bmcs, rtt, parallel }, { pool, percentile }) {
  const perFlavour = Math.max(2, Math.round(bmcs / FLAVOURS.length));
  const rows = [];
  for (const flavour of FLAVOURS) {
    const faces = [];
    const proxies = [];
    try {
      for (let i = 0; i < perFlavour; i++) {
        const face = await startRedfishBmc(flavour, { adminPassword: pw() });
        const proxy = new TcpProxy({ targetPort: face.port, delayMs: rtt / 2 });
        face.proxyPort = await proxy.start();
        faces.push(face);
        proxies.push(proxy);
      }
      const targets = faces.flatMap((f, i) =>
        [["admin2", "administrator"], ["mon", "user"]].map(([username, privilege]) => ({ bmcIndex: i, face: f, username, privilege, password: pw() })),
      );
      const inputsOf = async (t) =>
        (await provider.check({}, { bmc: t.face.connection({ port: t.face.proxyPort, timeoutSeconds: 10 }), username: t.username, password: t.password, privilege: t.privilege })).inputs;
      const state = new Map();
      const measure = async (op, fn) => {
        const requestsBefore = faces.reduce((n, f) => n + f.service.log.length, 0);
        const connectionsBefore = proxies.reduce((n, p) => n + p.counts.connections, 0);
        const latencies = [];
        const t0 = Date.now();
        await pool(
          faces.map((_, b) => async () => {
            for (const t of targets.filter((x) => x.bmcIndex === b)) {
              const s = Date.now();
              await fn(t);
              latencies.push(Date.now() - s);
            }
          }),
          parallel,
        );
        const wallMs = Date.now() - t0;
        latencies.sort((a, b) => a - b);
        const requests = (faces.reduce((n, f) => n + f.service.log.length, 0) - requestsBefore) / targets.length;
        const connections = (proxies.reduce((n, p) => n + p.counts.connections, 0) - connectionsBefore) / targets.length;
        // Each request is one round trip on a kept-alive connection; each connection adds TCP's and TLS 1.3's.
        const floorMs = (requests + 2 * connections) * rtt;
        rows.push({ flavour, op, ops: targets.length, wallMs, p50Ms: percentile(latencies, 50), p95Ms: percentile(latencies, 95), requestsPerOp: +requests.toFixed(1), connectionsPerOp: +connections.toFixed(1), floorMs: Math.round(floorMs) });
      };
      await measure("create", async (t) => state.set(t, await provider.create(await inputsOf(t))));
      await measure("refresh", async (t) => provider.read(state.get(t).id, state.get(t).outs));
    } finally {
      await Promise.all(proxies.map((p) => p.stop()));
      await Promise.all(faces.map((f) => f.stop()));
    }
  }
  return rows;
}

module.exports = { redfishScenarios };
