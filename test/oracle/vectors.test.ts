// Real Persona-era backed assertions (2012/2013, MPL-2.0, see vectors/README.md) verified by both verifiers on a pinned clock.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createAssertionVerifier } from "../../src/assertions/index.js";
import { settings } from "./compare.js";
import { fetcherFor } from "./corpus.js";
import { nodeVerifyJws } from "./node-keys.js";
import { type BrowserIdAlg, type KeyObject, loadMozilla, type Mozilla, supportDocument } from "./oracle.js";

interface Vector {
  source: string;
  name: string;
  assertion: string;
  audience: string;
  issuerPublicKey: KeyObject;
  issuer: string;
  email: string | null;
  trustedIssuers: string[] | null;
  now: number;
  expires: number;
}

const folder = new URL("./vectors/", import.meta.url);
const vectors: Vector[] = readdirSync(folder)
  .filter((file) => file.endsWith(".json"))
  .sort()
  .map((file) => JSON.parse(readFileSync(new URL(file, folder), "utf8")) as Vector);

const loaded = loadMozilla();
if ("unavailable" in loaded)
  console.warn(`Mozilla's side of the static vectors is skipped: ${loaded.unavailable}`);

const decode = (jws: string) => {
  const [h, p] = jws.split(".");
  return {
    header: JSON.parse(Buffer.from(h ?? "", "base64url").toString()) as { alg: BrowserIdAlg },
    payload: JSON.parse(Buffer.from(p ?? "", "base64url").toString()) as Record<string, unknown>,
  };
};

// As browserid-local-verify's regression harness set them up: the issuer is also the fallback, and only the issuer
// serves a document.
function ourVerifier(v: Vector, now: number) {
  return createAssertionVerifier(settings(v.issuer, v.trustedIssuers ?? []), {
    now: () => now,
    fetchJson: fetcherFor({ [v.issuer]: supportDocument(v.issuerPublicKey) }),
  });
}

describe("static vectors (real Persona-era assertions)", () => {
  it("has the six vectors of reference §2.4", () => {
    expect(vectors.map((v) => v.name)).toHaveLength(6);
  });

  for (const v of vectors) {
    describe(v.name, () => {
      it("both signatures verify with plain node:crypto", () => {
        const [cert = "", assertion = ""] = v.assertion.split("~");
        const c = decode(cert);
        const a = decode(assertion);
        expect(nodeVerifyJws(cert, v.issuerPublicKey, c.header.alg)).toBe(true);
        expect(nodeVerifyJws(assertion, c.payload["public-key"] as KeyObject, a.header.alg)).toBe(true);
      });

      if (v.email !== null) {
        it("verifies with our verifier on its own clock, and is expired today", async () => {
          const verdict = await ourVerifier(v, v.now).verify({
            assertion: v.assertion,
            audience: v.audience,
          });
          expect(verdict).toEqual({
            status: "okay",
            email: v.email,
            audience: v.audience,
            expires: v.expires,
            issuer: v.issuer,
            issuerAuthoritative: true,
          });
          const today = await ourVerifier(v, Date.now()).verify({
            assertion: v.assertion,
            audience: v.audience,
          });
          expect(today).toEqual(expect.objectContaining({ status: "failure", category: "expired" }));
        });
      } else {
        // Divergence: Mozilla answers okay without an email for a trusted issuer; our okay always names one.
        it("has no email, so our verifier refuses it even from a trusted issuer", async () => {
          const verdict = await ourVerifier(v, v.now).verify({
            assertion: v.assertion,
            audience: v.audience,
          });
          expect(verdict).toEqual(expect.objectContaining({ status: "failure", category: "email" }));
        });
      }

      it.skipIf("unavailable" in loaded)(
        "verifies with browserid-local-verify on the same clock",
        async () => {
          const mozilla = (loaded as { mozilla: Mozilla }).mozilla;
          const verdict = await mozilla.verify({
            assertion: v.assertion,
            audience: v.audience,
            now: v.now,
            documents: { [v.issuer]: supportDocument(v.issuerPublicKey) },
            fallback: v.issuer,
            ...(v.trustedIssuers ? { trustedIssuers: v.trustedIssuers } : {}),
          });
          expect(verdict).toEqual(
            expect.objectContaining({
              status: "okay",
              issuer: v.issuer,
              expires: v.expires,
              ...(v.email === null ? {} : { email: v.email }),
            }),
          );
        },
      );
    });
  }
});
