"use strict";
// The emulator itself: signature verification with its own implementation, documented error shapes, routes, jobs.
const assert = require("assert");
const { createBmsEmulator, DEFAULT_AK, DEFAULT_SK, DEFAULT_PROJECT } = require("./bms-emulator");
const { signRequest } = require("../../dist/transport/huaweicloud/signer");

describe("bms emulator", () => {
    let emu;
    let url;
    let server;
    const clock = { t: Date.UTC(2026, 10, 21, 12, 0, 0) };
    beforeEach(async () => {
        emu = createBmsEmulator({ now: () => clock.t });
        url = await emu.start();
        server = emu.addServer({ osType: "Linux" });
    });
    afterEach(() => emu.close());

    async function send(method, path, { body = "", sk = DEFAULT_SK, ak = DEFAULT_AK, at = clock.t, tamper, headers = {}, to = url } = {}) {
        const signed = signRequest({ method, url: to + path, headers: { "Content-Type": "application/json", "X-Project-Id": DEFAULT_PROJECT, ...headers }, body }, { accessKey: ak, secretKey: sk }, new Date(at));
        const h = { ...signed.headers };
        delete h.Host;
        if (tamper) tamper(h);
        const res = await fetch(to + path, { method, headers: h, body: body === "" ? undefined : body });
        const text = await res.text();
        return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
    }
    const base = `/v1/${DEFAULT_PROJECT}/baremetalservers`;

    it("answers a correctly signed details request with the documented shape", async () => {
        const r = await send("GET", `${base}/${server.id}`);
        assert.strictEqual(r.status, 200);
        assert.strictEqual(r.json.server.id, server.id);
        assert.strictEqual(r.json.server.metadata.os_type, "Linux");
        assert.strictEqual(r.json.server.status, "ACTIVE");
        assert.match(r.headers.get("x-request-id"), /^[0-9a-f]{32}$/);
    });

    it("rejects a wrong secret with APIGW.0301 and echoes the canonical request with |", async () => {
        const r = await send("GET", `${base}/${server.id}`, { sk: "wrong" });
        assert.strictEqual(r.status, 401);
        assert.strictEqual(r.json.error_code, "APIGW.0301");
        assert.match(r.json.error_msg, /verify aksk signature fail, canonicalRequest:GET\|\/v1\//);
        assert.match(r.json.request_id, /^[0-9a-f]{32}$/);
    });

    it("rejects an unknown access key", async () => {
        const r = await send("GET", `${base}/${server.id}`, { ak: "NOSUCHKEY" });
        assert.strictEqual(r.status, 401);
        assert.match(r.json.error_msg, /ak NOSUCHKEY not exist/);
    });

    it("rejects a signature older than 15 minutes", async () => {
        const r = await send("GET", `${base}/${server.id}`, { at: clock.t - 16 * 60 * 1000 });
        assert.strictEqual(r.status, 401);
        assert.match(r.json.error_msg, /signature expired/);
    });

    it("rejects a body changed after signing", async () => {
        const body = JSON.stringify({ "reset-password": { new_password: "Fusion@123" } });
        const signed = signRequest({ method: "PUT", url: `${url}${base}/${server.id}/os-reset-password`, headers: { "Content-Type": "application/json" }, body }, { accessKey: DEFAULT_AK, secretKey: DEFAULT_SK }, new Date(clock.t));
        const h = { ...signed.headers };
        delete h.Host;
        const res = await fetch(`${url}${base}/${server.id}/os-reset-password`, { method: "PUT", headers: h, body: body.replace("123", "124") });
        assert.strictEqual(res.status, 401);
        assert.strictEqual(emu.server(server.id).resets, 0);
    });

    it("rejects a signed header changed after signing", async () => {
        const r = await send("GET", `${base}/${server.id}`, { tamper: (h) => (h["X-Project-Id"] = "ffffffffffffffffffffffffffffffff") });
        assert.strictEqual(r.status, 401);
    });

    it("answers unknown routes and trailing slashes with APIGW.0101", async () => {
        assert.strictEqual((await send("GET", `${base}/${server.id}/`)).json.error_code, "APIGW.0101");
        assert.strictEqual((await send("DELETE", `${base}/${server.id}`)).status, 404);
    });

    it("returns the flag as a string and 204 for a reset that applies only after a reboot", async () => {
        assert.deepStrictEqual((await send("GET", `${base}/${server.id}/os-resetpwd-flag`)).json, { resetpwd_flag: "True" });
        const r = await send("PUT", `${base}/${server.id}/os-reset-password`, { body: JSON.stringify({ "reset-password": { new_password: "Fusion@123" } }) });
        assert.strictEqual(r.status, 204);
        assert.strictEqual(emu.server(server.id).pendingPassword, "Fusion@123");
        const a = await send("POST", `${base}/action`, { body: JSON.stringify({ reboot: { type: "HARD", servers: [{ id: server.id }] } }) });
        assert.strictEqual(a.status, 200);
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await send("GET", `/v1/${DEFAULT_PROJECT}/jobs/${a.json.job_id}`)).json.status);
        assert.deepStrictEqual(statuses, ["INIT", "RUNNING", "SUCCESS", "SUCCESS"]);
        assert.strictEqual(emu.server(server.id).effectivePassword, "Fusion@123");
    });

    it("accepts a reset with the flag False but never applies it", async () => {
        emu.setFlag(server.id, "False");
        await send("PUT", `${base}/${server.id}/os-reset-password`, { body: JSON.stringify({ "reset-password": { new_password: "Fusion@123" } }) });
        const a = await send("POST", `${base}/action`, { body: JSON.stringify({ reboot: { type: "HARD", servers: [{ id: server.id }] } }) });
        for (let i = 0; i < 3; i++) await send("GET", `/v1/${DEFAULT_PROJECT}/jobs/${a.json.job_id}`);
        assert.strictEqual(emu.server(server.id).effectivePassword, undefined);
    });

    it("treats SOFT reboot as accepted but without effect", async () => {
        await send("PUT", `${base}/${server.id}/os-reset-password`, { body: JSON.stringify({ "reset-password": { new_password: "Fusion@123" } }) });
        const a = await send("POST", `${base}/action`, { body: JSON.stringify({ reboot: { type: "SOFT", servers: [{ id: server.id }] } }) });
        for (let i = 0; i < 3; i++) await send("GET", `/v1/${DEFAULT_PROJECT}/jobs/${a.json.job_id}`);
        assert.strictEqual(emu.server(server.id).effectivePassword, undefined);
    });

    it("returns BMS error bodies for bad requests and state conflicts", async () => {
        const bad = await send("PUT", `${base}/${server.id}/os-reset-password`, { body: '{"reset-password":{}}' });
        assert.deepStrictEqual([bad.status, bad.json.error.code], [400, "BMS.0001"]);
        emu.server(server.id).status = "SHUTOFF";
        const r = await send("POST", `${base}/action`, { body: JSON.stringify({ reboot: { type: "HARD", servers: [{ id: server.id }] } }) });
        assert.deepStrictEqual([r.status, r.json.error.code], [400, "BMS.0039"]);
    });

    it("reports a deleted server as 404 BMS.0040, 400 BMS.0040 or status DELETED", async () => {
        emu.deleteServer(server.id, "404");
        assert.deepStrictEqual([(await send("GET", `${base}/${server.id}`)).status], [404]);
        emu.deleteServer(server.id, "400");
        assert.strictEqual((await send("GET", `${base}/${server.id}`)).json.error.code, "BMS.0040");
        emu.deleteServer(server.id, "status");
        assert.strictEqual((await send("GET", `${base}/${server.id}`)).json.server.status, "DELETED");
    });

    it("throttles per API at the documented limit with APIGW.0308", async () => {
        const limited = createBmsEmulator({ now: () => clock.t, limits: { flag: 2 } });
        const u = await limited.start();
        const s = limited.addServer({});
        try {
            const answers = [];
            for (let i = 0; i < 3; i++) answers.push(await send("GET", `${base}/${s.id}/os-resetpwd-flag`, { to: u }));
            assert.deepStrictEqual(answers.map((a) => a.status), [200, 200, 429]);
            assert.strictEqual(answers[2].json.error_code, "APIGW.0308");
        } finally {
            await limited.close();
        }
    });

    it("accepts a configured IAM token and rejects a token for another project", async () => {
        const tok = createBmsEmulator({ now: () => clock.t, tokens: { "tok-1": DEFAULT_PROJECT, "tok-2": "ffffffffffffffffffffffffffffffff" } });
        const u = await tok.start();
        const s = tok.addServer({});
        try {
            assert.strictEqual((await fetch(`${u}${base}/${s.id}`, { headers: { "X-Auth-Token": "tok-1" } })).status, 200);
            const other = await fetch(`${u}${base}/${s.id}`, { headers: { "X-Auth-Token": "tok-2" } });
            assert.strictEqual((await other.json()).error.code, "Common.0018");
            assert.strictEqual((await fetch(`${u}${base}/${s.id}`, { headers: { "X-Auth-Token": "nope" } })).status, 401);
        } finally {
            await tok.close();
        }
    });

    it("starts standalone with --port and serves its control routes", async () => {
        const { spawn } = require("child_process");
        const child = spawn(process.execPath, [require.resolve("./bms-emulator"), "--port", "0", "--server", "77616c78-0bc4-4156-b24b-4286586ac350:Windows"], { stdio: ["ignore", "pipe", "inherit"] });
        try {
            const line = await new Promise((resolve, reject) => {
                child.stdout.once("data", (d) => resolve(d.toString()));
                child.once("exit", (c) => reject(new Error(`exited ${c}`)));
            });
            const info = JSON.parse(line);
            const state = await (await fetch(`${info.url}/__emulator/state`)).json();
            assert.strictEqual(state.servers[0].osType, "Windows");
            assert.ok(!JSON.stringify(state).includes("assword\":\""));
        } finally {
            child.kill("SIGTERM");
            await new Promise((resolve) => child.once("exit", resolve));
        }
    });
});
