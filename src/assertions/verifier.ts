// Verifies one backed assertion: local checks first (parse, user key, assertion signature, times, audience, email),
// then the network (issuer key, certificate signature, authority for the email's domain).
import { compareAudiences } from "./audience.js";
import { parseCertificate } from "./certificate-cache.js";
import { assertionAudience, checkTimes } from "./claims.js";
import { createDiscovery, type Discovered } from "./discovery.js";
import { AssertionError, fail } from "./errors.js";
import { createIssuerFetcher } from "./fetcher.js";
import { parseJws, splitBackedAssertion } from "./jws.js";
import { requireAlg, type VerificationKey } from "./keys.js";
import { verifySignature } from "./signatures.js";
import type {
  AssertionVerifier,
  IssuerDocumentFetcher,
  Verdict,
  VerifierSettings,
  VerifyInput,
} from "./types.js";

export interface VerifierDeps {
  now?: () => number;
  fetchJson?: IssuerDocumentFetcher;
}

const NO_EMAIL = "untrusted assertion, doesn't contain an email, and issuer is untrusted ";

function verifyCertificate(
  keys: readonly VerificationKey[],
  alg: string,
  input: Buffer,
  signature: Buffer,
): void {
  const candidates = keys.filter((key) => key.alg === alg);
  if (candidates.length === 0) fail("algorithm", "algorithms do not match");
  // Several keys only during rotation; any one of them may have signed.
  if (!candidates.some((key) => verifySignature(key, input, signature)))
    fail("signature", "invalid signature");
}

export function createAssertionVerifier(
  settings: VerifierSettings,
  deps: VerifierDeps = {},
): AssertionVerifier {
  const now = deps.now ?? Date.now;
  const discovery = createDiscovery({
    fetch: deps.fetchJson ?? createIssuerFetcher(settings.fetch),
    now,
    timeoutMs: settings.fetch.timeoutMs,
    cacheTtlMs: settings.cacheTtlMs,
    negativeCacheTtlMs: settings.negativeCacheTtlMs,
  });
  const serverTrusted = new Set(settings.trustedIssuers.map((issuer) => issuer.toLowerCase()));
  const fallback = settings.fallbackIssuer?.toLowerCase() || undefined;
  const skew = settings.clockSkewMs;

  async function authorityOf(domain: string, principalDomain: string): Promise<Discovered | undefined> {
    try {
      return await discovery.lookup(domain, principalDomain);
    } catch (error) {
      if (error instanceof AssertionError) return undefined;
      throw error;
    }
  }

  async function expectedIssuer(emailDomain: string): Promise<string | undefined> {
    const own = await authorityOf(emailDomain, emailDomain);
    if (own?.type === "supported") return own.authority;
    // No usable document of its own (missing, broken or disabled — Mozilla's library did not fall back on
    // disabled, the spec and Persona did): ask the fallback about this principal. Its per-principal document may
    // delegate to a bridge IdP (Persona's gmail/yahoo bridging), which is then the authority.
    if (fallback === undefined) return undefined;
    const bridged = await authorityOf(fallback, emailDomain);
    return bridged?.type === "supported" ? bridged.authority : fallback;
  }

  async function run(input: VerifyInput): Promise<Verdict> {
    const parts = splitBackedAssertion(input.assertion);
    const { jws: certificate, claims: cert } = parseCertificate(parts.certificate);
    const assertion = parseJws(parts.assertion);
    if (typeof input.audience !== "string")
      fail("audience", "audience mismatch: the audience is not a string");

    requireAlg(cert.userKey, assertion.alg);
    if (!verifySignature(cert.userKey, assertion.signedBytes, assertion.signature)) {
      fail("signature", "invalid signature");
    }
    const at = now();
    checkTimes(certificate.payload, "certificate", at, skew);
    const expires = checkTimes(assertion.payload, "assertion", at, skew);
    const mismatch = compareAudiences(assertionAudience(assertion.payload), input.audience);
    if (mismatch) fail("audience", `audience mismatch: ${mismatch}`);
    const { email, emailDomain, issuer } = cert;
    if (email === undefined || emailDomain === undefined) fail("email", NO_EMAIL);

    // Only now, with a well-formed certificate whose key signed this assertion, do we go to the network.
    let root: Discovered;
    try {
      root = await discovery.lookup(issuer, emailDomain);
    } catch (error) {
      if (error instanceof AssertionError)
        fail("discovery", `can't get public key for ${issuer}: ${error.reason}`);
      throw error;
    }
    if (root.type !== "supported")
      fail("discovery", `can't get public key for ${issuer}: browserid is disabled`);
    verifyCertificate(root.keys, certificate.alg, certificate.signedBytes, certificate.signature);

    const okay = (issuerAuthoritative: boolean): Verdict => ({
      status: "okay",
      email,
      audience: input.audience,
      expires,
      issuer,
      issuerAuthoritative,
    });
    if (serverTrusted.has(issuer)) return okay(true);
    const expected = await expectedIssuer(emailDomain);
    if (expected === issuer) return okay(true);
    // Caller-sent trust (v2 trustedIssuers) accepts the assertion but never makes the issuer authoritative.
    if (
      input.trustedIssuers?.some((trusted) => typeof trusted === "string" && trusted.toLowerCase() === issuer)
    ) {
      return okay(false);
    }
    return fail("issuer", `untrusted issuer, expected '${expected}', got '${issuer}'`);
  }

  return {
    async verify(input) {
      try {
        return await run(input);
      } catch (error) {
        if (error instanceof AssertionError) {
          return { status: "failure", category: error.category, reason: error.reason };
        }
        // Never throw across the boundary (Mozilla's worker died on malformed-but-signed input).
        return { status: "failure", category: "malformed", reason: "unexpected error" };
      }
    },
    clearCache: () => discovery.clear(),
  };
}
