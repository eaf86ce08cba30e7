"use strict";
/**
 * A userspace TCP proxy on loopback that delays every chunk by `delayMs` in each direction (RTT = 2 × delay), in
 * order, and counts connections: the Redfish counterpart of udp-proxy.js for benches (no `tc netem` here). TLS passes
 * through untouched, so the client still checks the BMC's own certificate.
 */
const net = require("node:net");

class TcpProxy {
  constructor({ targetPort, targetHost = "127.0.0.1", delayMs = 0 }) {
    this.target = { port: targetPort, host: targetHost };
    this.delayMs = delayMs;
    this.counts = { connections: 0 };
    this.sockets = new Set();
  }

  /** Starts listening on a free loopback port; returns it. */
  start() {
    this.server = net.createServer((client) => this.accept(client));
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve(this.server.address().port)));
  }

  accept(client) {
    this.counts.connections++;
    const upstream = net.connect(this.target);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      s.on("error", () => undefined);
    }
    this.relay(client, upstream);
    this.relay(upstream, client);
  }

  /** Forwards `from` → `to`, each chunk `delayMs` after it arrived; the end follows the last chunk. */
  relay(from, to) {
    let tail = Promise.resolve();
    const later = (fn) => {
      const due = Date.now() + this.delayMs;
      tail = tail.then(() => new Promise((r) => setTimeout(() => (fn(), r()), Math.max(0, due - Date.now()))));
    };
    from.on("data", (chunk) => later(() => !to.destroyed && to.write(chunk)));
    from.on("end", () => later(() => to.end()));
    from.on("close", () => later(() => to.destroy()));
  }

  stop() {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

module.exports = { TcpProxy };
