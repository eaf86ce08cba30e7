"use strict";
// Pure diff/decision logic of BmsPassword, Huawei error mapping, and the token buckets.
const assert = require("assert");
const plan = require("../../dist/bmsPassword/plan");
const { UNKNOWN } = require("../../dist/shared/validation");
const { errorFromResponse, parseErrorBody, parseRetryAfter } = require("../../dist/transport/huaweicloud/errors");
const { TokenBucket, newBucketSet, sharedBuckets } = require("../../dist/transport/huaweicloud/buckets");

const SERVER = "77616c78-0bc4-4156-b24b-4286586ac350";
const PW = "Fusion@123";
const salt = Buffer.alloc(16, 7);
const olds = () => ({
    schemaVersion: 1,
    serverId: SERVER,
    projectId: "2e62dec99940499d93717c2789759015",
    requestedOsType: "auto",
    osType: "linux",
    restart: "never",
    resetAt: "2026-01-01T00:00:00.000Z",
    pendingRestart: true,
    resetSupported: true,
    serverStatus: "ACTIVE",
    passwordDigest: plan.digestPassword(PW, salt),
    passwordNote: plan.PASSWORD_NOTE,
    __provider: "old code",
});
const news = (patch = {}) => ({ serverId: SERVER, password: PW, osType: "auto", restart: "never", __provider: "new code", ...patch });

describe("bms plan: digest", () => {
    it("matches only the same password and never contains it", () => {
        const d = plan.digestPassword(PW, salt);
        assert.ok(plan.digestMatches(d, PW));
        assert.ok(!plan.digestMatches(d, "Fusion@124"));
        assert.ok(!d.includes(PW));
        assert.ok(!plan.digestMatches("garbage", PW));
        assert.ok(!plan.digestMatches(undefined, PW));
    });
});

describe("bms plan: diff", () => {
    it("no change for identical inputs; __provider is ignored", () => {
        assert.deepStrictEqual(plan.diffBmsPassword(olds(), news()), { changes: false, replaces: [], deleteBeforeReplace: false });
    });
    it("a new password is a change, not a replacement", () => {
        const d = plan.diffBmsPassword(olds(), news({ password: "Other@1234" }));
        assert.strictEqual(d.changes, true);
        assert.deepStrictEqual(d.replaces, []);
    });
    it("an unknown password (preview) is a change", () => assert.strictEqual(plan.diffBmsPassword(olds(), news({ password: UNKNOWN })).changes, true));
    it("a new serverId replaces", () => assert.deepStrictEqual(plan.diffBmsPassword(olds(), news({ serverId: "00000000-0bc4-4156-b24b-4286586ac350" })).replaces, ["serverId"]));
    it("an unknown serverId replaces", () => assert.deepStrictEqual(plan.diffBmsPassword(olds(), news({ serverId: UNKNOWN })).replaces, ["serverId"]));
    it("an explicit different projectId replaces; an omitted one does not", () => {
        assert.deepStrictEqual(plan.diffBmsPassword(olds(), news({ projectId: "ffffffffffffffffffffffffffffffff" })).replaces, ["projectId"]);
        assert.strictEqual(plan.diffBmsPassword(olds(), news()).changes, false);
    });
    it("a restart policy change is a change", () => assert.strictEqual(plan.diffBmsPassword({ ...olds(), pendingRestart: false }, news({ restart: "hard" })).changes, true));
    it("a pending restart under restart: hard is a change (retries a failed reboot)", () => {
        assert.strictEqual(plan.diffBmsPassword({ ...olds(), restart: "hard", pendingRestart: true }, news({ restart: "hard" })).changes, true);
        assert.strictEqual(plan.diffBmsPassword({ ...olds(), restart: "hard", pendingRestart: false }, news({ restart: "hard" })).changes, false);
    });
    it("a pending restart on a SHUTOFF server is not a change: the next start applies the password, and nothing here starts it", () => {
        const stopped = { ...olds(), restart: "hard", pendingRestart: true, serverStatus: "SHUTOFF" };
        assert.deepStrictEqual(plan.diffBmsPassword(stopped, news({ restart: "hard" })), { changes: false, replaces: [], deleteBeforeReplace: false });
        assert.strictEqual(plan.diffBmsPassword(stopped, news({ restart: "hard", password: "Other@1234" })).changes, true, "other changes still count");
    });
    it("a pending restart under restart: never is not a change", () => assert.strictEqual(plan.diffBmsPassword(olds(), news()).changes, false));
    it("endpoint, region, username and osType changes are changes", () => {
        for (const patch of [{ endpoint: "http://127.0.0.1:1" }, { region: "cn-east-3" }, { username: "ops" }, { osType: "linux" }]) {
            assert.strictEqual(plan.diffBmsPassword(olds(), news(patch)).changes, true, JSON.stringify(patch));
        }
    });
    it("is pure: inputs are not modified", () => {
        const o = olds();
        const n = news({ password: "Other@1234" });
        const before = JSON.stringify([o, n]);
        plan.diffBmsPassword(o, n);
        assert.strictEqual(JSON.stringify([o, n]), before);
    });
});

