// The verify route's own rules with a stand-in verifier: what leaves the answer, and a verifier that breaks its contract.
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { AssertionVerifier, Verdict } from "../assertions/types.js";
import { createMetrics } from "../lib/metrics.js";
import { createRateLimiter } from "../lib/rate-limit.js";
import { registerVerify } from "./verify.js";
import { verifyOkayAnswer } from "./verify-schemas.js";

let app: FastifyInstance | undefined;
afterEach(async () => app?.close());

async function appWith(verify: AssertionVerifier["verify"]) {
  app = Fastify({ logger: false });
  await registerVerify(app, {
    verifier: { verify, clearCache() {} },
    idv: undefined,
    rateLimiter: createRateLimiter({ perMinute: 0, clock: { now: () => 0 } }),
    bodyLimit: 10 * 1024,
    metrics: createMetrics(),
  });
  return app;
}

const request = { assertion: "cert~assertion", audience: "https://rp.example" };

describe("POST /verify", () => {
  it("answers only the declared members, whatever else the verdict carries", async () => {
    const verdict = {
      status: "okay",
      email: "ada@example.com",
      audience: "https://rp.example",
      expires: 1_800_000_000_000,
      issuer: "example.com",
      issuerAuthoritative: true,
      idpClaims: { secret: "x" },
    } as Verdict;
    const server = await appWith(async () => verdict);
    const answer = await server.inject({ method: "POST", url: "/verify", payload: request });
    expect(answer.statusCode).toBe(200);
    expect(verifyOkayAnswer.parse(answer.json())).toEqual({
      status: "okay",
      email: "ada@example.com",
      audience: "https://rp.example",
      expires: 1_800_000_000_000,
      issuer: "example.com",
    });
  });

  it("hands the verifier the caller's strings, and experimental_forceIssuer as the one trusted issuer", async () => {
    const seen: unknown[] = [];
    const server = await appWith(async (input) => {
      seen.push(input);
      return { status: "failure", category: "issuer", reason: "untrusted issuer, expected 'a', got 'b'" };
    });
    await server.inject({
      method: "POST",
      url: "/verify",
      payload: { ...request, experimental_forceIssuer: "idp.example" },
    });
    expect(seen).toEqual([{ ...request, trustedIssuers: ["idp.example"] }]);
  });

  it("answers 503 'service unavailable', not a stack trace, when the verifier throws", async () => {
    const server = await appWith(async () => {
      throw new Error("boom at /internal/path");
    });
    const answer = await server.inject({ method: "POST", url: "/v2", payload: request });
    expect(answer.statusCode).toBe(503);
    expect(answer.json()).toEqual({ status: "failure", reason: "service unavailable" });
  });
});
