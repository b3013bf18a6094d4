// The verifier end to end over the fake IdP on loopback: accepted cases, each failure category, Mozilla's bad inputs.
import { sign } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BrowserIdIdp, startBrowserIdIdp } from "../../test/fakes/browserid-idp.js";
import {
  type BrowserIdAlg,
  type BrowserIdKeyPair,
  b64url,
  backedAssertion,
  dsaSignature,
  generateKeyPair,
  sharedKeyPair,
  signAssertion,
  signCertificate,
  signJws,
  supportDocument,
} from "../../test/support/browserid.js";
import { DS128 } from "./dsa-groups.js";
import { createIssuerFetcher } from "./fetcher.js";
import type { AssertionVerifier, Verdict, VerifierSettings } from "./types.js";
import { createAssertionVerifier } from "./verifier.js";

const NOW = 1_800_000_000_000;
const RP = "https://rp.example";

let idp: BrowserIdIdp;
const hosts: Record<string, string> = {};
const idpKey = () => sharedKeyPair("RS256", "idp");
const userKey = () => sharedKeyPair("DS128", "user");
const evilKey = () => sharedKeyPair("RS256", "evil");
const fallbackKey = () => sharedKeyPair("RS256", "fallback");
const bridgeKey = () => sharedKeyPair("RS256", "bridge");

beforeAll(async () => {
  idp = await startBrowserIdIdp();
  for (const name of ["example", "deleg", "off", "evil", "fallback", "nodoc", "dsidp", "bridge", "bridged"])
    hosts[name] = idp.host(`${name}.test`);
  hosts.loopback = idp.host();
});
afterAll(() => idp.close());

beforeEach(() => {
  idp.serve(must(hosts.example), { document: supportDocument(idpKey().publicKey) });
  idp.serve(must(hosts.loopback), { document: supportDocument(idpKey().publicKey) });
  idp.serve(must(hosts.deleg), { document: { authority: hosts.example } });
  idp.serve(must(hosts.off), { document: { disabled: true } });
  idp.serve(must(hosts.evil), { document: supportDocument(evilKey().publicKey) });
  // The fallback bridges one principal domain to another IdP, as Persona did for gmail.com and yahoo.com.
  idp.serve(must(hosts.fallback), (request) =>
    request.domain === hosts.bridged
      ? { document: { authority: hosts.bridge } }
      : { document: supportDocument(fallbackKey().publicKey) },
  );
  idp.serve(must(hosts.bridge), { document: supportDocument(bridgeKey().publicKey) });
  idp.serve(must(hosts.dsidp), { document: supportDocument(sharedKeyPair("DS128", "idp").publicKey) });
  idp.requests.length = 0;
});

function must(value: string | undefined): string {
  if (value === undefined) throw new Error("fixture missing");
  return value;
}

function verifier(overrides: Partial<VerifierSettings> = {}): AssertionVerifier {
  const allowed = Object.values(hosts);
  const settings: VerifierSettings = {
    fallbackIssuer: hosts.fallback,
    trustedIssuers: [],
    clockSkewMs: 30_000,
    cacheTtlMs: 60_000,
    negativeCacheTtlMs: 5_000,
    fetch: { allowedPrivateHosts: allowed, httpHosts: allowed, timeoutMs: 1_000, maxBytes: 64 * 1024 },
    ...overrides,
  };
  // *.test names are answered by the fake IdP on loopback; the fetcher is the real SSRF-safe one.
  const fetchJson = createIssuerFetcher(settings.fetch, {
    resolve: async () => [{ address: "127.0.0.1", family: 4 }],
  });
  return createAssertionVerifier(settings, { now: () => NOW, fetchJson });
}

interface Make {
  issuer?: string;
  email?: string;
  issuerKey?: BrowserIdKeyPair;
  user?: BrowserIdKeyPair;
  aud?: string;
  certIat?: number;
  certExp?: number;
  exp?: number | undefined;
  certExtra?: Record<string, unknown>;
}

function make(options: Make = {}): string {
  const user = options.user ?? userKey();
  const cert = signCertificate(
    {
      issuer: options.issuer ?? hosts.example,
      email: options.email ?? `alice@${hosts.example}`,
      publicKey: user.publicKey,
      iat: options.certIat ?? NOW - 60_000,
      exp: options.certExp ?? NOW + 3_600_000,
      ...options.certExtra,
    },
    options.issuerKey ?? idpKey(),
  );
  const assertion = signAssertion(
    { aud: options.aud ?? RP, exp: "exp" in options ? options.exp : NOW + 120_000 },
    user,
  );
  return backedAssertion(cert, assertion);
}

