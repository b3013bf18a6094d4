// The divergence list: inputs where Mozilla's verifier is wrong (forgeries, crashes, leniency) and ours must differ.
// Each case records what Mozilla does (asserted, so a change in the oracle shows up) and asserts what we do.
// Reference: ../shared/reference/browserid.md §2.6 (expected-divergence table) and §4 (security pitfalls).
import { beforeAll, describe, expect, it } from "vitest";
import { createAssertionVerifier } from "../../src/assertions/index.js";
import type { FailureCategory, Verdict } from "../../src/assertions/types.js";
import {
  type BrowserIdKeyPair,
  dsaSignature,
  generateKeyPair,
  signAssertion,
  signCertificate,
  signJws,
} from "../support/browserid.js";
import { settings } from "./compare.js";
import { fetcherFor, NOW } from "./corpus.js";
import {
  nodeDsaKeypairInOwnGroup,
  nodeRsaKeypair,
  nodeSignJws,
  pkcs1Encoded,
  rawRsaJws,
  withSignature,
} from "./node-keys.js";
import {
  type IssuerDocuments,
  type KeyObject,
  loadMozilla,
  type Mozilla,
  type MozillaVerdict,
  supportDocument,
  verifyIsolated,
} from "./oracle.js";

const loaded = loadMozilla();
if ("unavailable" in loaded) console.warn(`skipping the BrowserID divergence list: ${loaded.unavailable}`);

const AUD = "https://rp.example";
const EMAIL = "alice@example.com";

interface Input {
  assertion: string;
  audience?: string;
  documents: IssuerDocuments;
  fallback?: string;
  /** Server-configured on our side; Mozilla gets them as its trustedIssuers. */
  trustedIssuers?: string[];
  clockSkewMs?: number;
  /** Run Mozilla in a child process: the input kills or hangs it. */
  isolated?: boolean;
}

interface Both {
  ours: Verdict;
  ourFetches: string[];
  mozilla: MozillaVerdict;
}

