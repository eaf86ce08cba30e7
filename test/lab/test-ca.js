"use strict";
/**
 * A private CA made at test time with Debian's `openssl` (node:crypto can make keys but not certificates): a CA
 * certificate and a server certificate it signed, for the names the emulator is reached by (127.0.0.1, localhost).
 * Nothing is reused between runs; the directory is removed by `cleanup()`.
 */
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

function openssl(args, cwd) {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * @param {{ names?: string[], ips?: string[] }} [options] subject alternative names of the server certificate
 * @returns {{ dir: string, caFile: string, caPem: string, key: string, cert: string, cleanup(): void }}
 */
function makeTestCa({ names = ["localhost"], ips = ["127.0.0.1"] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bms-test-ca-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=pulumi-bmc-credentials test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=bms emulator"], dir);
  const san = [...names.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(",");
  fs.writeFileSync(path.join(dir, "ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"], dir);
  const read = (f) => fs.readFileSync(path.join(dir, f), "utf8");
  return {
    dir,
    caFile: path.join(dir, "ca.pem"),
    caPem: read("ca.pem"),
    key: read("server.key"),
    cert: read("server.pem"),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

module.exports = { makeTestCa };
