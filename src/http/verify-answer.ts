// What every /verify path answers: headers, per-route counters, the 200 verdict (with the idv member when due),
// and refusals — shared by the Fastify routes and the node:http fast path.
import type { FastifyError } from "fastify";
import type { AssertionVerifier, VerifyInput } from "../assertions/types.js";
import type { IdvLookup } from "../domain/assertion-idv.js";
import type { Metrics } from "../lib/metrics.js";
import type { RateLimiter } from "../lib/rate-limit.js";
import { RequestError } from "./verify-input.js";
import { failureJson, okayJson } from "./verify-schemas.js";

export interface VerifyRouteDeps {
  verifier: AssertionVerifier;
  /** Present when VERIFY_IDV_STATUS is on. */
  idv: IdvLookup | undefined;
  rateLimiter: RateLimiter;
  bodyLimit: number;
  metrics: Metrics;
}

export const VERIFY_V1_PATHS = ["/verify", "/"] as const;
export const VERIFY_V2_PATH = "/v2";

// Mozilla's verifier sent these on every answer; verification results must never be cached by anything.
export const HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "private, no-cache, no-store, must-revalidate, max-age=0",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
};

const OUTCOMES = ["okay", "failure", "bad_request", "rate_limited", "error"] as const;
type Outcome = (typeof OUTCOMES)[number];
export type Counts = Record<Outcome, { inc(): void }>;

/** The counter's children for one route, bound once: a labels() lookup per request is measurable. */
export function countsFor(metrics: Metrics, route: string): Counts {
  const counter = metrics.verifications;
  return Object.fromEntries(OUTCOMES.map((o) => [o, counter.labels({ route, outcome: o })])) as Counts;
}

type Verification = Pick<VerifyRouteDeps, "verifier" | "idv">;

/** The 200 answer's JSON for a parsed request (or a type failure): verdict, count, and the idv member if due. */
export async function verdictJson(
  deps: Verification,
  input: VerifyInput | string,
  counts: Counts,
): Promise<string> {
  if (typeof input === "string") {
    counts.failure.inc();
    return failureJson(input);
  }
  const verdict = await deps.verifier.verify(input);
  if (verdict.status === "failure") {
    counts.failure.inc();
    return failureJson(verdict.reason);
  }
  counts.okay.inc();
  // The idv member rides only on issuers the server itself trusts: a caller naming an issuer (v2
  // trustedIssuers, v1 experimental_forceIssuer) could otherwise mint certificates for anyone's email.
  const idv =
    deps.idv && verdict.issuerAuthoritative && !input.trustedIssuers?.includes(verdict.issuer)
      ? await deps.idv(verdict.email)
      : undefined;
  return okayJson(verdict, idv);
}

/** Status, reason and outcome of a request refused before (or instead of) a verdict. */
export function refusal(error: unknown, bodyLimit: number) {
  if (error instanceof RequestError)
    return { status: error.status, reason: error.message, outcome: "bad_request" as const, internal: false };
  const fastify = error as Partial<FastifyError>;
  const status = fastify.statusCode ?? 500;
  if (fastify.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413)
    return {
      status: 413,
      reason: `request body too large (limit ${bodyLimit} bytes)`,
      outcome: "bad_request" as const,
      internal: false,
    };
  if (status < 500)
    return { status, reason: "bad request", outcome: "bad_request" as const, internal: false };
  // A verifier that throws broke its contract; Mozilla answered 503 when its workers died.
  return { status: 503, reason: "service unavailable", outcome: "error" as const, internal: true };
}
