/**
 * Where a `BmsPassword` operation sends its requests and with which credentials: settings (`huaweicloud:*` and the
 * environment), the credential chain, the transport (CA file, insecure, proxies), endpoint and project id. Glue over
 * the pure parts in `transport/huaweicloud/` (settings, credentials, proxy); the provider calls {@link connect} once
 * per operation.
 */

import { X509Certificate } from "crypto";
import { CredentialsError } from "../shared/errors";
import { registerSecrets } from "../shared/redact";
import { HuaweiClient, type ClientRuntime } from "../transport/huaweicloud/client";
import { expandHome, METADATA_URL, resolveChain } from "../transport/huaweicloud/credentials";
import { createTransport, type HttpTransport } from "../transport/huaweicloud/http";
import { proxySecrets, type Environment } from "../transport/huaweicloud/proxy";
import { resolveSettings, settingSecrets, type HuaweiSettings, type Sourced } from "../transport/huaweicloud/settings";
import { bmsPasswordState, METADATA_URL_VARIABLE, type BmsPasswordRuntime } from "./runtime";

export interface Location {
    projectId?: string;
    region?: string;
    endpoint?: string;
}

/** The transport the settings ask for: CA file, insecure, proxies from the environment. */
function transportFor(rt: BmsPasswordRuntime, settings: HuaweiSettings, env: Environment): HttpTransport {
    if (rt.transport) {
        return rt.transport;
    }
    let ca: string | undefined;
    if (settings.cacertFile) {
        ca = readCaFile(rt, settings.cacertFile);
    }
    if (settings.insecure.value) {
        const state = bmsPasswordState();
        if (!state.insecureWarned) {
            state.insecureWarned = true;
            rt.log(
                `huaweicloud: WARNING: insecure is true (${settings.insecure.source}): the TLS certificates of the Huawei Cloud endpoints are not verified, so anyone on the network path can read and change the requests, including the passwords being set. Use huaweicloud:cacertFile for a private CA instead.`,
            );
        }
    }
    return createTransport({ ...(ca ? { ca } : {}), insecure: settings.insecure.value, env });
}

function readCaFile(rt: BmsPasswordRuntime, file: Sourced<string>): string {
    const path = expandHome(file.value, rt.homeDir);
    let pem: string;
    try {
        pem = rt.readFile(path);
    } catch (e) {
        const code = (e as { code?: unknown }).code;
        throw new CredentialsError("INVALID_INPUT", { message: `the CA file ${path} (${file.source}) cannot be read${typeof code === "string" ? ` (${code})` : ""}`, hint: "set huaweicloud:cacertFile to a PEM file with the CA certificate(s) to trust" });
    }
    const first = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
    try {
        if (!first) {
            throw new Error("no PEM certificate");
        }
        new X509Certificate(first[0]);
    } catch {
        throw new CredentialsError("INVALID_INPUT", { message: `the CA file ${path} (${file.source}) holds no PEM certificate`, hint: "give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)" });
    }
    return pem;
}

function metadataUrl(rt: BmsPasswordRuntime): string {
    const v = rt.metadataUrl;
    if (v === undefined || v === "") {
        return METADATA_URL;
    }
    let url: URL | undefined;
    try {
        url = new URL(v);
    } catch {
        url = undefined;
    }
    if (!url || url.protocol !== "http:" || !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) {
        throw new CredentialsError("INVALID_INPUT", { message: `${METADATA_URL_VARIABLE} must be an http:// URL on loopback`, hint: `it is a test seam for the metadata emulator; unset it to use ${METADATA_URL}` });
    }
    return v;
}

/**
 * Resolves settings, credentials (the chain in `credentials.ts`), endpoint and project id (input → config →
 * environment → shared profile → IAM lookup) and builds a client.
 */
export async function connect(rt: BmsPasswordRuntime, where: Location, secrets: readonly string[]): Promise<HuaweiClient> {
    const state = bmsPasswordState();
    const env = rt.env();
    registerSecrets(...settingSecrets(state.config, env), ...proxySecrets(env));
    const settings = resolveSettings(state.config, env);
    const transport = transportFor(rt, settings, env);
    const clientRuntime: ClientRuntime = { ...rt, transport, attempts: rt.attempts ?? settings.maxRetries + 1 };
    const regionHint = where.region ?? settings.region?.value;
    const iamFor = (region: string | undefined) =>
        settings.endpoints.iam ?? where.endpoint ?? (region ? `https://iam.${region}.${settings.cloud}` : `https://iam.${settings.cloud}`);
    const chain = resolveChain(settings, {
        readFile: rt.readFile,
        homeDir: rt.homeDir,
        metadataUrl: metadataUrl(rt),
        // The metadata service is link-local: never through a proxy.
        transport: rt.transport ?? createTransport({}),
        now: () => rt.now().getTime(),
        sleep: rt.sleep,
        log: rt.log,
        timeoutMs: rt.timeoutMs,
        iamEndpoint: iamFor(regionHint),
        assumeAgency: (base, agency) =>
            new HuaweiClient({ endpoint: iamFor(regionHint), projectId: "", auth: base, runtime: clientRuntime, secrets }).assumeAgency({
                agencyName: agency.agencyName,
                domainName: agency.domainName,
                durationSeconds: rt.agencyDurationSeconds,
            }),
    });
    const auth = chain.provider;
    const region = regionHint ?? chain.profile?.region;
    const endpoint = where.endpoint ?? settings.endpoints.bms ?? (region ? `https://bms.${region}.${settings.cloud}` : undefined);
    if (!endpoint) {
        throw new CredentialsError("HWC_CREDENTIALS_MISSING", {
            message: "no region and no endpoint",
            hint: "set region (input), huaweicloud:region (config) or HW_REGION_NAME, or endpoint / huaweicloud:endpoints.bms",
        });
    }
    let projectId = where.projectId ?? settings.projectId?.value ?? chain.profile?.projectId;
    if (!projectId) {
        if (!region) {
            throw new CredentialsError("HWC_CREDENTIALS_MISSING", { message: "no project id and no region to look it up", hint: "set projectId or region" });
        }
        // The project belongs to the identity: an agency's is in the delegating account.
        const cacheKey = `${endpoint}|${region}|${auth.cacheKey}`;
        projectId = state.projectIds.get(cacheKey);
        if (!projectId) {
            projectId = await new HuaweiClient({ endpoint: iamFor(region), projectId: "", auth, runtime: clientRuntime, secrets }).lookupProjectId(region);
            state.projectIds.set(cacheKey, projectId);
        }
    }
    return new HuaweiClient({ endpoint, projectId, auth, runtime: clientRuntime, secrets });
}

