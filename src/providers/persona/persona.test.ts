// The Persona provider against the simulator: request shapes, every status mapped, start offers, callback parsing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PersonaSimulator, startPersonaSimulator } from "../../../test/fakes/persona-simulator.js";
import { AppError, UpstreamError } from "../../lib/errors.js";
import { createPersonaProvider } from "./index.js";
import type { PersonaSettings } from "./schemas.js";

const IDENTITY = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";

describe("Persona provider", () => {
  let sim: PersonaSimulator;
  const settings = (over: Partial<PersonaSettings> = {}): PersonaSettings => ({
    apiKey: "persona_sandbox_unit",
    templateId: "itmpl_UnitTemplate0000000000",
    webhookSecrets: ["wbhsec_unit"],
    acceptUnknownInquiries: false,
    completedIsApproved: false,
    inquiryType: "hosted-embedded",
    apiBase: sim.baseUrl,
    apiVersion: "2023-01-05",
    toleranceSeconds: 3600,
    timeoutMs: 2000,
    ...over,
  });
  beforeAll(async () => {
    sim = await startPersonaSimulator({ apiKey: "persona_sandbox_unit" });
  });
  afterAll(async () => {
    expect(sim.specViolations).toEqual([]);
    await sim.close();
  });

  it("creates an inquiry with the identity as reference id, the template, fields and the idempotency key", async () => {
    const provider = createPersonaProvider(settings());
    const { result } = await provider.createSession(
      { identityId: IDENTITY, email: "ada@example.com", firstName: "Ada" },
      "idem-1",
    );
    expect(result).toMatchObject({
      rawStatus: "created",
      status: "created",
      identityId: IDENTITY,
      decidedAt: null,
    });
    const request = sim.requests.find((r) => r.method === "POST" && r.path.endsWith("/inquiries"));
    expect(request?.headers.authorization).toBe("Bearer persona_sandbox_unit");
    expect(request?.headers["idempotency-key"]).toBe("idem-1");
    expect(request?.headers["persona-version"]).toBe("2023-01-05");
    expect(request?.body).toMatchObject({
      data: {
        attributes: {
          "inquiry-template-id": "itmpl_UnitTemplate0000000000",
          "reference-id": IDENTITY,
          fields: { "name-first": "Ada", "email-address": "ada@example.com" },
        },
      },
    });
    const { result: again } = await provider.createSession(
      { identityId: IDENTITY, email: "ada@example.com", firstName: "Ada" },
      "idem-1",
    );
    expect(again.sessionId).toBe(result.sessionId);
  });

  it("names the template with the attribute its kind needs, and the identity only on its own template", async () => {
    const kinds = {
      itmpl_UnitTemplate0000000000: "inquiry-template-id",
      itmplv_UnitVersion000000000: "inquiry-template-version-id",
      tmpl_UnitLegacy0000000000000: "template-id",
    };
    for (const [templateId, attribute] of Object.entries(kinds)) {
      const provider = createPersonaProvider(settings({ templateId }));
      const { result } = await provider.createSession({ identityId: IDENTITY }, `idem-${templateId}`);
      const request = sim.requests.filter((r) => r.method === "POST" && r.path.endsWith("/inquiries")).at(-1);
      expect(request?.body, templateId).toEqual({
        data: { attributes: { [attribute]: templateId, "reference-id": IDENTITY } },
      });
      expect(result.identityId, templateId).toBe(IDENTITY);
      expect((await provider.fetchResult(result.sessionId)).identityId, templateId).toBe(IDENTITY);
      const elsewhere = createPersonaProvider(settings({ templateId: "itmpl_AnotherIntegration000" }));
      expect((await elsewhere.fetchResult(result.sessionId)).identityId, templateId).toBeNull();
    }
  });

  it("maps every Persona inquiry status to the normalized vocabulary, dating decisions", async () => {
    const provider = createPersonaProvider(settings());
    const table = {
      created: "created",
      pending: "pending",
      completed: "completed",
      approved: "approved",
      needs_review: "review",
      declined: "declined",
      expired: "expired",
      failed: "failed",
    } as const;
    for (const [raw, normalized] of Object.entries(table)) {
      const { sessionId } = (await provider.createSession({ identityId: IDENTITY }, `map-${raw}`)).result;
      if (raw !== "created") sim.setStatus(sessionId, raw as keyof typeof table, { emit: false });
      const result = await provider.fetchResult(sessionId);
      expect(result.rawStatus, raw).toBe(raw);
      expect(result.status, raw).toBe(normalized);
      const decision = ["approved", "declined", "review", "failed"].includes(normalized);
      expect(result.decidedAt !== null, raw).toBe(decision);
      expect(result.version, raw).toBeGreaterThan(0);
    }
  });

  it("counts `completed` as approved, dated by completed-at, only with PERSONA_COMPLETED_IS_APPROVED", async () => {
    const waiting = createPersonaProvider(settings());
    const approving = createPersonaProvider(settings({ completedIsApproved: true }));
    const { sessionId } = (await waiting.createSession({ identityId: IDENTITY }, "completed-1")).result;
    sim.setStatus(sessionId, "completed", { emit: false });
    expect(await waiting.fetchResult(sessionId)).toMatchObject({ status: "completed", decidedAt: null });
    const approved = await approving.fetchResult(sessionId);
    expect(approved).toMatchObject({ rawStatus: "completed", status: "approved" });
    const inquiry = (await (
      await fetch(`${sim.baseUrl}/inquiries/${sessionId}`, {
        headers: { authorization: "Bearer persona_sandbox_unit" },
      })
    ).json()) as { data: { attributes: { "completed-at": string } } };
    expect(approved.decidedAt).toBe(Date.parse(inquiry.data.attributes["completed-at"]));
    sim.setStatus(sessionId, "declined", { emit: false });
    expect((await approving.fetchResult(sessionId)).status).toBe("declined");
  });

  it("offers a one-time link, a session token, or both, per PERSONA_INQUIRY_TYPE, resuming expired inquiries", async () => {
    const base = createPersonaProvider(settings());
    const { sessionId } = (await base.createSession({ identityId: IDENTITY }, "offer-1")).result;
    sim.setStatus(sessionId, "pending", { emit: false });
    const pending = await base.fetchResult(sessionId);
    const both = await base.startOffer(pending);
    expect(both.offer.url).toMatch(/verify\?code=/);
    expect(both.offer.sdkToken).toMatch(/^ey/);
    const hosted = await createPersonaProvider(settings({ inquiryType: "hosted" })).startOffer(pending);
    expect(hosted.offer).toEqual({ url: expect.stringMatching(/code=/), sdkToken: null });
    const embedded = await createPersonaProvider(settings({ inquiryType: "embedded" })).startOffer(pending);
    expect(embedded.offer).toEqual({ url: null, sdkToken: expect.stringMatching(/^ey/) });

    sim.setStatus(sessionId, "expired", { emit: false });
    const resumed = await base.startOffer(await base.fetchResult(sessionId));
    expect(resumed.result.rawStatus).toBe("pending");
    expect(sim.inquiries.get(sessionId)?.status).toBe("pending");
    expect(resumed.offer.url).toBeTruthy();
  });

  it("classifies API failures: 5xx and 429 retryable, 401/404 not", async () => {
    const provider = createPersonaProvider(settings());
    sim.failNext(1, 503);
    await expect(provider.fetchResult("inq_any")).rejects.toMatchObject({ retryable: true, status: 503 });
    sim.failNext(1, 429, { retryAfterSeconds: 7 });
    await expect(provider.fetchResult("inq_any")).rejects.toMatchObject({
      retryable: true,
      retryAfterMs: 7000,
    });
    // Persona's own 429 names the wait in `ratelimit-reset` (seconds until its minute window ends).
    sim.failNext(1, 429);
    const limited = await provider.fetchResult("inq_any").catch((error: unknown) => error);
    expect(limited).toMatchObject({ retryable: true, status: 429 });
    const { retryAfterMs } = limited as { retryAfterMs?: number };
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    await expect(provider.fetchResult("inq_doesnotexist00000000000")).rejects.toMatchObject({
      retryable: false,
      status: 404,
    });
    await expect(
      createPersonaProvider(settings({ apiKey: "wrong" })).fetchResult("inq_x"),
    ).rejects.toBeInstanceOf(UpstreamError);
  });

  it("parses inquiry events and ignores everything else", () => {
    const provider = createPersonaProvider(settings());
    const event = (name: string, type = "inquiry") =>
      JSON.stringify({
        data: {
          type: "event",
          id: "evt_abc123",
          attributes: { name, payload: { data: { type, id: "inq_1" } } },
        },
      });
    expect(provider.parseCallback(event("inquiry.approved"))).toEqual({
      kind: "event",
      dedupeKey: "evt_abc123",
      eventName: "inquiry.approved",
      sessionId: "inq_1",
    });
    expect(provider.parseCallback(event("verification.passed", "verification/government-id"))).toMatchObject({
      kind: "ignored",
    });
    expect(() => provider.parseCallback("[]")).toThrow(AppError);
  });
});