function expectFailure(verdict: Verdict, category: string, reason?: string | RegExp): void {
  expect(verdict.status).toBe("failure");
  if (verdict.status !== "failure") return;
  expect(verdict.category).toBe(category);
  if (typeof reason === "string") expect(verdict.reason).toBe(reason);
  else if (reason) expect(verdict.reason).toMatch(reason);
}

describe("createAssertionVerifier: accepted assertions", () => {
  it("accepts a certificate from the email domain's own IdP and echoes the RP's audience", async () => {
    const verdict = await verifier().verify({ assertion: make(), audience: "https://RP.example:443" });
    expect(verdict).toEqual({
      status: "okay",
      email: `alice@${hosts.example}`,
      audience: "https://RP.example:443",
      expires: NOW + 120_000,
      issuer: hosts.example,
      issuerAuthoritative: true,
    });
    expect(idp.requests.map((request) => request.domain)).toEqual([hosts.example]);
  });

  it("works with a Mozilla-style IdP at 127.0.0.1:port and the system resolver", async () => {
    const allowed = [must(hosts.loopback)];
    const settings: VerifierSettings = {
      fallbackIssuer: undefined,
      trustedIssuers: [],
      clockSkewMs: 0,
      cacheTtlMs: 1_000,
      negativeCacheTtlMs: 1_000,
      fetch: { allowedPrivateHosts: allowed, httpHosts: allowed, timeoutMs: 1_000, maxBytes: 65_536 },
    };
    const v = createAssertionVerifier(settings, { now: () => NOW });
    const verdict = await v.verify({
      assertion: make({ issuer: hosts.loopback, email: `test@${hosts.loopback}` }),
      audience: RP,
    });
    expect(verdict).toMatchObject({ status: "okay", issuer: hosts.loopback });
  });

  const algs: BrowserIdAlg[] = ["RS128", "RS256", "DS128", "DS256"];
  it.each(algs.flatMap((certAlg) => algs.map((userAlg) => [certAlg, userAlg] as const)))(
    "accepts a %s certificate over a %s user key",
    async (certAlg, userAlg) => {
      const host = idp.host(`${certAlg.toLowerCase()}.test`);
      idp.serve(host, { document: supportDocument(sharedKeyPair(certAlg, "idp").publicKey) });
      hosts[`alg-${certAlg}`] = host;
      const assertion = make({
        issuer: host,
        email: `k@${host}`,
        issuerKey: sharedKeyPair(certAlg, "idp"),
        user: sharedKeyPair(userAlg, "user"),
      });
      expect(await verifier().verify({ assertion, audience: RP })).toMatchObject({
        status: "okay",
        issuer: host,
      });
    },
  );

  it("accepts RS signatures without leading zero bytes, as jwcrypto encoded them", async () => {
    const user = sharedKeyPair("RS256", "user");
    for (let i = 0; i < 3000; i++) {
      const aud = `${RP}/${i}`;
      const full = signAssertion({ aud, exp: NOW + 1000 }, user);
      const signature = Buffer.from(full.split(".")[2] ?? "", "base64url");
      if (signature[0] !== 0) continue;
      const minimal = signAssertion({ aud, exp: NOW + 1000 }, user, { minimalRsa: true });
      const cert = signCertificate(
        {
          issuer: hosts.example,
          email: `m@${hosts.example}`,
          publicKey: user.publicKey,
          iat: NOW,
          exp: NOW + 60_000,
        },
        idpKey(),
      );
      expect(
        await verifier().verify({ assertion: backedAssertion(cert, minimal), audience: RP }),
      ).toMatchObject({
        status: "okay",
      });
      return;
    }
    throw new Error("no RSA signature with a leading zero byte in 3000 tries");
  });

  it("follows the email domain's delegation to the issuer", async () => {
    const verdict = await verifier().verify({
      assertion: make({ email: `carol@${hosts.deleg}` }),
      audience: RP,
    });
    expect(verdict).toMatchObject({ status: "okay", issuer: hosts.example, issuerAuthoritative: true });
  });

  it("lets the fallback vouch for a domain with no support document", async () => {
    const assertion = make({ issuer: hosts.fallback, issuerKey: fallbackKey(), email: `bob@${hosts.nodoc}` });
    expect(await verifier().verify({ assertion, audience: RP })).toMatchObject({
      status: "okay",
      issuer: hosts.fallback,
    });
    expectFailure(
      await verifier({ fallbackIssuer: undefined }).verify({ assertion, audience: RP }),
      "issuer",
      `untrusted issuer, expected 'undefined', got '${hosts.fallback}'`,
    );
  });

  it("lets the fallback vouch for a domain that disabled BrowserID (spec; Mozilla's library refused)", async () => {
    const assertion = make({ issuer: hosts.fallback, issuerKey: fallbackKey(), email: `dan@${hosts.off}` });
    expect(await verifier().verify({ assertion, audience: RP })).toMatchObject({ status: "okay" });
  });

  it("accepts a bridge IdP that the fallback's per-principal document delegates to", async () => {
    const assertion = make({ issuer: hosts.bridge, issuerKey: bridgeKey(), email: `gina@${hosts.bridged}` });
    expect(await verifier().verify({ assertion, audience: RP })).toMatchObject({
      status: "okay",
      issuer: hosts.bridge,
      issuerAuthoritative: true,
    });
    expect(idp.requests.filter((request) => request.host === hosts.fallback).map((r) => r.domain)).toEqual([
      hosts.bridged,
    ]);
    // For a bridged principal the fallback's document names the bridge's keys, so the fallback's own signature
    // no longer counts; and the bridge speaks for no one else.
    const byFallback = make({
      issuer: hosts.fallback,
      issuerKey: fallbackKey(),
      email: `gina@${hosts.bridged}`,
    });
    expectFailure(await verifier().verify({ assertion: byFallback, audience: RP }), "signature");
    const elsewhere = make({ issuer: hosts.bridge, issuerKey: bridgeKey(), email: `hal@${hosts.nodoc}` });
    expectFailure(
      await verifier().verify({ assertion: elsewhere, audience: RP }),
      "issuer",
      `untrusted issuer, expected '${hosts.fallback}', got '${hosts.bridge}'`,
    );
  });

  it("accepts server-trusted issuers for any email, as authoritative", async () => {
    const assertion = make({ issuer: hosts.evil, issuerKey: evilKey() });
    expect(
      await verifier({ trustedIssuers: [must(hosts.evil)] }).verify({ assertion, audience: RP }),
    ).toMatchObject({
      status: "okay",
      issuer: hosts.evil,
      issuerAuthoritative: true,
    });
  });

  it("accepts caller-trusted issuers (v2) but never calls them authoritative", async () => {
    const assertion = make({ issuer: hosts.evil, issuerKey: evilKey() });
    expect(
      await verifier().verify({ assertion, audience: RP, trustedIssuers: [must(hosts.evil)] }),
    ).toMatchObject({
      status: "okay",
      issuer: hosts.evil,
      issuerAuthoritative: false,
    });
  });
});

