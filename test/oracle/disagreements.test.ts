// Where our verifier disagreed with Mozilla and Mozilla was right: one case each, kept as regressions once fixed.
// Found by this oracle and fixed in src/assertions (v-core a1972c2). The opposite kind, where Mozilla is wrong and we
// must differ, is divergences.test.ts.
import { beforeAll, describe, expect, it } from "vitest";
import { compare } from "./compare.js";
import { AUDIENCES, BASE_CASE as BASE, buildCase, type CaseSpec, makeWorld, type World } from "./corpus.js";
import { loadMozilla, type Mozilla } from "./oracle.js";

const loaded = loadMozilla();
if ("unavailable" in loaded) console.warn(`skipping the BrowserID disagreement cases: ${loaded.unavailable}`);

const audience = (rp: string) =>
  AUDIENCES.findIndex(([aud, got]) => aud === "https://rp.example" && got === rp);

describe.skipIf("unavailable" in loaded)("our verifier where Mozilla is right (fixed disagreements)", () => {
  const mozilla = (loaded as { mozilla: Mozilla }).mozilla;
  let world: World;

  beforeAll(async () => {
    world = await makeWorld("node", mozilla);
  }, 60_000);

  async function expectAgreement(spec: CaseSpec) {
    const outcome = await compare(mozilla, await buildCase(world, spec));
    expect(outcome.ours).toEqual(outcome.mozilla);
  }

  // Identity bridging (reference §1.8, Persona's gmail/yahoo bridge, browserid-local-verify tests/domain-get-param.js):
  // the email domain bridged.example has no document, so the authority lookup falls back to the fallback IdP, asking
  // it with ?domain=bridged.example; its per-principal document delegates to bridge.example, which is therefore the
  // authoritative issuer. Mozilla: okay, issuer bridge.example. Ours stopped at "no document ⇒ expect the fallback"
  // without asking the fallback: failure "untrusted issuer, expected 'fallback.example', got 'bridge.example'".
  it("accepts a bridge IdP that the fallback's per-principal document delegates to", async () => {
    await expectAgreement({ ...BASE, identity: "bridged by the fallback's per-principal document" });
  });

  // url.parse puts a fragment in `hash`, not `path`, so Mozilla's compare-audiences sees path "/" and matches.
  // Ours counted "#top" as a path: failure "audience mismatch: has non-empty path".
  it("ignores a fragment in the relying party's audience, as url.parse did", async () => {
    await expectAgreement({ ...BASE, audience: audience("https://rp.example#top") });
  });

  // Mozilla compares port strings: "0443" !== "443" ⇒ "audience mismatch: port mismatch". Ours compared numbers and
  // answered okay.
  it("refuses a port written with a leading zero, as Mozilla did", async () => {
    await expectAgreement({ ...BASE, audience: audience("https://rp.example:0443") });
  });
});
