// Conformance suite of the Remote Verification API over a real socket: the gateway with its real BrowserID verifier,
// issuers served by fake IdPs on loopback, cases from ../shared/reference/browserid.md (§1.7, §1.9, §1.10, §2.1, §2.2).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyFailureAnswer, verifyOkayAnswer } from "../../src/http/verify-schemas.js";
import { type BrowserIdIdp, startBrowserIdIdp } from "../fakes/browserid-idp.js";
import {
  type BrowserIdKeyPair,
  backedAssertion,
  dsaSignature,
  generateKeyPair,
  sharedKeyPair,
  signAssertion,
  signCertificate,
  supportDocument,
} from "../support/browserid.js";
import { type Harness, startHarness } from "../support/harness.js";

// ---------------------------------------------------------------------------------------------------------------
// Issuers: one loopback server per domain (`127.0.0.1:<port>` names need no resolver).

interface Issuer {
  server: BrowserIdIdp;
  domain: string;
  key: BrowserIdKeyPair;
}

async function startIssuer(
  name: string,
  document?: (issuer: Omit<Issuer, "server"> & { server: BrowserIdIdp }) => unknown,
): Promise<Issuer> {
  const server = await startBrowserIdIdp();
  const issuer = { server, domain: server.host(), key: sharedKeyPair("RS256", name) };
  const doc = document ? document(issuer) : supportDocument(issuer.key.publicKey);
  if (doc !== undefined) server.serve(issuer.domain, { document: doc });
  return issuer;
}

const MINUTE = 60_000;
const userKey = () => sharedKeyPair("DS128", "user");

interface AssertionOptions {
  email?: string | undefined;
  issuer?: Issuer;
  aud?: string;
  user?: BrowserIdKeyPair;
  certExp?: number;
  assertionExp?: number | undefined;
  assertionIat?: number;
  certExtra?: Record<string, unknown>;
}

