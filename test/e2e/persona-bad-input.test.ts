// Bad input on every route gets a clear error and stores nothing; good-but-unusual input is acknowledged correctly.
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { hmacHex } from "../../src/lib/webhook-signature.js";
import { signPersona } from "../fakes/persona-webhooks.js";
import { describeEachDatabase } from "../support/databases.js";
import { type Harness, ORY_SECRET, PERSONA_SECRET, startHarness } from "../support/harness.js";

function signed(body: string, opts: { t?: number; secret?: string } = {}) {
  const t = opts.t ?? Math.floor(Date.now() / 1000);
  return {
    "persona-signature": signPersona(body, t, [opts.secret ?? PERSONA_SECRET]),
    "content-type": "application/json",
  };
}

function event(id: string, name = "inquiry.approved", inquiryId = "inq_unknown1234567890") {
  return JSON.stringify({
    data: {
      type: "event",
      id,
      attributes: {
        name,
        "created-at": new Date().toISOString(),
        payload: { data: { type: "inquiry", id: inquiryId, attributes: { status: "approved" } } },
      },
    },
  });
}

describeEachDatabase("bad input", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(async () => {
    await h.close();
  });
  const count = async (table: "inbox" | "verifications") =>
    Number(
      (
        await h.gateway.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  let personaRequestsBefore = 0;
  beforeEach(() => {
    personaRequestsBefore = h.persona.requests.length;
  });

  it("initiate: missing or wrong X-Webhook-Secret → 401 and nothing stored or sent to Persona", async () => {
    const identity = h.kratos.createIdentity({ email: "x@example.com" });
    const body = { kratos_identity_id: identity.id };
    const missing = await h.request("POST", "/persona/initiate", { body });
    const wrong = await h.request("POST", "/persona/initiate", {
      body,
      headers: { "x-webhook-secret": "not-the-secret" },
    });
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: "unauthorized", message: "Missing X-Webhook-Secret header" });
    expect(wrong.status).toBe(401);
    expect(await count("verifications")).toBe(0);
    expect(h.persona.requests.length).toBe(personaRequestsBefore);
  });

  it("initiate and validate: invalid JSON or missing fields → 400 naming the field", async () => {
    const headers = { "x-webhook-secret": ORY_SECRET };
    const badJson = await h.request("POST", "/persona/initiate", { body: "{not json", headers });
    expect(badJson.status).toBe(400);
    expect(badJson.json).toMatchObject({ error: "invalid_request", message: "Body is not valid JSON" });
    const noId = await h.request("POST", "/persona/initiate", { body: { email: "a@b.c" }, headers });
    expect(noId.status).toBe(400);
    expect(noId.json).toMatchObject({ details: [{ field: "kratos_identity_id" }] });
    const nilId = await h.request("POST", "/persona/validate", {
      body: { kratos_identity_id: "00000000-0000-0000-0000-000000000000" },
      headers,
    });
    expect(nilId.status).toBe(400);
    expect(JSON.stringify(nilId.json)).toContain("pre-persist");
    const notUuid = await h.request("POST", "/persona/validate", {
      body: { kratos_identity_id: "alice" },
      headers,
    });
    expect(notUuid.json).toMatchObject({
      details: [{ field: "kratos_identity_id", message: expect.stringContaining("UUID") }],
    });
    const form = await h.request("POST", "/persona/validate", {
      body: "kratos_identity_id=x",
      headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect(await count("verifications")).toBe(0);
  });

  it("initiate: a body over the Ory webhook limit → 413", async () => {
    const big = { kratos_identity_id: h.kratos.createIdentity().id, note: "x".repeat(300 * 1024) };
    const answer = await h.request("POST", "/persona/initiate", {
      body: big,
      headers: { "x-webhook-secret": ORY_SECRET },
    });
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ error: "payload_too_large" });
  });

  it("validate: a body over the Ory webhook limit → 413, a charset on the JSON type is fine, other methods → 404", async () => {
    const headers = { "x-webhook-secret": ORY_SECRET };
    const big = { kratos_identity_id: h.kratos.createIdentity().id, pad: "x".repeat(300 * 1024) };
    const tooBig = await h.request("POST", "/persona/validate", { body: big, headers });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json).toMatchObject({ error: "payload_too_large" });
    const charset = await h.request("POST", "/persona/validate?flow=1", {
      body: { kratos_identity_id: h.kratos.createIdentity().id },
      headers: { ...headers, "content-type": "application/json; charset=utf-8" },
    });
    expect(charset.status).toBe(200);
    expect(charset.json).toEqual({ allow: true });
    expect((await h.request("GET", "/persona/validate", { headers })).status).toBe(404);
    const empty = await h.request("POST", "/persona/validate", {
      body: "",
      headers: { ...headers, "content-type": "application/json" },
    });
    expect(empty.status).toBe(400);
    expect(empty.json).toMatchObject({ error: "invalid_request", message: "Body must not be empty" });
  });

  it("callback: missing, malformed, wrong-secret, tampered or stale signatures → 401 and nothing stored", async () => {
    const body = event("evt_badsig000000000000000001");
    const fresh = signed(body);
    const cases: Record<string, Record<string, string>> = {
      missing: { "content-type": "application/json" },
      malformed: { "persona-signature": "v1=zz", "content-type": "application/json" },
      wrongSecret: signed(body, { secret: "wbhsec_someone_else" }),
      stale: signed(body, { t: Math.floor(Date.now() / 1000) - 49 * 3600 }),
      future: signed(body, { t: Math.floor(Date.now() / 1000) + 49 * 3600 }),
      xPersonaSignature: {
        "x-persona-signature": hmacHex(PERSONA_SECRET, body),
        "content-type": "application/json",
      },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const answer = await h.request("POST", "/persona/callback", { body, headers });
      expect(answer.status, name).toBe(401);
    }
    const tampered = await h.request("POST", "/persona/callback", {
      body: body.replace("approved", "declined"),
      headers: fresh,
    });
    expect(tampered.status).toBe(401);
    // Re-serialising the JSON (as the community code did) breaks the signature too.
    const reserialised = await h.request("POST", "/persona/callback", {
      body: JSON.stringify(JSON.parse(body), null, 1),
      headers: fresh,
    });
    expect(reserialised.status).toBe(401);
    expect(await count("inbox")).toBe(0);
  });

  it("callback: accepts any matching pair of a rotation header, and each event once", async () => {
    const body = event("evt_rotation0000000000000001");
    const t = Math.floor(Date.now() / 1000);
    const header = `t=${t},v1=${hmacHex("wbhsec_new_secret", `${t}.${body}`)} t=${t},v1=${hmacHex(PERSONA_SECRET, `${t}.${body}`)}`;
    const first = await h.request("POST", "/persona/callback", {
      body,
      headers: { "persona-signature": header },
    });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ received: true, outcome: "stored" });
    const again = await h.request("POST", "/persona/callback", { body, headers: signed(body) });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ received: true, outcome: "duplicate" });
    expect(await count("inbox")).toBe(1);
  });

  it("callback: signed but invalid JSON or missing fields → 400 naming the field; unknown events → 200 ignored", async () => {
    const notJson = "{oops";
    expect(
      (await h.request("POST", "/persona/callback", { body: notJson, headers: signed(notJson) })).status,
    ).toBe(400);
    const noId = JSON.stringify({
      data: {
        type: "event",
        attributes: { name: "inquiry.approved", payload: { data: { type: "inquiry", id: "inq_1" } } },
      },
    });
    const missing = await h.request("POST", "/persona/callback", { body: noId, headers: signed(noId) });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ details: [{ field: "data.id" }] });
    const noInquiry = JSON.stringify({
      data: {
        type: "event",
        id: "evt_noinquiry000000000000",
        attributes: { name: "inquiry.approved", payload: {} },
      },
    });
    const noSubject = await h.request("POST", "/persona/callback", {
      body: noInquiry,
      headers: signed(noInquiry),
    });
    expect(noSubject.status).toBe(400);
    expect(noSubject.json).toMatchObject({ details: [{ field: "data.attributes.payload.data" }] });
    const before = await count("inbox");
    // Payloads of events the gateway does not act on are not read: an unfamiliar one is still acknowledged.
    for (const payload of [{}, { data: null }, { data: { id: "x".repeat(500) } }]) {
      const body = JSON.stringify({
        data: {
          type: "event",
          id: "evt_redacted00000000000000",
          attributes: { name: "account.redacted", payload },
        },
      });
      const answer = await h.request("POST", "/persona/callback", { body, headers: signed(body) });
      expect(answer.json, JSON.stringify(payload)).toEqual({ received: true, outcome: "ignored" });
    }
    for (const name of [
      "account.created",
      "verification.passed",
      "inquiry-session.started",
      "something.new",
    ]) {
      const body = event(`evt_unknown${name.replace(/[^a-z]/g, "")}00000000`, name);
      const answer = await h.request("POST", "/persona/callback", { body, headers: signed(body) });
      expect(answer.status, name).toBe(200);
      expect(answer.json, name).toEqual({ received: true, outcome: "ignored" });
    }
    expect(await count("inbox")).toBe(before);
  });

  it("callback: a body over 1 MiB → 413 and nothing stored", async () => {
    const before = await count("inbox");
    const body = event("evt_huge0000000000000000001").replace(
      '"status":"approved"',
      `"status":"approved","pad":"${"x".repeat(1024 * 1024)}"`,
    );
    const answer = await h.request("POST", "/persona/callback", { body, headers: signed(body) });
    expect(answer.status).toBe(413);
    expect(await count("inbox")).toBe(before);
  });

  it("unknown routes → 404 JSON", async () => {
    const answer = await h.request("POST", "/acme/initiate", { body: {} });
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ error: "not_found" });
  });
});

describeEachDatabase("routes without their secrets", (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind, { env: { ORY_WEBHOOK_SECRET: "", PERSONA_WEBHOOK_SECRET: "" } });
  });
  afterAll(async () => {
    await h.close();
  });

  it("Ory webhooks answer 503 when ORY_WEBHOOK_SECRET is unset (never open by accident)", async () => {
    const answer = await h.request("POST", "/persona/validate", {
      body: { kratos_identity_id: h.kratos.createIdentity().id },
      headers: { "x-webhook-secret": "anything" },
    });
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({
      error: "not_configured",
      message: "ORY_WEBHOOK_SECRET is not set on the gateway",
    });
  });

  it("Persona is disabled without its webhook secret: callbacks 503, /ready says why", async () => {
    const body = event("evt_nosecret0000000000000001");
    const answer = await h.request("POST", "/persona/callback", { body, headers: signed(body) });
    expect(answer.status).toBe(503);
    const ready = await h.request("GET", "/ready");
    expect(ready.json).toMatchObject({
      providers: expect.arrayContaining([
        { name: "persona", enabled: false, reason: "PERSONA_WEBHOOK_SECRET not set" },
      ]),
    });
  });
});
