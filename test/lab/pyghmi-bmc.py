#!/usr/bin/python3
"""pyghmi's BMC server (Debian python3-pyghmi) on 127.0.0.1:PORT, as an interop peer for the native RMCP+ client.

Usage: /usr/bin/python3 test/lab/pyghmi-bmc.py PORT [17]  (users as JSON {"name": "password"} on stdin, never argv)

Nothing here implements protocol: the session layer (Open Session, RAKP, keys, AES, integrity) is pyghmi's
`pyghmi.ipmi.private.serversession`, unchanged. Its known behaviour (rmcp-native.md §4.3): cipher suite 3 only,
answered whatever was proposed; RAKP 1 for an unknown name and RAKP 3 with a bad code silently dropped; one session
per client address and port. Get Device ID answers with the ids below; every other command 0xC1.
Prints "ready PORT" on stdout once listening.

With "17": the same server made to speak cipher suite 17 by substitution, not by new protocol code — the session
module's `hashlib.sha1` becomes SHA-256 (so pyghmi computes the RAKP 2 code, checks RAKP 3, derives SIK/K1/K2 and
authenticates every packet with SHA-256), its Open Session answer names algorithms 3/4/1, and the in-session AuthCode
is 16 bytes. pyghmi truncates the RAKP 4 check value to 12 bytes in code; that one value is recomputed here with 16
(HMAC-SHA256(SIK, Rm | SIDc | GUID), spec 13.31), the only line of key arithmetic in this file.
"""
import hashlib
import hmac
import json
import sys
import types

import pyghmi.ipmi.bmc as bmc
import pyghmi.ipmi.private.constants as constants
import pyghmi.ipmi.private.serversession as serversession


def speak_suite_17():
    original = serversession.ServerSession
    serversession.hashlib = types.SimpleNamespace(sha1=hashlib.sha256, sha256=hashlib.sha256, md5=hashlib.md5)

    class Sha256Session(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.currhashlen = 16

        def create_open_session_response(self, request):
            response = super().create_open_session_response(request)
            response[16], response[24], response[32] = 3, 4, 1  # RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128
            return response

        def _send_rakp4(self, tagvalue, statuscode):
            real = self.send_payload

            def with_sha256_icv(payload, payload_type=None, retry=True, **kw):
                if payload_type == constants.payload_types["rakp4"]:
                    icv = hmac.new(self.sik, bytes(self.Rm + self.managedsessionid + self.uuiddata), hashlib.sha256).digest()[:16]
                    payload = bytearray(payload[:8]) + icv
                return real(payload, payload_type, retry, **kw)

            self.send_payload = with_sha256_icv
            try:
                super()._send_rakp4(tagvalue, statuscode)
            finally:
                del self.send_payload

    serversession.ServerSession = Sha256Session


class PeerBmc(bmc.Bmc):
    def __init__(self, users, port):
        super().__init__(users, port=port, address="127.0.0.1")
        self.mfgid = 0x1291  # manufacturer id reported by Get Device ID
        self.prodid = 0x0F02


def main():
    port = int(sys.argv[1])
    if len(sys.argv) > 2 and sys.argv[2] == "17":
        speak_suite_17()
    users = json.loads(sys.stdin.readline())
    server = PeerBmc(users, port)
    print(f"ready {port}", flush=True)
    server.listen()


if __name__ == "__main__":
    sys.exit(main())
