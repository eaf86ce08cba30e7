"use strict";
/**
 * A userspace UDP proxy that injects latency, jitter and loss between IPMI clients and a simulated BMC (ipmi/§14.2:
 * the machines have no `sch_netem`). Node `dgram` only; no root.
 *
 * - Listens on 127.0.0.1:<listenPort> and forwards to <host>:<targetPort>.
 * - Each distinct client address:port gets its own upstream socket (a tiny NAT table), so replies find their client.
 *   One ipmitool process uses one client socket, so `counts.pairs` is the number of ipmitool processes (sessions or
 *   login attempts) that reached the BMC through the proxy: the lockout tests count logins with it.
 * - Every datagram in either direction is dropped with probability lossPct/100, otherwise delivered after
 *   delayMs ± uniform(jitterMs) (clamped at 0), so RTT ≈ 2 × delayMs; with jitter, datagrams may be reordered.
 * - Mappings close after `idleMs` without traffic.
 * - Session attempts are counted as Open Session Requests (`counts.opens`, RMCP+ payload type 0x10), whatever source
 *   port they come from (the native transport shares one); an attempt the BMC was too slow to answer counts again.
 *   Logins that reached the BMC's name check are `counts.rakp1` (below): the tests count sessions with it.
 * - Logins are counted by message: `counts.rakp1` (RAKP Message 1, payload type 0x12: a login attempt reached the BMC)
 *   and `counts.rakp3` (RAKP Message 3, 0x14: the client accepted the BMC's RAKP 2, i.e. the password matched and the
 *   user exists). ipmitool sends no RAKP 3 after a rejected password or an unknown user, so `failedLogins()` =
 *   rakp1 − rakp3 counts rejected logins (exact without loss; a retransmitted RAKP 1 would count twice).
 *
 * In-process: `const p = new UdpProxy({ targetPort, delayMs: 20, lossPct: 5 }); const port = await p.start(); …
 * p.counts; await p.stop();`. Command line (prints the counts as JSON on SIGTERM/SIGINT):
 *   node test/lab/udp-proxy.js LISTEN_PORT TARGET_PORT [delayMs=20] [jitterMs=0] [lossPct=0] [host=127.0.0.1]
 */

const dgram = require("node:dgram");
const { claimPort } = require("./ports");

