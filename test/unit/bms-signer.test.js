"use strict";
// SDK-HMAC-SHA256 signer: Huawei's published vectors, then the official Node SDK signer as an oracle over generated requests.
const assert = require("assert");
const crypto = require("crypto");
const signer = require("../../dist/transport/huaweicloud/signer");

const A_AK = "QTWAOYTTINDUT2QVKYUC";
const A_SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
const DATE_2019 = new Date(Date.UTC(2019, 10, 15, 3, 36, 55));
const P = "2e62dec99940499d93717c2789759015";
const S = "77616c78-0bc4-4156-b24b-4286586ac350";

describe("bms signer: published vectors", () => {
    it("formats X-Sdk-Date as YYYYMMDDTHHMMSSZ in UTC", () => {
        assert.strictEqual(signer.formatSdkDate(DATE_2019), "20191115T033655Z");
    });

    it("A: the official doc example (GET with query, trailing slash signed, not sent)", () => {
        const url = "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0";
        const out = signer.signRequest({ method: "GET", url, headers: { "Content-Type": "application/json" }, body: "" }, { accessKey: A_AK, secretKey: A_SK }, DATE_2019);
        assert.strictEqual(
            out.canonicalRequest,
            [
                "GET",
                "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/",
                "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
                "content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n",
                "content-type;host;x-sdk-date",
                signer.EMPTY_BODY_SHA256,
            ].join("\n"),
        );
        assert.strictEqual(signer.sha256Hex(out.canonicalRequest), "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
        assert.strictEqual(
            out.headers.Authorization,
            "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
        );
        assert.strictEqual(out.headers["X-Sdk-Date"], "20191115T033655Z");
    });

    // Go SDK vectors sign only x-sdk-date (no host), so they exercise the building blocks directly.
    function goVector(method, url, body) {
        const { canonical } = signer.buildCanonicalRequest(method, new URL(url), { "X-Sdk-Date": "20060102T150405Z" }, body);
        const sts = signer.stringToSign("20060102T150405Z", canonical);
        return { canonical, signature: crypto.createHmac("sha256", "SecretKey").update(sts).digest("hex") };
    }

    it("B1: Go SDK GET vector", () => {
        const v = goVector("GET", "https://example.huaweicloud.com/path?limit=1", "");
        assert.strictEqual(v.canonical, "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert.strictEqual(v.signature, "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624");
    });

    it("B2 / B2': Go SDK POST vectors, with and without the encoder's trailing newline", () => {
        assert.strictEqual(goVector("POST", "https://example.huaweicloud.com/path?key=value", '{"Name":"test","Id":1}\n').signature, "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59");
        assert.strictEqual(goVector("POST", "https://example.huaweicloud.com/path?key=value", '{"Name":"test","Id":1}').signature, "83599e5230b5b31fb58837c5760b4c2d407542df1f9493834ead538696e17a35");
    });

    it("Go SDK canonical query vector (sorting, repeated keys, UTF-8, reserved characters)", () => {
        const q = ["limit=1", "enable=true", `test=${encodeURIComponent('一 (&=?!#%.*)')}`, `path=${encodeURIComponent("/tmp/123")}`, "multi=3", "multi=1", "multi=2"].join("&");
        assert.strictEqual(signer.canonicalQuery(q), "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29");
    });

    const C_HEADERS = { "Content-Type": "application/json", "X-Project-Id": P };
    const C = [
        ["C1", "PUT", `/v1/${P}/baremetalservers/${S}/os-reset-password`, '{"reset-password":{"new_password":"Fusion@123"}}', "69618552b48d8684b8a35759c607b37464fdba8da0dfc0703cd3e8d7af8c7e5a", "e9bf0a61c688c94894d820efff28b9a2f7d45bffb3c5271b2cdb0f51b941ca98"],
        ["C2", "GET", `/v1/${P}/baremetalservers/${S}/os-resetpwd-flag`, "", "e5bae9a2002780c7259b0116d4dcaaa6bc0fbb83323c27ba895d8c1e1bc961d5", "c531d2f613d89061f1bd345fce4177930bddcd9d12e972e482b76b9bff0f0a78"],
        ["C3", "GET", `/v1/${P}/baremetalservers/${S}`, "", "3f2bb067f3a0b1dd9e3b64559df9bbe693d40b9103b36cddd0a59b7d19d91b57", "16ddd567224f0de388a515b348d51678c7ac985c6b4fd0148169aefeee1877c7"],
        ["C4", "POST", `/v1/${P}/baremetalservers/action`, `{"reboot":{"type":"HARD","servers":[{"id":"${S}"}]}}`, "15990586019d096028b6285f95f0bb7817d20bf9d8cc08e462030ff67d5ed3f4", "1e950ea57a4e531166702a705556f7977525dce31f58a053b01735e7ae83e6c6"],
        ["C5", "GET", `/v1/${P}/jobs/70a599e0-31e7-49b7-b260-868f441e862b`, "", "e685ea34ff92aaf2849c3ded86187cf6c9b49e9dafe24c0b811ee22b72a873ed", "f9518933fbfd4af51922a3fc291d5bed955aeffa863f85950a55ed9b0b1039be"],
    ];
    for (const [name, method, path, body, canonicalHash, signature] of C) {
        it(`${name}: BMS ${method} ${path.split("/").slice(-1)[0]}`, () => {
            const out = signer.signRequest({ method, url: `https://bms.cn-north-4.myhuaweicloud.com${path}`, headers: C_HEADERS, body }, { accessKey: A_AK, secretKey: A_SK }, DATE_2019);
            assert.strictEqual(out.signedHeaders, "content-type;host;x-project-id;x-sdk-date");
            assert.strictEqual(signer.sha256Hex(out.canonicalRequest), canonicalHash);
            assert.strictEqual(out.signature, signature);
        });
    }

    it("C1 payload hash is of the exact 48 body bytes", () => {
        const body = '{"reset-password":{"new_password":"Fusion@123"}}';
        assert.strictEqual(Buffer.byteLength(body), 48);
        assert.strictEqual(signer.sha256Hex(body), "8053e5c3a5a48e3cb497c9404eb5457e15fe8ddd7189fc4eddc9dace0a6a6da1");
    });

    it("signs X-Security-Token, trims header values, and ignores caller-supplied Host/X-Sdk-Date/Authorization", () => {
        const out = signer.signRequest(
            { method: "GET", url: "http://127.0.0.1:8080/v1/x", headers: { "X-Extra": "  padded  ", Host: "evil", "X-Sdk-Date": "19700101T000000Z", Authorization: "x" }, body: "" },
            { accessKey: "ak", secretKey: "sk", securityToken: "tok" },
            DATE_2019,
        );
        assert.strictEqual(out.signedHeaders, "host;x-extra;x-sdk-date;x-security-token");
        assert.ok(out.canonicalRequest.includes("host:127.0.0.1:8080\n"));
        assert.ok(out.canonicalRequest.includes("x-extra:padded\n"));
        assert.ok(out.canonicalRequest.includes("x-sdk-date:20191115T033655Z\n"));
        assert.strictEqual(out.headers["X-Security-Token"], "tok");
    });

    it("keeps an existing trailing slash and encodes segments per RFC 3986", () => {
        assert.strictEqual(signer.canonicalUri("/a/b/"), "/a/b/");
        assert.strictEqual(signer.canonicalUri("/a b/c*d"), "/a%20b/c%2Ad/");
        assert.strictEqual(signer.canonicalUri("/"), "/");
    });
});

describe("bms signer: @huaweicloud/huaweicloud-sdk-core AKSKSigner as oracle", () => {
    let AKSKSigner;
    before(function () {
        try {
            ({ AKSKSigner } = require("@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js"));
        } catch (e) {
            // The oracle is a dev dependency; without it only the vectors above apply.
            this.skip();
        }
    });

    // mulberry32: deterministic generated cases.
    function prng(seed) {
        return () => {
            seed |= 0;
            seed = (seed + 0x6d2b79f5) | 0;
            let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
            t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
            return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        };
    }
    const pick = (r, xs) => xs[Math.floor(r() * xs.length)];
    const word = (r, alphabet, min, max) => {
        const n = min + Math.floor(r() * (max - min + 1));
        let s = "";
        for (let i = 0; i < n; i++) s += pick(r, alphabet);
        return s;
    };
    // Path characters that the SDK's url.parse leaves untouched (it escapes quotes, braces, spaces …).
    const PATH_CHARS = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$()*+,;=:@"];
    const QUERY_CHARS = [...PATH_CHARS, " ", "&", "=", "?", "/", "#", "%", "一", "é", "'", '"'];

    function generate(r, i) {
        const method = pick(r, ["GET", "PUT", "POST", "DELETE", "PATCH"]);
        const host = pick(r, ["https://bms.cn-north-4.myhuaweicloud.com", "http://127.0.0.1:8443", "https://iam.myhuaweicloud.com:8443"]);
        // Dot segments are excluded: WHATWG URL (what we send with) normalises them away, url.parse (the SDK) keeps them.
        const segments = Array.from({ length: 1 + Math.floor(r() * 5) }, () => word(r, PATH_CHARS, 1, 12)).map((s) => (/^\.+$/.test(s) ? `${s}x` : s));
        const path = `/${segments.join("/")}${r() < 0.3 ? "/" : ""}`;
        const queryParams = {};
        const qn = Math.floor(r() * 4);
        for (let q = 0; q < qn; q++) {
            const key = word(r, QUERY_CHARS, 1, 6);
            queryParams[key] = r() < 0.25 ? [word(r, QUERY_CHARS, 1, 5), word(r, QUERY_CHARS, 1, 5)] : r() < 0.1 ? "" : word(r, QUERY_CHARS, 1, 10);
        }
        const query = Object.entries(queryParams)
            .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(k)}=${encodeURIComponent(x)}`))
            .join("&");
        const data = method === "GET" || method === "DELETE" || r() < 0.2 ? undefined : { n: i, s: word(r, QUERY_CHARS, 0, 20), nested: { list: [1, "two", null] } };
        const headers = { "content-type": "application/json" };
        if (r() < 0.7) headers["x-project-id"] = word(r, [..."0123456789abcdef"], 32, 32);
        if (r() < 0.3) headers[`x-${word(r, [..."abcdefghijklmnopqrstuvwxyz"], 1, 8)}`] = word(r, PATH_CHARS, 1, 16);
        const securityToken = r() < 0.3 ? word(r, PATH_CHARS, 10, 40) : undefined;
        const date = new Date(Date.UTC(2000 + Math.floor(r() * 40), Math.floor(r() * 12), 1 + Math.floor(r() * 28), Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 60)));
        return { method, host, path, query, queryParams, data, headers, securityToken, date };
    }

    it("agrees with the SDK on 500 generated requests (methods, trailing slashes, queries, bodies, headers, STS tokens)", () => {
        const r = prng(20261121);
        for (let i = 0; i < 500; i++) {
            const c = generate(r, i);
            const ak = word(r, [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"], 20, 20);
            const sk = word(r, PATH_CHARS, 40, 40);
            const sdkDate = signer.formatSdkDate(c.date);
            const sdkHeaders = { ...c.headers, "X-Sdk-Date": sdkDate };
            if (c.securityToken) sdkHeaders["X-Security-Token"] = c.securityToken;
            const oracle = AKSKSigner.sign({ method: c.method, endpoint: `${c.host}${c.path}`, queryParams: c.queryParams, headers: sdkHeaders, data: c.data }, { getAk: () => ak, getSk: () => sk });
            const body = c.data === undefined ? "" : JSON.stringify(c.data);
            const ours = signer.signRequest({ method: c.method, url: `${c.host}${c.path}${c.query ? `?${c.query}` : ""}`, headers: c.headers, body }, { accessKey: ak, secretKey: sk, securityToken: c.securityToken }, c.date);
            assert.strictEqual(ours.headers.Authorization, oracle.Authorization, `case ${i}: ${c.method} ${c.path}?${c.query}`);
        }
    });
});
