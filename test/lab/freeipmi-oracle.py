#!/usr/bin/python3
"""libfreeipmi (Debian libfreeipmi17) as an independent oracle for the RMCP+ key arithmetic.

Reads a JSON list of cases on stdin, each {alg, password, rm, rc, sidm, nameOnly, privilege, username} (hex for
byte fields), and prints, per case, {sik, k1, k2, rakp3} as libfreeipmi's ipmi_calculate_* functions compute them
(libfreeipmi/util/ipmi-rmcpplus-util.c). No key arithmetic is written here: only ctypes calls.
"""
import ctypes
import json
import sys

lib = ctypes.CDLL("libfreeipmi.so.17")
u8, uint, u32, vp = ctypes.c_uint8, ctypes.c_uint, ctypes.c_uint32, ctypes.c_void_p
lib.ipmi_rmcpplus_init.restype = ctypes.c_int
lib.ipmi_calculate_sik.argtypes = [u8, vp, uint, vp, uint, vp, uint, u8, u8, ctypes.c_char_p, uint, vp, uint]
lib.ipmi_calculate_k1.argtypes = [u8, vp, uint, vp, uint]
lib.ipmi_calculate_k2.argtypes = [u8, vp, uint, vp, uint]
lib.ipmi_calculate_rakp_3_key_exchange_authentication_code.argtypes = [u8, vp, uint, vp, uint, u32, u8, u8, ctypes.c_char_p, uint, vp, uint]
if lib.ipmi_rmcpplus_init() < 0:
    sys.exit("ipmi_rmcpplus_init failed")


def buf(data):
    return ctypes.create_string_buffer(bytes(data), len(data)) if data else None


def call(fn, *args, out=64):
    result = ctypes.create_string_buffer(out)
    n = fn(*args, result, out)
    if n < 0:
        raise RuntimeError(f"{fn.__name__} failed")
    return result.raw[:n].hex()


out = []
for c in json.loads(sys.stdin.read()):
    alg = c["alg"]
    pw = c["password"].encode("latin1")
    rm, rc = bytes.fromhex(c["rm"]), bytes.fromhex(c["rc"])
    name = c["username"].encode("latin1")
    kg = pw  # no BMC key: the SIK is keyed with the password (Kuid)
    sik = call(lib.ipmi_calculate_sik, alg, buf(kg), len(kg), buf(rm), 16, buf(rc), 16, c["nameOnly"], c["privilege"], name or None, len(name))
    sikb = bytes.fromhex(sik)
    k1 = call(lib.ipmi_calculate_k1, alg, buf(sikb), len(sikb))
    k2 = call(lib.ipmi_calculate_k2, alg, buf(sikb), len(sikb))
    rakp3 = call(lib.ipmi_calculate_rakp_3_key_exchange_authentication_code, alg, buf(pw), len(pw), buf(rc), 16, c["sidm"], c["nameOnly"], c["privilege"], name or None, len(name))
    out.append({"sik": sik, "k1": k1, "k2": k2, "rakp3": rakp3})
print(json.dumps(out))
