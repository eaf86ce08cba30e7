"""Drives Debian's python3-sushy (4.3.3) against a Redfish service: the test peer for sessions and ETags.

Reads one JSON plan on stdin (so no password is on a command line):
  {"root": "https://127.0.0.1:PORT/redfish/v1", "user": ..., "password": ...,
   "auth": "session" | "session-or-basic",
   "steps": [{"op": "get", "path": ...},
             {"op": "patch", "path": ..., "data": {...}, "etag": "last" | "stale" | null},
             {"op": "close"}]}
Prints one JSON object per step: {"op", "status"} or {"op", "error", "status"}.
sushy's Connector is private API, so the test pins the Debian version it was written against.
"""
import json
import sys
import warnings

warnings.filterwarnings("ignore")

import sushy  # noqa: E402
from sushy import auth as sushy_auth  # noqa: E402
from sushy import exceptions  # noqa: E402

plan = json.load(sys.stdin)
if plan["auth"] == "session":
    auth = sushy_auth.SessionAuth(plan["user"], plan["password"])
else:
    auth = sushy_auth.SessionOrBasicAuth(plan["user"], plan["password"])

out = []
try:
    s = sushy.Sushy(plan["root"], verify=False, auth=auth)
    out.append({"op": "connect", "status": 200})
except Exception as e:  # noqa: BLE001 - reported to the test
    out.append({"op": "connect", "error": type(e).__name__, "status": getattr(e, "status_code", None)})
    print(json.dumps(out))
    sys.exit(0)

last_etag = None
for step in plan["steps"]:
    try:
        if step["op"] == "get":
            r = s._conn.get(step["path"])
            last_etag = r.headers.get("ETag")
            out.append({"op": "get", "status": r.status_code, "etag": last_etag})
        elif step["op"] == "patch":
            etag = {"last": last_etag, "stale": '"00000000"', None: None}[step.get("etag")]
            r = s._conn.patch(step["path"], data=step["data"], etag=etag)
            out.append({"op": "patch", "status": r.status_code})
        elif step["op"] == "close":
            auth.close()
            out.append({"op": "close", "status": 204})
    except exceptions.HTTPError as e:
        out.append({"op": step["op"], "error": type(e).__name__, "status": e.status_code})
    except Exception as e:  # noqa: BLE001
        out.append({"op": step["op"], "error": type(e).__name__, "status": getattr(e, "status_code", None)})
print(json.dumps(out))
