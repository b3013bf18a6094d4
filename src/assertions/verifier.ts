// Verifies one backed assertion: local checks first (parse, user key, assertion signature, times, audience, email),
// then the network (issuer key, certificate signature, authority for the email's domain).
import { compareAudiences } from "./audience.js";
import { parseCertificate } from "./certificate-cache.js";
import { assertionAudience, checkTimes } from "./claims.js";
import { createDiscovery, type Discovered } from "./discovery.js";
import { AssertionError, fail } from "./errors.js";
import { createIssuerFetcher } from "./fetcher.js";
import { type ParsedJws, parseJws, splitBackedAssertion } from "./jws.js";
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

  async function expectedIssuerSlow(emailDomain: string): Promise<string | undefined> {
    const own = await authorityOf(emailDomain, emailDomain);
    if (own?.type === "supported") return own.authority;
    // No usable document of its own (missing, broken or disabled — Mozilla's library did not fall back on
    // disabled, the spec and Persona did): ask the fallback about this principal. Its per-principal document may
    // delegate to a bridge IdP (Persona's gmail/yahoo bridging), which is then the authority.
    if (fallback === undefined) return undefined;
    const bridged = await authorityOf(fallback, emailDomain);
    return bridged?.type === "supported" ? bridged.authority : fallback;
  }

  /** The email domain's authority: straight from the cache when it holds the answer, else over the network. */
  function expectedIssuer(emailDomain: string): string | undefined | Promise<string | undefined> {
    const own = discovery.peek(emailDomain, emailDomain);
    return own?.type === "supported" ? own.authority : expectedIssuerSlow(emailDomain);
  }

  async function discoverRoot(issuer: string, emailDomain: string): Promise<Discovered> {
    try {
      return await discovery.lookup(issuer, emailDomain);
    } catch (error) {
      if (error instanceof AssertionError)
        fail("discovery", `can't get public key for ${issuer}: ${error.reason}`);
      throw error;
    }
  }

  interface Checked {
    input: VerifyInput;
    certificate: ParsedJws;
    email: string;
    emailDomain: string;
    issuer: string;
    expires: number;
  }

  /**
   * Local checks, then the network. With warm caches (the common case) nothing here awaits: the verdict comes
   * back as a value, and only a cache miss makes it a promise.
   */
  function run(input: VerifyInput): Verdict | Promise<Verdict> {
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
    const checked: Checked = { input, certificate, email, emailDomain, issuer, expires };
    const root = discovery.peek(issuer, emailDomain);
    return root
      ? withRoot(checked, root)
      : discoverRoot(issuer, emailDomain).then((found) => withRoot(checked, found));
  }

  function withRoot(checked: Checked, root: Discovered): Verdict | Promise<Verdict> {
    const { certificate, issuer } = checked;
    if (root.type !== "supported")
      fail("discovery", `can't get public key for ${issuer}: browserid is disabled`);
    verifyCertificate(root.keys, certificate.alg, certificate.signedBytes, certificate.signature);
    if (serverTrusted.has(issuer)) return okay(checked, true);
    const expected = expectedIssuer(checked.emailDomain);
    return expected instanceof Promise
      ? expected.then((found) => withExpected(checked, found))
      : withExpected(checked, expected);
  }

  function withExpected(checked: Checked, expected: string | undefined): Verdict {
    const { input, issuer } = checked;
    if (expected === issuer) return okay(checked, true);
    // Caller-sent trust (v2 trustedIssuers) accepts the assertion but never makes the issuer authoritative.
    if (
      input.trustedIssuers?.some((trusted) => typeof trusted === "string" && trusted.toLowerCase() === issuer)
    ) {
      return okay(checked, false);
    }
    return fail("issuer", `untrusted issuer, expected '${expected}', got '${issuer}'`);
  }

  function okay(checked: Checked, issuerAuthoritative: boolean): Verdict {
    return {
      status: "okay",
      email: checked.email,
      audience: checked.input.audience,
      expires: checked.expires,
      issuer: checked.issuer,
      issuerAuthoritative,
    };
  }

  function failure(error: unknown): Verdict {
    if (error instanceof AssertionError) {
      return { status: "failure", category: error.category, reason: error.reason };
    }
    // Never throw across the boundary (Mozilla's worker died on malformed-but-signed input).
    return { status: "failure", category: "malformed", reason: "unexpected error" };
  }

  return {
    verify(input) {
      try {
        const verdict = run(input);
        return verdict instanceof Promise ? verdict.catch(failure) : Promise.resolve(verdict);
      } catch (error) {
        return Promise.resolve(failure(error));
      }
    },
    clearCache: () => discovery.clear(),
  };
}
