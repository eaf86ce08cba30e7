"use strict";
/**
 * Local emulator of the Huawei Cloud BMS APIs used by BmsPassword (and the IAM project lookup).
 *
 * - Verifies every request's SDK-HMAC-SHA256 signature with its own implementation (not the provider's), or an
 *   X-Auth-Token from a configured list, and answers with the documented API-gateway error bodies.
 * - Keeps per-server state: OS type, status, reset flag, pending/effective password, reboot jobs that go
 *   INIT → RUNNING → SUCCESS (or FAIL) as they are polled.
 * - Returns the documented error shapes ({"error":{code,message}} and {"error_code","error_msg","request_id"}).
 * - Enforces the documented per-API limits (fixed minute window per project and API).
 * - Injects faults: 429 with Retry-After, 5xx, BMS error codes, slow responses, dropped connections.
 * - Records every request (method, path, headers, body) so tests can prove where the password travelled.
 *
 * Node built-ins only. Standalone: `node test/emulator/bms-emulator.js --port 8443` prints one JSON line with the
 * URL and the credentials to use; `/__emulator/*` control routes (loopback only) let a demo add servers and faults.
 */

const http = require("http");
const https = require("https");
const crypto = require("crypto");

const DEFAULT_AK = "EMULATORACCESSKEY000";
const DEFAULT_SK = "emulator-secret-key-0000000000000000000000";
const DEFAULT_PROJECT = "2e62dec99940499d93717c2789759015";
const DEFAULT_LIMITS = { reset: 50, flag: 500, action: 50, jobs: 2000, details: 1000, projects: 2000, securitytokens: 2000 };
/** The agency every emulator accepts unless told otherwise: {domainName, agencyName}. */
const DEFAULT_AGENCY = { domainName: "owner-account", agencyName: "bms-operator" };
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---------------------------------------------------------------------------------------------------------------
// Signature verification (independent of provider/transport/huaweicloud/signer.ts)

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

