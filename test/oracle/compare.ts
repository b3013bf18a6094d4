// Runs one case through both verifiers and says whether they agree (verdict; category too for single-fault cases).
import { createAssertionVerifier } from "../../src/assertions/index.js";
import type { VerifierSettings } from "../../src/assertions/types.js";
import { type Case, type CaseSpec, type Comparable, fetcherFor, NOW, ours } from "./corpus.js";
import { categoryOfMozillaReason, type Mozilla } from "./oracle.js";

/** Zero skew: Mozilla has none, and the boundary cases (exp = now, iat = now) must then agree exactly. */
export function settings(fallbackIssuer: string | undefined, trustedIssuers: string[]): VerifierSettings {
  return {
    fallbackIssuer,
    trustedIssuers,
    clockSkewMs: 0,
    cacheTtlMs: 60_000,
    negativeCacheTtlMs: 5_000,
    fetch: { allowedPrivateHosts: [], httpHosts: [], timeoutMs: 2_000, maxBytes: 65_536 },
  };
}

export interface Outcome {
  name: string;
  spec: CaseSpec;
  ours: Comparable;
  mozilla: Comparable | { status: "crash" | "hang"; error?: string };
  agree: boolean;
}

export async function compare(mozilla: Mozilla, c: Case): Promise<Outcome> {
  const verifier = createAssertionVerifier(settings(c.fallback, c.serverTrusted), {
    now: () => NOW,
    fetchJson: fetcherFor(c.documents),
  });
  const our = ours(
    await verifier.verify({
      assertion: c.assertion,
      audience: c.audience,
      ...(c.callerTrusted ? { trustedIssuers: c.callerTrusted } : {}),
    }),
  );
  const raw = await mozilla.verify({
    assertion: c.assertion,
    audience: c.audience,
    now: NOW,
    documents: c.documents,
    ...(c.fallback ? { fallback: c.fallback } : {}),
    trustedIssuers: [...c.serverTrusted, ...(c.callerTrusted ?? [])],
  });
  const theirs: Outcome["mozilla"] =
    raw.status === "okay"
      ? { status: "okay", email: raw.email, issuer: raw.issuer, expires: raw.expires }
      : raw.status === "failure"
        ? { status: "failure", category: categoryOfMozillaReason(raw.reason), reason: raw.reason }
        : raw;
  let agree = our.status === theirs.status;
  if (agree && our.status === "okay" && theirs.status === "okay") {
    agree = our.email === theirs.email && our.issuer === theirs.issuer && our.expires === theirs.expires;
  }
  if (agree && c.singleFault && our.status === "failure" && theirs.status === "failure") {
    // Mozilla verifies a chain, then refuses it; we refuse it while parsing.
    const category = theirs.category === "chain" ? "malformed" : theirs.category;
    // A certificate issuer that is not a domain name: Mozilla finds out while looking it up, we while reading the
    // certificate (reason text identical, "invalid domain: …"); either family is fair.
    const invalidIssuer = theirs.reason.startsWith("invalid domain") && our.category === "issuer";
    agree = our.category === category || invalidIssuer;
  }
  // On the divergence list only our side is checked: we must refuse, whatever Mozilla says.
  if (c.divergence) agree = our.status === "failure";
  return { name: c.name, spec: c.spec, ours: our, mozilla: theirs, agree };
}
