// Issuer discovery: /.well-known/browserid with ?domain=, `authority` delegation (≤5 hops, no cycles), cached.
import { createLookupCache } from "./cache.js";
import { isValidDomain } from "./domain.js";
import { AssertionError, fail } from "./errors.js";
import { IssuerFetchError } from "./fetcher.js";
import type { VerificationKey } from "./keys.js";
import { parseSupportDocument, type SupportDocument } from "./support-document.js";
import type { IssuerDocumentFetcher } from "./types.js";

export const MAX_DELEGATIONS = 5;

export type Discovered =
  | { type: "supported"; authority: string; keys: VerificationKey[] }
  | { type: "disabled"; authority: string };

export interface Discovery {
  /** Follows delegation from `domain`; throws AssertionError("discovery") with a Mozilla-style reason. */
  lookup(domain: string, principalDomain: string): Promise<Discovered>;
  /**
   * What `lookup` would answer when every hop is a fresh cache hit, synchronously (the hot path: no promise);
   * undefined when any hop would need the network or `lookup` would fail.
   */
  peek(domain: string, principalDomain: string): Discovered | undefined;
  clear(): void;
}

export interface DiscoveryOptions {
  fetch: IssuerDocumentFetcher;
  now: () => number;
  timeoutMs: number;
  cacheTtlMs: number;
  negativeCacheTtlMs: number;
}

function notPrimary(domain: string, detail: string): never {
  fail("discovery", `${domain} is not a browserid primary - ${detail}`);
}

function deadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  // The real fetcher has its own deadline; this one also bounds injected fetchers.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new IssuerFetchError("timeout")), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createDiscovery(options: DiscoveryOptions): Discovery {
  const cache = createLookupCache<SupportDocument>({
    now: options.now,
    ttlMs: options.cacheTtlMs,
    negativeTtlMs: options.negativeCacheTtlMs,
  });

  async function load(domain: string, principalDomain: string): Promise<SupportDocument> {
    // Raw like Mozilla's (same path for a shared fetch table in the differential oracle); both names are validated domains.
    const path = `/.well-known/browserid?domain=${principalDomain}`;
    let response: Awaited<ReturnType<IssuerDocumentFetcher>>;
    try {
      response = await deadline(options.fetch(domain, path), options.timeoutMs);
    } catch (error) {
      // Network detail stays server-side: echoing it made Mozilla's verifier an internal port-scan oracle.
      if (error instanceof IssuerFetchError && error.code === "timeout") {
        fail("discovery", `timeout trying to load well-known for ${domain}`);
      }
      if (error instanceof IssuerFetchError && error.code === "too_large") {
        notPrimary(domain, "support document too large");
      }
      return notPrimary(domain, "could not fetch /.well-known/browserid");
    }
    if ([301, 302, 303, 307, 308].includes(response.status)) {
      notPrimary(domain, "redirection not supported for support documents");
    }
    if (response.status !== 200) notPrimary(domain, "non-200 response code to /.well-known/browserid");
    if (!response.contentType?.toLowerCase().startsWith("application/json")) {
      notPrimary(domain, 'non "application/json" response to /.well-known/browserid');
    }
    return parseSupportDocument(domain, response.body);
  }

  function cacheKey(domain: string, principalDomain: string): string {
    if (!isValidDomain(domain)) fail("discovery", `invalid domain: ${domain.slice(0, 64)}`);
    if (!isValidDomain(principalDomain)) fail("discovery", `invalid domain: ${principalDomain.slice(0, 64)}`);
    // Keyed by both: bridging IdPs serve a different document per ?domain=.
    return `${domain} ${principalDomain}`;
  }

  function withinDeadline(
    domain: string,
    promise: Promise<SupportDocument>,
    ms: number,
  ): Promise<SupportDocument> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AssertionError("discovery", `timeout trying to load well-known for ${domain}`)),
        Math.max(ms, 0),
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  return {
    async lookup(domain, principalDomain) {
      // One deadline for the whole delegation chain, so slow hops cannot add up to minutes per verification.
      const deadlineAt = performance.now() + options.timeoutMs;
      const chain = [domain];
      let current = domain;
      for (;;) {
        const key = cacheKey(current, principalDomain);
        const hop = current;
        const doc =
          cache.peek(key) ??
          (await withinDeadline(
            hop,
            cache.get(key, () => load(hop, principalDomain)),
            deadlineAt - performance.now(),
          ));
        if (doc.type === "disabled") return { type: "disabled", authority: current };
        if (doc.type === "supported") return { type: "supported", authority: current, keys: doc.keys };
        const next = doc.authority;
        if (chain.includes(next)) {
          fail("discovery", `Circular reference in delegating authority: ${[...chain, next].join(" > ")}`);
        }
        chain.push(next);
        if (chain.length > MAX_DELEGATIONS + 1) {
          fail("discovery", `Too many hops while delegating authority: ${chain.join(" > ")}`);
        }
        current = next;
      }
    },
    peek(domain, principalDomain) {
      const chain = [domain];
      let current = domain;
      try {
        for (;;) {
          const doc = cache.peek(cacheKey(current, principalDomain));
          if (doc === undefined) return undefined;
          if (doc.type === "disabled") return { type: "disabled", authority: current };
          if (doc.type === "supported") return { type: "supported", authority: current, keys: doc.keys };
          // Cycles and too many hops: `lookup` words the failure.
          if (chain.includes(doc.authority) || chain.length > MAX_DELEGATIONS) return undefined;
          chain.push(doc.authority);
          current = doc.authority;
        }
      } catch {
        return undefined; // an invalid domain: `lookup` words that failure too
      }
    },
    clear: () => cache.clear(),
  };
}
