// The verify route's own rules with a stand-in verifier: what leaves the answer, a verifier that breaks its contract,
// and the node:http fast path answering byte for byte as the Fastify routes do.
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { serveSideBySide } from "../../test/support/fast-path-server.js";
import type { AssertionVerifier, Verdict } from "../assertions/types.js";
import { createMetrics } from "../lib/metrics.js";
import { createRateLimiter } from "../lib/rate-limit.js";
import { registerVerify } from "./verify.js";
import { createVerifyFastPath } from "./verify-fast-path.js";
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

describe("the node:http fast path", () => {
  const verdicts: Record<string, Verdict | Error> = {
    good: {
      status: "okay",
      email: "ada@example.com",
      audience: "https://rp.example",
      expires: 1_800_000_000_000,
      issuer: "example.com",
      issuerAuthoritative: true,
    },
    bad: { status: "failure", category: "signature", reason: "invalid signature" },
    boom: new Error("boom at /internal/path"),
  };
  const verify: AssertionVerifier["verify"] = async (input) => {
    const verdict = verdicts[input.assertion];
    if (verdict instanceof Error) throw verdict;
    return verdict ?? { status: "failure", category: "malformed", reason: "malformed backed assertion" };
  };

  /** A Fastify app serving the routes, and a node:http server with the fast path ahead of it, as createApp does. */
  async function servers(perMinute = 0) {
    const deps = {
      verifier: { verify, clearCache() {} },
      idv: undefined,
      bodyLimit: 400,
    };
    const slow = Fastify({ logger: false });
    await registerVerify(slow, {
      ...deps,
      rateLimiter: createRateLimiter({ perMinute, clock: { now: () => 0 } }),
      metrics: createMetrics(),
    });
    const fastMetrics = createMetrics();
    const fastPath = createVerifyFastPath({
      ...deps,
      rateLimiter: createRateLimiter({ perMinute, clock: { now: () => 0 } }),
      metrics: fastMetrics,
      trustProxy: false,
      closing: () => false,
      logError: () => {},
    });
    return { ...(await serveSideBySide(slow, fastPath)), metrics: fastMetrics };
  }

  const HEADERS = ["content-type", "cache-control", "x-content-type-options", "x-frame-options"];
  async function call(url: string, path: string, body: string) {
    const response = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return {
      status: response.status,
      headers: Object.fromEntries(
        [...HEADERS, "content-security-policy", "retry-after"].map((h) => [h, response.headers.get(h)]),
      ),
      body: await response.text(),
    };
  }

  it("answers JSON requests exactly as the Fastify routes do: okay, failure, 400, 413, 503", async () => {
    const s = await servers();
    try {
      const cases: [string, string][] = [
        ["/verify", JSON.stringify({ assertion: "good", audience: "https://rp.example" })],
        ["/", JSON.stringify({ assertion: "bad", audience: "https://rp.example" })],
        [
          "/v2",
          JSON.stringify({
            assertion: "good",
            audience: "https://rp.example",
            trustedIssuers: ["a.example"],
          }),
        ],
        ["/v2", JSON.stringify({ assertion: "good", audience: "x", trustedIssuers: "a.example" })],
        ["/verify", JSON.stringify({ assertion: 5, audience: "https://rp.example" })],
        [
          "/verify",
          JSON.stringify({ assertion: "good", audience: "x", experimental_forceIssuer: "x".repeat(300) }),
        ],
        ["/verify", JSON.stringify({ audience: "https://rp.example" })],
        ["/verify", "{not json"],
        ["/verify", ""],
        ["/verify", JSON.stringify({ assertion: "x".repeat(500), audience: "https://rp.example" })],
        ["/v2", JSON.stringify({ assertion: "boom", audience: "https://rp.example" })],
      ];
      for (const [path, body] of cases) {
        const fast = await call(s.fastUrl, path, body);
        expect(fast, `${path} ${body.slice(0, 60)}`).toEqual(await call(s.slowUrl, path, body));
      }
      expect(s.fallbacks()).toBe(0);
      expect(await s.metrics.registry.metrics()).toMatch(/route="\/verify",outcome="okay"} 1/);
    } finally {
      await s.close();
    }
  });

  it("answers 429 with Retry-After past the budget, as the Fastify hook does", async () => {
    const s = await servers(1);
    try {
      const body = JSON.stringify({ assertion: "good", audience: "https://rp.example" });
      for (let i = 0; i < 2; i++)
        expect(await call(s.fastUrl, "/verify", body)).toEqual(await call(s.slowUrl, "/verify", body));
      expect((await call(s.fastUrl, "/verify", body)).status).toBe(429);
    } finally {
      await s.close();
    }
  });

  it("leaves other methods, types and query strings to Fastify", async () => {
    const s = await servers();
    try {
      const form = await fetch(`${s.fastUrl}/verify`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "assertion=good&audience=x",
      });
      const query = await fetch(`${s.fastUrl}/verify?assertion=good&audience=x`, { method: "POST" });
      const get = await fetch(`${s.fastUrl}/verify`);
      expect([form.status, query.status, get.status]).toEqual([599, 599, 599]);
      expect(s.fallbacks()).toBe(3);
    } finally {
      await s.close();
    }
  });
});
