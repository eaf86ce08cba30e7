/**
 * Secret redaction.
 *
 * Every password the provider handles is registered here before any I/O happens, so that error texts, log lines and
 * `reasons` built anywhere in the process can be scrubbed with one call. The registry lives on `globalThis` so that two
 * copies of this package loaded in one provider process still share it.
 */

const REGISTRY_KEY = Symbol.for("pulumi-bmc-credentials.secrets");

/** Shown in place of a secret. Fixed text, so it never reveals the secret's length. */
export const REDACTED = "[secret]";

/**
 * Shorter values are not scrubbed from text: removing every "a" or "ab" would garble messages without protecting
 * anything (such a password is guessable anyway). Such values still never reach argv, logs or state by construction.
 */
export const MIN_REDACTED_LENGTH = 4;

interface SecretRegistry {
    values: Set<string>;
    /** The pattern of every registered value, rebuilt only when a value was added since (see `redact`). */
    compiled?: { size: number; pattern: RegExp | null };
}

function registry(): SecretRegistry {
    const g = globalThis as unknown as Record<symbol, SecretRegistry | undefined>;
    let r = g[REGISTRY_KEY];
    if (!r) {
        r = { values: new Set<string>() };
        g[REGISTRY_KEY] = r;
    }
    return r;
}

/**
 * Remembers secret values so that {@link redact} removes them from any text. Non-strings and empty strings are
 * ignored. Values are kept in memory only, for the life of the process.
 */
export function registerSecrets(...values: unknown[]): void {
    const set = registry().values;
    for (const v of values) {
        if (typeof v === "string" && v.length >= MIN_REDACTED_LENGTH) {
            set.add(v);
        }
    }
}

/**
 * One alternation of every secret and its hex spellings, longest first: a replacement is never itself rescanned, and a
 * secret that contains another is removed whole.
 */
function compile(secrets: Iterable<string>): RegExp | null {
    const forms = new Set<string>();
    for (const s of secrets) {
        forms.add(s);
        const bytes = [...Buffer.from(s, "latin1")].map((b) => b.toString(16).padStart(2, "0"));
        forms.add(bytes.map((b) => `0x${b}`).join(" "));
        forms.add(bytes.join(" "));
    }
    if (forms.size === 0) {
        return null;
    }
    const pattern = [...forms]
        .sort((a, b) => b.length - a.length)
        .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("|");
    return new RegExp(pattern, "g");
}

/**
 * Replaces every registered secret (and every extra value given) in `text` with {@link REDACTED}. Longer secrets are
 * replaced first, so a secret that contains another one is removed whole. Hex spellings (`0x41 0x42 …` and `41 42 …`)
 * are removed too, because ipmitool batches carry passwords as raw hex.
 *
 * The registry's pattern is compiled once per change of the registry, not per call: a deployment of a thousand
 * resources registers a thousand passwords, and every error and retry line of every one of them is redacted.
 */
export function redact(text: string, extra: readonly unknown[] = []): string {
    if (text.length === 0) {
        return text;
    }
    const reg = registry();
    const extras: string[] = [];
    for (const v of extra) {
        if (typeof v === "string" && v.length >= MIN_REDACTED_LENGTH && !reg.values.has(v)) {
            extras.push(v);
        }
    }
    if (extras.length > 0) {
        // Rare (a secret not registered yet): one pattern over both, so the longest-first rule spans them.
        const pattern = compile([...reg.values, ...extras]);
        return pattern ? text.replace(pattern, REDACTED) : text;
    }
    if (!reg.compiled || reg.compiled.size !== reg.values.size) {
        reg.compiled = { size: reg.values.size, pattern: compile(reg.values) };
    }
    return reg.compiled.pattern ? text.replace(reg.compiled.pattern, REDACTED) : text;
}

/** Deep copy of a plain value with every string passed through {@link redact}. */
export function redactValue<T>(value: T, extra: readonly unknown[] = []): T {
    if (typeof value === "string") {
        return redact(value, extra) as unknown as T;
    }
    if (Array.isArray(value)) {
        return value.map((v) => redactValue(v, extra)) as unknown as T;
    }
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            out[k] = redactValue(v, extra);
        }
        return out as T;
    }
    return value;
}
