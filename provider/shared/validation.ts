/**
 * Turning zod validation results into Pulumi CheckFailures.
 *
 * Every failure names the property by its dotted path (`bmc.cipherSuite`) and says what to do. Messages are written
 * by our schemas and never quote the offending value; they are redacted anyway, because a `CheckFailure.reason` is
 * printed by the CLI and stored in logs.
 */

import type { z } from "zod";
import { redact } from "./redact";

/** Same shape as `pulumi.dynamic.CheckFailure`, declared here so pure code does not load the Pulumi SDK. */
export interface CheckFailure {
    property: string;
    reason: string;
}

/** The engine's marker for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `v` is the preview sentinel for an unknown value. */
export function isUnknown(v: unknown): boolean {
    return v === UNKNOWN;
}

/** Dotted property path for a zod issue path: `["bmc", "fallbackPasswords", 1]` → `bmc.fallbackPasswords[1]`. */
export function propertyPath(path: readonly PropertyKey[]): string {
    let out = "";
    for (const part of path) {
        if (typeof part === "number") {
            out += `[${part}]`;
        } else {
            out += out ? `.${String(part)}` : String(part);
        }
    }
    return out;
}

/** Converts zod issues to CheckFailures, one per issue, with secrets redacted. */
export function failuresFromZod(error: z.ZodError, secrets: readonly unknown[] = []): CheckFailure[] {
    const seen = new Set<string>();
    const failures: CheckFailure[] = [];
    for (const issue of error.issues) {
        const property = propertyPath(issue.path) || "(inputs)";
        const reason = redact(issue.message, secrets);
        const key = `${property}\u0000${reason}`;
        if (!seen.has(key)) {
            seen.add(key);
            failures.push({ property, reason });
        }
    }
    return failures;
}

/**
 * Replaces preview unknowns with `undefined` at any depth so a schema can validate what is known. Returns the set of
 * dotted paths that were unknown; checks depending on them are skipped until the values are known.
 */
export function stripUnknowns(value: unknown, path = "", unknown: Set<string> = new Set()): { value: unknown; unknown: Set<string> } {
    if (isUnknown(value)) {
        unknown.add(path);
        return { value: undefined, unknown };
    }
    if (Array.isArray(value)) {
        return { value: value.map((v, i) => stripUnknowns(v, `${path}[${i}]`, unknown).value), unknown };
    }
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            out[k] = stripUnknowns(v, path ? `${path}.${k}` : k, unknown).value;
        }
        return { value: out, unknown };
    }
    return { value, unknown };
}