function rfc3986(str) {
    let out = "";
    for (const byte of Buffer.from(str, "utf8")) {
        const ch = String.fromCharCode(byte);
        out += byte < 0x80 && UNRESERVED.test(ch) ? ch : "%" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
    return out;
}

function safeDecode(s) {
    try {
        return decodeURIComponent(s);
    } catch (e) {
        return s;
    }
}

function canonicalPath(rawPath) {
    let p = rawPath
        .split("/")
        .map((seg) => rfc3986(safeDecode(seg)))
        .join("/");
    if (!p.endsWith("/")) p += "/";
    return p;
}

function canonicalQueryString(rawQuery) {
    if (!rawQuery) return "";
    const pairs = rawQuery
        .split("&")
        .filter(Boolean)
        .map((kv) => {
            const i = kv.indexOf("=");
            return i < 0 ? [safeDecode(kv), ""] : [safeDecode(kv.slice(0, i)), safeDecode(kv.slice(i + 1))];
        });
    pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    return pairs.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join("&");
}

function parseAuthorization(value) {
    const m = /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/.exec(value || "");
    return m ? { access: m[1], signedHeaders: m[2].split(";"), signature: m[3] } : undefined;
}

function parseSdkDate(s) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || "");
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function fmtSdkDate(ms) {
    return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** Returns undefined when valid, else {status, body} of the gateway's answer. */
function verifySignature(req, rawPath, rawQuery, body, secretFor, nowMs, skewMs) {
    const auth = parseAuthorization(req.headers.authorization);
    if (!auth) return { kind: "mismatch", canonical: "" };
    const sk = secretFor(auth.access);
    if (sk === undefined) return { kind: "unknown-ak", access: auth.access };
    const date = req.headers["x-sdk-date"];
    const at = parseSdkDate(date);
    if (!auth.signedHeaders.includes("x-sdk-date") || Number.isNaN(at) || Math.abs(nowMs - at) > skewMs) {
        return { kind: "expired", date: date || "", now: fmtSdkDate(nowMs) };
    }
    const headerBlock = auth.signedHeaders
        .map((name) => {
            const v = req.headers[name];
            return `${name}:${(Array.isArray(v) ? v.join(",") : v || "").trim()}\n`;
        })
        .join("");
    const payloadHash = req.headers["x-sdk-content-sha256"] || (body.length ? crypto.createHash("sha256").update(body).digest("hex") : EMPTY_SHA256);
    const canonical = [req.method, canonicalPath(rawPath), canonicalQueryString(rawQuery), headerBlock, auth.signedHeaders.join(";"), payloadHash].join("\n");
    const sts = ["SDK-HMAC-SHA256", date, crypto.createHash("sha256").update(canonical).digest("hex")].join("\n");
    const expected = crypto.createHmac("sha256", sk).update(sts).digest();
    const given = Buffer.from(auth.signature, "hex");
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
        return { kind: "mismatch", canonical };
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Emulator

function requestId() {
    return crypto.randomBytes(16).toString("hex");
}

function createBmsEmulator(options = {}) {
    const opts = {
        credentials: { [DEFAULT_AK]: DEFAULT_SK },
        tokens: {}, // token → project id
        projectId: DEFAULT_PROJECT,
        region: "cn-north-4",
        skewMs: 15 * 60 * 1000,
        limits: { ...DEFAULT_LIMITS, ...(options.limits || {}) },
        now: () => Date.now(),
        notFound: "404", // U1: "404" | "400"
        jobInitPolls: 1,
        jobRunningPolls: 1,
        // IAM agencies that may be assumed, and the ECS metadata service's credentials.
        agencies: [DEFAULT_AGENCY],
        metadataLifetimeMs: 60 * 60 * 1000,
        // The metadata service hands out new credentials once the current ones have less than this left.
        metadataRotateBeforeMs: 15 * 60 * 1000,
        // false: the ECS has no agency, and the metadata service answers 404.
        metadataAgency: true,
        // {key, cert} (PEM): serve HTTPS.
        tls: undefined,
        ...options,
    };
    opts.limits = { ...DEFAULT_LIMITS, ...(options.limits || {}) };

    const servers = new Map(); // `${project}/${id}` → server
    const jobs = new Map();
    const windows = new Map(); // rate-limit windows
    const faults = [];
    const requests = [];
    // Temporary credentials (agency, metadata, or issued to a test): access key → {sk, token, expiresAt, kind}.
    const temporary = new Map();
    const metadataRequests = [];
    let metadataLease;
    let server;
    let metadataServer;

    function issueTemporary(kind, lifetimeMs) {
        const ak = `TEMP${crypto.randomBytes(8).toString("hex").toUpperCase()}`;
        const lease = { ak, sk: crypto.randomBytes(20).toString("hex"), token: `sts-${kind}-${crypto.randomBytes(48).toString("base64url")}`, expiresAt: opts.now() + lifetimeMs, kind };
        temporary.set(ak, lease);
        return lease;
    }

    function credentialJson(lease) {
        return { credential: { access: lease.ak, secret: lease.sk, securitytoken: lease.token, expires_at: new Date(lease.expiresAt).toISOString().replace("Z", "000Z") } };
    }

    function addServer(s) {
        const project = s.projectId || opts.projectId;
        const record = {
            id: s.id || crypto.randomUUID(),
            name: s.name || "bms-emulated",
            projectId: project,
            osType: s.osType === undefined ? "Linux" : s.osType,
            status: s.status || "ACTIVE",
            taskState: "",
            flag: s.flag === undefined ? "True" : s.flag,
            locked: !!s.locked,
            agentHealthy: s.agentHealthy !== false,
            failNextReboot: !!s.failNextReboot,
            effectivePassword: s.password,
            pendingPassword: undefined,
            resets: 0,
            reboots: 0,
            launchedAt: new Date(opts.now() - 86400000).toISOString().replace("Z", ""),
            deleted: undefined, // "404" | "400" | "status"
        };
        servers.set(`${project}/${record.id}`, record);
        return record;
    }

    function findServer(project, id) {
        return servers.get(`${project}/${id}`);
    }

    function inject(fault) {
        faults.push({ times: 1, ...fault });
    }

    function takeFault(api) {
        const i = faults.findIndex((f) => !f.api || f.api === api);
        if (i < 0) return undefined;
        const f = faults[i];
        if (--f.times <= 0) faults.splice(i, 1);
        return f;
    }

    function rateLimited(project, api) {
        const limit = opts.limits[api];
        if (!limit) return false;
        const minute = Math.floor(opts.now() / 60000);
        const key = `${project}|${api}`;
        const w = windows.get(key);
        if (!w || w.minute !== minute) {
            windows.set(key, { minute, count: 1 });
            return false;
        }
        w.count++;
        return w.count > limit;
    }

    function bootCompleted(s) {
        s.status = "ACTIVE";
        s.taskState = "";
        s.launchedAt = new Date(opts.now()).toISOString().replace("Z", "");
        if (s.pendingPassword !== undefined && s.agentHealthy && s.flag === "True") {
            s.effectivePassword = s.pendingPassword;
            s.pendingPassword = undefined;
        }
    }

    function advanceJob(job) {
        job.polls++;
        if (job.status === "INIT" && job.polls > opts.jobInitPolls) {
            job.status = "RUNNING";
            job.polls = 1;
        } else if (job.status === "RUNNING" && job.polls > opts.jobRunningPolls) {
            const s = findServer(job.projectId, job.serverId);
            if (job.fail || !s) {
                job.status = "FAIL";
                job.errorCode = "BMS.0006";
                job.failReason = "Fail to operate baremetal server.";
                if (s) {
                    s.status = "ACTIVE";
                    s.taskState = "";
                }
            } else {
                job.status = "SUCCESS";
                if (job.effective) {
                    if (job.action === "os-stop") {
                        s.status = "SHUTOFF";
                        s.taskState = "";
                    } else {
                        bootCompleted(s);
                    }
                }
            }
            job.endTime = new Date(opts.now()).toISOString();
        }
    }

    function serverJson(s) {
        return {
            server: {
                id: s.id,
                name: s.name,
                status: s.deleted === "status" ? "DELETED" : s.status,
                locked: s.locked,
                "OS-EXT-STS:task_state": s.taskState,
                "OS-EXT-STS:vm_state": s.status === "SHUTOFF" ? "shutoff" : "active",
                "OS-EXT-STS:power_state": s.status === "SHUTOFF" ? 4 : 1,
                "OS-SRV-USG:launched_at": s.launchedAt,
                tenant_id: s.projectId,
                metadata: s.osType ? { os_type: s.osType, os_bit: "64", image_name: s.osType === "Windows" ? "windows2019" : "centos_7_6" } : { os_bit: "64" },
                flavor: { id: "physical.o2.medium", name: "physical.o2.medium" },
                image: { id: "8589958c-6bc7-40c6-b81b-3fe4cd2e3d85" },
                tags: ["__type_baremetal"],
            },
        };
    }

    function route(method, path) {
        let m;
        if ((m = /^\/v1\/([^/]+)\/baremetalservers\/action$/.exec(path))) return method === "POST" ? { api: "action", project: m[1] } : undefined;
        if ((m = /^\/v1\/([^/]+)\/baremetalservers\/([^/]+)\/os-resetpwd-flag$/.exec(path))) return method === "GET" ? { api: "flag", project: m[1], id: m[2] } : undefined;
        if ((m = /^\/v1\/([^/]+)\/baremetalservers\/([^/]+)\/os-reset-password$/.exec(path))) return method === "PUT" ? { api: "reset", project: m[1], id: m[2] } : undefined;
        if ((m = /^\/v1\/([^/]+)\/baremetalservers\/([^/]+)$/.exec(path))) return method === "GET" ? { api: "details", project: m[1], id: m[2] } : undefined;
        if ((m = /^\/v1\/([^/]+)\/jobs\/([^/]+)$/.exec(path))) return method === "GET" ? { api: "jobs", project: m[1], id: m[2] } : undefined;
        if (path === "/v3/projects") return method === "GET" ? { api: "projects" } : undefined;
        if (path === "/v3.0/OS-CREDENTIAL/securitytokens") return method === "POST" ? { api: "securitytokens" } : undefined;
        return undefined;
    }

    async function handle(req, res, body) {
        const rid = requestId();
        const [rawPath, rawQuery = ""] = req.url.split("?");
        const record = { method: req.method, url: req.url, path: rawPath, headers: { ...req.headers }, body, api: undefined, status: undefined, at: opts.now() };
        requests.push(record);
        const send = (status, json, extraHeaders = {}) => {
            record.status = status;
            const headers = { "X-Request-Id": rid, ...extraHeaders };
            if (json === undefined) {
                res.writeHead(status, headers);
                res.end();
                return;
            }
            const text = JSON.stringify(json);
            res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
            res.end(text);
        };
        const gateway = (status, code, msg, extra = {}) => send(status, { error_msg: msg, error_code: code, request_id: rid }, { Server: "api-gateway", ...extra });
        const bmsError = (status, code, msg) => send(status, { error: { message: msg, code } });

        // Control routes for standalone use (demo); never reachable with credentials semantics.
        if (rawPath.startsWith("/__emulator/")) {
            return control(req.method, rawPath, body, send);
        }

        const r = route(req.method, rawPath);
        if (!r) {
            return gateway(404, "APIGW.0101", "The API does not exist or has not been published in the environment");
        }
        record.api = r.api;

        // Authentication: token or AK/SK signature.
        let tokenProject;
        if (req.headers["x-auth-token"] !== undefined) {
            tokenProject = opts.tokens[req.headers["x-auth-token"]];
            if (tokenProject === undefined) return gateway(401, "APIGW.0301", "Incorrect IAM authentication information: The token must be updated");
            if (r.project !== undefined && r.project !== tokenProject) return bmsError(400, "Common.0018", "tenantId in token is not the same with in URL.");
        } else {
            const secretFor = (ak) => opts.credentials[ak] ?? temporary.get(ak)?.sk;
            const bad = verifySignature(req, rawPath, rawQuery, body, secretFor, opts.now(), opts.skewMs);
            if (bad) {
                if (bad.kind === "unknown-ak") return gateway(401, "APIGW.0301", `Incorrect IAM authentication information: ak ${bad.access} not exist`);
                if (bad.kind === "expired") return gateway(401, "APIGW.0301", `Incorrect IAM authentication information: calc aksk signature fail:signature expired, signature time:${bad.date},server time:${bad.now}`);
                return gateway(401, "APIGW.0301", `Incorrect IAM authentication information: verify aksk signature fail, canonicalRequest:${bad.canonical.split("\n").join("|")}`);
            }
            // Temporary credentials: the signed X-Security-Token must be theirs, and they must not have expired.
            const access = parseAuthorization(req.headers.authorization).access;
            const lease = temporary.get(access);
            record.accessKey = access;
            if (lease) {
                const signed = parseAuthorization(req.headers.authorization).signedHeaders.includes("x-security-token");
                if (req.headers["x-security-token"] !== lease.token || !signed) {
                    return gateway(401, "APIGW.0301", "Incorrect IAM authentication information: the security token is missing, unsigned or not the one issued with this access key");
                }
                if (opts.now() >= lease.expiresAt) {
                    record.expiredCredentials = true;
                    return gateway(401, "APIGW.0301", "Incorrect IAM authentication information: the security token has expired");
                }
            }
        }

        if (rateLimited(r.project || "iam", r.api)) {
            return gateway(429, "APIGW.0308", `The throttling threshold has been reached: policy user over ratelimit,limit:${opts.limits[r.api]},time:1 minute`);
        }

        const fault = takeFault(r.api);
        if (fault) {
            if (fault.kind === "drop") {
                record.status = "dropped";
                req.socket.destroy();
                return;
            }
            if (fault.kind === "delay") {
                await new Promise((resolve) => setTimeout(resolve, fault.ms));
                if (res.destroyed || req.socket.destroyed) {
                    record.status = "abandoned";
                    return;
                }
            } else if (fault.kind === "status") {
                if (fault.status === 429) {
                    return gateway(429, "APIGW.0308", `The throttling threshold has been reached: policy user over ratelimit,limit:${opts.limits[r.api]},time:1 minute`, fault.retryAfter !== undefined ? { "Retry-After": String(fault.retryAfter) } : {});
                }
                return gateway(fault.status, "APIGW.0103", "The backend service is unavailable or has failed");
            } else if (fault.kind === "bms-error") {
                return bmsError(fault.status || 400, fault.code, fault.message || "injected");
            } else if (fault.kind === "route-missing") {
                return gateway(404, "APIGW.0101", "The API does not exist or has not been published in the environment");
            } else if (fault.kind === "raw") {
                // Something that is not the BMS service answering: a proxy's page, another service, an empty 404.
                record.status = fault.status;
                res.writeHead(fault.status, fault.contentType ? { "Content-Type": fault.contentType } : {});
                res.end(fault.body || "");
                return;
            }
        }

        if (r.api === "securitytokens") {
            let parsed;
            try {
                parsed = JSON.parse(body);
            } catch (e) {
                return bmsError(400, "IAM.0001", "The request body is not valid JSON.");
            }
            const identity = parsed && parsed.auth && parsed.auth.identity;
            const role = identity && identity.assume_role;
            if (!identity || JSON.stringify(identity.methods) !== JSON.stringify(["assume_role"]) || !role || typeof role.agency_name !== "string" || typeof role.domain_name !== "string") {
                return bmsError(400, "IAM.0001", "auth.identity.methods must be [\"assume_role\"] with assume_role.agency_name and domain_name.");
            }
            const seconds = role.duration_seconds === undefined ? 900 : role.duration_seconds;
            if (!Number.isInteger(seconds) || seconds < 900 || seconds > 86400) {
                return bmsError(400, "IAM.0001", "duration_seconds must be from 900 to 86400.");
            }
            if (!opts.agencies.some((a) => a.domainName === role.domain_name && a.agencyName === role.agency_name)) {
                return bmsError(403, "IAM.0003", "Policy doesn't allow iam:agencies:assume to be performed.");
            }
            return send(201, credentialJson(issueTemporary("agency", seconds * 1000)));
        }

        if (r.api === "projects") {
            const name = new URLSearchParams(rawQuery).get("name");
            const list = name === opts.region ? [{ id: opts.projectId, name: opts.region, domain_id: "65382450e8f64ac0870cd180d14e684b", enabled: true, is_domain: false, parent_id: "65382450e8f64ac0870cd180d14e684b", description: "", links: {} }] : [];
            return send(200, { projects: list, links: { self: "/v3/projects", next: null, previous: null } });
        }

        const notFound = () => (opts.notFound === "400" ? bmsError(400, "BMS.0040", "The server does not exist.") : bmsError(404, "BMS.0040", "The server does not exist."));

        if (r.api === "jobs") {
            const job = jobs.get(r.id);
            if (!job || job.projectId !== r.project) return bmsError(404, "BMS.0040", "The job does not exist.");
            advanceJob(job);
            return send(200, {
                status: job.status,
                job_id: job.id,
                job_type: "baremetalBatchOperate",
                begin_time: job.beginTime,
                end_time: job.endTime || "",
                error_code: job.errorCode || null,
                fail_reason: job.failReason || null,
                entities: {
                    sub_jobs_total: 1,
                    sub_jobs: [{ status: job.status, job_id: job.subId, job_type: "baremetalSingleOperate", entities: { server_id: job.serverId }, error_code: job.errorCode || null, fail_reason: job.failReason || null }],
                },
            });
        }

        if (r.api === "action") {
            let parsed;
            try {
                parsed = JSON.parse(body);
            } catch (e) {
                return bmsError(400, "BMS.0001", "Fail to parse request, reason: malformed JSON.");
            }
            const keys = Object.keys(parsed || {});
            const action = keys[0];
            const spec = parsed && parsed[action];
            if (keys.length !== 1 || !["reboot", "os-start", "os-stop"].includes(action) || !spec || !Array.isArray(spec.servers) || spec.servers.length < 1 || spec.servers.length > 1000) {
                return bmsError(400, "BMS.0018", "Request parameter is invalid.");
            }
            if (action === "reboot" && spec.type !== "SOFT" && spec.type !== "HARD") return bmsError(400, "BMS.0018", "Request parameter is invalid.");
            const targets = spec.servers.map((x) => findServer(r.project, x && x.id));
            if (targets.some((s) => !s || s.deleted)) return bmsError(400, "BMS.0040", "The server does not exist.");
            for (const s of targets) {
                if (s.locked) return bmsError(400, "BMS.0605", "the BMS is locked.");
                if (s.taskState === "reboot_started_hard" || s.taskState === "reboot_started") return bmsError(400, "BMS.0037", `Server is rebooting, not allow to ${action}.`);
                if (action === "os-start" && s.status === "ACTIVE") return bmsError(400, "BMS.0038", "Server is running, not allow to start.");
                if (action === "os-stop" && s.status === "SHUTOFF") return bmsError(400, "BMS.0039", "Server is stopped, not allow to stop.");
                if (action === "reboot" && s.status === "SHUTOFF") return bmsError(400, "BMS.0039", "Server is stopped, not allow to reboot.");
            }
            const s = targets[0];
            // SOFT is documented as "not effective": accepted, and the job succeeds, but nothing happens.
            const effective = !(spec.type === "SOFT");
            if (effective) {
                if (action === "reboot") {
                    s.status = "HARD_REBOOT";
                    s.taskState = "reboot_started_hard";
                    s.reboots++;
                } else if (action === "os-stop") {
                    s.taskState = "powering-off";
                } else {
                    s.taskState = "powering-on";
                }
            }
            const id = crypto.randomUUID();
            const fail = s.failNextReboot && action === "reboot";
            s.failNextReboot = false;
            jobs.set(id, { id, subId: crypto.randomBytes(16).toString("hex"), projectId: r.project, serverId: s.id, action, effective, fail, status: "INIT", polls: 0, beginTime: new Date(opts.now()).toISOString() });
            return send(200, { job_id: id });
        }

        const s = findServer(r.project, r.id);
        if (!s || s.deleted === "404" || s.deleted === "400") return s && s.deleted === "400" ? bmsError(400, "BMS.0040", "The server does not exist.") : notFound();

        if (r.api === "details") return send(200, serverJson(s));
        if (s.deleted === "status") return notFound();
        if (r.api === "flag") return send(200, { resetpwd_flag: s.flag });
        if (r.api === "reset") {
            if (s.locked) return bmsError(400, "BMS.0605", "the BMS is locked.");
            let parsed;
            try {
                parsed = JSON.parse(body);
            } catch (e) {
                return bmsError(400, "BMS.0001", "Fail to parse request, reason: malformed JSON.");
            }
            const pw = parsed && parsed["reset-password"] && parsed["reset-password"].new_password;
            if (typeof pw !== "string" || Object.keys(parsed).length !== 1 || Object.keys(parsed["reset-password"]).length !== 1) {
                return bmsError(400, "BMS.0001", "Fail to parse request, reason: reset-password.new_password is required.");
            }
            // The real API accepts anything and reports nothing, even with the flag "False" (the reset then never applies).
            s.resets++;
            s.pendingPassword = pw;
            return send(204);
        }
        return gateway(404, "APIGW.0101", "The API does not exist or has not been published in the environment");
    }

    function control(method, path, body, send) {
        let parsed = {};
        try {
            parsed = body ? JSON.parse(body) : {};
        } catch (e) {
            return send(400, { error: "malformed JSON" });
        }
        if (method === "GET" && path === "/__emulator/state") {
            return send(200, { projectId: opts.projectId, region: opts.region, servers: [...servers.values()].map(publicView), requests: requests.length });
        }
        if (method === "POST" && path === "/__emulator/servers") {
            return send(201, publicView(addServer(parsed)));
        }
        if (method === "POST" && path === "/__emulator/faults") {
            inject(parsed);
            return send(201, { queued: faults.length });
        }
        return send(404, { error: "unknown control route" });
    }

    /** State without passwords: the control API never hands them out. */
    function publicView(s) {
        return { id: s.id, osType: s.osType, status: s.status, flag: s.flag, locked: s.locked, resets: s.resets, reboots: s.reboots, passwordPending: s.pendingPassword !== undefined };
    }

    return {
        options: opts,
        requests,
        addServer,
        server: (id, project = opts.projectId) => findServer(project, id),
        /** Test helper: flips the reset flag ("True"/"False"). */
        setFlag: (id, flag) => (findServer(opts.projectId, id).flag = flag),
        /** Test helper: the server disappears; mode "404" (default), "400" (BMS.0040) or "status" (status DELETED). */
        deleteServer: (id, mode = "404") => (findServer(opts.projectId, id).deleted = mode),
        /** Queues a fault: {kind: "status", status, retryAfter?} | {kind: "bms-error", status?, code, message?} | {kind: "route-missing"} | {kind: "raw", status, body?, contentType?} | {kind: "delay", ms} | {kind: "drop"}; optional api and times. */
        inject,
        faults,
        jobs,
        /** Temporary credentials handed to a test as if from STS: {ak, sk, token, expiresAt}. */
        issueTemporary: (lifetimeMs) => issueTemporary("given", lifetimeMs),
        temporary,
        /** Every GET of the metadata service: {at, ak, expiresAt}. */
        metadataRequests,
        get url() {
            const a = server.address();
            return `${opts.tls ? "https" : "http"}://127.0.0.1:${a.port}`;
        },
        get metadataUrl() {
            return `http://127.0.0.1:${metadataServer.address().port}/openstack/latest/securitykey`;
        },
        /** Starts the ECS metadata service (plain http on loopback, as the real one is plain http on 169.254.169.254). */
        async startMetadata() {
            metadataServer = http.createServer((req, res) => {
                if (req.method !== "GET" || req.url !== "/openstack/latest/securitykey" || !opts.metadataAgency) {
                    res.writeHead(404, { "Content-Type": "text/plain" });
                    res.end("Not Found");
                    return;
                }
                if (!metadataLease || metadataLease.expiresAt - opts.now() < opts.metadataRotateBeforeMs) {
                    metadataLease = issueTemporary("metadata", opts.metadataLifetimeMs);
                }
                metadataRequests.push({ at: opts.now(), ak: metadataLease.ak, expiresAt: metadataLease.expiresAt });
                const text = JSON.stringify(credentialJson(metadataLease));
                res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
                res.end(text);
            });
            await new Promise((resolve, reject) => {
                metadataServer.once("error", reject);
                metadataServer.listen(0, "127.0.0.1", resolve);
            });
            return this.metadataUrl;
        },
        async start(port = 0) {
            const listener = (req, res) => {
                const chunks = [];
                req.on("data", (c) => chunks.push(c));
                req.on("end", () => {
                    handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((e) => {
                        if (!res.headersSent) {
                            res.writeHead(500, { "Content-Type": "application/json" });
                            res.end(JSON.stringify({ error_code: "APIGW.0103", error_msg: `emulator failure: ${e.message}` }));
                        }
                    });
                });
            };
            server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : http.createServer(listener);
            await new Promise((resolve, reject) => {
                server.once("error", reject);
                server.listen(port, "127.0.0.1", resolve);
            });
            return this.url;
        },
        async close() {
            for (const s of [server, metadataServer]) {
                if (!s) continue;
                s.closeAllConnections();
                await new Promise((resolve) => s.close(resolve));
            }
        },
    };
}

module.exports = { createBmsEmulator, DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT, DEFAULT_LIMITS, DEFAULT_AGENCY, verifySignature, canonicalPath, canonicalQueryString };

if (require.main === module) {
    const args = process.argv.slice(2);
    const arg = (name, dflt) => {
        const i = args.indexOf(`--${name}`);
        return i >= 0 ? args[i + 1] : dflt;
    };
    const ak = arg("ak", DEFAULT_AK);
    const sk = arg("sk", process.env.BMS_EMULATOR_SK || DEFAULT_SK);
    const emu = createBmsEmulator({ credentials: { [ak]: sk }, projectId: arg("project", DEFAULT_PROJECT), region: arg("region", "cn-north-4") });
    for (const spec of args.flatMap((a, i) => (a === "--server" ? [args[i + 1]] : []))) {
        const [id, osType = "Linux"] = spec.split(":");
        emu.addServer({ id, osType });
    }
    emu.start(Number(arg("port", "0"))).then((url) => {
        // The secret key is printed only when it is the well-known emulator default.
        process.stdout.write(JSON.stringify({ url, accessKey: ak, secretKey: sk === DEFAULT_SK ? sk : undefined, projectId: emu.options.projectId, region: emu.options.region }) + "\n");
    });
    const stop = () => emu.close().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}