describe("bms plan: decisions", () => {
    it("needsReset: always on create, on update only for another password", () => {
        assert.strictEqual(plan.needsReset(undefined, PW), true);
        assert.strictEqual(plan.needsReset(olds(), PW), false);
        assert.strictEqual(plan.needsReset(olds(), "Other@1234"), true);
    });
    it("restartDecision", () => {
        assert.strictEqual(plan.restartDecision("never", true, "ACTIVE"), "none");
        assert.strictEqual(plan.restartDecision("hard", false, "ACTIVE"), "none");
        assert.strictEqual(plan.restartDecision("hard", true, "ACTIVE"), "reboot");
        assert.strictEqual(plan.restartDecision("hard", true, "SHUTOFF"), "stopped");
    });
    it("pendingAfterRead: cleared only by a boot after the reset", () => {
        const at = (launchedAt, patch = {}) => plan.pendingAfterRead({ pendingRestart: true, resetAt: "2026-01-01T00:00:00.000Z", launchedAt, previousStatus: "ACTIVE", status: "ACTIVE", ...patch });
        assert.strictEqual(at("2026-01-01T00:05:00.000000"), false);
        assert.strictEqual(at("2025-12-31T23:00:00.000000"), true);
        assert.strictEqual(at(undefined), true);
        assert.strictEqual(at("2025-01-01T00:00:00", { pendingRestart: false }), false);
    });
    it("pendingAfterRead: a server seen SHUTOFF after the reset and ACTIVE now has been started since (the start applied the password)", () => {
        const read = (previousStatus, status) => plan.pendingAfterRead({ pendingRestart: true, resetAt: "2026-01-01T00:00:00.000Z", launchedAt: "2025-12-31T23:00:00", previousStatus, status });
        assert.strictEqual(read("SHUTOFF", "ACTIVE"), false);
        assert.strictEqual(read("SHUTOFF", "SHUTOFF"), true);
        assert.strictEqual(read("SHUTOFF", "HARD_REBOOT"), true, "still booting: not yet");
        assert.strictEqual(read("ACTIVE", "ACTIVE"), true);
        assert.strictEqual(read(undefined, "ACTIVE"), true);
    });
    it("isTransitional", () => {
        assert.ok(plan.isTransitional("HARD_REBOOT", ""));
        assert.ok(plan.isTransitional("ACTIVE", "powering-off"));
        assert.ok(!plan.isTransitional("ACTIVE", ""));
        assert.ok(!plan.isTransitional("SHUTOFF", ""));
    });
});

