// The oracle checked on its own: browserid-crypto output verifies with browserid-local-verify and, independently, node:crypto.
import { beforeAll, describe, expect, it } from "vitest";
import { nodeKeypairFromDsa, nodeRsaKeypair, nodeSignJws, nodeVerifyJws } from "./node-keys.js";
import { type BrowserIdAlg, type Keypair, loadMozilla, type Mozilla, supportDocument } from "./oracle.js";

const loaded = loadMozilla();
if ("unavailable" in loaded) console.warn(`skipping the BrowserID oracle self-test: ${loaded.unavailable}`);

const NOW = 1_800_000_000_000;
const ALGS: BrowserIdAlg[] = ["RS64", "RS128", "RS256", "DS128", "DS256"];

describe.skipIf("unavailable" in loaded)("browserid-crypto and browserid-local-verify (the oracle)", () => {
  const mozilla = (loaded as { mozilla: Mozilla }).mozilla;
  const keys = new Map<BrowserIdAlg, Keypair>();

  beforeAll(async () => {
    for (const alg of ALGS) keys.set(alg, await mozilla.generateKeypair(alg));
  });

  it("generates a keypair for each of RS64, RS128, RS256, DS128, DS256, reporting that algorithm", () => {
    for (const alg of ALGS) {
      const key = keys.get(alg);
      expect(key?.alg).toBe(alg);
      expect(key?.publicKey.algorithm).toBe(alg.slice(0, 2));
    }
  });

  it("verifies every IdP-key × user-key combination in-process, and node:crypto agrees on every signature", async () => {
    for (const idpAlg of ALGS) {
      for (const userAlg of ALGS) {
        const idp = keys.get(idpAlg) as Keypair;
        const user = keys.get(userAlg) as Keypair;
        const cert = await mozilla.signCertificate({
          userPublicKey: user.publicKey,
          principal: { email: "alice@example.com" },
          issuer: "example.com",
          issuedAt: NOW - 60_000,
          expiresAt: NOW + 3_600_000,
          issuerSecretKey: idp.secretKey,
        });
        const assertion = await mozilla.signAssertion({
          audience: "https://rp.example",
          expiresAt: NOW + 120_000,
          userSecretKey: user.secretKey,
        });
        const verdict = await mozilla.verify({
          assertion: mozilla.bundle([cert], assertion),
          audience: "https://rp.example",
          now: NOW,
          documents: { "example.com": supportDocument(idp.publicKey) },
        });
        expect(verdict, `${idpAlg} cert, ${userAlg} assertion`).toMatchObject({
          status: "okay",
          email: "alice@example.com",
          issuer: "example.com",
          expires: NOW + 120_000,
        });
        expect(nodeVerifyJws(cert, idp.publicKey, idpAlg), `node:crypto on the ${idpAlg} cert`).toBe(true);
        expect(
          nodeVerifyJws(assertion, user.publicKey, userAlg),
          `node:crypto on the ${userAlg} assertion`,
        ).toBe(true);
      }
    }
  });

  it("accepts certificates and assertions signed by node:crypto (so neither encoder is trusted alone)", async () => {
    const idp = nodeRsaKeypair(2048);
    const user = nodeKeypairFromDsa(keys.get("DS128") as Keypair);
    const cert = nodeSignJws(
      {
        "public-key": user.publicKey,
        principal: { email: "bob@example.com" },
        iat: NOW - 1,
        exp: NOW + 60_000,
        iss: "example.com",
      },
      idp,
    );
    const assertion = nodeSignJws({ aud: "https://rp.example", exp: NOW + 60_000 }, user);
    const verdict = await mozilla.verify({
      assertion: `${cert}~${assertion}`,
      audience: "https://rp.example",
      now: NOW,
      documents: { "example.com": supportDocument(idp.publicKey) },
    });
    expect(verdict).toMatchObject({ status: "okay", email: "bob@example.com", issuer: "example.com" });
  });

  it("reports which big-number backend it runs on (bignum in production; jsbn hangs on DSA s=0)", () => {
    expect(["bignum", "jsbn"]).toContain(mozilla.backend);
  });
});
