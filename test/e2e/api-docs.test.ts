// GET /docs: the OpenAPI document, and every real answer of the gateway held against it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenApiValidator, type OpenApiValidator } from "../fakes/openapi-validator.js";
import { signPersona } from "../fakes/persona-webhooks.js";
import { type Harness, type HttpAnswer, PERSONA_SECRET, startHarness } from "../support/harness.js";

function personaSigned(body: string) {
  const signature = signPersona(body, Math.floor(Date.now() / 1000), [PERSONA_SECRET]);
  return { "persona-signature": signature, "content-type": "application/json" };
}

describe("GET /docs", () => {
  let h: Harness;
  let doc: { openapi: string; paths: Record<string, Record<string, unknown>> };
  let api: OpenApiValidator;
  const checked: string[] = [];

  /** The answer must be declared for its route and status, and its body must match the declared schema. */
  function conforms(method: "GET" | "POST", path: string, answer: HttpAnswer, request?: unknown) {
    checked.push(`${method} ${path} ${answer.status}`);
    expect(
      api.validateResponse(method, path, answer.status, answer.text === "" ? undefined : answer.json),
      path,
    ).toEqual([]);
    if (request !== undefined) expect(api.validateRequestBody(method, path, request), path).toEqual([]);
  }

  beforeAll(async () => {
    h = await startHarness("sqlite");
    const answer = await h.request("GET", "/docs");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toContain("application/json");
    doc = answer.json as typeof doc;
    api = createOpenApiValidator(doc);
  });
  afterAll(async () => {
    await h.close();
  });

  it("documents every route: the four of each provider, the verifier, and the operator's", () => {
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    for (const provider of ["persona", "onfido", "jumio"]) {
      expect(routes).toEqual(
        expect.arrayContaining([
          `POST /${provider}/initiate`,
          `GET /${provider}/start`,
          `POST /${provider}/callback`,
          `POST /${provider}/validate`,
        ]),
      );
    }
    expect(routes).toEqual(
      expect.arrayContaining([
        "POST /verify",
        "POST /",
        "POST /v2",
        "GET /health",
        "GET /ready",
        "GET /metrics",
        "GET /docs",
      ]),
    );
  });

  it("holds the real answers of the Kratos hooks, the callbacks, /start and the ops routes", async () => {
    const identity = h.kratos.createIdentity({ email: "ada@example.com" });
    const initiated = await h.initiate(identity.id);
    conforms("POST", "/persona/initiate", initiated, {
      kratos_identity_id: identity.id,
      email: "ada@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
    });
    conforms("POST", "/persona/initiate", await h.initiate(identity.id, { body: { email: 3 } }));
    conforms("POST", "/persona/validate", await h.validate(identity.id), { kratos_identity_id: identity.id });

    const inquiryId = (initiated.json as { session_id: string }).session_id;
    expect(await h.persona.setStatus(inquiryId, "declined")?.done).toBe("delivered");
    await h.drain();
    const blocked = await h.validate(identity.id);
    expect(blocked.status).toBe(403);
    conforms("POST", "/persona/validate", blocked);

    const event = JSON.stringify({
      data: {
        type: "event",
        id: "evt_docs0000000000000000001",
        attributes: { name: "account.created", payload: {} },
      },
    });
    const ignored = await h.request("POST", "/persona/callback", {
      body: event,
      headers: personaSigned(event),
    });
    expect(ignored.json).toMatchObject({ outcome: "ignored" });
    conforms("POST", "/persona/callback", ignored, JSON.parse(event));
    conforms(
      "POST",
      "/persona/callback",
      await h.request("POST", "/persona/callback", {
        body: event,
        headers: { "content-type": "application/json" },
      }),
    );

    const session = h.kratos.createSession(identity.id);
    const started = await h.request("GET", "/persona/start", {
      headers: { accept: "application/json", "x-session-token": session.token },
    });
    expect(started.status).toBe(200);
    conforms("GET", "/persona/start", started);
    conforms(
      "GET",
      "/persona/start",
      await h.request("GET", "/persona/start", { headers: { accept: "application/json" } }),
    );

    conforms("GET", "/health", await h.request("GET", "/health"));
    conforms("GET", "/ready", await h.request("GET", "/ready"));
    const verified = await h.request("POST", "/v2", {
      body: { assertion: "not-an-assertion", audience: "https://rp.example" },
    });
    expect(verified.json).toMatchObject({ status: "failure" });
    conforms("POST", "/v2", verified, { assertion: "not-an-assertion", audience: "https://rp.example" });

    expect(checked).toEqual([
      "POST /persona/initiate 200",
      "POST /persona/initiate 400",
      "POST /persona/validate 200",
      "POST /persona/validate 403",
      "POST /persona/callback 200",
      "POST /persona/callback 401",
      "GET /persona/start 200",
      "GET /persona/start 401",
      "GET /health 200",
      "GET /ready 200",
      "POST /v2 200",
    ]);
  });
});