function makeAssertion(primary: Issuer, o: AssertionOptions = {}): string {
  const issuer = o.issuer ?? primary;
  const user = o.user ?? userKey();
  const now = Date.now();
  const cert = signCertificate(
    {
      issuer: issuer.domain,
      email: "email" in o ? o.email : `ada@${primary.domain}`,
      publicKey: user.publicKey,
      iat: now - MINUTE,
      exp: o.certExp ?? now + 60 * MINUTE,
      ...o.certExtra,
    },
    issuer.key,
  );
  const claims: Record<string, unknown> = {
    aud: o.aud ?? "http://rp.example:8080",
    exp: "assertionExp" in o ? o.assertionExp : now + 2 * MINUTE,
  };
  if (o.assertionIat !== undefined) claims.iat = o.assertionIat;
  return backedAssertion(cert, signAssertion(claims, user));
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

async function post(
  h: Harness,
  path: string,
  body?: string | Record<string, unknown>,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<Answer> {
  const hdrs = { ...headers };
  let payload: string | undefined;
  if (typeof body === "object") {
    payload = JSON.stringify(body);
    hdrs["content-type"] ??= "application/json";
  } else payload = body;
  const response = await fetch(`${h.url}${path}`, { method, headers: hdrs, body: payload });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** `reason` by failure category: Mozilla's wording (reference §1.10), matched by family, not byte for byte. */
const REASON = {
  malformed:
    /^(malformed backed assertion|no certificates provided|signed object must have three parts|(header|payload|signature) ?segment|malformed signature)/,
  chain: /^certificate chaining is not yet allowed$/,
  algorithm: /^(algorithms do not match|no such algorithm)/,
  key: /key/i,
  signature: /^invalid signature$/,
  expired: /^(expired|issued later than verification date)$/,
  noExp: /^(assertion|certificate) has no exp/,
  audience: /^audience mismatch: /,
  email: /^untrusted assertion, doesn't contain an email/,
  issuer: /^untrusted issuer, expected '/,
  discovery: /^can't get public key for /,
} as const;

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

function expectOkay(answer: Answer, expected: Record<string, unknown> = {}) {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.json?.status, answer.text).toBe("okay");
  // Strict: nothing beyond the declared members (issuerAuthoritative and friends stay inside).
  verifyOkayAnswer.parse(answer.json);
  expect(answer.json).toMatchObject(expected);
}

function expectFailure(answer: Answer, reason: RegExp, status = 200) {
  expect(answer.status, answer.text).toBe(status);
  verifyFailureAnswer.parse(answer.json);
  expect(answer.json?.reason, answer.text).toMatch(reason);
}

// ---------------------------------------------------------------------------------------------------------------

let primary: Issuer; // the email domain's own IdP
let other: Issuer; // a second, unrelated IdP
let fallback: Issuer; // BROWSERID_FALLBACK_ISSUER
let serverTrusted: Issuer; // BROWSERID_TRUSTED_ISSUERS
let delegating: Issuer; // a domain whose document delegates to `primary`
let noIdp: Issuer; // a domain without a support document (404)
const issuers: Issuer[] = [];

function browserIdEnv(): Record<string, string> {
  const hosts = issuers.map((i) => i.domain).join(",");
  return {
    BROWSERID_HTTP_HOSTS: hosts,
    BROWSERID_ALLOWED_PRIVATE_HOSTS: hosts,
    BROWSERID_FALLBACK_ISSUER: fallback.domain,
    BROWSERID_TRUSTED_ISSUERS: serverTrusted.domain,
    BROWSERID_FETCH_TIMEOUT_MS: "1000",
  };
}

beforeAll(async () => {
  primary = await startIssuer("primary");
  other = await startIssuer("other");
  fallback = await startIssuer("fallback");
  serverTrusted = await startIssuer("trusted");
  delegating = await startIssuer("delegating", () => undefined);
  delegating.server.serve(delegating.domain, { document: { authority: primary.domain } });
  noIdp = await startIssuer("none", () => undefined);
  issuers.push(primary, other, fallback, serverTrusted, delegating, noIdp);
}, 60_000);

afterAll(async () => {
  await Promise.all(issuers.map((i) => i.server.close()));
});

describe("Remote Verification API (defaults: no idv member)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("sqlite", { env: browserIdEnv() });
  }, 60_000);
  afterAll(async () => h?.close());

  describe("okay answers", () => {
    it("verifies a JSON body on /verify, echoing the relying party's audience verbatim", async () => {
      const answer = await post(h, "/verify", {
        assertion: makeAssertion(primary),
        audience: "HTTP://RP.EXAMPLE:8080",
      });
      expectOkay(answer, {
        email: `ada@${primary.domain}`,
        audience: "HTTP://RP.EXAMPLE:8080",
        issuer: primary.domain,
      });
      const expires = answer.json?.expires as number;
      expect(expires).toBeGreaterThan(Date.now());
      expect(expires).toBeLessThan(Date.now() + 3 * MINUTE);
      expect(Object.keys(answer.json ?? {}).sort()).toEqual([
        "audience",
        "email",
        "expires",
        "issuer",
        "status",
      ]);
      expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
      expect(answer.headers.get("cache-control")).toMatch(/no-store/);
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
    });

    it("verifies a form body on POST / (v1 as Persona served it)", async () => {
      const answer = await post(
        h,
        "/",
        form({ assertion: makeAssertion(primary), audience: "rp.example:8080" }),
        FORM,
      );
      expectOkay(answer, { audience: "rp.example:8080" });
    });

    it("takes parameters from the query string, whatever the body's type (Persona: 'works, oddly enough')", async () => {
      const query = form({ assertion: makeAssertion(primary), audience: "http://rp.example:8080" });
      expectOkay(await post(h, `/verify?${query}`, "ignored", { "content-type": "text/plain" }));
      expectOkay(await post(h, `/verify?${query}`));
    });

    it("prefers the query string over the body", async () => {
      const query = form({ audience: "http://rp.example:8080" });
      const answer = await post(h, `/verify?${query}`, {
        assertion: makeAssertion(primary),
        audience: "http://elsewhere.example",
      });
      expectOkay(answer, { audience: "http://rp.example:8080" });
    });

    it("verifies on /v2 with a JSON body", async () => {
      expectOkay(
        await post(h, "/v2", { assertion: makeAssertion(primary), audience: "http://rp.example:8080" }),
      );
    });

    it("follows the email domain's delegation of authority", async () => {
      const answer = await post(h, "/verify", {
        assertion: makeAssertion(primary, { email: `carol@${delegating.domain}` }),
        audience: "http://rp.example:8080",
      });
      expectOkay(answer, { email: `carol@${delegating.domain}`, issuer: primary.domain });
    });

    it("accepts the fallback issuer for a domain without a support document", async () => {
      const answer = await post(h, "/verify", {
        assertion: makeAssertion(primary, { email: `lloyd@${noIdp.domain}`, issuer: fallback }),
        audience: "http://rp.example:8080",
      });
      expectOkay(answer, { issuer: fallback.domain });
    });

    it("accepts a server-trusted issuer for any email", async () => {
      const answer = await post(h, "/verify", {
        assertion: makeAssertion(primary, { issuer: serverTrusted }),
        audience: "http://rp.example:8080",
      });
      expectOkay(answer, { issuer: serverTrusted.domain });
    });

    it("accepts an issuer the caller trusts: v2 trustedIssuers and v1 experimental_forceIssuer", async () => {
      const assertion = makeAssertion(primary, { issuer: other });
      expectFailure(await post(h, "/v2", { assertion, audience: "http://rp.example:8080" }), REASON.issuer);
      expectOkay(
        await post(h, "/v2", {
          assertion,
          audience: "http://rp.example:8080",
          trustedIssuers: [other.domain],
        }),
        { issuer: other.domain },
      );
      expectOkay(
        await post(h, "/verify", {
          assertion,
          audience: "http://rp.example:8080",
          experimental_forceIssuer: other.domain,
        }),
        { issuer: other.domain },
      );
    });
  });

  describe("audience matching (reference §1.7)", () => {
    const table: [aud: string, rp: string, expected: RegExp | "okay"][] = [
      ["http://rp.example:8080", "rp.example:8080", "okay"],
      ["http://rp.example:8080", "http://rp.example:8080/", "okay"],
      ["http://rp.example:8080", "HTTP://RP.EXAMPLE:8080", "okay"],
      ["http://rp.example:8080", "http://rp.example", /^audience mismatch: port mismatch/],
      ["http://rp.example:8080", "rp.example", /^audience mismatch: port mismatch/],
      ["http://rp.example:8080", "https://rp.example:8080", /^audience mismatch: scheme mismatch/],
      ["http://rp.example:8080", "http://rp.example:8080/path", /^audience mismatch: has non-empty path/],
      ["http://rp.example:8080", "http://other.example:8080", /^audience mismatch: domain mismatch/],
      ["https://rp.example", "https://rp.example:443", "okay"],
      ["https://rp.example", "rp.example:443", /^audience mismatch: scheme mismatch/],
      ["http://example.com", "incorrect.com", /^audience mismatch: domain mismatch/],
      ["http://example.com", "ftp://example.com", /^audience mismatch/],
      ["http://example.com", "example.com::80", /^audience mismatch/],
      ["app://browser.gaiamobile.org", "app://browser.gaiamobile.org:80", "okay"],
    ];
    it.each(table)("assertion aud %s, relying party %s → %s", async (aud, rp, expected) => {
      const answer = await post(h, "/verify", { assertion: makeAssertion(primary, { aud }), audience: rp });
      if (expected === "okay") expectOkay(answer, { audience: rp });
      else expectFailure(answer, expected);
    });
  });

  describe("verification failures: 200 with a reason, by category (reference §1.10)", () => {
    const audience = "http://rp.example:8080";
    const verify = (assertion: string) => post(h, "/verify", { assertion, audience });

    it("malformed: not a backed assertion, bad segments, bad JSON", async () => {
      expectFailure(await verify("not-an-assertion"), REASON.malformed);
      expectFailure(await verify("a.b.c~d.e.f"), REASON.malformed);
      const [cert = "", assertion = ""] = makeAssertion(primary).split("~");
      expectFailure(await verify(`${cert}~${assertion.split(".").slice(0, 2).join(".")}`), REASON.malformed);
      expectFailure(await verify(`${cert}=~${assertion}`), REASON.malformed);
    });

    it("certificate chains are refused (exactly one certificate)", async () => {
      const [cert = "", assertion = ""] = makeAssertion(primary).split("~");
      expectFailure(await verify(`${cert}~${cert}~${assertion}`), REASON.chain);
    });

    it("signature: a changed assertion payload or certificate no longer verifies", async () => {
      const [cert = "", assertion = ""] = makeAssertion(primary).split("~");
      const [header, , signature] = assertion.split(".");
      const forged = Buffer.from(JSON.stringify({ aud: audience, exp: Date.now() + MINUTE * 60 })).toString(
        "base64url",
      );
      expectFailure(await verify(`${cert}~${header}.${forged}.${signature}`), REASON.signature);
      const [cHeader, cPayload = "", cSig] = cert.split(".");
      const claims = JSON.parse(Buffer.from(cPayload, "base64url").toString()) as Record<string, unknown>;
      claims.principal = { email: `mallory@${primary.domain}` };
      const tampered = `${cHeader}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${cSig}`;
      expectFailure(await verify(`${tampered}~${assertion}`), REASON.signature);
    });

    it("signature: Mozilla's universal DSA forgeries (r=1, s=q) and (r=1, s=0) are refused", async () => {
      const cert = makeAssertion(primary).split("~")[0] ?? "";
      const q = BigInt(`0x${(userKey().publicKey as { q: string }).q}`);
      const claims = { aud: audience, exp: Date.now() + MINUTE };
      for (const [r, s] of [
        [1n, q],
        [1n, 0n], // hung Mozilla's pure-JS workers forever
      ] as const) {
        const forged = signAssertion(claims, userKey(), { signature: dsaSignature(r, s, "DS128") });
        expectFailure(await verify(`${cert}~${forged}`), REASON.signature);
      }
    });

    it("algorithm: a header alg that does not match the key", async () => {
      const cert = makeAssertion(primary).split("~")[0] ?? "";
      const assertion = signAssertion({ aud: audience, exp: Date.now() + MINUTE }, userKey(), {
        header: { alg: "RS256" },
      });
      expectFailure(await verify(`${cert}~${assertion}`), REASON.algorithm);
    });

    it("key: weak user keys (RS64) are refused", async () => {
      const weak = generateKeyPair("RS64");
      expectFailure(await verify(makeAssertion(primary, { user: weak })), REASON.key);
    });

    it("expired: assertion or certificate past exp, issued in the future, or without exp", async () => {
      const now = Date.now();
      expectFailure(await verify(makeAssertion(primary, { assertionExp: now - 5 * MINUTE })), REASON.expired);
      expectFailure(await verify(makeAssertion(primary, { certExp: now - 5 * MINUTE })), REASON.expired);
      expectFailure(
        await verify(
          makeAssertion(primary, { assertionIat: now + 5 * MINUTE, assertionExp: now + 7 * MINUTE }),
        ),
        REASON.expired,
      );
      // Mozilla said okay with "expires":0; a missing exp never expires there.
      expectFailure(await verify(makeAssertion(primary, { assertionExp: undefined })), REASON.noExp);
    });

    it("email: a certificate without a valid email", async () => {
      expectFailure(await verify(makeAssertion(primary, { email: undefined })), REASON.email);
      expectFailure(
        await verify(makeAssertion(primary, { email: `test@users.example.com@${primary.domain}` })),
        REASON.email,
      );
    });

    it("issuer: an IdP that is not authoritative for the email's domain, and the fallback for a primary", async () => {
      expectFailure(await verify(makeAssertion(primary, { issuer: other })), REASON.issuer);
      expectFailure(await verify(makeAssertion(primary, { issuer: fallback })), REASON.issuer);
    });

    it("discovery: an issuer without a support document, without echoing network errors", async () => {
      const unreachable: Issuer = { ...noIdp, domain: "127.0.0.1:1" };
      const refused = await verify(makeAssertion(primary, { issuer: unreachable }));
      expectFailure(refused, REASON.discovery);
      expect(refused.json?.reason).not.toMatch(/ECONNREFUSED|connect /);
      expectFailure(await verify(makeAssertion(primary, { issuer: noIdp })), REASON.discovery);
    });

    it("a parameter of the wrong type is a failure, as Mozilla answered it", async () => {
      expectFailure(await post(h, "/verify", { assertion: { x: 1 }, audience }), REASON.malformed);
      expectFailure(
        await post(h, "/verify", { assertion: makeAssertion(primary), audience: [audience] }),
        REASON.audience,
      );
    });
  });

  describe("request errors: 400 / 405 / 413 / 415 with Mozilla's reasons", () => {
    it("v1: missing parameters → 400", async () => {
      expectFailure(await post(h, "/verify", {}), /^missing assertion parameter$/, 400);
      expectFailure(
        await post(
          h,
          "/verify",
          { assertion: makeAssertion(primary) },
          { "content-type": "application/json; charset: utf-8" },
        ),
        /^missing audience parameter$/,
        400,
      );
      expectFailure(await post(h, "/", form({ assertion: "x" }), FORM), /^missing audience parameter$/, 400);
      expectFailure(
        await post(h, "/verify", { audience: "http://rp.example" }),
        /^missing assertion parameter$/,
        400,
      );
    });

    it("v1: unsupported content types → 415 when parameters are missing", async () => {
      expectFailure(
        await post(h, "/verify", "", { "content-type": "text/plain" }),
        /^Unsupported Content-Type: text\/plain \(expected application\/x-www-form-urlencoded or application\/json\)$/,
        415,
      );
      expectFailure(await post(h, "/verify"), /^Unsupported Content-Type: none/, 415);
      expectFailure(
        await post(h, "/", "assertion=x", { "content-type": "text/plain" }),
        /^Unsupported Content-Type/,
        415,
      );
    });

    it("v1: a body that is not JSON → 400", async () => {
      expectFailure(await post(h, "/verify", "{ 'a' }", { "content-type": "application/json" }), /JSON/, 400);
    });

    it("v2: JSON only → 415 for form bodies and other types", async () => {
      expectFailure(
        await post(h, "/v2", form({ assertion: "x", audience: "y" }), FORM),
        /^Unsupported Content-Type: application\/x-www-form-urlencoded \(expected application\/json\)$/,
        415,
      );
      expectFailure(
        await post(h, "/v2", "", { "content-type": "text/plain" }),
        /^Unsupported Content-Type: text\/plain/,
        415,
      );
      expectFailure(await post(h, "/v2"), /^Unsupported Content-Type: none/, 415);
    });

    it("v2: missing parameters and malformed trustedIssuers → 400", async () => {
      expectFailure(await post(h, "/v2", { assertion: "x" }), /^missing audience parameter$/, 400);
      expectFailure(await post(h, "/v2", { audience: "x" }), /^missing assertion parameter$/, 400);
      const base = { assertion: makeAssertion(primary), audience: "http://rp.example:8080" };
      expectFailure(
        await post(h, "/v2", { ...base, trustedIssuers: other.domain }),
        /^trusted issuers must be an array$/,
        400,
      );
      expectFailure(
        await post(h, "/v2", { ...base, trustedIssuers: [other.domain, ["example.com"]] }),
        /^trusted issuers must be an array of strings$/,
        400,
      );
      // Each named issuer may cost a fetch: the list is bounded.
      const many = Array.from({ length: 17 }, (_, i) => `idp${i}.example`);
      expectFailure(
        await post(h, "/v2", { ...base, trustedIssuers: many }),
        /^trusted issuers: at most 16/,
        400,
      );
    });

    it("bodies over 10 KiB → 413, on every route", async () => {
      const big = { assertion: "a".repeat(11 * 1024), audience: "http://rp.example" };
      for (const path of ["/verify", "/", "/v2"]) expectFailure(await post(h, path, big), /too large/, 413);
      const bigForm = form({ assertion: "a".repeat(11 * 1024), audience: "x" });
      expectFailure(await post(h, "/verify", bigForm, FORM), /too large/, 413);
      // Mozilla read no body it could not parse; we cap every body, whatever its type.
      const query = form({ assertion: makeAssertion(primary), audience: "http://rp.example:8080" });
      expectFailure(
        await post(h, `/verify?${query}`, "x".repeat(11 * 1024), { "content-type": "text/plain" }),
        /too large/,
        413,
      );
    });

    it("a body just under the limit is read", async () => {
      const answer = await post(h, "/verify", {
        assertion: "a".repeat(10 * 1024 - 100),
        audience: "http://rp.example",
      });
      expectFailure(answer, REASON.malformed);
    });

    it("GET and other methods → 405 with Allow: POST", async () => {
      for (const path of ["/verify", "/", "/v2"]) {
        for (const method of ["GET", "PUT", "DELETE"]) {
          const answer = await post(h, path, undefined, {}, method);
          expect(answer.status, `${method} ${path}`).toBe(405);
          expect(answer.headers.get("allow")).toBe("POST");
        }
      }
    });
  });

  describe("the other faces are unaffected", () => {
    it("health, the login gate and unknown routes answer as before", async () => {
      expect((await post(h, "/health", undefined, {}, "GET")).status).toBe(200);
      const validate = await h.validate("4f7d6a52-3c1b-4e0f-9a8b-2d5c6e7f8a9b");
      expect(validate.status).toBe(200);
      expect((await post(h, "/nowhere", {})).status).toBe(404);
      expect((await post(h, "/verify/extra", {})).status).toBe(404);
    });

    it("counts verifications in /metrics", async () => {
      const metrics = await post(h, "/metrics", undefined, {}, "GET");
      expect(metrics.text).toMatch(/idv_verify_total\{route="\/verify",outcome="okay"\} [1-9]/);
      expect(metrics.text).toMatch(/idv_verify_total\{route="\/verify",outcome="bad_request"\} [1-9]/);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------

const IDV_APPROVED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

describe("the idv member (VERIFY_IDV_STATUS=true)", () => {
  let h: Harness;
  const audience = "http://rp.example:8080";

  async function identityWithStatus(email: string, status: string | undefined) {
    const identity = h.kratos.createIdentity({ email });
    // Kratos marks the address verified once the user followed the verification mail.
    identity.verifiable_addresses = [
      {
        ...(identity.verifiable_addresses?.[0] as Record<string, unknown>),
        verified: true,
        verified_at: new Date().toISOString(),
        status: "completed",
      },
    ];
    if (status !== undefined) {
      await h.gateway.store.identityStatus.record(
        {
          identity_id: identity.id,
          status,
          provider: "persona",
          verification_id: `ver-${identity.id}`,
          decided_at: IDV_APPROVED_AT,
          status_version: 1,
          updated_at: IDV_APPROVED_AT,
        },
        ["approved", "declined", "review", "failed"],
      );
    }
    return identity;
  }

  beforeAll(async () => {
    h = await startHarness("sqlite", { env: { ...browserIdEnv(), VERIFY_IDV_STATUS: "true" } });
  }, 60_000);
  afterAll(async () => h?.close());

  it("is added for an approved identity when the issuer is authoritative for the email's domain", async () => {
    await identityWithStatus(`ada@${primary.domain}`, "approved");
    const answer = await post(h, "/verify", { assertion: makeAssertion(primary), audience });
    expectOkay(answer, {
      idv: { status: "approved", provider: "persona", verified_at: new Date(IDV_APPROVED_AT).toISOString() },
    });
    // Kratos was asked by credential identifier, as its admin API (and our spec check) allow.
    const lookups = h.kratos.requests.filter((r) => r.path === "/admin/identities");
    expect(lookups.at(-1)?.query).toContain("credentials_identifier=");
    expect(h.kratos.specViolations).toEqual([]);
  });

  it("is added for a server-trusted issuer (BROWSERID_TRUSTED_ISSUERS) and for delegated domains", async () => {
    await identityWithStatus(`grace@${primary.domain}`, "approved");
    expectOkay(
      await post(h, "/verify", {
        assertion: makeAssertion(primary, { issuer: serverTrusted, email: `grace@${primary.domain}` }),
        audience,
      }),
      { idv: { status: "approved" } },
    );
    await identityWithStatus(`carol@${delegating.domain}`, "approved");
    expectOkay(
      await post(h, "/v2", {
        assertion: makeAssertion(primary, { email: `carol@${delegating.domain}` }),
        audience,
      }),
      { idv: { status: "approved" } },
    );
  });

  it("is never added because of an issuer the caller trusts (v2 trustedIssuers, v1 experimental_forceIssuer)", async () => {
    await identityWithStatus(`alan@${primary.domain}`, "approved");
    // Anyone can run an IdP and mint a certificate for alan@…: caller trust must not reveal his status.
    const minted = makeAssertion(primary, { issuer: other, email: `alan@${primary.domain}` });
    const kratosCalls = h.kratos.requests.length;
    const v2 = await post(h, "/v2", { assertion: minted, audience, trustedIssuers: [other.domain] });
    expectOkay(v2, { issuer: other.domain });
    expect(v2.json).not.toHaveProperty("idv");
    const v1 = await post(h, "/verify", {
      assertion: minted,
      audience,
      experimental_forceIssuer: other.domain,
    });
    expectOkay(v1);
    expect(v1.json).not.toHaveProperty("idv");
    // Not even looked up: nothing about alan's identity was read on behalf of these callers.
    expect(h.kratos.requests.length).toBe(kratosCalls);
    // Naming the authoritative issuer among trustedIssuers forgoes idv too (the answer cannot tell which trust applied).
    const named = await post(h, "/v2", {
      assertion: makeAssertion(primary, { email: `alan@${primary.domain}` }),
      audience,
      trustedIssuers: [primary.domain],
    });
    expectOkay(named);
    expect(named.json).not.toHaveProperty("idv");
  });

  it("is absent when the identity is not approved, has no verification, or does not exist", async () => {
    await identityWithStatus(`dora@${primary.domain}`, "declined");
    await identityWithStatus(`eve@${primary.domain}`, undefined);
    for (const name of ["dora", "eve", "nobody"]) {
      const answer = await post(h, "/verify", {
        assertion: makeAssertion(primary, { email: `${name}@${primary.domain}` }),
        audience,
      });
      expectOkay(answer, { email: `${name}@${primary.domain}` });
      expect(answer.json, name).not.toHaveProperty("idv");
    }
  });

  it("is absent when the email is not a verified address of the identity", async () => {
    const identity = h.kratos.createIdentity({ email: `fay@${primary.domain}` });
    await h.gateway.store.identityStatus.record(
      {
        identity_id: identity.id,
        status: "approved",
        provider: "onfido",
        verification_id: `ver-${identity.id}`,
        decided_at: IDV_APPROVED_AT,
        status_version: 1,
        updated_at: IDV_APPROVED_AT,
      },
      ["approved"],
    );
    const answer = await post(h, "/verify", {
      assertion: makeAssertion(primary, { email: `fay@${primary.domain}` }),
      audience,
    });
    expectOkay(answer);
    expect(answer.json).not.toHaveProperty("idv");
  });

  it("is absent, and the answer still okay and prompt, while Kratos is down", async () => {
    await identityWithStatus(`hedy@${primary.domain}`, "approved");
    h.kratos.setDown(true);
    try {
      const started = Date.now();
      const answer = await post(h, "/verify", {
        assertion: makeAssertion(primary, { email: `hedy@${primary.domain}` }),
        audience,
      });
      expectOkay(answer, { email: `hedy@${primary.domain}` });
      expect(answer.json).not.toHaveProperty("idv");
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      h.kratos.setDown(false);
    }
  });
});

describe("rate limiting (VERIFY_RATE_LIMIT_PER_MINUTE)", () => {
  let h: Harness;
  // The test client stands behind a trusted proxy (loopback), so each X-Forwarded-For is a client.
  const from = (ip: string) => ({ "x-forwarded-for": ip });
  beforeAll(async () => {
    h = await startHarness("sqlite", {
      env: { ...browserIdEnv(), VERIFY_RATE_LIMIT_PER_MINUTE: "3", TRUST_PROXY: "127.0.0.1" },
    });
  }, 60_000);
  afterAll(async () => h?.close());

  it("answers 429 with Retry-After past the per-client budget, on every verification route, and nowhere else", async () => {
    const assertion = makeAssertion(primary);
    const client = from("203.0.113.1");
    expectOkay(await post(h, "/verify", { assertion, audience: "http://rp.example:8080" }, client));
    expectFailure(await post(h, "/v2", {}, client), /missing assertion/, 400);
    expect((await post(h, "/", undefined, client, "GET")).status).toBe(405);
    const limited = await post(h, "/verify", { assertion, audience: "http://rp.example:8080" }, client);
    expectFailure(limited, /too many requests/, 429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expectFailure(await post(h, "/v2", {}, client), /too many requests/, 429);
    expect((await post(h, "/health", undefined, client, "GET")).status).toBe(200);
  });

  it("keeps a budget per client address", async () => {
    expectFailure(await post(h, "/v2", {}, from("203.0.113.1")), /too many requests/, 429);
    expectFailure(await post(h, "/v2", {}, from("203.0.113.2")), /missing assertion/, 400);
  });
});
