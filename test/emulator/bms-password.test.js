"use strict";
// BmsPassword provider against the local emulator: lifecycle, faults, credentials, and that the password travels
// only in the PUT reset body.
const assert = require("assert");
const provider = require("../../dist/bmsPassword/provider");
const { isCredentialsError, PartialFailureError } = require("../../dist/shared/errors");
const { setup, rejection, DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT } = require("./harness");

const SENTINEL = "Sentinel-Bms-7Q!x";
const SECOND = "Second-Bms-9Z@y";

describe("BmsPassword against the emulator", () => {
    let h;
    let server;
    const inputs = (patch = {}) => ({ serverId: server.id, password: SENTINEL, endpoint: h.url, osType: "auto", restart: "never", __provider: "stub", ...patch });
    const resets = () => h.emu.requests.filter((r) => r.api === "reset" && r.status === 204).length;
    const calls = (api) => h.emu.requests.filter((r) => r.api === api);

    afterEach(() => h && h.teardown());

    describe("lifecycle", () => {
        beforeEach(async () => {
            h = await setup();
            server = h.emu.addServer({ osType: "Linux", password: "Initial-Pw-1" });
        });

        it("check → create → diff → update (new password, restart hard) → read → delete", async () => {
            const checked = await provider.check({}, inputs());
            assert.strictEqual(checked.failures, undefined);

            const created = await provider.create(checked.inputs);
            assert.strictEqual(created.id, server.id);
            const outs = created.outs;
            assert.strictEqual(outs.osType, "linux");
            assert.strictEqual(outs.requestedOsType, "auto");
            assert.strictEqual(outs.pendingRestart, true);
            assert.strictEqual(outs.resetSupported, true);
            assert.strictEqual(outs.serverStatus, "ACTIVE");
            assert.strictEqual(outs.projectId, DEFAULT_PROJECT);
            assert.strictEqual(outs.resetAt, new Date(h.clock.t).toISOString());
            assert.match(outs.passwordDigest, /^hmac-sha256:[0-9a-f]{32}:[0-9a-f]{64}$/);
            assert.match(outs.passwordNote, /cannot be read back/);
            assert.strictEqual(outs.password, undefined);
            assert.strictEqual(h.emu.server(server.id).pendingPassword, SENTINEL);
            assert.strictEqual(h.emu.server(server.id).effectivePassword, "Initial-Pw-1", "not applied before a restart");
            assert.strictEqual(calls("action").length, 0);

            // Same inputs: no change. The old outputs as olds, as the engine passes them.
            const stored = { ...outs, __provider: "stub" };
            assert.strictEqual((await provider.diff(server.id, stored, { ...checked.inputs, __provider: "new stub" })).changes, false);

            const next = (await provider.check(checked.inputs, inputs({ password: SECOND, restart: "hard" }))).inputs;
            const d = await provider.diff(server.id, stored, next);
            assert.strictEqual(d.changes, true);
            assert.deepStrictEqual(d.replaces, []);

            const updated = (await provider.update(server.id, stored, next)).outs;
            assert.strictEqual(updated.pendingRestart, false);
            assert.strictEqual(updated.restart, "hard");
            assert.ok(updated.restartJobId);
            assert.notStrictEqual(updated.passwordDigest, outs.passwordDigest);
            assert.strictEqual(h.emu.server(server.id).effectivePassword, SECOND);
            assert.strictEqual(h.emu.server(server.id).reboots, 1);
            const jobStatuses = calls("jobs").length;
            assert.ok(jobStatuses >= 3, "job polled through INIT and RUNNING to SUCCESS");
            assert.strictEqual(resets(), 2);

            const read = await provider.read(server.id, { ...updated, __provider: "stub" });
            assert.strictEqual(read.id, server.id);
            assert.strictEqual(read.props.pendingRestart, false);
            assert.strictEqual(read.props.serverStatus, "ACTIVE");
            assert.strictEqual(read.props.resetSupported, true);
            assert.strictEqual(read.props.__provider, "stub");
            assert.strictEqual((await provider.diff(server.id, read.props, next)).changes, false);

            const before = h.emu.requests.length;
            await provider.delete(server.id, read.props);
            assert.strictEqual(h.emu.requests.length, before, "delete makes no API call");
            assert.ok(h.logs.some((l) => /nothing to undo/.test(l)));
        });

        it("create with restart hard reboots and polls the job until SUCCESS", async () => {
            const outs = (await provider.create(inputs({ restart: "hard" }))).outs;
            assert.strictEqual(outs.pendingRestart, false);
            assert.strictEqual(h.emu.server(server.id).effectivePassword, SENTINEL);
            assert.deepStrictEqual(calls("jobs").map((r) => r.status), [200, 200, 200]);
            const action = calls("action")[0];
            assert.deepStrictEqual(JSON.parse(action.body), { reboot: { type: "HARD", servers: [{ id: server.id }] } });
        });

        it("update that only switches restart to hard reboots without resetting again", async () => {
            const outs = (await provider.create(inputs())).outs;
            const updated = (await provider.update(server.id, outs, inputs({ restart: "hard" }))).outs;
            assert.strictEqual(resets(), 1);
            assert.strictEqual(updated.pendingRestart, false);
            assert.strictEqual(updated.resetAt, outs.resetAt);
            assert.strictEqual(updated.passwordDigest, outs.passwordDigest);
            assert.strictEqual(h.emu.server(server.id).effectivePassword, SENTINEL);
        });

        it("create is idempotent: repeating it resets the same password again and succeeds", async () => {
            await provider.create(inputs());
            await provider.create(inputs());
            assert.strictEqual(resets(), 2);
            assert.strictEqual(h.emu.server(server.id).pendingPassword, SENTINEL);
        });

        it("read clears pendingRestart when the server booted after the reset", async () => {
            const outs = (await provider.create(inputs())).outs;
            assert.strictEqual((await provider.read(server.id, outs)).props.pendingRestart, true);
            h.emu.server(server.id).launchedAt = new Date(h.clock.t + 60000).toISOString().replace("Z", "");
            assert.strictEqual((await provider.read(server.id, outs)).props.pendingRestart, false);
        });

        it("read refreshes the flag and the OS, and makes only GET requests", async () => {
            const outs = (await provider.create(inputs())).outs;
            h.emu.setFlag(server.id, "False");
            const before = h.emu.requests.length;
            const r = await provider.read(server.id, outs);
            assert.strictEqual(r.props.resetSupported, false);
            assert.ok(h.emu.requests.slice(before).every((x) => x.method === "GET"));
        });

        for (const mode of ["404", "400", "status"]) {
            it(`read returns no id when the server is gone (${mode === "status" ? "status DELETED" : `${mode} BMS.0040`})`, async () => {
                const outs = (await provider.create(inputs())).outs;
                h.emu.deleteServer(server.id, mode);
                const r = await provider.read(server.id, outs);
                assert.strictEqual(r.id, undefined);
            });
        }

        for (const [what, fault] of [
            ["the gateway's APIGW.0101 (route not published)", { kind: "route-missing" }],
            ["an empty 404", { kind: "raw", status: 404 }],
            ["a proxy's HTML 404 page", { kind: "raw", status: 404, contentType: "text/html", body: "<html><body>404 Not Found</body></html>" }],
            ["another service's JSON 404", { kind: "raw", status: 404, contentType: "application/json", body: '{"error":{"code":"ECS.0114","message":"The ECS does not exist."}}' }],
        ]) {
            it(`read keeps the resource and names the endpoint on ${what}`, async () => {
                const outs = (await provider.create(inputs())).outs;
                h.emu.inject({ api: "details", ...fault });
                const e = await rejection(() => provider.read(server.id, outs));
                assert.ok(isCredentialsError(e, "HWC_WRONG_ENDPOINT"), String(e));
                assert.ok(e.message.includes(h.url), e.message);
                assert.strictEqual(e.context.endpoint, h.url);
                assert.match(e.hint, /endpoint/);
            });
        }

        it("a restart: hard on a SHUTOFF server settles: the second plan is empty, and stays empty once the owner starts it", async () => {
            h.emu.server(server.id).status = "SHUTOFF";
            const created = (await provider.create(inputs({ restart: "hard" }))).outs;
            assert.strictEqual(created.pendingRestart, true);
            assert.strictEqual(calls("action").length, 0, "a stopped server is not started");
            const d = await provider.diff(server.id, { ...created, __provider: "stub" }, inputs({ restart: "hard" }));
            assert.deepStrictEqual(d, { changes: false, replaces: [], deleteBeforeReplace: false });
            // Refresh while still stopped: still pending, still no change.
            const stillOff = (await provider.read(server.id, created)).props;
            assert.strictEqual(stillOff.pendingRestart, true);
            assert.strictEqual((await provider.diff(server.id, stillOff, inputs({ restart: "hard" }))).changes, false);
            // The owner starts it: the start applied the password, so the refresh clears the flag and nothing reboots.
            const s = h.emu.server(server.id);
            s.status = "ACTIVE";
            const started = (await provider.read(server.id, stillOff)).props;
            assert.strictEqual(started.pendingRestart, false);
            assert.strictEqual((await provider.diff(server.id, started, inputs({ restart: "hard" }))).changes, false);
        });

        it("a pending restart with restart: hard is retried on the next update (diff reports it)", async () => {
            h.emu.server(server.id).failNextReboot = true;
            const e = await rejection(() => provider.create(inputs({ restart: "hard" })));
            assert.ok(e instanceof PartialFailureError, String(e));
            assert.strictEqual(e.code, "HWC_JOB_FAILED");
            assert.strictEqual(e.id, server.id);
            assert.strictEqual(e.properties.pendingRestart, true);
            assert.strictEqual(e.properties.__provider, "stub");
            assert.match(e.reasons[0], /HWC_JOB_FAILED/);
            assert.strictEqual((await provider.diff(server.id, e.properties, inputs({ restart: "hard" }))).changes, true);
            const outs = (await provider.update(server.id, e.properties, inputs({ restart: "hard" }))).outs;
            assert.strictEqual(resets(), 1, "the password is not reset again");
            assert.strictEqual(outs.pendingRestart, false);
            assert.strictEqual(h.emu.server(server.id).effectivePassword, SENTINEL);
        });
    });

    describe("server conditions", () => {
        beforeEach(async () => {
            h = await setup();
        });

        it("flag False: a clear error about the CloudResetPwdAgent plug-in, and no reset", async () => {
            server = h.emu.addServer({ flag: "False" });
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_RESET_AGENT_MISSING"), String(e));
            assert.match(e.message, /CloudResetPwdAgent/);
            assert.strictEqual(calls("reset").length, 0);
        });

        it("missing server: HWC_NOT_FOUND and no reset", async () => {
            server = { id: "00000000-0000-4000-8000-000000000000" };
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_NOT_FOUND"), String(e));
            assert.strictEqual(calls("reset").length, 0);
        });

        it("locked server: HWC_SERVER_STATE with what to do", async () => {
            server = h.emu.addServer({ locked: true });
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_SERVER_STATE"), String(e));
            assert.match(e.message, /unlock/);
        });

        it("SHUTOFF server with restart hard: reset, no reboot, still pending", async () => {
            server = h.emu.addServer({ status: "SHUTOFF" });
            const outs = (await provider.create(inputs({ restart: "hard" }))).outs;
            assert.strictEqual(outs.pendingRestart, true);
            assert.strictEqual(outs.serverStatus, "SHUTOFF");
            assert.strictEqual(calls("action").length, 0);
            assert.ok(h.logs.some((l) => /SHUTOFF/.test(l)));
        });

        it("waits (bounded) while the server is rebooting, then proceeds", async () => {
            server = h.emu.addServer({});
            const s = h.emu.server(server.id);
            s.status = "HARD_REBOOT";
            s.taskState = "reboot_started_hard";
            let polls = 0;
            const orig = h.emu.requests.push.bind(h.emu.requests);
            h.emu.requests.push = (r) => {
                if (r.method === "GET" && /baremetalservers\/[^/]+$/.test(r.path) && ++polls === 2) {
                    s.status = "ACTIVE";
                    s.taskState = "";
                }
                return orig(r);
            };
            await provider.create(inputs());
            assert.strictEqual(resets(), 1);
            assert.ok(h.sleeps.length >= 1);
        });

        it("gives up with a transient HWC_SERVER_STATE when the server never settles", async () => {
            server = h.emu.addServer({});
            h.emu.server(server.id).taskState = "powering-on";
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_SERVER_STATE"), String(e));
            assert.strictEqual(e.transient, true);
            assert.strictEqual(calls("reset").length, 0);
        });

        it("osType auto on Windows applies the Windows rules before any reset", async () => {
            server = h.emu.addServer({ osType: "Windows" });
            const pw = "Adm-Pass-77x";
            assert.strictEqual((await provider.check({}, inputs({ password: pw }))).failures, undefined, "not knowable at check time");
            const e = await rejection(() => provider.create(inputs({ password: pw })));
            assert.ok(isCredentialsError(e, "HWC_PASSWORD_RULE"), String(e));
            assert.match(e.message, /windows-username-run/);
            assert.ok(!e.message.includes(pw));
            assert.strictEqual(calls("reset").length, 0);
        });

        it("osType auto on Linux rejects Windows-only specials at create", async () => {
            server = h.emu.addServer({ osType: "Linux" });
            const e = await rejection(() => provider.create(inputs({ password: "Dollar$Pw12" })));
            assert.ok(isCredentialsError(e, "HWC_PASSWORD_RULE"), String(e));
            assert.match(e.message, /allowed-characters/);
        });

        it("an explicit osType overrides the metadata; missing metadata with auto asks for osType", async () => {
            server = h.emu.addServer({ osType: null });
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_SERVER_STATE"), String(e));
            assert.match(e.message, /osType/);
            const outs = (await provider.create(inputs({ osType: "windows" }))).outs;
            assert.strictEqual(outs.osType, "windows");
        });
    });

    describe("faults", () => {
        beforeEach(async () => {
            h = await setup({ timeoutMs: 300 });
            server = h.emu.addServer({});
        });

        it("429 with Retry-After is retried after the requested delay", async () => {
            h.emu.inject({ api: "reset", kind: "status", status: 429, retryAfter: 7 });
            await provider.create(inputs());
            assert.ok(h.sleeps.includes(7000), JSON.stringify(h.sleeps));
            assert.deepStrictEqual(calls("reset").map((r) => r.status), [429, 204]);
            assert.ok(h.logs.some((l) => /HWC_RATE_LIMITED/.test(l)));
        });

        it("500 and 503 are retried with jittered backoff", async () => {
            h.emu.inject({ api: "details", kind: "status", status: 500 });
            h.emu.inject({ api: "flag", kind: "status", status: 503 });
            await provider.create(inputs());
            assert.deepStrictEqual(calls("details").map((r) => r.status).slice(0, 2), [500, 200]);
            assert.deepStrictEqual(calls("flag").map((r) => r.status), [503, 200]);
            assert.ok(h.sleeps.includes(500), "full jitter: random 0.5 × base 1000 ms");
        });

        it("persistent 5xx fails after a bounded number of attempts", async () => {
            h.emu.inject({ api: "reset", kind: "status", status: 502, times: 100 });
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_SERVER_ERROR"), String(e));
            assert.strictEqual(calls("reset").length, 4);
            assert.match(e.message, /requestId=[0-9a-f]{32}/);
        });

        it("a slow response times out and is retried", async () => {
            h.emu.inject({ api: "flag", kind: "delay", ms: 1500 });
            await provider.create(inputs());
            assert.ok(h.logs.some((l) => /HWC_TIMEOUT/.test(l)), h.logs.join("\n"));
            assert.strictEqual(resets(), 1);
        });

        it("a dropped connection is retried", async () => {
            h.emu.inject({ api: "reset", kind: "drop" });
            await provider.create(inputs());
            assert.ok(h.logs.some((l) => /HWC_NETWORK/.test(l)), h.logs.join("\n"));
            assert.deepStrictEqual(calls("reset").map((r) => r.status), ["dropped", 204]);
        });

        it("a dropped connection on the reboot is not repeated (it may have been accepted)", async () => {
            h.emu.inject({ api: "action", kind: "drop" });
            const e = await rejection(() => provider.create(inputs({ restart: "hard" })));
            assert.ok(e instanceof PartialFailureError, String(e));
            assert.strictEqual(e.code, "HWC_NETWORK");
            assert.strictEqual(calls("action").length, 1);
            assert.strictEqual(e.properties.pendingRestart, true);
        });

        it("a 500 on the reboot is not repeated, but a 503 (not executed) is", async () => {
            h.emu.inject({ api: "action", kind: "status", status: 500 });
            const e = await rejection(() => provider.create(inputs({ restart: "hard" })));
            assert.ok(e instanceof PartialFailureError, String(e));
            assert.strictEqual(calls("action").length, 1);
            assert.match(e.message, /may or may not have been executed/);
            h.emu.inject({ api: "action", kind: "status", status: 503 });
            const outs = (await provider.update(server.id, e.properties, inputs({ restart: "hard" }))).outs;
            assert.deepStrictEqual(calls("action").map((r) => r.status), [500, 503, 200]);
            assert.strictEqual(outs.pendingRestart, false);
        });

        it("a power-state conflict (BMS.0037) is retried", async () => {
            h.emu.inject({ api: "reset", kind: "bms-error", code: "BMS.0037", message: "Server is rebooting, not allow to reset." });
            await provider.create(inputs());
            assert.deepStrictEqual(calls("reset").map((r) => r.status), [400, 204]);
        });

        it("the emulator's own rate limit (APIGW.0308, no Retry-After) is ridden out with backoff", async () => {
            await h.teardown();
            // The gateway sends no Retry-After; a backoff long enough to cross its window gets through.
            h = await setup({ emulator: { limits: { details: 1 } }, runtime: { baseDelayMs: 40000, maxDelayMs: 60000 } });
            server = h.emu.addServer({});
            await provider.create(inputs({ restart: "hard" }));
            assert.ok(calls("details").some((r) => r.status === 429));
            assert.strictEqual(resets(), 1);
        });

        it("client-side buckets space out resets beyond 50 per minute", async () => {
            for (let i = 0; i < 52; i++) await provider.create(inputs());
            assert.ok(h.sleeps.includes(60000), JSON.stringify(h.sleeps.slice(-5)));
            assert.ok(calls("reset").every((r) => r.status === 204), "never throttled by the server");
        });
    });

    describe("credentials", () => {
        it("wrong secret key: HWC_AUTH_FAILED, never retried", async () => {
            h = await setup({ env: { HW_SECRET_KEY: "wrong-secret" } });
            server = h.emu.addServer({});
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_AUTH_FAILED"), String(e));
            assert.strictEqual(h.emu.requests.length, 1);
            assert.ok(!e.message.includes("wrong-secret"));
        });

        it("unknown access key: HWC_AUTH_FAILED naming the access key setting", async () => {
            h = await setup({ env: { HW_ACCESS_KEY: "NOSUCHKEY" } });
            server = h.emu.addServer({});
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_AUTH_FAILED"));
            assert.match(e.message, /HW_ACCESS_KEY/);
        });

        it("a skewed clock: HWC_AUTH_FAILED telling to sync the clock", async () => {
            h = await setup({ clientSkewMs: 20 * 60 * 1000 });
            server = h.emu.addServer({});
            const e = await rejection(() => provider.create(inputs()));
            assert.match(e.message, /clock/);
        });

        it("no credentials at all: HWC_CREDENTIALS_MISSING before any request", async () => {
            h = await setup({ env: { HW_ACCESS_KEY: undefined, HW_SECRET_KEY: undefined } });
            server = h.emu.addServer({});
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_CREDENTIALS_MISSING"), String(e));
            assert.strictEqual(h.emu.requests.length, 0);
        });

        it("configure reads huaweicloud:* config, which wins over the environment", async () => {
            h = await setup({ env: { HW_ACCESS_KEY: "NOSUCHKEY", HW_SECRET_KEY: "wrong", HW_PROJECT_ID: undefined } });
            server = h.emu.addServer({});
            const values = { "huaweicloud:accessKey": DEFAULT_AK, "huaweicloud:secretKey": DEFAULT_SK, "huaweicloud:projectId": DEFAULT_PROJECT };
            await provider.configure({ config: { get: (k) => values[k], require: (k) => values[k] } });
            const outs = (await provider.create(inputs())).outs;
            assert.strictEqual(outs.projectId, DEFAULT_PROJECT);
            assert.ok(!JSON.stringify(outs).includes(DEFAULT_SK));
        });

        it("configure takes effect synchronously (CRUD may start before its promise resolves)", async () => {
            h = await setup({ env: { HW_ACCESS_KEY: undefined, HW_SECRET_KEY: undefined } });
            server = h.emu.addServer({});
            const values = { "huaweicloud:accessKey": DEFAULT_AK, "huaweicloud:secretKey": DEFAULT_SK };
            const pending = provider.configure({ config: { get: (k) => values[k] } });
            const created = provider.create(inputs());
            await Promise.all([pending, created]);
        });

        it("looks the project id up through IAM by region when none is given", async () => {
            h = await setup({ env: { HW_PROJECT_ID: undefined, HW_REGION_NAME: "cn-north-4" } });
            server = h.emu.addServer({});
            const outs = (await provider.create(inputs())).outs;
            assert.strictEqual(outs.projectId, DEFAULT_PROJECT);
            assert.strictEqual(calls("projects").length, 1);
            assert.strictEqual(calls("projects")[0].headers["x-project-id"], undefined);
            await provider.create(inputs());
            assert.strictEqual(calls("projects").length, 1, "cached");
        });

        it("fails clearly when IAM knows no project for the region", async () => {
            h = await setup({ env: { HW_PROJECT_ID: undefined, HW_REGION_NAME: "ap-southeast-9" } });
            server = h.emu.addServer({});
            const e = await rejection(() => provider.create(inputs()));
            assert.ok(isCredentialsError(e, "HWC_CREDENTIALS_MISSING"), String(e));
            assert.match(e.message, /projectId/);
        });

        it("IAM token auth (HW_AUTH_TOKEN) works without AK/SK", async () => {
            h = await setup({ env: { HW_ACCESS_KEY: undefined, HW_SECRET_KEY: undefined, HW_AUTH_TOKEN: "tok-abc" }, emulator: { tokens: { "tok-abc": DEFAULT_PROJECT } } });
            server = h.emu.addServer({});
            await provider.create(inputs());
            assert.ok(h.emu.requests.every((r) => r.headers["x-auth-token"] === "tok-abc" && r.headers.authorization === undefined));
        });

        it("STS security token is sent and signed", async () => {
            h = await setup({ env: { HW_SECURITY_TOKEN: "sts-token-1" } });
            server = h.emu.addServer({});
            await provider.create(inputs());
            assert.ok(h.emu.requests.every((r) => r.headers["x-security-token"] === "sts-token-1" && /x-security-token/.test(r.headers.authorization)));
        });
    });

    describe("the password travels only in the PUT reset body", () => {
        it("no request, URL, header, log line, error or check failure carries it elsewhere", async () => {
            // The deadline leaves room for a loaded machine; the delayed reset outlasts it on purpose.
            h = await setup({ timeoutMs: 1000 });
            server = h.emu.addServer({});
            const texts = [];
            const capture = async (fn) => {
                try {
                    return await fn();
                } catch (e) {
                    texts.push(String(e), e.stack || "", JSON.stringify(e), e.reasons ? JSON.stringify(e.reasons) : "", e.cause ? String(e.cause) : "");
                    if (e.properties) texts.push(JSON.stringify(e.properties));
                }
            };
            // Errors of every kind with the sentinel in flight.
            h.emu.inject({ api: "reset", kind: "status", status: 429, retryAfter: 1 });
            h.emu.inject({ api: "reset", kind: "drop" });
            h.emu.inject({ api: "reset", kind: "delay", ms: 3000 });
            h.emu.inject({ api: "reset", kind: "bms-error", code: "BMS.0001", message: `Fail to parse request, reason: ${SENTINEL}` });
            await capture(() => provider.create(inputs()));
            h.emu.server(server.id).failNextReboot = true;
            const outs = await capture(async () => (await provider.create(inputs({ restart: "hard" }))).outs);
            await capture(() => provider.create(inputs({ password: `${SENTINEL}#` , osType: "linux"})));
            const win = h.emu.addServer({ osType: "Windows" });
            await capture(() => provider.create(inputs({ serverId: win.id, password: "Adm" + SENTINEL.slice(3) })));
            h.emu.setFlag(server.id, "False");
            await capture(() => provider.create(inputs()));
            h.env.HW_SECRET_KEY = "wrong";
            await capture(() => provider.create(inputs()));
            h.env.HW_SECRET_KEY = DEFAULT_SK;
            h.emu.setFlag(server.id, "True");
            const good = (await provider.create(inputs({ restart: "hard" }))).outs;
            texts.push(JSON.stringify(good), JSON.stringify(outs || {}));
            texts.push(JSON.stringify((await provider.read(server.id, good)).props));
            texts.push(JSON.stringify(await provider.diff(server.id, good, inputs({ password: SECOND }))));
            for (const pw of [SENTINEL + " ", "short", `${SENTINEL}${SENTINEL}`]) {
                texts.push(JSON.stringify((await provider.check({}, inputs({ password: pw, osType: "linux" }))).failures));
            }
            texts.push(...h.logs);
            texts.push(...(await provider.check({}, inputs({ serverId: SENTINEL }))).failures.map((f) => f.reason));

            let sawPut = 0;
            for (const r of h.emu.requests) {
                const isResetBody = r.method === "PUT" && r.api === "reset";
                if (isResetBody) sawPut++;
                texts.push(r.url, JSON.stringify(r.headers));
                if (!isResetBody) texts.push(r.body);
            }
            assert.ok(sawPut >= 3);
            assert.ok(texts.length > 30);
            for (const t of texts) {
                assert.ok(!t.includes(SENTINEL), `leak: ${t.slice(0, 300)}`);
                assert.ok(!t.includes(DEFAULT_SK), `secret key leak: ${t.slice(0, 300)}`);
            }
            // Positive control: the sentinel really was sent in a reset body.
            assert.ok(h.emu.requests.some((r) => r.api === "reset" && r.body.includes(SENTINEL)));
        });
    });
});
