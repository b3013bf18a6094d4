// Differential tests: our verifier and Mozilla's browserid-local-verify, same inputs, same issuer web, same clock.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createAssertionVerifier } from "../../src/assertions/index.js";
import { compare, type Outcome, settings } from "./compare.js";
import {
  AUDIENCES,
  BASE_CASE as BASE,
  buildCase,
  type CaseSpec,
  caseSpecs,
  fetcherFor,
  IDENTITIES,
  KEY_ALGS,
  makeWorld,
  NOW,
  SHAPES,
  TAMPERS,
  TIME_VARIANTS,
  type World,
} from "./corpus.js";
import { type Keypair, loadMozilla, type Mozilla, supportDocument } from "./oracle.js";

// A longer or different exploration: ORACLE_RUNS=5000 ORACLE_SEED=7 npx vitest run test/oracle/differential.test.ts
const RUNS = Number(process.env.ORACLE_RUNS ?? 400);
const SEED = Number(process.env.ORACLE_SEED ?? 20_261_205);

const loaded = loadMozilla();
if ("unavailable" in loaded) console.warn(`skipping the BrowserID differential tests: ${loaded.unavailable}`);

function describeDisagreements(outcomes: Outcome[]): string[] {
  return outcomes
    .filter((o) => !o.agree)
    .map(
      (o) => `${o.name}\n    ours:    ${JSON.stringify(o.ours)}\n    Mozilla: ${JSON.stringify(o.mozilla)}`,
    );
}

function categoriesSeen(outcomes: Outcome[]): string[] {
  const seen = new Set<string>();
  for (const { mozilla } of outcomes) if (mozilla.status === "failure") seen.add(mozilla.category);
  return [...seen].sort();
}

describe.skipIf("unavailable" in loaded)("our verifier against browserid-local-verify", () => {
  const mozilla = (loaded as { mozilla: Mozilla }).mozilla;
  const worlds: World[] = [];

  beforeAll(async () => {
    worlds.push(await makeWorld("jwcrypto", mozilla), await makeWorld("node", mozilla));
  }, 120_000);

  it("verifies what browserid-crypto's own cert.sign and assertion.sign produce, for every key pair of algorithms", async () => {
    // One key per algorithm, in both roles: jwcrypto's RSA keygen takes seconds without native bignum.
    const keys = new Map<string, Keypair>();
    for (const alg of KEY_ALGS) keys.set(alg, await mozilla.generateKeypair(alg));
    for (const idpAlg of KEY_ALGS) {
      for (const userAlg of KEY_ALGS) {
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
          issuedAt: NOW - 1_000,
          expiresAt: NOW + 120_000,
          userSecretKey: user.secretKey,
        });
        const verifier = createAssertionVerifier(settings(undefined, []), {
          now: () => NOW,
          fetchJson: fetcherFor({ "example.com": supportDocument(idp.publicKey) }),
        });
        const verdict = await verifier.verify({
          assertion: mozilla.bundle([cert], assertion),
          audience: "https://rp.example",
        });
        expect(verdict, `${idpAlg} cert, ${userAlg} assertion`).toEqual({
          status: "okay",
          email: "alice@example.com",
          audience: "https://rp.example",
          expires: NOW + 120_000,
          issuer: "example.com",
          issuerAuthoritative: true,
        });
      }
    }
  }, 120_000);

  it("agrees on every identity, audience, time and tampering variant, one at a time, for both signers", async () => {
    const specs: CaseSpec[] = [
      ...Object.keys(IDENTITIES).map((identity) => ({ ...BASE, identity })),
      ...AUDIENCES.map((_, audience) => ({ ...BASE, audience })),
      ...TIME_VARIANTS.flatMap((t) => [
        { ...BASE, certTime: t },
        { ...BASE, assertionTime: t },
      ]),
      ...TAMPERS.map((tamper) => ({ ...BASE, tamper })),
      ...SHAPES.map((shape) => ({ ...BASE, shape })),
      ...SHAPES.map((shape) => ({ ...BASE, shape, idpAlg: "DS256" as const })),
      ...KEY_ALGS.flatMap((idpAlg) => KEY_ALGS.map((userAlg) => ({ ...BASE, idpAlg, userAlg }))),
    ];
    const outcomes: Outcome[] = [];
    for (const world of worlds)
      for (const spec of specs) outcomes.push(await compare(mozilla, await buildCase(world, spec)));
    expect(outcomes.filter((o) => o.ours.status === "okay").length).toBeGreaterThan(40);
    // Every failure family of reference §1.10 that a single fault can reach is exercised.
    expect(categoriesSeen(outcomes)).toEqual(
      [
        "algorithm",
        "audience",
        "chain",
        "discovery",
        "email",
        "expired",
        "issuer",
        "malformed",
        "signature",
      ].sort(),
    );
    expect(describeDisagreements(outcomes)).toEqual([]);
  }, 120_000);

  it(`agrees on ${RUNS} generated cases (fast-check, seed ${SEED}), several faults at once included`, async () => {
    const specs = fc.sample(fc.tuple(caseSpecs(), fc.integer({ min: 0, max: 1 })), {
      seed: SEED,
      numRuns: RUNS,
    });
    const outcomes: Outcome[] = [];
    for (const [spec, w] of specs)
      outcomes.push(await compare(mozilla, await buildCase(worlds[w] as World, spec)));
    const okay = outcomes.filter((o) => o.ours.status === "okay").length;
    // The corpus must exercise both verdicts, not just failures.
    expect(okay).toBeGreaterThan(50);
    expect(outcomes.length - okay).toBeGreaterThan(100);
    expect(categoriesSeen(outcomes).length).toBeGreaterThanOrEqual(8);
    expect(describeDisagreements(outcomes)).toEqual([]);
  }, 300_000);
});

describe.skipIf("unavailable" in loaded)("every one-character change of a signed part", () => {
  const mozilla = (loaded as { mozilla: Mozilla }).mozilla;

  // Each position of both JWS strings gets another base64url character differing in its top bit, so decoded bytes always
  // change (a change to only the bits base64url drops at a segment's end would be the lenient-decoding divergence).
  // Both verifiers must refuse every one.
  it.each(["jwcrypto", "node"] as const)(
    "%s-signed RS256 certificate + DS128 assertion",
    async (kind) => {
      const world = await makeWorld(kind, mozilla);
      const base = await buildCase(world, { ...BASE, tamperAt: 0 });
      const verifier = createAssertionVerifier(settings(undefined, []), {
        now: () => NOW,
        fetchJson: fetcherFor(base.documents),
      });
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const ourOkays: number[] = [];
      const mozillaOkays: number[] = [];
      let tried = 0;
      for (let i = 0; i < base.assertion.length; i++) {
        const c = base.assertion[i] ?? "";
        if (c === "." || c === "~") continue;
        const changed = `${base.assertion.slice(0, i)}${alphabet[(alphabet.indexOf(c) + 32) % 64]}${base.assertion.slice(i + 1)}`;
        tried++;
        const ours = await verifier.verify({ assertion: changed, audience: base.audience });
        if (ours.status === "okay") ourOkays.push(i);
        const theirs = await mozilla.verify({
          assertion: changed,
          audience: base.audience,
          now: NOW,
          documents: base.documents,
        });
        if (theirs.status === "okay") mozillaOkays.push(i);
      }
      expect(tried).toBeGreaterThan(1_000);
      expect(ourOkays).toEqual([]);
      expect(mozillaOkays).toEqual([]);
    },
    300_000,
  );
});
