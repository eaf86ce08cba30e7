/**
 * Huawei Cloud `SDK-HMAC-SHA256` request signing (API Gateway AK/SK authentication).
 *
 * Pure: the clock is a parameter, nothing is read from the environment. The algorithm is the one of Huawei's signing
 * guide (`devg-apisign`), checked against the published vectors and against the official Node SDK signer in
 * `test/unit/bms-signer.test.js`.
 */

import { createHash, createHmac } from "crypto";

export const SIGNING_ALGORITHM = "SDK-HMAC-SHA256";

/** SHA-256 of the empty body, the payload hash of every GET. */
export const EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** Access key pair, optionally with an STS security token (temporary credentials). */
export interface AkSkCredentials {
    readonly accessKey: string;
    readonly secretKey: string;
    /** Sent (and signed) as `X-Security-Token` when present. */
    readonly securityToken?: string;
}

/** A request exactly as it will be sent. */
export interface SignableRequest {
    readonly method: string;
    /** Absolute URL, query included. The path is sent as is: no trailing slash is added to what goes on the wire. */
    readonly url: string;
    /** Headers to send and sign (e.g. `Content-Type`, `X-Project-Id`). `Host` and `X-Sdk-Date` are added. */
    readonly headers: Readonly<Record<string, string>>;
    /** The exact body bytes that will be sent; `""` for none. Hash and send the same string. */
    readonly body: string;
}

export interface SignedRequest {
    /** Headers to send: the input headers plus `Host`, `X-Sdk-Date`, `X-Security-Token` and `Authorization`. */
    readonly headers: Record<string, string>;
    /** For diagnostics and tests; contains the payload hash, never the body. */
    readonly canonicalRequest: string;
    readonly signedHeaders: string;
    readonly signature: string;
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatSdkDate(now: Date): string {
    return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** RFC 3986 percent-encoding: unreserved characters kept, everything else `%XX` (uppercase, UTF-8). */
export function percentEncode(value: string): string {
    // encodeURIComponent keeps !'()* which the gateway encodes.
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Each segment encoded, then a trailing `/` that is signed but never sent. */
export function canonicalUri(pathname: string): string {
    const encoded = pathname
        .split("/")
        .map((segment) => percentEncode(segment))
        .join("/");
    return encoded.endsWith("/") ? encoded : `${encoded}/`;
}

/** Keys sorted, repeated keys emitted once per value with the values sorted; `key=` for an empty value. */
export function canonicalQuery(search: string): string {
    const raw = search.startsWith("?") ? search.slice(1) : search;
    if (raw === "") {
        return "";
    }
    const byKey = new Map<string, string[]>();
    for (const pair of raw.split("&")) {
        if (pair === "") {
            continue;
        }
        const eq = pair.indexOf("=");
        const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
        const value = eq < 0 ? "" : decodeQueryPart(pair.slice(eq + 1));
        const values = byKey.get(key) ?? [];
        values.push(value);
        byKey.set(key, values);
    }
    const out: string[] = [];
    for (const key of [...byKey.keys()].sort()) {
        for (const value of byKey.get(key)!.sort()) {
            out.push(`${percentEncode(key)}=${percentEncode(value)}`);
        }
    }
    return out.join("&");
}

function decodeQueryPart(part: string): string {
    try {
        return decodeURIComponent(part);
    } catch {
        return part;
    }
}

export function sha256Hex(data: string): string {
    return createHash("sha256").update(data, "utf8").digest("hex");
}

/** `Host` as signed: host name plus the port unless it is the scheme's default. */
export function signingHost(url: URL): string {
    return url.host;
}

/** The canonical request of the signing guide, step 7. `headers` are the signed headers (any case). */
export function buildCanonicalRequest(method: string, url: URL, headers: Readonly<Record<string, string>>, body: string, contentSha256?: string): { canonical: string; signedHeaders: string } {
    const lower = new Map<string, string>();
    for (const [name, value] of Object.entries(headers)) {
        lower.set(name.toLowerCase(), value.trim());
    }
    const names = [...lower.keys()].sort();
    const canonicalHeaders = names.map((n) => `${n}:${lower.get(n)}\n`).join("");
    const signedHeaders = names.join(";");
    const payloadHash = contentSha256 ?? sha256Hex(body);
    const canonical = [method.toUpperCase(), canonicalUri(url.pathname), canonicalQuery(url.search), canonicalHeaders, signedHeaders, payloadHash].join("\n");
    return { canonical, signedHeaders };
}

/** `SDK-HMAC-SHA256 \n X-Sdk-Date \n hex(sha256(canonical))`. */
export function stringToSign(sdkDate: string, canonical: string): string {
    return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

/**
 * Signs a request. Every header given is signed, plus `host`, `x-sdk-date` and `x-security-token`; re-sign on every
 * retry because the gateway rejects signatures older than about 15 minutes.
 */
export function signRequest(request: SignableRequest, credentials: AkSkCredentials, now: Date): SignedRequest {
    const url = new URL(request.url);
    const sdkDate = formatSdkDate(now);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
        // Callers must not smuggle their own date, host or authorization past the signature.
        if (!["host", "x-sdk-date", "authorization", "x-security-token"].includes(name.toLowerCase())) {
            headers[name] = value;
        }
    }
    headers["Host"] = signingHost(url);
    headers["X-Sdk-Date"] = sdkDate;
    if (credentials.securityToken) {
        headers["X-Security-Token"] = credentials.securityToken;
    }
    const unsignedPayload = Object.entries(headers).find(([n]) => n.toLowerCase() === "x-sdk-content-sha256")?.[1];
    const { canonical, signedHeaders } = buildCanonicalRequest(request.method, url, headers, request.body, unsignedPayload);
    const signature = createHmac("sha256", credentials.secretKey).update(stringToSign(sdkDate, canonical), "utf8").digest("hex");
    headers["Authorization"] = `${SIGNING_ALGORITHM} Access=${credentials.accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return { headers, canonicalRequest: canonical, signedHeaders, signature };
}
