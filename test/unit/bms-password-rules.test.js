"use strict";
// The documented BMS password rules (schema.ts) and BmsPassword.check: valid and invalid cases for Linux and Windows.
const assert = require("assert");
const { passwordViolations, SPECIAL_CHARACTERS } = require("../../dist/bmsPassword/schema");
const provider = require("../../dist/bmsPassword/provider");
const { UNKNOWN } = require("../../dist/shared/validation");

const SERVER = "77616c78-0bc4-4156-b24b-4286586ac350";
const rules = (pw, os, user) => passwordViolations(pw, os, user).map((v) => v.rule);

describe("bms password rules", () => {
    const VALID = {
        linux: ["Fusion@123", "Abcdefg1", "abc{def}12", "ABC^def^12", "aB3,./?:=+", "Sentinel-Bms-7Q!x", "x".repeat(23) + "A1!"],
        windows: ["Fusion@123", "Abcdefg1", "ab$cd$ef12", "AB[cd]ef:./", "Pa55word?", "Sentinel-Bms-7Q!x"],
    };
    for (const [os, list] of Object.entries(VALID)) {
        for (const pw of list) {
            it(`${os}: accepts a valid password (${pw.length} chars)`, () => assert.deepStrictEqual(rules(pw, os), []));
        }
    }

    const INVALID = [
        // [os, password, expected rule, why]
        ["linux", "Ab1!xyz", "length", "7 characters"],
        ["windows", "Ab1!xyz", "length", "7 characters"],
        ["linux", "Ab1!" + "x".repeat(23), "length", "27 characters"],
        ["linux", "abcdefgh", "character-classes", "lower only"],
        ["linux", "abcdefg1", "character-classes", "two classes"],
        ["windows", "ABCDEFG!", "character-classes", "two classes"],
        ["windows", "abcdef^1", "character-classes", "^ is not a Windows special, so only two classes count"],
        ["linux", "Abcdef 12", "allowed-characters", "space"],
        ["linux", "Abcdef#12", "allowed-characters", "# is in neither set"],
        ["linux", "Abcdef$12", "allowed-characters", "$ is Windows-only"],
        ["windows", "Abcdef^12", "allowed-characters", "^ is Linux-only"],
        ["windows", "Abc{def}12", "allowed-characters", "braces are Linux-only"],
        ["windows", "Abc,def12", "allowed-characters", "comma is Linux-only"],
        ["linux", "Abcdéf12", "allowed-characters", "non-ASCII letter"],
        ["linux", "MyRoot@123", "username", "contains root (case-insensitive)"],
        ["linux", "Toor@12345", "username-reversed", "contains toor"],
        ["windows", "xAdministrator1!", "username", "contains Administrator"],
        ["windows", "rotartsinimdA1!", "username-reversed", "contains the reversed name"],
        ["windows", "Adm@12345x", "windows-username-run", "three consecutive characters of Administrator"],
        ["windows", "Pwd-str@99", "windows-username-run", "'str' is a run of Administrator"],
        ["windows", "X1!tor-abc", "windows-username-run", "'tor' at the end of the name"],
    ];
    for (const [os, pw, rule, why] of INVALID) {
        it(`${os}: rejects with rule ${rule} (${why})`, () => assert.ok(rules(pw, os).includes(rule), `got ${rules(pw, os)}`));
    }

    it("Linux has no run rule: three consecutive characters of root are fine", () => assert.deepStrictEqual(rules("Roo-Tree1", "linux"), []));
    it("uses an explicit username for the user-name rules", () => {
        assert.ok(rules("Xops-admin1", "linux", "ops-admin").includes("username"));
        assert.deepStrictEqual(rules("MyRoot@123", "linux", "ops"), []);
    });
    it("with the OS unknown, allows the union of specials and skips OS-dependent name rules", () => {
        assert.deepStrictEqual(rules("Abc^def$12", "unknown"), []);
        assert.deepStrictEqual(rules("Adm@12345x", "unknown"), []);
        assert.ok(rules("Abcdef#12", "unknown").includes("allowed-characters"));
    });
    it("special sets are exactly the documented ones", () => {
        assert.strictEqual(SPECIAL_CHARACTERS.windows, "!@$%-_=+[]:./?");
        assert.strictEqual(SPECIAL_CHARACTERS.linux, "!@%^-_=+[]{}:,./?");
    });
    it("never quotes the password in a reason", () => {
        for (const [os, pw] of INVALID) {
            for (const v of passwordViolations(pw, os)) {
                assert.ok(!v.reason.includes(pw), v.reason);
            }
        }
    });
});

describe("BmsPassword.check", () => {
    const SENTINEL = "Sentinel-Bms-7Q!x";
    const ok = { serverId: SERVER, password: SENTINEL };

    it("accepts minimal inputs and fills defaults", async () => {
        const r = await provider.check({}, { ...ok, __provider: "p" });
        assert.strictEqual(r.failures, undefined);
        assert.strictEqual(r.inputs.osType, "auto");
        assert.strictEqual(r.inputs.restart, "never");
        assert.strictEqual(r.inputs.password, SENTINEL);
    });

    const BAD = [
        [{ serverId: undefined }, "serverId"],
        [{ serverId: "not-a-uuid" }, "serverId"],
        [{ password: undefined }, "password"],
        [{ password: 42 }, "password"],
        [{ projectId: "xyz" }, "projectId"],
        [{ region: "North 4" }, "region"],
        [{ endpoint: "http://bms.example.com" }, "endpoint"],
        [{ endpoint: "not a url" }, "endpoint"],
        [{ endpoint: "https://bms.example.com/v1" }, "endpoint"],
        [{ osType: "solaris" }, "osType"],
        [{ restart: "soft" }, "restart"],
        [{ username: "a b" }, "username"],
    ];
    for (const [patch, property] of BAD) {
        it(`names ${property} for ${JSON.stringify(patch)}`, async () => {
            const r = await provider.check({}, { ...ok, ...patch });
            assert.ok(r.failures && r.failures.some((f) => f.property === property), JSON.stringify(r.failures));
            for (const f of r.failures) {
                assert.ok(!f.reason.includes(SENTINEL));
                assert.ok(f.reason.length > 10);
            }
        });
    }

    it("applies the declared OS's rules at check time, one failure per rule, naming the rule", async () => {
        const r = await provider.check({}, { serverId: SERVER, password: "admin^", osType: "windows" });
        const reasons = r.failures.map((f) => f.reason).join("\n");
        for (const rule of ["length", "character-classes", "allowed-characters", "windows-username-run"]) {
            assert.ok(reasons.includes(`"${rule}"`), reasons);
        }
        assert.ok(r.failures.every((f) => f.property === "password"));
        assert.ok(!reasons.includes("admin^"));
    });

    it("defers OS-specific rules when osType is auto", async () => {
        const r = await provider.check({}, { serverId: SERVER, password: "Adm@12345x" });
        assert.strictEqual(r.failures, undefined);
    });

    it("skips rules for values unknown during preview", async () => {
        const r = await provider.check({}, { serverId: UNKNOWN, password: UNKNOWN, restart: "hard" });
        assert.strictEqual(r.failures, undefined);
    });

    it("never echoes a rejected password in any failure", async () => {
        for (const pw of ["short", "has space Ab1", "toor-Toor-1", "#####aaaaa"]) {
            const r = await provider.check({}, { serverId: SERVER, password: pw, osType: "linux" });
            assert.ok(r.failures.length > 0);
            for (const f of r.failures) assert.ok(!f.reason.includes(pw));
        }
    });
});
