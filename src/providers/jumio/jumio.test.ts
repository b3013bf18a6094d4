// The Jumio provider against the simulator: requests, OAuth token handling, User-Agent, status mapping, offers, configuration.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JumioSimulator, startJumioSimulator } from "../../../test/fakes/jumio-simulator.js";
import { ConfigError, loadConfig } from "../../config/load.js";
import { AppError, UpstreamError } from "../../lib/errors.js";
import type { FetchLike } from "../../lib/http-client.js";
import { hmacHex } from "../../lib/webhook-signature.js";
import { callbackUrlToken, defaultRetrievalBase } from "./constants.js";
import { configureJumio, createJumioProvider } from "./index.js";
import type { JumioSettings } from "./schemas.js";

const IDENTITY = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const CLIENT = { clientId: "jumio-unit", clientSecret: "jumio-unit-secret" };
const SECRET = "jumio-callback-secret-unit";
const AGENT = "ExampleCo IdvGatewayUnit/2.0";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("Jumio provider", () => {
  let sim: JumioSimulator;
  let now = Date.parse("2026-03-01T10:00:00.000Z");
  const clock = { now: () => now };
  const settings = (over: Partial<JumioSettings> = {}): JumioSettings => ({
    authUrl: sim.authUrl,
    apiBase: sim.apiBaseUrl,
    retrievalBase: sim.retrievalBaseUrl,
    ...CLIENT,
    workflowKey: 10011,
    userAgent: AGENT,
    callbackSecret: SECRET,
    signatureHeader: "x-jumio-signature",
    allowlist: [],
    publicUrl: "https://idv.example.test/",
    timeoutMs: 2000,
    ...over,
  });
  const provider = (over: Partial<JumioSettings> = {}) =>
    createJumioProvider(settings(over), undefined, clock);
  const calls = (from = 0) =>
    sim.requests.slice(from).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, ":id")}`);

  beforeAll(async () => {
    sim = await startJumioSimulator({ ...CLIENT, now: clock.now });
  });
  afterAll(async () => {
    expect(sim.specViolations).toEqual([]);
    await sim.close();
  });

  it("creates an account for the identity with the workflow key and a tokenized callback URL", async () => {
    const from = sim.requests.length;
    const { result, offer } = await provider().createSession({ identityId: IDENTITY, email: "a@b.c" }, "v-1");
    const create = sim.requests.find(
      (r, i) => i >= from && r.method === "POST" && r.path.endsWith("/accounts"),
    );
    const token = callbackUrlToken(SECRET);
    expect(token).toBe(hmacHex(SECRET, "jumio-callback-url"));
    // Only what Jumio needs: no personal data (the email stays with us), no secret in the URL.
    expect(create?.body).toEqual({
      customerInternalReference: IDENTITY,
      workflowDefinition: { key: 10011 },
      callbackUrl: `https://idv.example.test/jumio/callback?token=${token}`,
    });
    expect(JSON.stringify(create?.body)).not.toContain(SECRET);
    const [accountId, executionId] = result.sessionId.split("/");
    const execution = sim.executions.get(executionId ?? "");
    expect(execution?.accountId).toBe(accountId);
    expect(result).toMatchObject({
      rawStatus: "INITIATED",
      status: "created",
      identityId: IDENTITY,
      decidedAt: null,
      verificationUrl: null,
      details: { account_id: accountId, workflow_execution_id: executionId },
    });
    expect(offer).toEqual({
      url: expect.stringContaining(execution?.sdkToken ?? "?"),
      sdkToken: execution?.sdkToken,
    });
  });

  it("registers the callback URL without a token when no callback secret is set", async () => {
    const { result } = await provider({ callbackSecret: undefined }).createSession(
      { identityId: IDENTITY },
      "v",
    );
    const execution = sim.executions.get(result.sessionId.split("/")[1] ?? "");
    expect(execution?.callbackUrl).toBe("https://idv.example.test/jumio/callback");
  });

  it("maps every workflow status and decision, dating decisions and naming the identity", async () => {
    const p = provider();
    const table = [
      ["INITIATED", undefined, "INITIATED", "created"],
      ["ACQUIRED", undefined, "ACQUIRED", "pending"],
      ["PROCESSED", undefined, "PROCESSED", "completed"],
      ["PROCESSED", "PASSED", "PASSED", "approved"],
      ["PROCESSED", "WARNING", "WARNING", "review"],
      ["PROCESSED", "REJECTED", "REJECTED", "declined"],
      ["PROCESSED", "NOT_EXECUTED", "NOT_EXECUTED", "failed"],
      ["SESSION_EXPIRED", undefined, "SESSION_EXPIRED", "expired"],
      ["TOKEN_EXPIRED", undefined, "TOKEN_EXPIRED", "expired"],
    ] as const;
    for (const [status, decision, raw, normalized] of table) {
      const { sessionId } = (await p.createSession({ identityId: IDENTITY }, "v")).result;
      now += 1000;
      sim.setStatus(sessionId, status, decision, { emit: false });
      const result = await p.fetchResult(sessionId);
      const label = `${status}+${decision}`;
      expect(result.rawStatus, label).toBe(raw);
      expect(result.status, label).toBe(normalized);
      expect(result.identityId, label).toBe(IDENTITY);
      const decided = ["approved", "review", "declined", "failed"].includes(normalized);
      const execution = sim.executions.get(sessionId.split("/")[1] ?? "");
      const stamps = [execution?.createdAt, execution?.startedAt, execution?.completedAt];
      expect(result.decidedAt, label).toBe(decided ? execution?.completedAt : null);
      expect(result.version, label).toBe(Math.max(...stamps.map((t) => t ?? 0)));
      expect(result.version, label).toBeGreaterThanOrEqual(status === "INITIATED" ? now - 1000 : now);
      // Kratos metadata_public.jumio.status: the decision, or the workflow status, lowercased.
      const described = p.describe({ ...result, sessionId, createdAt: now, updatedAt: now, lastError: null });
      expect(described.status, label).toBe(raw.toLowerCase());
      expect(Object.keys(described).sort()).toEqual([
        "account_id",
        "decided_at",
        "error",
        "initiated_at",
        "status",
        "updated_at",
        "workflow_execution_id",
      ]);
    }
  });

  it("re-reads the retrieval API on every fetch; the status resource stands in while details are missing", async () => {
    const p = provider();
    const { sessionId } = (await p.createSession({ identityId: IDENTITY }, "v")).result;
    const from = sim.requests.length;
    await p.fetchResult(sessionId);
    await p.fetchResult(sessionId);
    expect(calls(from)).toEqual([
      "GET /retrieval/api/v1/accounts/:id/workflow-executions/:id",
      "GET /retrieval/api/v1/accounts/:id/workflow-executions/:id",
    ]);

    const strict = await startJumioSimulator({ ...CLIENT, detailsOnlyWhenProcessed: true });
    try {
      const s = createJumioProvider(
        settings({
          authUrl: strict.authUrl,
          apiBase: strict.apiBaseUrl,
          retrievalBase: strict.retrievalBaseUrl,
        }),
        undefined,
        clock,
      );
      const created = (await s.createSession({ identityId: IDENTITY }, "v")).result;
      strict.setStatus(created.sessionId, "ACQUIRED", undefined, { emit: false });
      now += 1000;
      expect(await s.fetchResult(created.sessionId)).toMatchObject({
        rawStatus: "ACQUIRED",
        status: "pending",
        version: now,
        identityId: null,
      });
      strict.setStatus(created.sessionId, "PROCESSED", "PASSED", { emit: false });
      expect(await s.fetchResult(created.sessionId)).toMatchObject({
        status: "approved",
        identityId: IDENTITY,
      });
      await expect(s.fetchResult(`${created.sessionId.split("/")[0]}/nope`)).rejects.toMatchObject({
        status: 404,
      });
    } finally {
      await strict.close();
    }
    await expect(p.fetchResult("not a session")).rejects.toBeInstanceOf(AppError);
  });

  it("offers a new workflow execution on the same account for a live or expired one, nothing while processing", async () => {
    const p = provider();
    const first = await p.createSession({ identityId: IDENTITY }, "v");
    const [accountId] = first.result.sessionId.split("/");
    const from = sim.requests.length;
    const restarted = await p.startOffer(await p.fetchResult(first.result.sessionId));
    expect(calls(from)).toEqual([
      "GET /retrieval/api/v1/accounts/:id/workflow-executions/:id",
      "PUT /account/api/v1/accounts/:id",
    ]);
    expect(sim.requests.at(-1)?.body).toMatchObject({ customerInternalReference: IDENTITY });
    expect(restarted.result.sessionId).not.toBe(first.result.sessionId);
    expect(restarted.result.sessionId.startsWith(`${accountId}/`)).toBe(true);
    expect(restarted.result.version).toBeGreaterThan(first.result.version);
    const execution = sim.executions.get(restarted.result.sessionId.split("/")[1] ?? "");
    expect(restarted.offer).toEqual({
      url: expect.stringContaining("authorizationToken="),
      sdkToken: execution?.sdkToken,
    });
    expect(restarted.offer.sdkToken).not.toBe(first.offer?.sdkToken);

    sim.setStatus(restarted.result.sessionId, "TOKEN_EXPIRED", undefined, { emit: false });
    const resumed = await p.startOffer(await p.fetchResult(restarted.result.sessionId));
    expect(resumed.result).toMatchObject({ status: "created", rawStatus: "INITIATED" });
    expect(sim.accounts.get(accountId ?? "")?.executions).toHaveLength(3);

    sim.setStatus(resumed.result.sessionId, "ACQUIRED", undefined, { emit: false });
    const processing = await p.fetchResult(resumed.result.sessionId);
    const before = sim.requests.length;
    expect(await p.startOffer(processing)).toEqual({
      offer: { url: null, sdkToken: null },
      result: processing,
    });
    expect(sim.requests.length).toBe(before);
  });

  it("caches the OAuth token, refreshes it before expiry, and re-fetches it once after a 401", async () => {
    const p = provider();
    const issued = sim.tokensIssued;
    const { sessionId } = (await p.createSession({ identityId: IDENTITY }, "v")).result;
    await Promise.all([p.fetchResult(sessionId), p.fetchResult(sessionId), p.fetchResult(sessionId)]);
    expect(sim.tokensIssued).toBe(issued + 1);
    now += 3_541_000; // within 60 s of the 3600 s expiry
    await p.fetchResult(sessionId);
    expect(sim.tokensIssued).toBe(issued + 2);
    sim.revokeTokens();
    const from = sim.requests.length;
    await p.fetchResult(sessionId);
    expect(calls(from)).toEqual([
      "GET /retrieval/api/v1/accounts/:id/workflow-executions/:id",
      "POST /oauth2/token",
      "GET /retrieval/api/v1/accounts/:id/workflow-executions/:id",
    ]);
    expect(sim.tokensIssued).toBe(issued + 3);
    const token = sim.requests.find((r, i) => i >= from && r.path === "/oauth2/token");
    const basic = `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString("base64")}`;
    expect(token?.headers.authorization).toBe(basic);
    expect(token?.body).toBe("grant_type=client_credentials");
    // A refused client is not retried in a loop: one token request, one clear, non-retryable error.
    const refused = createJumioProvider(settings({ clientSecret: "wrong" }), undefined, clock);
    const before = sim.requests.length;
    await expect(refused.fetchResult(sessionId)).rejects.toMatchObject({
      service: "Jumio auth",
      status: 401,
      retryable: false,
    });
    expect(calls(before)).toEqual(["POST /oauth2/token"]);
  });

  it("sends the configured User-Agent on every call; Jumio refuses a generic one with 403", async () => {
    const from = sim.requests.length;
    const p = provider();
    const { sessionId } = (await p.createSession({ identityId: IDENTITY }, "v")).result;
    await p.startOffer(await p.fetchResult(sessionId));
    const agents = sim.requests.slice(from).map((r) => r.headers["user-agent"]);
    expect(agents.length).toBeGreaterThanOrEqual(3);
    expect(new Set(agents)).toEqual(new Set([AGENT]));

    const generic = createJumioProvider(settings({ userAgent: "node" }), undefined, clock);
    await expect(generic.fetchResult(sessionId)).rejects.toMatchObject({ status: 403, retryable: false });
    sim.specViolations.length = 0; // the refusal above is recorded as a violation on purpose
  });

  it("classifies API failures: 5xx and 429 retryable, 404 and unexpected answers not", async () => {
    const p = provider();
    const { sessionId } = (await p.createSession({ identityId: IDENTITY }, "v")).result;
    sim.failNext(1, 503);
    await expect(p.fetchResult(sessionId)).rejects.toMatchObject({ retryable: true, status: 503 });
    sim.failNext(1, 429, { retryAfterSeconds: 4 });
    await expect(p.fetchResult(sessionId)).rejects.toMatchObject({ retryable: true, retryAfterMs: 4000 });
    sim.failNext(2, 404);
    await expect(p.fetchResult(sessionId)).rejects.toMatchObject({ retryable: false, status: 404 });
    const garbled: FetchLike = async () => new Response('{"unexpected":true}', { status: 200 });
    const broken = createJumioProvider(settings(), garbled, clock);
    await expect(broken.createSession({ identityId: IDENTITY }, "v")).rejects.toBeInstanceOf(UpstreamError);
  });
});

