// fast-check: arbitrary input never crashes or verifies, and changing any signed byte is always refused.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  b64url,
  backedAssertion,
  sharedKeyPair,
  signAssertion,
  signCertificate,
  supportDocument,
} from "../../test/support/browserid.js";
import { AssertionError } from "./errors.js";
import { parseBackedAssertion } from "./jws.js";
import type { IssuerDocumentFetcher } from "./types.js";
import { createAssertionVerifier } from "./verifier.js";

const NOW = 1_800_000_000_000;
const RP = "https://rp.example";
const ISSUER = "idp.example";

const idpKey = sharedKeyPair("RS256", "property-idp");
const users = [sharedKeyPair("DS128", "property-user"), sharedKeyPair("RS256", "property-user")];
const document = JSON.stringify(supportDocument(idpKey.publicKey));
const fetchJson: IssuerDocumentFetcher = async (host) =>
  host === ISSUER
    ? { status: 200, contentType: "application/json", body: document }
    : { status: 404, contentType: "text/plain", body: "" };

const verifier = createAssertionVerifier(
  {
    fallbackIssuer: undefined,
    trustedIssuers: [],
    clockSkewMs: 0,
    cacheTtlMs: 60_000,
    negativeCacheTtlMs: 60_000,
    fetch: { allowedPrivateHosts: [], httpHosts: [], timeoutMs: 200, maxBytes: 65_536 },
  },
  { now: () => NOW, fetchJson },
);

const valid = users.map((user) =>
  backedAssertion(
    signCertificate(
      {
        issuer: ISSUER,
        email: `alice@${ISSUER}`,
        publicKey: user.publicKey,
        iat: NOW - 1000,
        exp: NOW + 60_000,
      },
      idpKey,
    ),
    signAssertion({ aud: RP, exp: NOW + 60_000 }, user),
  ),
);

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const segment = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.base64String({ maxLength: 60 }),
  fc.json().map((json) => b64url(json)),
  fc.constantFrom("", "e30", "eyJhbGciOiJSUzI1NiJ9", b64url('{"alg":"DS128"}'), b64url("null"), b64url("[]")),
);
const jws = fc.array(segment, { minLength: 0, maxLength: 4 }).map((parts) => parts.join("."));
const junk = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.array(jws, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("~")),
);

describe("property: no input crashes or hangs", () => {
  it("parseBackedAssertion either parses or throws an AssertionError", () => {
    fc.assert(
      fc.property(junk, (input) => {
        try {
          parseBackedAssertion(input);
        } catch (error) {
          expect(error).toBeInstanceOf(AssertionError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("verify() answers a failure verdict for arbitrary input and audience", async () => {
    await fc.assert(
      fc.asyncProperty(junk, fc.oneof(fc.string(), fc.constant(RP)), async (assertion, audience) => {
        const verdict = await verifier.verify({ assertion, audience });
        expect(verdict.status).toBe("failure");
      }),
      { numRuns: 1000 },
    );
  });

  it("verify() survives any JSON as certificate and assertion payloads, signed by the right keys", async () => {
    const user = users[0];
    if (!user) throw new Error("no user key");
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), async (certPayload, assertionPayload) => {
        const cert = signCertificate({ ...(certPayload as object) }, idpKey);
        const assertion = signAssertion({ ...(assertionPayload as object) }, user);
        const verdict = await verifier.verify({ assertion: backedAssertion(cert, assertion), audience: RP });
        expect(verdict.status).toBe("failure");
      }),
      { numRuns: 200 },
    );
  });
});

describe("property: changing any signed byte never verifies", () => {
  it("the unmodified assertions verify", async () => {
    for (const assertion of valid) {
      expect(await verifier.verify({ assertion, audience: RP })).toMatchObject({ status: "okay" });
    }
  });

  // Positions inside cert header/payload/signature and assertion header/payload/signature alike.
  const positions = (text: string) =>
    [...text].flatMap((char, index) => (char === "." || char === "~" ? [] : [index]));

  it("substituting any base64url character of any segment is refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 63 }),
        async (which, at, shift) => {
          const original = valid[which] ?? "";
          const candidates = positions(original);
          const index = candidates[at % candidates.length] ?? 0;
          const char = original.charAt(index);
          const replacement = B64URL.charAt((B64URL.indexOf(char) + shift) % 64);
          const tampered = `${original.slice(0, index)}${replacement}${original.slice(index + 1)}`;
          const verdict = await verifier.verify({ assertion: tampered, audience: RP });
          expect(verdict.status).toBe("failure");
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("flipping bits of any decoded byte and re-encoding is refused", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length - 1 }),
        fc.nat({ max: 5 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (which, part, at, mask) => {
          const [cert = "", assertion = ""] = (valid[which] ?? "").split("~");
          const segments = [...cert.split("."), ...assertion.split(".")];
          const bytes = Buffer.from(segments[part] ?? "", "base64url");
          const index = at % bytes.length;
          bytes[index] = (bytes[index] ?? 0) ^ mask;
          segments[part] = b64url(bytes);
          const tampered = `${segments.slice(0, 3).join(".")}~${segments.slice(3).join(".")}`;
          const verdict = await verifier.verify({ assertion: tampered, audience: RP });
          expect(verdict.status).toBe("failure");
        },
      ),
      { numRuns: 1500 },
    );
  });
});