describe("huaweicloud error mapping", () => {
    const call = { api: "reset", method: "PUT", path: "/v1/p/baremetalservers/s/os-reset-password", serverId: SERVER };
    const now = new Date(Date.UTC(2026, 0, 1));
    const map = (status, body, headers = {}) => errorFromResponse(status, JSON.stringify(body), headers, call, now);

    it("parses both body shapes", () => {
        assert.deepStrictEqual(parseErrorBody('{"error":{"code":"BMS.0040","message":"The server does not exist."}}'), { code: "BMS.0040", message: "The server does not exist.", requestId: undefined });
        assert.deepStrictEqual(parseErrorBody('{"error_code":"APIGW.0308","error_msg":"throttled","request_id":"abc"}'), { code: "APIGW.0308", message: "throttled", requestId: "abc" });
        assert.deepStrictEqual(parseErrorBody('{"errorCode":"X.1","errorMessage":"m"}'), { code: "X.1", message: "m", requestId: undefined });
        assert.deepStrictEqual(parseErrorBody("<html>"), {});
    });

    const CASES = [
        [401, { error_code: "APIGW.0301", error_msg: "Incorrect IAM authentication information: verify aksk signature fail" }, "HWC_AUTH_FAILED", false, /secretKey/],
        [401, { error_code: "APIGW.0301", error_msg: "Incorrect IAM authentication information: ak XYZ not exist" }, "HWC_AUTH_FAILED", false, /access key from .* is unknown/],
        [401, { error_code: "APIGW.0301", error_msg: "calc aksk signature fail:signature expired, signature time:x" }, "HWC_AUTH_FAILED", false, /clock/],
        [403, { error: { code: "BMS.0288", message: "Policy doesn't allow" } }, "HWC_FORBIDDEN", false, /permission/],
        [400, { error: { code: "BMS.0005", message: "Role check fail" } }, "HWC_FORBIDDEN", false, /permission/],
        [429, { error_code: "APIGW.0308", error_msg: "The throttling threshold has been reached" }, "HWC_RATE_LIMITED", true, /throttled/],
        [404, { error: { code: "BMS.0040", message: "The server does not exist." } }, "HWC_NOT_FOUND", false, /serverId/],
        [400, { error: { code: "BMS.0040", message: "The server does not exist." } }, "HWC_NOT_FOUND", false, /serverId/],
        [404, { error_code: "APIGW.0101", error_msg: "The API does not exist" }, "HWC_WRONG_ENDPOINT", false, /endpoint/],
        [404, { error: { code: "BMS.0002", message: "The BMS service is unavailable." } }, "HWC_WRONG_ENDPOINT", false, /region/],
        [404, {}, "HWC_WRONG_ENDPOINT", false, /endpoint/],
        [400, { error: { code: "BMS.0037", message: "Server is rebooting" } }, "HWC_SERVER_STATE", true, /power state/],
        [400, { error: { code: "BMS.0212", message: "System is overloaded" } }, "HWC_SERVER_STATE", true, /retried/],
        [400, { error: { code: "BMS.0605", message: "the BMS is locked." } }, "HWC_SERVER_STATE", false, /unlock/],
        [500, { error_code: "APIGW.0103", error_msg: "backend" }, "HWC_SERVER_ERROR", true, /retried/],
        [503, {}, "HWC_SERVER_ERROR", true, /retried/],
        [400, { error: { code: "BMS.0018", message: "Request parameter is invalid." } }, "HWC_BAD_REQUEST", false, /request id/],
    ];
    for (const [status, body, code, transient, hint] of CASES) {
        it(`${status} ${body.error ? body.error.code : body.error_code || "(empty)"} → ${code}${transient ? " (retried)" : ""}`, () => {
            const e = map(status, body, { "x-request-id": "rid-123" });
            assert.strictEqual(e.code, code);
            assert.strictEqual(e.transient, transient);
            assert.match(e.hint, hint);
            assert.strictEqual(e.context.requestId, "rid-123");
            assert.ok(e.message.includes("rid-123"));
        });
    }

    it("takes the request id from the body when the header is missing", () => {
        assert.strictEqual(map(429, { error_code: "APIGW.0308", error_msg: "x", request_id: "body-rid" }).context.requestId, "body-rid");
    });
    it("parses Retry-After in seconds and as an HTTP date", () => {
        assert.strictEqual(parseRetryAfter("3", now), 3000);
        assert.strictEqual(parseRetryAfter(new Date(now.getTime() + 5000).toUTCString(), now), 5000);
        assert.strictEqual(parseRetryAfter(undefined, now), undefined);
        assert.strictEqual(map(429, {}, { "retry-after": "2" }).context.retryAfterMs, 2000);
    });
    it("redacts secrets a server may echo", () => {
        const e = errorFromResponse(400, JSON.stringify({ error: { code: "BMS.0001", message: "bad value Sentinel-Bms-7Q!x" } }), {}, call, now, ["Sentinel-Bms-7Q!x"]);
        assert.ok(!e.message.includes("Sentinel-Bms-7Q!x"));
    });
});

describe("huaweicloud token buckets", () => {
    it("allows the documented burst, then hands out each token again one minute after it was used", () => {
        const b = new TokenBucket(50, 60000);
        for (let i = 0; i < 50; i++) assert.strictEqual(b.reserve(i * 100), 0);
        assert.strictEqual(b.reserve(5000), 55000, "token used at 0 is back at 60000");
        assert.strictEqual(b.reserve(5000), 55100, "queued callers are spaced, not released together");
        assert.strictEqual(b.reserve(70000), 0, "tokens used at 200.. are back");
    });
    it("never lets more than the limit through in any window of the period", () => {
        const b = new TokenBucket(5, 1000);
        const times = [];
        let now = 0;
        for (let i = 0; i < 40; i++) {
            now += i % 7 === 0 ? 450 : 3;
            times.push(now + b.reserve(now));
        }
        for (const t of times) assert.ok(times.filter((x) => x >= t && x < t + 1000).length <= 5);
    });
    it("has the documented per-API limits and is shared process-wide", () => {
        const set = newBucketSet();
        assert.deepStrictEqual(
            Object.fromEntries(Object.entries(set).filter(([k]) => k !== "projects" && k !== "securitytokens").map(([k, v]) => [k, v.capacity])),
            { reset: 50, flag: 500, action: 50, jobs: 2000, details: 1000 },
        );
        assert.strictEqual(sharedBuckets(), sharedBuckets());
        assert.strictEqual(sharedBuckets(), globalThis[Symbol.for("pulumi-bmc-credentials.huaweicloud.buckets")]);
    });
});

describe("bms provider module shape", () => {
    it("exports exactly the provider methods, so the namespace object is the provider", () => {
        const mod = require("../../dist/bmsPassword/provider");
        assert.deepStrictEqual(Object.keys(mod).filter((k) => k !== "__esModule").sort(), ["check", "configure", "create", "delete", "diff", "read", "update"]);
        for (const k of Object.keys(mod).filter((k) => k !== "__esModule")) assert.strictEqual(typeof mod[k], "function");
    });
    it("is reachable through the package exports map and the index", () => {
        const pkg = require("../../package.json");
        assert.strictEqual(pkg.exports["./providers/bms-password"].default, "./dist/bmsPassword/provider.js");
        const index = require("../../dist/index");
        assert.strictEqual(typeof index.BmsPassword, "function");
        assert.strictEqual(index.bmsPasswordProvider.create, require("../../dist/bmsPassword/provider").create);
    });
});