describe("configureJumio", () => {
  const base = {
    JUMIO_AUTH_URL: "https://auth.amer-1.jumio.ai/oauth2/token",
    JUMIO_API_BASE_URL: "https://account.amer-1.jumio.ai/api/v1",
    JUMIO_CLIENT_ID: "id",
    JUMIO_CLIENT_SECRET: "secret",
  };
  const runtime = {
    clock: { now: () => Date.parse("2021-05-28T10:00:00Z") },
    newId: () => "id",
    random: () => 0.5,
  };
  const context = (env: Record<string, string>, fetch?: FetchLike) => ({
    config: loadConfig(env),
    runtime,
    fetch,
    publicUrl: "https://idv.example.test",
  });

  it("stays off, naming what is missing, until the four settings are set", () => {
    expect(configureJumio(context({ JUMIO_CLIENT_ID: "id" }))).toEqual({
      missing: ["JUMIO_AUTH_URL", "JUMIO_API_BASE_URL", "JUMIO_CLIENT_SECRET"],
    });
    expect(() =>
      configureJumio(context({ ...base, JUMIO_CALLBACK_ALLOWLIST: "10.0.0.0/8,not-a-cidr" })),
    ).toThrow(ConfigError);
  });

  it("reads Jumio's documented answers from the account host and the derived retrieval host", async () => {
    const seen: string[] = [];
    const answers: Record<string, string> = {
      "POST https://auth.amer-1.jumio.ai/oauth2/token":
        '{"access_token":"t","expires_in":3600,"token_type":"Bearer"}',
      "POST https://account.amer-1.jumio.ai/api/v1/accounts": fixture("account-created.json"),
      "GET https://retrieval.amer-1.jumio.ai/api/v1/accounts/11111111-1111-1111-1111-aaaaaaaaaaaa/workflow-executions/22222222-2222-2222-2222-aaaaaaaaaaaa":
        fixture("workflow-details-rejected.json"),
    };
    const fetch: FetchLike = async (input, init) => {
      const key = `${init?.method ?? "GET"} ${String(input)}`;
      seen.push(key);
      const answer = answers[key];
      return new Response(answer ?? '{"title":"Not Found","status":404}', { status: answer ? 200 : 404 });
    };
    const made = configureJumio(context(base, fetch));
    if ("missing" in made) throw new Error("jumio should be enabled");
    const { result, offer } = await made.createSession({ identityId: IDENTITY }, "v");
    expect(offer).toEqual({
      url: "https://mycompany.web.amer-1.jumio.ai/web/v4/app?authorizationToken=xxx&locale=es",
      sdkToken: "xxx",
    });
    expect(result).toMatchObject({
      sessionId: "11111111-1111-1111-1111-aaaaaaaaaaaa/22222222-2222-2222-2222-aaaaaaaaaaaa",
      version: Date.parse("2021-05-28T09:17:50.240Z"),
    });
    const read = await made.fetchResult(result.sessionId);
    expect(read).toMatchObject({
      rawStatus: "REJECTED",
      status: "declined",
      decidedAt: Date.parse("2021-05-28T09:21:44.907Z"),
      identityId: IDENTITY,
    });
    // Extracted personal data is never carried into the result.
    expect(JSON.stringify(read)).not.toMatch(/JANE|D1234567/);
    expect(seen).toEqual(Object.keys(answers));
    expect(defaultRetrievalBase("http://127.0.0.1:4010/jumio/api/v1/")).toBe(
      "http://127.0.0.1:4010/jumio/api/v1",
    );
  });
});
