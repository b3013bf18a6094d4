// SSRF-safe support-document fetcher on node:http(s): own DNS, every address checked, connection pinned, hard limits.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP } from "node:net";
import { isPublicAddress } from "./address-policy.js";
import type { IssuerDocumentFetcher, IssuerDocumentResponse, IssuerFetchSettings } from "./types.js";

export type FetchFailureCode = "refused" | "network" | "timeout" | "too_large";

/** Why a fetch failed, for logs and reason selection; its message never carries network error text. */
export class IssuerFetchError extends Error {
  constructor(readonly code: FetchFailureCode) {
    super(`issuer fetch failed: ${code}`);
    this.name = "IssuerFetchError";
  }
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

function splitHost(host: string): { name: string; port: number | undefined } {
  const match = /^(.*):([0-9]{1,5})$/.exec(host);
  if (!match) return { name: host, port: undefined };
  return { name: match[1] ?? "", port: Number(match[2]) };
}

export function createIssuerFetcher(
  settings: IssuerFetchSettings,
  deps: { resolve?: Resolver } = {},
): IssuerDocumentFetcher {
  const resolve = deps.resolve ?? systemResolver;
  const listed = (entries: readonly string[], host: string, name: string) =>
    entries.some((entry) => {
      const lower = entry.toLowerCase();
      return lower === host || lower === name;
    });

  return async (rawHost, path) => {
    const host = rawHost.toLowerCase();
    const { name, port: explicitPort } = splitHost(host);
    const plainHttp = listed(settings.httpHosts, host, name);
    const privateOk = listed(settings.allowedPrivateHosts, host, name);
    const insecureTls = listed(settings.insecureTlsHosts ?? [], host, name);
    const defaultPort = plainHttp ? 80 : 443;
    const port = explicitPort ?? defaultPort;
    // Other ports only for hosts an operator listed: otherwise `iss: "victim:22"` turns us into a port scanner.
    if (port !== defaultPort && !plainHttp && !privateOk) throw new IssuerFetchError("refused");
    if (name === "" || name.startsWith("[")) throw new IssuerFetchError("refused");

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
    try {
      const addresses = await withAbort(
        isIP(name) ? Promise.resolve([{ address: name, family: isIP(name) }]) : resolve(name),
        controller.signal,
      ).catch((error: unknown) => {
        throw error instanceof IssuerFetchError ? error : new IssuerFetchError("network");
      });
      if (addresses.length === 0) throw new IssuerFetchError("network");
      // Every address must pass, not just the one we would use: a name mixing public and private answers is refused.
      if (!privateOk && !addresses.every((entry) => isPublicAddress(entry.address))) {
        throw new IssuerFetchError("refused");
      }
      const pinned = addresses[0] as LookupAddress;
      return await get({
        name,
        port,
        path,
        host,
        pinned,
        plainHttp,
        insecureTls,
        settings,
        signal: controller.signal,
      });
    } finally {
      clearTimeout(timer);
    }
  };
}

function withAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new IssuerFetchError("timeout"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

interface GetOptions {
  name: string;
  port: number;
  path: string;
  host: string;
  pinned: LookupAddress;
  plainHttp: boolean;
  insecureTls: boolean;
  settings: IssuerFetchSettings;
  signal: AbortSignal;
}

function get(options: GetOptions): Promise<IssuerDocumentResponse> {
  const { name, port, path, host, pinned, plainHttp, insecureTls, settings, signal } = options;
  return new Promise((resolve, reject) => {
    const request = (plainHttp ? httpRequest : httpsRequest)({
      host: name,
      port,
      path,
      method: "GET",
      agent: false,
      rejectUnauthorized: !insecureTls,
      headers: { host, accept: "application/json", "user-agent": "idv-gateway-browserid" },
      // The connection goes to the address we checked, whatever DNS says by now (no rebinding between check and use).
      lookup: (_hostname, lookupOptions, callback) => {
        if (lookupOptions.all) callback(null, [pinned]);
        else callback(null, pinned.address, pinned.family);
      },
      signal,
    });
    let settled = false;
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      action();
    };
    const failWith = (code: FetchFailureCode) => {
      settle(() => reject(new IssuerFetchError(code)));
      request.destroy();
    };
    request.on("error", () => failWith(signal.aborted ? "timeout" : "network"));
    request.on("response", (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const contentType = response.headers["content-type"];
      // Nothing but a 200 JSON answer is worth reading; redirects are never followed.
      if (status !== 200 || !contentType?.toLowerCase().startsWith("application/json")) {
        settle(() => resolve({ status, contentType, body: "" }));
        response.destroy();
        return;
      }
      const declared = Number(response.headers["content-length"]);
      if (Number.isFinite(declared) && declared > settings.maxBytes) return failWith("too_large");
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > settings.maxBytes) return failWith("too_large");
        chunks.push(chunk);
      });
      response.on("end", () =>
        settle(() => resolve({ status, contentType, body: Buffer.concat(chunks).toString("utf8") })),
      );
      response.on("error", () => failWith(signal.aborted ? "timeout" : "network"));
      response.on("aborted", () => failWith(signal.aborted ? "timeout" : "network"));
    });
    request.end();
  });
}
