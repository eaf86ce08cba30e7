"""Drives pyghmi's IPMI client (Debian python3-pyghmi 1.5.34) for the peers tier.

Reads one JSON object on stdin: {host, port, user, password, privlevel?, ops: [...]}, logs in (pyghmi proposes cipher
suite 17, then 3), runs the ops in that session and prints one JSON line: {"ok": true, "results": [...]} or
{"ok": false, "error": "..."}. The password arrives on stdin, never in argv. Run with /usr/bin/python3.
"""
import json
import os
import sys
import threading
import time

from pyghmi.ipmi import command
from pyghmi import exceptions


def run_op(c, op):
    kind = op["op"]
    if kind == "raw":
        r = c.raw_command(netfn=op["netfn"], command=op["command"], data=op.get("data", []))
        return {"code": r.get("code", 0), "data": list(r.get("data", b""))}
    if kind == "users":
        users = c.get_users(channel=op.get("channel"))
        return {str(uid): {"name": u["name"], "access": u["access"]} for uid, u in users.items()}
    if kind == "set_user_name":
        return c.set_user_name(op["uid"], op["name"])
    if kind == "set_user_password":
        return c.set_user_password(op["uid"], mode=op.get("mode", "set_password"), password=op.get("password"))
    if kind == "set_user_access":
        return c.set_user_access(op["uid"], channel=op.get("channel"), callback=op.get("callback", False),
                                 link_auth=op.get("link_auth", True), ipmi_msg=op.get("ipmi_msg", True),
                                 privilege_level=op["privilege_level"])
    if kind == "raw_within":
        # A request that must be answered within `seconds`; pyghmi itself would retry for ~20 s before giving up.
        box = {}
        t = threading.Thread(target=lambda: box.update(r=c.raw_command(netfn=op["netfn"], command=op["command"], data=op.get("data", []))), daemon=True)
        t.start()
        t.join(op["seconds"])
        return {"answered": "r" in box}
    if kind == "sleep":
        time.sleep(op["seconds"])
        return None
    if kind == "get_user_access":
        return c.get_user_access(op["uid"], channel=op.get("channel"))
    raise ValueError("unknown op " + kind)


def main():
    req = json.load(sys.stdin)
    try:
        kwargs = {"bmc": req["host"], "userid": req["user"], "password": req["password"], "port": req["port"], "keepalive": False}
        if req.get("privlevel"):
            kwargs["privlevel"] = req["privlevel"]
        c = command.Command(**kwargs)
    except (exceptions.IpmiException, Exception) as e:  # pyghmi raises IpmiException on refused logins
        print(json.dumps({"ok": False, "error": str(e)}))
        return
    results = []
    try:
        for op in req.get("ops", []):
            try:
                results.append({"ok": True, "value": run_op(c, op)})
            except exceptions.IpmiException as e:
                results.append({"ok": False, "error": str(e), "code": getattr(e, "ipmicode", None)})
        session = c.ipmi_session
        print(json.dumps({"ok": True, "privlevel": getattr(session, "privlevel", None), "results": results}), flush=True)
    finally:
        if any(op["op"] == "raw_within" for op in req.get("ops", [])):
            os._exit(0)  # a request may still be pending in pyghmi's I/O thread: do not wait for its retries
        try:
            c.ipmi_session.logout()
        except Exception:
            pass


if __name__ == "__main__":
    main()
