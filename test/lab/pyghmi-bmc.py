#!/usr/bin/python3
"""pyghmi's BMC server (Debian python3-pyghmi) on 127.0.0.1:PORT, as an interop peer for the native RMCP+ client.

Usage: /usr/bin/python3 test/lab/pyghmi-bmc.py PORT  (users as JSON {"name": "password"} on stdin, never argv)

Nothing here implements protocol: the session layer (Open Session, RAKP, keys, AES, integrity) is pyghmi's
`pyghmi.ipmi.private.serversession`, unchanged. Its known behaviour (rmcp-native.md §4.3): cipher suite 3 only,
answered whatever was proposed; RAKP 1 for an unknown name and RAKP 3 with a bad code silently dropped; one session
per client address and port. Get Device ID answers with the ids below; every other command 0xC1.
Prints "ready PORT" on stdout once listening.
"""
import json
import sys

import pyghmi.ipmi.bmc as bmc


class PeerBmc(bmc.Bmc):
    def __init__(self, users, port):
        super().__init__(users, port=port, address="127.0.0.1")
        self.mfgid = 0x1291  # manufacturer id reported by Get Device ID
        self.prodid = 0x0F02


def main():
    port = int(sys.argv[1])
    users = json.loads(sys.stdin.readline())
    server = PeerBmc(users, port)
    print(f"ready {port}", flush=True)
    server.listen()


if __name__ == "__main__":
    sys.exit(main())