describe("createAssertionVerifier: refused assertions", () => {
  it("refuses an issuer that is not authoritative for the email's domain", async () => {
    const assertion = make({ issuer: hosts.evil, issuerKey: evilKey() });
    expectFailure(
      await verifier().verify({ assertion, audience: RP }),
      "issuer",
      `untrusted issuer, expected '${hosts.example}', got '${hosts.evil}'`,
    );
  });

  it("refuses the fallback for a domain that has its own IdP", async () => {
    const assertion = make({ issuer: hosts.fallback, issuerKey: fallbackKey() });
    expectFailure(await verifier().verify({ assertion, audience: RP }), "issuer", /^untrusted issuer/);
  });

  it.each([
    ["an expired certificate", { certExp: NOW - 31_000 }, "expired"],
    ["a certificate issued in the future", { certIat: NOW + 31_000 }, "issued later than verification date"],
    ["an expired assertion", { exp: NOW - 31_000 }, "expired"],
  ])("refuses %s", async (_name, options, reason) => {
    expectFailure(await verifier().verify({ assertion: make(options), audience: RP }), "expired", reason);
  });

  it("refuses an assertion without exp (Mozilla said okay with expires 0)", async () => {
    expectFailure(
      await verifier().verify({ assertion: make({ exp: undefined }), audience: RP }),
      "malformed",
    );
  });

  it("refuses a different audience", async () => {
    expectFailure(
      await verifier().verify({ assertion: make(), audience: "https://other.example" }),
      "audience",
      "audience mismatch: domain mismatch",
    );
    expectFailure(
      await verifier().verify({ assertion: make(), audience: ["x"] as unknown as string }),
      "audience",
    );
  });

  it.each(["alice@Example.test", "not-an-email", "a@b@c.test", "x\n@example.test"])(
    "refuses certificate email %j",
    async (email) => {
      expectFailure(
        await verifier().verify({ assertion: make({ email }), audience: RP }),
        "email",
        "untrusted assertion, doesn't contain an email, and issuer is untrusted ",
      );
    },
  );

  it("refuses tampered certificates and assertions", async () => {
    const [cert = "", assertion = ""] = make().split("~");
    const [h, p, s] = cert.split(".");
    const payload = JSON.parse(Buffer.from(p ?? "", "base64url").toString());
    payload.principal.email = `mallory@${hosts.example}`;
    expectFailure(
      await verifier().verify({
        assertion: `${h}.${b64url(JSON.stringify(payload))}.${s}~${assertion}`,
        audience: RP,
      }),
      "signature",
      "invalid signature",
    );
    const [ah, , as] = assertion.split(".");
    const forgedAud = b64url(JSON.stringify({ aud: "https://victim.example", exp: NOW + 1000 }));
    expectFailure(
      await verifier().verify({
        assertion: `${cert}~${ah}.${forgedAud}.${as}`,
        audience: "https://victim.example",
      }),
      "signature",
    );
  });

  it("refuses a certificate whose header names another alg than the issuer's key", async () => {
    const user = userKey();
    const cert = signCertificate(
      {
        issuer: hosts.example,
        email: `a@${hosts.example}`,
        publicKey: user.publicKey,
        iat: NOW,
        exp: NOW + 60_000,
      },
      idpKey(),
      { header: { alg: "RS128" } },
    );
    const assertion = signAssertion({ aud: RP, exp: NOW + 1000 }, user);
    expectFailure(
      await verifier().verify({ assertion: backedAssertion(cert, assertion), audience: RP }),
      "algorithm",
      "algorithms do not match",
    );
  });

  it("does not fetch anything for an assertion its own certificate's key did not sign", async () => {
    const [cert = ""] = make().split("~");
    const other = signAssertion({ aud: RP, exp: NOW + 1000 }, sharedKeyPair("DS128", "someone-else"));
    expectFailure(await verifier().verify({ assertion: `${cert}~${other}`, audience: RP }), "signature");
    expect(idp.requests).toEqual([]);
  });

  it("refuses to fetch from private addresses that are not allowed, and does not say why", async () => {
    const v = verifier({
      fetch: { allowedPrivateHosts: [], httpHosts: [must(hosts.example)], timeoutMs: 500, maxBytes: 65_536 },
    });
    const verdict = await v.verify({ assertion: make(), audience: RP });
    expectFailure(
      verdict,
      "discovery",
      `can't get public key for ${hosts.example}: ${hosts.example} is not a browserid primary - could not fetch /.well-known/browserid`,
    );
    expect(idp.requests).toEqual([]);
  });

  it("reports an unreachable issuer without echoing the network error", async () => {
    const assertion = make({ issuer: "127.0.0.1:1", email: "x@127.0.0.1:1" });
    const v = verifier({
      fetch: {
        allowedPrivateHosts: ["127.0.0.1:1"],
        httpHosts: ["127.0.0.1:1"],
        timeoutMs: 500,
        maxBytes: 65_536,
      },
    });
    const verdict = await v.verify({ assertion, audience: RP });
    expectFailure(verdict, "discovery", /^can't get public key for 127\.0\.0\.1:1: /);
    expect(JSON.stringify(verdict)).not.toMatch(/ECONNREFUSED|connect/);
  });

  it("refuses an issuer whose document is disabled or broken", async () => {
    const assertion = make({ issuer: hosts.off, email: `a@${hosts.off}` });
    expectFailure(await verifier().verify({ assertion, audience: RP }), "discovery", /disabled/);
    idp.serve(must(hosts.example), { body: "{nope" });
    expectFailure(
      await verifier().verify({ assertion: make(), audience: RP }),
      "discovery",
      /bad support document/,
    );
    idp.serve(must(hosts.example), {
      document: supportDocument(idpKey().publicKey),
      contentType: "text/plain",
    });
    expectFailure(
      await verifier().verify({ assertion: make(), audience: RP }),
      "discovery",
      /application\/json/,
    );
  });

  it("accepts a certificate signed by any published key during rotation", async () => {
    idp.serve(must(hosts.example), { document: supportDocument([evilKey().publicKey, idpKey().publicKey]) });
    expect(await verifier().verify({ assertion: make(), audience: RP })).toMatchObject({ status: "okay" });
    idp.serve(must(hosts.example), { document: supportDocument(sharedKeyPair("DS128", "idp").publicKey) });
    expectFailure(
      await verifier().verify({ assertion: make(), audience: RP }),
      "algorithm",
      "algorithms do not match",
    );
  });

  it("fetches again once the cached document's TTL has passed on the injected clock", async () => {
    let clock = NOW;
    const allowed = Object.values(hosts);
    const fetch = { allowedPrivateHosts: allowed, httpHosts: allowed, timeoutMs: 1_000, maxBytes: 65_536 };
    const v = createAssertionVerifier(
      {
        fallbackIssuer: undefined,
        trustedIssuers: [],
        clockSkewMs: 0,
        cacheTtlMs: 60_000,
        negativeCacheTtlMs: 1_000,
        fetch,
      },
      {
        now: () => clock,
        fetchJson: createIssuerFetcher(fetch, { resolve: async () => [{ address: "127.0.0.1", family: 4 }] }),
      },
    );
    const assertion = make({ exp: NOW + 10 * 60_000 });
    await v.verify({ assertion, audience: RP });
    clock += 59_000;
    await v.verify({ assertion, audience: RP });
    expect(idp.requests).toHaveLength(1);
    clock += 2_000;
    expect(await v.verify({ assertion, audience: RP })).toMatchObject({ status: "okay" });
    expect(idp.requests).toHaveLength(2);
  });

  it("caches support documents and drops them on clearCache()", async () => {
    const v = verifier();
    const assertion = make();
    await v.verify({ assertion, audience: RP });
    await v.verify({ assertion, audience: RP });
    expect(idp.requests).toHaveLength(1);
    v.clearCache();
    await v.verify({ assertion, audience: RP });
    expect(idp.requests).toHaveLength(2);
  });
});

// ../shared/reference/browserid.md §4: inputs on which Mozilla's verifier crashed, hung or said okay.
describe("createAssertionVerifier: Mozilla's crash and forgery inputs", () => {
  it("refuses a DSA assertion signature (r=1, s=q) re-using a victim's certificate", async () => {
    const [cert = ""] = make().split("~");
    const forged = signJws({ aud: "https://victim-rp.example", exp: NOW + 1000 }, userKey(), {
      signature: dsaSignature(1n, DS128.q, "DS128"),
    });
    expectFailure(
      await verifier().verify({ assertion: `${cert}~${forged}`, audience: "https://victim-rp.example" }),
      "signature",
    );
  });

  it("refuses a certificate forged with (r=1, s=q) under a DS128 IdP key", async () => {
    const user = userKey();
    const forgedCert = signCertificate(
      {
        issuer: hosts.dsidp,
        email: `ceo@${hosts.dsidp}`,
        publicKey: user.publicKey,
        iat: NOW,
        exp: NOW + 60_000,
      },
      sharedKeyPair("DS128", "idp"),
      { signature: dsaSignature(1n, DS128.q, "DS128") },
    );
    const assertion = signAssertion({ aud: RP, exp: NOW + 1000 }, user);
    expectFailure(
      await verifier().verify({ assertion: backedAssertion(forgedCert, assertion), audience: RP }),
      "signature",
    );
  });

  it("answers (r=1, s=0), which hung Mozilla's pure-JS worker forever, at once", async () => {
    const [cert = ""] = make().split("~");
    const forged = signJws({ aud: RP, exp: NOW + 1000 }, userKey(), {
      signature: dsaSignature(1n, 0n, "DS128"),
    });
    const started = Date.now();
    expectFailure(await verifier().verify({ assertion: `${cert}~${forged}`, audience: RP }), "signature");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses a validly signed certificate using pubkey (Mozilla's worker died: HTTP 503)", async () => {
    const user = userKey();
    const cert = signJws(
      {
        pubkey: user.publicKey,
        principal: { email: `a@${hosts.example}` },
        iat: NOW,
        exp: NOW + 60_000,
        iss: hosts.example,
      },
      idpKey(),
    );
    const assertion = signAssertion({ aud: RP, exp: NOW + 1000 }, user);
    expectFailure(
      await verifier().verify({ assertion: backedAssertion(cert, assertion), audience: RP }),
      "malformed",
    );
  });

  it("refuses an RS256 certificate signed with a SHA-1 DigestInfo (Mozilla threw 'Not Implemented')", async () => {
    const user = userKey();
    const header = b64url(JSON.stringify({ alg: "RS256" }));
    const payload = b64url(
      JSON.stringify({
        "public-key": user.publicKey,
        principal: { email: `a@${hosts.example}` },
        iat: NOW,
        exp: NOW + 60_000,
        iss: hosts.example,
      }),
    );
    const sha1 = sign("sha1", Buffer.from(`${header}.${payload}`), idpKey().privateKey);
    const cert = `${header}.${payload}.${b64url(sha1)}`;
    const assertion = signAssertion({ aud: RP, exp: NOW + 1000 }, user);
    expectFailure(
      await verifier().verify({ assertion: backedAssertion(cert, assertion), audience: RP }),
      "signature",
    );
  });

  it("refuses a DS user key with y = 1 (Mozilla answered with a TypeError message)", async () => {
    const user = userKey();
    const cert = signCertificate(
      {
        issuer: hosts.example,
        email: `a@${hosts.example}`,
        publicKey: { ...user.publicKey, y: "1" } as never,
        iat: NOW,
        exp: NOW + 60_000,
      },
      idpKey(),
    );
    const assertion = signAssertion({ aud: RP, exp: NOW + 1000 }, user);
    expectFailure(
      await verifier().verify({ assertion: backedAssertion(cert, assertion), audience: RP }),
      "key",
    );
  });

  it("refuses RS64 user keys and RSA keys with e = 1", async () => {
    const rs64 = generateKeyPair("RS64");
    expectFailure(await verifier().verify({ assertion: make({ user: rs64 }), audience: RP }), "key", /RS64/);
    const rsa = sharedKeyPair("RS256", "user");
    if (rsa.publicKey.algorithm !== "RS") throw new Error("expected RS");
    const cert = signCertificate(
      {
        issuer: hosts.example,
        email: `a@${hosts.example}`,
        publicKey: { ...rsa.publicKey, e: "1" },
        iat: NOW,
        exp: NOW + 60_000,
      },
      idpKey(),
    );
    expectFailure(
      await verifier().verify({
        assertion: backedAssertion(cert, signAssertion({ aud: RP, exp: NOW + 1 }, rsa)),
        audience: RP,
      }),
      "key",
    );
  });

  it("refuses exp as garbage and signatures with == or * (Mozilla accepted all three)", async () => {
    const user = userKey();
    const [cert = ""] = make().split("~");
    const garbage = signAssertion({ aud: RP, exp: "garbage" }, user);
    expectFailure(await verifier().verify({ assertion: `${cert}~${garbage}`, audience: RP }), "malformed");
    const good = make();
    expectFailure(await verifier().verify({ assertion: `${good}==`, audience: RP }), "malformed");
    const [c = "", a = ""] = good.split("~");
    const starred = `${c.slice(0, -10)}*${c.slice(-10)}~${a}`;
    expectFailure(await verifier().verify({ assertion: starred, audience: RP }), "malformed");
  });

  it("refuses a certificate chain without verifying it", async () => {
    const [cert = "", assertion = ""] = make().split("~");
    expectFailure(
      await verifier().verify({ assertion: `${cert}~${cert}~${assertion}`, audience: RP }),
      "malformed",
      "certificate chaining is not yet allowed",
    );
    expect(idp.requests).toEqual([]);
  });

  it("never throws, whatever the types", async () => {
    for (const assertion of [undefined, null, 42, {}, [], "~", "~~", "a.b.c~d.e.f"]) {
      const verdict = await verifier().verify({ assertion: assertion as never, audience: RP });
      expect(verdict.status).toBe("failure");
    }
  });
});