/** A small seeded PRNG (mulberry32), so a loss pattern can be repeated exactly. */
function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class UdpProxy {
  /**
   * @param {{ targetPort: number, listenPort?: number, host?: string, delayMs?: number, jitterMs?: number,
   *   lossPct?: number, idleMs?: number, random?: () => number, onUp?: (counts: object) => void }} options
   *   `onUp` is called after each datagram forwarded towards the BMC (fault tests use it to act mid-session).
   */
  constructor(options) {
    this.targetPort = options.targetPort;
    this.listenPort = options.listenPort ?? 0;
    this.host = options.host ?? "127.0.0.1";
    this.idleMs = options.idleMs ?? 60000;
    this.random = options.random ?? Math.random;
    this.onUp = options.onUp;
    this.set(options);
    this.counts = { up: 0, down: 0, dropped: 0, pairs: 0, opens: 0, rakp1: 0, rakp3: 0 };
    this.clients = new Map(); // "address:port" -> { socket, timer }
    this.timers = new Set();
    this.front = undefined;
  }

  /** Changes delay, jitter or loss while running. */
  set({ delayMs, jitterMs, lossPct }) {
    if (delayMs !== undefined) this.delayMs = delayMs;
    if (jitterMs !== undefined) this.jitterMs = jitterMs;
    if (lossPct !== undefined) this.lossPct = lossPct;
    this.delayMs ??= 0;
    this.jitterMs ??= 0;
    this.lossPct ??= 0;
  }

  /**
   * Binds the front socket; resolves with its port. A port chosen by the system is never one the lab handed out
   * before in this process (`ports.js`); an explicit `listenPort` is taken as given (a test re-opening a port).
   */
  async start() {
    const chosen = this.listenPort === 0;
    for (let attempt = 0; attempt < 100; attempt++) {
      const port = await this.bindFront();
      if (!chosen || claimPort(port)) return port;
      await closeSocket(this.front);
      this.front = undefined;
      this.listenPort = 0;
    }
    throw new Error("no UDP port left that this test process has not used before");
  }

  bindFront() {
    return new Promise((resolve, reject) => {
      const front = dgram.createSocket("udp4");
      front.once("error", reject);
      front.on("message", (msg, rinfo) => this.fromClient(msg, rinfo));
      front.bind(this.listenPort, "127.0.0.1", () => {
        front.off("error", reject);
        front.on("error", () => {});
        this.front = front;
        this.listenPort = front.address().port;
        resolve(this.listenPort);
      });
    });
  }

  /** Closes every socket and pending delivery. Counts stay readable. */
  /**
   * Resolves once no request has arrived for `quietMs`: sessions that close in the background (the provider does not
   * wait for Close Session) have finished, so counts taken afterwards are complete.
   */
  async settled(quietMs = 150) {
    let last = -1;
    while (this.counts.up !== last) {
      last = this.counts.up;
      await new Promise((r) => setTimeout(r, quietMs));
    }
  }

  /** Logins the BMC saw fail: RAKP 1 without the RAKP 3 that follows a matching password. */
  failedLogins() {
    return this.counts.rakp1 - this.counts.rakp3;
  }

  async stop() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closing = [...this.clients.values()].map((c) => closeSocket(c.socket, c.timer));
    this.clients.clear();
    if (this.front) closing.push(closeSocket(this.front));
    this.front = undefined;
    await Promise.all(closing);
  }

  fromClient(msg, rinfo) {
    const key = `${rinfo.address}:${rinfo.port}`;
    let client = this.clients.get(key);
    if (!client) {
      const socket = dgram.createSocket("udp4");
      socket.on("error", () => {});
      socket.on("message", (reply) => {
        this.touch(key);
        this.deliver(reply, () => this.front?.send(reply, rinfo.port, rinfo.address), "down");
      });
      socket.bind(0, "127.0.0.1");
      client = { socket, timer: undefined };
      this.clients.set(key, client);
      this.counts.pairs++;
    }
    this.touch(key);
    this.deliver(msg, () => client.socket.send(msg, this.targetPort, this.host), "up");
  }

  touch(key) {
    const client = this.clients.get(key);
    if (!client) return;
    clearTimeout(client.timer);
    client.timer = setTimeout(() => {
      this.clients.delete(key);
      closeSocket(client.socket);
    }, this.idleMs);
    client.timer.unref?.();
  }

  deliver(msg, send, direction) {
    if (this.random() * 100 < this.lossPct) {
      this.counts.dropped++;
      return;
    }
    const delay = Math.max(0, this.delayMs + (this.random() * 2 - 1) * this.jitterMs);
    const go = () => {
      this.counts[direction]++;
      if (direction === "up") countRakp(msg, this.counts);
      try {
        send();
      } catch {
        // socket closed meanwhile
      }
      if (direction === "up") this.onUp?.(this.counts);
    };
    if (delay === 0) {
      go();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      go();
    }, delay);
    this.timers.add(t);
  }
}

/** RMCP (06 00 ff 07) + IPMI v2.0 session header (auth type 06): the payload type is byte 5, low 6 bits. */
function countRakp(msg, counts) {
  if (msg.length > 5 && msg[0] === 0x06 && msg[3] === 0x07 && msg[4] === 0x06) {
    const type = msg[5] & 0x3f;
    if (type === 0x10) counts.opens++;
    if (type === 0x12) counts.rakp1++;
    if (type === 0x14) counts.rakp3++;
  }
}

function closeSocket(socket, timer) {
  clearTimeout(timer);
  return new Promise((resolve) => {
    try {
      socket.close(resolve);
    } catch {
      resolve();
    }
  });
}

module.exports = { UdpProxy, seededRandom };

if (require.main === module) {
  const [listen, target, delayMs = "20", jitterMs = "0", lossPct = "0", host = "127.0.0.1"] = process.argv.slice(2);
  if (!listen || !target) {
    process.stderr.write("usage: node udp-proxy.js LISTEN_PORT TARGET_PORT [delayMs=20] [jitterMs=0] [lossPct=0] [host=127.0.0.1]\n");
    process.exit(2);
  }
  const proxy = new UdpProxy({
    listenPort: Number(listen),
    targetPort: Number(target),
    host,
    delayMs: Number(delayMs),
    jitterMs: Number(jitterMs),
    lossPct: Number(lossPct),
  });
  proxy.start().then((port) => process.stderr.write(`udp-proxy 127.0.0.1:${port} -> ${host}:${target}\n`));
  for (const sig of ["SIGTERM", "SIGINT"]) {
    process.once(sig, async () => {
      await proxy.stop();
      process.stdout.write(`${JSON.stringify(proxy.counts)}\n`);
      process.exit(0);
    });
  }
}