describe.skipIf("unavailable" in loaded)("divergences: where Mozilla is wrong, we reject", () => {
  const mozilla = (loaded as { mozilla: Mozilla }).mozilla;
  let idp: BrowserIdKeyPair;
  let user: BrowserIdKeyPair;
  let docs: IssuerDocuments;

  beforeAll(() => {
    idp = generateKeyPair("RS256");
    user = generateKeyPair("DS128");
    docs = { "example.com": supportDocument(idp.publicKey as KeyObject) };
  });

  const validCert = (claims: Record<string, unknown> = {}) =>
    signCertificate(
      {
        issuer: "example.com",
        email: EMAIL,
        publicKey: user.publicKey,
        iat: NOW - 1_000,
        exp: NOW + 3_600_000,
        ...claims,
      },
      idp,
    );
  const validAssertion = (claims: Record<string, unknown> = {}) =>
    signAssertion({ aud: AUD, exp: NOW + 120_000, ...claims }, user);

  async function both(input: Input): Promise<Both> {
    const ourFetches: string[] = [];
    const verifier = createAssertionVerifier(
      { ...settings(input.fallback, input.trustedIssuers ?? []), clockSkewMs: input.clockSkewMs ?? 0 },
      { now: () => NOW, fetchJson: fetcherFor(input.documents, ourFetches) },
    );
    const request = {
      assertion: input.assertion,
      audience: input.audience ?? AUD,
      now: NOW,
      documents: input.documents,
      ...(input.fallback ? { fallback: input.fallback } : {}),
      ...(input.trustedIssuers ? { trustedIssuers: input.trustedIssuers } : {}),
    };
    const [ours, theirs] = await Promise.all([
      verifier.verify({ assertion: input.assertion, audience: input.audience ?? AUD }),
      input.isolated ? verifyIsolated(request) : mozilla.verify(request),
    ]);
    return { ours, ourFetches, mozilla: theirs };
  }

  const rejected = (category: FailureCategory) => expect.objectContaining({ status: "failure", category });
  const mozillaOkay = expect.objectContaining({ status: "okay" });
  const mozillaFails = (reason: string | RegExp) =>
    expect.objectContaining({
      status: "failure",
      reason: typeof reason === "string" ? reason : expect.stringMatching(reason),
    });

  // ---- §4 #1: DSA degenerate signatures. jwcrypto checks 0 ≤ r,s ≤ q (not 0 < r,s < q), and s⁻¹ mod q of s = q (or 0) is
  // 0, so v = g⁰·y⁰ mod p mod q = 1: (r=1, s=q) verifies ANY message under ANY DSA key. node:crypto rejects it.
  describe("DSA (r=1, s=q) universal forgery", () => {
    for (const alg of ["DS128", "DS256"] as const) {
      it(`${alg} assertion for another relying party, re-using a victim's valid certificate: Mozilla okay, we reject`, async () => {
        const victim = generateKeyPair(alg);
        const cert = signCertificate(
          {
            issuer: "example.com",
            email: EMAIL,
            publicKey: victim.publicKey,
            iat: NOW - 1,
            exp: NOW + 3_600_000,
          },
          idp,
        );
        const q = BigInt(`0x${(victim.publicKey as KeyObject).q}`);
        const forged = signJws({ aud: "https://victim-rp.example", exp: NOW + 60_000 }, victim, {
          signature: dsaSignature(1n, q, alg),
        });
        const r = await both({
          assertion: `${cert}~${forged}`,
          audience: "https://victim-rp.example",
          documents: docs,
        });
        expect(r.mozilla).toEqual(mozillaOkay);
        expect(r.ours).toEqual(rejected("signature"));
      });
    }

    it("forged certificate under a DS128 IdP key (any email at that IdP): Mozilla okay, we reject", async () => {
      const dsaIdp = generateKeyPair("DS128");
      const q = BigInt(`0x${(dsaIdp.publicKey as KeyObject).q}`);
      const cert = signCertificate(
        {
          issuer: "dsaidp.example",
          email: "ceo@dsaidp.example",
          publicKey: user.publicKey,
          iat: NOW - 1,
          exp: NOW + 60_000,
        },
        dsaIdp,
        { signature: dsaSignature(1n, q, "DS128") },
      );
      const r = await both({
        assertion: `${cert}~${validAssertion()}`,
        documents: { "dsaidp.example": supportDocument(dsaIdp.publicKey as KeyObject) },
      });
      expect(r.mozilla).toEqual(mozillaOkay);
      expect(r.ours).toEqual(rejected("signature"));
    });

    it("(r=1, s=0): Mozilla okay with native bignum, loops forever with jsbn; we reject", async () => {
      const forged = signJws({ aud: AUD, exp: NOW + 60_000 }, user, {
        signature: dsaSignature(1n, 0n, "DS128"),
      });
      const r = await both({ assertion: `${validCert()}~${forged}`, documents: docs, isolated: true });
      expect(r.mozilla).toEqual(mozilla.backend === "bignum" ? mozillaOkay : { status: "hang" });
      expect(r.ours).toEqual(rejected("signature"));
    }, 20_000);
  });

  // Out-of-range values Mozilla happens to refuse (v ≠ r) — listed so every §4 #1 shape is pinned on our side.
  it.each([
    ["r = 0", 0n, 1n],
    ["r = q", "q", 1n],
    ["r = q + 1", "q+1", 1n],
    ["s = q + 1", 1n, "q+1"],
    ["all zero", 0n, 0n],
  ] as const)(
    "DSA signature with %s: both reject",
    async (_name, r, s) => {
      const q = BigInt(`0x${(user.publicKey as KeyObject).q}`);
      const value = (v: bigint | "q" | "q+1") => (v === "q" ? q : v === "q+1" ? q + 1n : v);
      const sig = Buffer.concat([
        Buffer.from(value(r).toString(16).padStart(40, "0"), "hex"),
        Buffer.from(value(s).toString(16).padStart(40, "0"), "hex"),
      ]);
      const forged = signJws({ aud: AUD, exp: NOW + 60_000 }, user, { signature: sig });
      const result = await both({ assertion: `${validCert()}~${forged}`, documents: docs, isolated: true });
      expect(result.ours).toEqual(rejected("signature"));
      expect(result.mozilla.status).not.toBe("okay");
    },
    20_000,
  );

  // ---- §4 #2: RSA signature whose DigestInfo names SHA-1. jwcrypto picks the hash from inside the signature, then
  // throws "Not Implemented" out of the verifier (in production the worker died).
  it("RS256 certificate signed over a SHA-1 DigestInfo: Mozilla throws, we reject", async () => {
    const rsaIdp = nodeRsaKeypair(2048);
    const cert = rawRsaJws(
      {
        "public-key": user.publicKey,
        principal: { email: EMAIL },
        iat: NOW - 1,
        exp: NOW + 60_000,
        iss: "example.com",
      },
      rsaIdp.secretKey,
      "sha1",
      { alg: "RS256" },
    );
    const r = await both({
      assertion: `${cert}~${validAssertion()}`,
      documents: { "example.com": supportDocument(rsaIdp.publicKey) },
      isolated: true,
    });
    expect(r.mozilla).toEqual({ status: "crash", error: expect.stringContaining("Not Implemented") });
    expect(r.ours).toEqual(rejected("signature"));
  }, 20_000);

  // ---- §4 #3: key hygiene. Mozilla validates no key parameter.
  it("RSA user key with e = 1 (the signature is the padded digest itself, anyone can forge): Mozilla okay, we reject", async () => {
    const n = nodeRsaKeypair(2048).publicKey.n ?? "";
    const weak = { algorithm: "RS", n, e: "1" };
    const cert = signCertificate(
      { issuer: "example.com", email: EMAIL, publicKey: weak as never, iat: NOW - 1, exp: NOW + 60_000 },
      idp,
    );
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "RS256" })).toString("base64url")}.${Buffer.from(
      JSON.stringify({ aud: AUD, exp: NOW + 60_000 }),
    ).toString("base64url")}`;
    const em = pkcs1Encoded(unsigned, "sha256", 256).toString(16).padStart(512, "0");
    const forged = `${unsigned}.${Buffer.from(em, "hex").toString("base64url")}`;
    const r = await both({ assertion: `${cert}~${forged}`, documents: docs });
    expect(r.mozilla).toEqual(mozillaOkay);
    expect(r.ours).toEqual(rejected("key"));
  });

  it("RS64 (RSA-512, factorable) user and IdP keys: Mozilla okay, we reject", async () => {
    const small = generateKeyPair("RS64");
    const userCert = signCertificate(
      { issuer: "example.com", email: EMAIL, publicKey: small.publicKey, iat: NOW - 1, exp: NOW + 60_000 },
      idp,
    );
    const r1 = await both({
      assertion: `${userCert}~${signAssertion({ aud: AUD, exp: NOW + 60_000 }, small)}`,
      documents: docs,
    });
    expect(r1.mozilla).toEqual(mozillaOkay);
    expect(r1.ours).toEqual(rejected("key"));

    const idpCert = signCertificate(
      {
        issuer: "small.example",
        email: "a@small.example",
        publicKey: user.publicKey,
        iat: NOW - 1,
        exp: NOW + 60_000,
      },
      small,
    );
    const r2 = await both({
      assertion: `${idpCert}~${validAssertion()}`,
      documents: { "small.example": supportDocument(small.publicKey as KeyObject) },
    });
    expect(r2.mozilla).toEqual(mozillaOkay);
    expect(r2.ours.status).toBe("failure");
  });

  it("DSA user key in a group of its own (not one of the two BrowserID groups): Mozilla okay, we reject", async () => {
    const odd = nodeDsaKeypairInOwnGroup(1024);
    const cert = signCertificate(
      {
        issuer: "example.com",
        email: EMAIL,
        publicKey: odd.publicKey as never,
        iat: NOW - 1,
        exp: NOW + 60_000,
      },
      idp,
    );
    const r = await both({
      assertion: `${cert}~${nodeSignJws({ aud: AUD, exp: NOW + 60_000 }, odd)}`,
      documents: docs,
    });
    expect(r.mozilla).toEqual(mozillaOkay);
    expect(r.ours).toEqual(rejected("key"));
  });

  // A degenerate DSA key (y = 1): jwcrypto derives the key size from y's bit length, gets none, and its TypeError text
  // becomes the reason. Both reject; we say why without leaking an exception.
  it("DSA user key with y = 1: Mozilla fails with a TypeError's text, we reject the key", async () => {
    const degenerate = { ...(user.publicKey as KeyObject), y: "1" };
    const cert = signCertificate(
      {
        issuer: "example.com",
        email: EMAIL,
        publicKey: degenerate as never,
        iat: NOW - 1,
        exp: NOW + 60_000,
      },
      idp,
    );
    const r = await both({ assertion: `${cert}~${validAssertion()}`, documents: docs });
    expect(r.mozilla).toEqual(mozillaFails(/^Cannot read properties of null/));
    expect(r.ours).toEqual(rejected("key"));
  });

  // ---- §4 #4: times. jwcrypto treats a missing, zero or non-numeric exp as "never expires" (HTTP answer: expires 0).
  it.each([
    ["assertion without exp", { exp: undefined }, {}],
    ["assertion exp = 0", { exp: 0 }, {}],
    ['assertion exp = "garbage"', { exp: "garbage" }, {}],
    ["assertion exp as a numeric string", { exp: String(NOW + 60_000) }, {}],
    ["certificate without exp", {}, { exp: undefined }],
    ['certificate exp = "garbage"', {}, { exp: "garbage" }],
  ] as const)("%s: Mozilla okay (never expires), we reject", async (_name, assertionClaims, certClaims) => {
    const r = await both({
      assertion: `${validCert(certClaims)}~${validAssertion(assertionClaims)}`,
      documents: docs,
    });
    expect(r.mozilla).toEqual(mozillaOkay);
    expect(r.ours.status).toBe("failure");
  });

  // A skew is ours to choose (the spec allows < 5 min; Mozilla has none). With one configured, an assertion that expired
  // within it still verifies; with clockSkewMs 0 (as in the differential suite) we match Mozilla exactly.
  it("assertion expired 1 s ago with a 30 s skew configured: Mozilla expired, we accept (deliberate)", async () => {
    const r = await both({
      assertion: `${validCert()}~${validAssertion({ exp: NOW - 1_000 })}`,
      documents: docs,
      clockSkewMs: 30_000,
    });
    expect(r.mozilla).toEqual(mozillaFails("expired"));
    expect(r.ours).toEqual(expect.objectContaining({ status: "okay", expires: NOW - 1_000 }));
  });

  // ---- §4 #12: lenient base64url. jwcrypto's signature decoder skips every character outside the alphabet.
  it.each([
    ["'==' appended", (sig: string) => `${sig}==`],
    ["'*' inserted", (sig: string) => `${sig.slice(0, 10)}*${sig.slice(10)}`],
  ])("certificate signature with %s: Mozilla okay, we reject", async (_name, mangle) => {
    const [h, p, s] = validCert().split(".");
    const r = await both({ assertion: `${h}.${p}.${mangle(s ?? "")}~${validAssertion()}`, documents: docs });
    expect(r.mozilla).toEqual(mozillaOkay);
    expect(r.ours).toEqual(rejected("malformed"));
  });

  // ---- §4 #11: a validly signed certificate using `pubkey` (the never-deployed WIP spec's name) throws out of
  // jwcrypto asynchronously: an uncaught exception, browserid-verifier's worker exits, HTTP 503.
  it("certificate with `pubkey` instead of `public-key`: Mozilla's process dies, we reject", async () => {
    const cert = signJws(
      {
        pubkey: user.publicKey,
        principal: { email: EMAIL },
        iat: NOW - 1,
        exp: NOW + 60_000,
        iss: "example.com",
      },
      idp,
    );
    const r = await both({ assertion: `${cert}~${validAssertion()}`, documents: docs, isolated: true });
    expect(r.mozilla).toEqual({ status: "crash", error: expect.stringContaining("is not valid JSON") });
    expect(r.ours).toEqual(rejected("malformed"));
  }, 20_000);

  // ---- §4 #8: Mozilla fetches the issuer's document, for any host:port the unsigned certificate names, before checking
  // any signature (an SSRF and port-scan oracle). We check the assertion's signature against the certificate's key
  // first, so garbage never reaches the network.
  it("garbage signatures naming an internal issuer: Mozilla fetches first, we never fetch", async () => {
    const cert = signJws(
      {
        "public-key": user.publicKey,
        principal: { email: "x@127.0.0.1:1" },
        exp: NOW + 60_000,
        iss: "127.0.0.1:1",
      },
      idp,
    );
    const unsigned = withSignature(cert, Buffer.alloc(256, 7));
    const assertion = withSignature(validAssertion(), Buffer.alloc(40, 7));
    const r = await both({ assertion: `${unsigned}~${assertion}`, documents: {} });
    expect(r.mozilla).toEqual(
      expect.objectContaining({
        status: "failure",
        calls: ["127.0.0.1:1/.well-known/browserid?domain=127.0.0.1:1"],
      }),
    );
    expect(r.ours.status).toBe("failure");
    expect(r.ourFetches).toEqual([]);
  });

  // ---- Policy divergences (reference §2.6 "decide" rows).
  // Spec and Persona: a domain that disables BrowserID is vouched for by the fallback. browserid-local-verify instead
  // treats the disabled domain as its own authority and refuses the fallback's certificate.
  it("domain with {disabled:true}, certificate by the fallback: Mozilla refuses, we accept (spec semantics)", async () => {
    const fallbackKey = generateKeyPair("RS256");
    const cert = signCertificate(
      {
        issuer: "fallback.example",
        email: "d@disabled.example",
        publicKey: user.publicKey,
        iat: NOW - 1,
        exp: NOW + 60_000,
      },
      fallbackKey,
    );
    const r = await both({
      assertion: `${cert}~${validAssertion()}`,
      documents: {
        "fallback.example": supportDocument(fallbackKey.publicKey as KeyObject),
        "disabled.example": { body: JSON.stringify({ disabled: true }) },
      },
      fallback: "fallback.example",
    });
    expect(r.mozilla).toEqual(
      mozillaFails("untrusted issuer, expected 'disabled.example', got 'fallback.example'"),
    );
    expect(r.ours).toEqual(expect.objectContaining({ status: "okay", issuer: "fallback.example" }));
  });

  // Mozilla answers okay without an email when the issuer is trusted (idpClaims carry e.g. unverified-email); the
  // gateway's okay always names an email, so it refuses.
  it("certificate without an email from a trusted issuer: Mozilla okay (no email), we reject", async () => {
    const cert = signCertificate(
      {
        issuer: "example.com",
        publicKey: user.publicKey,
        iat: NOW - 1,
        exp: NOW + 60_000,
        principal: { "unverified-email": "u@example.com" },
      },
      idp,
    );
    const r = await both({
      assertion: `${cert}~${validAssertion()}`,
      documents: docs,
      trustedIssuers: ["example.com"],
    });
    expect(r.mozilla).toEqual(
      expect.objectContaining({ status: "okay", idpClaims: { "unverified-email": "u@example.com" } }),
    );
    expect(r.ours).toEqual(rejected("email"));
  });

  // With a trusted issuer Mozilla validates no email: it answers okay with whatever string the certificate holds —
  // upper case, newlines, two @ (Persona Bug 1253495 class: unvalidated data handed to relying parties).
  it.each(["alice@Example.com", "a\n@example.com", "a@b.example@example.com"])(
    "trusted issuer certifying the invalid email %j: Mozilla okay with that string, we reject",
    async (email) => {
      const r = await both({
        assertion: `${validCert({ email })}~${validAssertion()}`,
        documents: docs,
        trustedIssuers: ["example.com"],
      });
      expect(r.mozilla).toEqual(expect.objectContaining({ status: "okay", email }));
      expect(r.ours).toEqual(rejected("email"));
    },
  );

  // Both reject; only the failure family differs. On Node 20, url.parse takes "(exam)ple.com" for a host, so Mozilla
  // looks the domain up, finds nothing and reports the issuer; its own test (written on older Node) expected the
  // "no email" answer, which is ours.
  it("email with parentheses in the domain: both reject, Mozilla as an issuer failure, we as a bad email", async () => {
    const r = await both({
      assertion: `${validCert({ email: "test@(exam)ple.com" })}~${validAssertion()}`,
      documents: docs,
    });
    expect(r.mozilla).toEqual(mozillaFails(/^untrusted issuer/));
    expect(r.ours).toEqual(rejected("email"));
  });
});
