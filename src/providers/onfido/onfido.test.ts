// The Onfido provider against the simulator: requests it sends, retries without duplicates, statuses, offers, metadata.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type OnfidoSimulator,
  RUN_STATUSES,
  startOnfidoSimulator,
} from "../../../test/fakes/onfido-simulator.js";
import { UpstreamError } from "../../lib/errors.js";
import { createOnfidoProvider } from "./index.js";
import type { OnfidoSettings } from "./schemas.js";

const IDENTITY = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const WORKFLOW = "0c7a5b8e-1d2f-4a3b-8c9d-e0f1a2b3c4d5";
const LINKLESS_WORKFLOW = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";
const API_TOKEN = "api_sandbox.unit-test-token";
const WEBHOOK_TOKEN = "onfido-unit-webhook-token";
const ADA = { identityId: IDENTITY, email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" };

describe("Onfido provider", () => {
  let sim: OnfidoSimulator;
  let keys = 0;
  const key = () => `3f2b1c0d-9e8f-4a7b-8c6d-${String(++keys).padStart(12, "0")}`;
  const settings = (over: Partial<OnfidoSettings> = {}): OnfidoSettings => ({
    auth: { kind: "token", apiToken: API_TOKEN },
    workflowId: WORKFLOW,
    webhookTokens: [WEBHOOK_TOKEN],
    apiBase: sim.baseUrl,
    timeoutMs: 2000,
    ...over,
  });
  const sent = (method: string, path: string) =>
    sim.requests.filter((r) => r.method === method && r.path === `/v3.6${path}`);

  beforeAll(async () => {
    sim = await startOnfidoSimulator({
      apiToken: API_TOKEN,
      oauth: { clientId: "client-unit", clientSecret: "secret-unit" },
      workflows: { [WORKFLOW]: {}, [LINKLESS_WORKFLOW]: { hostedLink: false } },
    });
  });
  afterEach(() => {
    expect(sim.specViolations).toEqual([]);
  });
  afterAll(async () => {
    await sim.close();
  });

  it("creates an applicant and a workflow run for the identity, and offers the run's SDK token and link", async () => {
    const provider = createOnfidoProvider(settings());
    const idem = key();
    const { result, offer } = await provider.createSession({ ...ADA, dateOfBirth: "1990-12-10" }, idem);
    const run = sim.workflowRuns.get(result.sessionId);
    expect(run).toBeDefined();
    expect(result).toMatchObject({
      rawStatus: "awaiting_input",
      status: "pending",
      identityId: IDENTITY,
      decidedAt: null,
      verificationUrl: null,
      details: { applicant_id: run?.applicantId, workflow_run_id: result.sessionId },
    });
    expect(result.version).toBeGreaterThan(0);
    expect(offer).toEqual({ url: expect.stringContaining("/l/"), sdkToken: run?.sdkToken });
    const [applicant] = sent("POST", "/applicants");
    expect(applicant?.headers.authorization).toBe(`Token token=${API_TOKEN}`);
    expect(applicant?.body).toEqual({
      first_name: "Ada",
      last_name: "Lovelace",
      email: "ada@example.com",
      dob: "1990-12-10",
    });
    expect(sent("POST", "/workflow_runs").at(-1)?.body).toEqual({
      workflow_id: WORKFLOW,
      applicant_id: run?.applicantId,
      custom_data: { kratos_identity_id: IDENTITY },
      customer_user_id: IDENTITY,
      tags: [`idv-gateway:${idem}`],
    });
  });

  it("sends a placeholder for missing names and drops the characters Onfido refuses", async () => {
    const provider = createOnfidoProvider(settings());
    await provider.createSession({ identityId: IDENTITY }, key());
    expect(sent("POST", "/applicants").at(-1)?.body).toEqual({ first_name: "Unknown", last_name: "Unknown" });
    await provider.createSession({ identityId: IDENTITY, firstName: 'Ada "<3"', lastName: "{}" }, key());
    expect(sent("POST", "/applicants").at(-1)?.body).toEqual({ first_name: "Ada 3", last_name: "Unknown" });
  });

  it("never creates a second run or applicant when a retry follows a lost answer", async () => {
    const provider = createOnfidoProvider(settings());
    const idem = key();
    const before = { applicants: sim.applicants.size, runs: sim.workflowRuns.size };
    // The run is created but its answer is lost: the retry finds it by its tag.
    sim.failNext(1, 502, { route: "POST /workflow_runs", lostAnswer: true });
    await expect(provider.createSession(ADA, idem)).rejects.toMatchObject({ retryable: true });
    const { result } = await provider.createSession(ADA, idem);
    expect(sim.workflowRuns.size).toBe(before.runs + 1);
    expect(sim.applicants.size).toBe(before.applicants + 1);
    expect(result.sessionId).toBe([...sim.workflowRuns.keys()].at(-1));

    // The run was not created (Onfido failed): the retry reuses the applicant it already made.
    const other = key();
    sim.failNext(1, 503, { route: "POST /workflow_runs" });
    await expect(provider.createSession(ADA, other)).rejects.toBeInstanceOf(UpstreamError);
    await provider.createSession(ADA, other);
    expect(sim.applicants.size).toBe(before.applicants + 2);
    expect(sim.workflowRuns.size).toBe(before.runs + 2);
  });

  it("deletes the applicant when Onfido refuses the workflow run, so no personal data is left behind", async () => {
    const provider = createOnfidoProvider(settings({ workflowId: "11111111-2222-4333-8444-555555555555" }));
    await expect(provider.createSession(ADA, key())).rejects.toMatchObject({ status: 422, retryable: false });
    const applicant = [...sim.applicants.values()].at(-1);
    expect(applicant?.deleteAtMs).not.toBeNull();
  });

  it("maps every workflow run status in the spec, dating decisions and moving the version forward", async () => {
    const provider = createOnfidoProvider(settings());
    const table = {
      awaiting_input: "pending",
      awaiting_client_input: "pending",
      processing: "pending",
      approved: "approved",
      review: "review",
      declined: "declined",
      abandoned: "expired",
      error: "failed",
    } as const;
    expect(Object.keys(table).sort()).toEqual([...RUN_STATUSES].sort());
    const { sessionId } = (await provider.createSession(ADA, key())).result;
    let version = 0;
    for (const [raw, normalized] of Object.entries(table)) {
      sim.setStatus(sessionId, raw as keyof typeof table, { emit: false });
      const result = await provider.fetchResult(sessionId);
      expect(result.rawStatus, raw).toBe(raw);
      expect(result.status, raw).toBe(normalized);
      expect(result.decidedAt !== null, raw).toBe(
        ["approved", "declined", "review", "failed"].includes(normalized),
      );
      expect(result.version, raw).toBeGreaterThan(version);
      version = result.version;
    }
  });

  it("names the identity only for runs the gateway started (another integration may share the account)", async () => {
    const provider = createOnfidoProvider(settings());
    const { result } = await provider.createSession(ADA, key());
    const foreign = await fetch(`${sim.baseUrl}/workflow_runs`, {
      method: "POST",
      headers: { authorization: `Token token=${API_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        workflow_id: WORKFLOW,
        applicant_id: result.details.applicant_id,
        customer_user_id: "6f3d2a8e-0000-4c59-9e0d-7a1b2c3d4e5f",
      }),
    });
    const { id } = (await foreign.json()) as { id: string };
    expect((await provider.fetchResult(id)).identityId).toBeNull();
    expect((await provider.fetchResult(result.sessionId)).identityId).toBe(IDENTITY);
  });

  it("offers a fresh SDK token each time, with the hosted link when the workflow has one", async () => {
    const provider = createOnfidoProvider(settings());
    const created = await provider.createSession(ADA, key());
    const first = await provider.startOffer(created.result);
    const second = await provider.startOffer(created.result);
    expect(first.offer.url).toBe(created.offer?.url);
    expect(first.offer.sdkToken).toMatch(/^ey/);
    expect(second.offer.sdkToken).not.toBe(first.offer.sdkToken);
    expect(sent("POST", "/sdk_token").at(-1)?.body).toEqual({
      applicant_id: created.result.details.applicant_id,
    });

    const linkless = createOnfidoProvider(settings({ workflowId: LINKLESS_WORKFLOW }));
    const embedded = await linkless.createSession(ADA, key());
    expect(embedded.offer).toEqual({ url: null, sdkToken: expect.stringMatching(/^ey/) });
    expect((await linkless.startOffer(embedded.result)).offer).toEqual({
      url: null,
      sdkToken: expect.any(String),
    });
  });

  it("starts a new run for the same applicant when the user abandoned the old one, once", async () => {
    const provider = createOnfidoProvider(settings());
    const { result } = await provider.createSession(ADA, key());
    sim.setStatus(result.sessionId, "abandoned", { emit: false });
    const abandoned = await provider.fetchResult(result.sessionId);
    expect(abandoned.status).toBe("expired");
    const restarted = await provider.startOffer(abandoned);
    expect(restarted.result.sessionId).not.toBe(result.sessionId);
    expect(restarted.result).toMatchObject({ status: "pending", identityId: IDENTITY });
    expect(restarted.result.details.applicant_id).toBe(result.details.applicant_id);
    expect(restarted.result.version).toBeGreaterThanOrEqual(abandoned.version);
    const runs = sim.workflowRuns.size;
    const again = await provider.startOffer(abandoned);
    expect(again.result.sessionId).toBe(restarted.result.sessionId);
    expect(sim.workflowRuns.size).toBe(runs);
  });

  it("uses OAuth client credentials (form, no grant_type), caches the token and renews a revoked one", async () => {
    const provider = createOnfidoProvider(
      settings({ auth: { kind: "oauth", clientId: "client-unit", clientSecret: "secret-unit" } }),
    );
    const tokensBefore = sent("POST", "/oauth/token").length;
    const { result } = await provider.createSession(ADA, key());
    await provider.fetchResult(result.sessionId);
    const tokenRequests = sent("POST", "/oauth/token");
    expect(tokenRequests.length).toBe(tokensBefore + 1);
    expect(Object.fromEntries(new URLSearchParams(String(tokenRequests.at(-1)?.body)))).toEqual({
      client_id: "client-unit",
      client_secret: "secret-unit",
    });
    expect(sim.requests.at(-1)?.headers.authorization).toMatch(/^Bearer /);
    sim.revokeAccessTokens();
    expect((await provider.fetchResult(result.sessionId)).sessionId).toBe(result.sessionId);
    expect(sent("POST", "/oauth/token").length).toBe(tokensBefore + 2);
  });

  it("classifies API failures: 5xx and 429 retryable, 401 and 404 not", async () => {
    const provider = createOnfidoProvider(settings());
    const missing = "00000000-0000-4000-8000-000000000000";
    sim.failNext(1, 503);
    await expect(provider.fetchResult(missing)).rejects.toMatchObject({ retryable: true, status: 503 });
    sim.failNext(1, 429, { retryAfterSeconds: 7 });
    await expect(provider.fetchResult(missing)).rejects.toMatchObject({
      retryable: true,
      retryAfterMs: 7000,
    });
    await expect(provider.fetchResult(missing)).rejects.toMatchObject({ retryable: false, status: 404 });
    const wrong = createOnfidoProvider(settings({ auth: { kind: "token", apiToken: "wrong" } }));
    await expect(wrong.fetchResult(missing)).rejects.toMatchObject({ retryable: false, status: 401 });
  });

  it("describes the verification for metadata_public in Onfido's words, without tokens or upstream errors", () => {
    const provider = createOnfidoProvider(settings());
    const described = provider.describe({
      sessionId: "bc77c6e5-753a-4580-96a6-aaed3e5a8d19",
      rawStatus: "review",
      verificationUrl: null,
      details: { applicant_id: "5d4e0f2a-6b1c-4c3d-9e8f-0a1b2c3d4e5f", workflow_run_id: "bc77c6e5" },
      createdAt: Date.UTC(2026, 0, 1),
      updatedAt: Date.UTC(2026, 0, 2),
      decidedAt: Date.UTC(2026, 0, 2),
      lastError: "Onfido API answered 401: {secret details}",
    });
    expect(described).toEqual({
      status: "review",
      applicant_id: "5d4e0f2a-6b1c-4c3d-9e8f-0a1b2c3d4e5f",
      workflow_run_id: "bc77c6e5-753a-4580-96a6-aaed3e5a8d19",
      initiated_at: "2026-01-01T00:00:00.000Z",
      updated_at: "2026-01-02T00:00:00.000Z",
      decided_at: "2026-01-02T00:00:00.000Z",
      error: "verification could not be started yet; retrying",
    });
    expect(provider.metadata).toEqual({ bag: "metadata_public", key: "onfido" });
  });
});
