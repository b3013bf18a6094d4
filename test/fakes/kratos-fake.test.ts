// Checks the Kratos fake behaves like Kratos: admin identity API, JSON Patch quirks, auth, faults, whoami, revocation.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type KratosFake, startKratosFake } from "./kratos-fake.js";

const API_KEY = "admin-key-for-tests";
let fake: KratosFake;
let now = new Date("2026-03-01T10:00:00.000Z");
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

beforeAll(async () => {
  fake = await startKratosFake({ apiKey: API_KEY, now: () => now });
});
afterAll(() => fake.close());
afterEach(() => {
  expect(fake.specViolations).toEqual([]);
  fake.setDown(false);
  fake.setAdminDelay(0);
  fake.failAdmin(0, 500);
});

function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...init.headers };
  return fetch(`${fake.adminUrl}${path}`, { ...init, headers });
}
const patch = (id: string, ops: unknown) =>
  admin(`/admin/identities/${id}`, { method: "PATCH", body: JSON.stringify(ops) });
const whoami = (headers: Record<string, string>) => fetch(`${fake.publicUrl}/sessions/whoami`, { headers });
const errorOf = async (res: Response) => ((await res.json()) as { error: Record<string, unknown> }).error;

describe("GET /admin/identities/{id}", () => {
  it("returns the identity with admin metadata", async () => {
    const created = fake.createIdentity({ email: "Ada@Example.com" }, { metadata_admin: { note: "vip" } });
    const res = await admin(`/admin/identities/${created.id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: created.id,
      state: "active",
      metadata_admin: { note: "vip" },
      metadata_public: null,
    });
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.verifiable_addresses).toEqual([
      expect.objectContaining({ value: "ada@example.com", verified: false, via: "email" }),
    ]);
  });

  it("answers 404 in Kratos' error shape for unknown and malformed ids", async () => {
    for (const id of ["6f1c1b8e-3c1a-4d7e-9a55-2b1e8c7d6a01", "not-a-uuid"]) {
      const res = await admin(`/admin/identities/${id}`);
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toEqual({
        code: 404,
        status: "Not Found",
        message: "Unable to locate the resource",
      });
    }
  });

  it("finds identities by credentials identifier", async () => {
    const created = fake.createIdentity({ email: "grace@example.com" });
    const res = await admin("/admin/identities?credentials_identifier=GRACE@example.com");
    expect(((await res.json()) as { id: string }[]).map((i) => i.id)).toEqual([created.id]);
  });
});

describe("PATCH /admin/identities/{id}", () => {
  it("adds below a null metadata_admin, creating the parents, and bumps updated_at", async () => {
    const identity = fake.createIdentity();
    advance(1000);
    const res = await patch(identity.id, [
      { op: "add", path: "/metadata_admin/persona/status", value: "approved" },
    ]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.metadata_admin).toEqual({ persona: { status: "approved" } });
    expect(body.updated_at).toBe(now.toISOString());
    expect(body.updated_at).not.toBe(identity.updated_at);
    expect(fake.identities.get(identity.id)?.metadata_admin).toEqual({ persona: { status: "approved" } });
    expect(fake.patchCount(identity.id)).toBe(1);
  });

  it("adds below metadata_admin when the field is absent altogether", async () => {
    const identity = fake.createIdentity();
    delete fake.identities.get(identity.id)?.metadata_admin;
    const res = await patch(identity.id, [
      { op: "add", path: "/metadata_admin/persona", value: { inquiry_id: "inq_1" } },
    ]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Record<string, unknown>).metadata_admin).toEqual({
      persona: { inquiry_id: "inq_1" },
    });
  });

  it("treats replace of a missing object member as add, but not replace of a missing array index", async () => {
    const identity = fake.createIdentity();
    const ok = await patch(identity.id, [
      { op: "replace", path: "/metadata_public/onfido/status", value: "clear" },
    ]);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Record<string, unknown>).metadata_public).toEqual({
      onfido: { status: "clear" },
    });

    const bad = await patch(identity.id, [{ op: "replace", path: "/verifiable_addresses/5", value: {} }]);
    expect(bad.status).toBe(400);
  });

  it("rejects remove of a missing path and leaves the identity alone", async () => {
    const identity = fake.createIdentity({ email: "r@example.com" }, { metadata_admin: { a: 1 } });
    const res = await patch(identity.id, [
      { op: "add", path: "/metadata_admin/b", value: 2 },
      { op: "remove", path: "/metadata_admin/missing" },
    ]);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({
      code: 400,
      status: "Bad Request",
      reason: "An error occured when applying the JSON patch",
    });
    expect(fake.identities.get(identity.id)?.metadata_admin).toEqual({ a: 1 });
    expect(fake.patchCount(identity.id)).toBe(0);
  });

  it("refuses move, copy and test as unsupported operations", async () => {
    const identity = fake.createIdentity({ email: "m@example.com" }, { metadata_admin: { a: 1 } });
    for (const op of ["move", "copy", "test"]) {
      const res = await patch(identity.id, [
        { op, from: "/metadata_admin/a", path: "/metadata_admin/b", value: 1 },
      ]);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).message).toBe(`unsupported operation: ${op}`);
    }
  });

  it("refuses denied paths, case-insensitively, and a missing value", async () => {
    const identity = fake.createIdentity();
    for (const path of [
      "/id",
      "/stateChangedAt",
      "/STATECHANGEDAT",
      "/credentials",
      "/credentials/oidc/config",
    ]) {
      const res = await patch(identity.id, [{ op: "add", path, value: "x" }]);
      expect(res.status, path).toBe(400);
      expect((await errorOf(res)).message).toBe(`patch includes denied path: ${path}`);
    }
    const noValue = await patch(identity.id, [{ op: "add", path: "/metadata_public/x" }]);
    expect(noValue.status).toBe(400);
  });

  it("validates state changes and stamps state_changed_at", async () => {
    const identity = fake.createIdentity();
    const bad = await patch(identity.id, [{ op: "replace", path: "/state", value: "banned" }]);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).reason).toContain("('banned') was not valid");

    advance(5000);
    const ok = await patch(identity.id, [{ op: "replace", path: "/state", value: "inactive" }]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ state: "inactive", state_changed_at: now.toISOString() });
  });

  it("drops fields Kratos does not know and rejects traits that are not an object", async () => {
    const identity = fake.createIdentity();
    const ok = await patch(identity.id, [{ op: "add", path: "/favourite_colour", value: "teal" }]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).not.toHaveProperty("favourite_colour");
    expect((await patch(identity.id, [{ op: "replace", path: "/traits", value: "x" }])).status).toBe(400);
  });

  it("answers 404 for an unknown identity", async () => {
    const res = await patch("6f1c1b8e-3c1a-4d7e-9a55-2b1e8c7d6a02", [
      { op: "add", path: "/metadata_admin/x", value: 1 },
    ]);
    expect(res.status).toBe(404);
  });

  it("records a body that is not a JSON Patch document as a spec violation and answers 400", async () => {
    const identity = fake.createIdentity();
    const res = await patch(identity.id, { op: "add", path: "/metadata_admin/x", value: 1 });
    expect(res.status).toBe(400);
    expect(fake.specViolations).toEqual([
      expect.stringContaining("PATCH /admin/identities/{id} request body"),
    ]);
    fake.specViolations.length = 0;
  });
});

describe("admin authentication", () => {
  it("requires the bearer API key", async () => {
    const identity = fake.createIdentity();
    for (const authorization of ["", "Bearer wrong", API_KEY]) {
      const res = await fetch(`${fake.adminUrl}/admin/identities/${identity.id}`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(401);
      expect(await errorOf(res)).toMatchObject({
        code: 401,
        status: "Unauthorized",
        message: expect.any(String),
      });
    }
  });

  it("needs no credentials when started without an API key", async () => {
    const open = await startKratosFake();
    try {
      const identity = open.createIdentity();
      expect((await fetch(`${open.adminUrl}/admin/identities/${identity.id}`)).status).toBe(200);
      expect(open.specViolations).toEqual([]);
    } finally {
      await open.close();
    }
  });
});

describe("fault injection", () => {
  it("answers the next n admin requests with the given status and Retry-After", async () => {
    const identity = fake.createIdentity();
    fake.failAdmin(2, 503, { retryAfterSeconds: 3 });
    for (let i = 0; i < 2; i++) {
      const res = await admin(`/admin/identities/${identity.id}`);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("3");
      expect((await errorOf(res)).code).toBe(503);
    }
    expect((await admin(`/admin/identities/${identity.id}`)).status).toBe(200);
  });

  it("leaves the public API alone", async () => {
    const identity = fake.createIdentity();
    const { token } = fake.createSession(identity.id);
    fake.failAdmin(1, 429);
    fake.setDown(true);
    expect((await whoami({ "x-session-token": token })).status).toBe(200);
  });

  it("delays admin answers", async () => {
    const identity = fake.createIdentity();
    fake.setAdminDelay(150);
    const started = performance.now();
    expect((await admin(`/admin/identities/${identity.id}`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await expect(
      admin(`/admin/identities/${identity.id}`, { signal: AbortSignal.timeout(30) }),
    ).rejects.toThrow();
  });

  it("resets admin connections while down, and records the attempts", async () => {
    const identity = fake.createIdentity();
    const before = fake.requests.length;
    fake.setDown(true);
    await expect(admin(`/admin/identities/${identity.id}`)).rejects.toThrow();
    expect(fake.requests.length).toBe(before + 1);
    fake.setDown(false);
    expect((await admin(`/admin/identities/${identity.id}`)).status).toBe(200);
  });
});

describe("GET /sessions/whoami", () => {
  it("accepts a session token, a bearer token or the session cookie, without admin metadata", async () => {
    const identity = fake.createIdentity(
      { email: "s@example.com" },
      { metadata_admin: { secret: true }, metadata_public: { tier: 1 } },
    );
    const session = fake.createSession(identity.id);
    expect(session.cookie).toMatch(/^ory_kratos_session=.+/);
    const variants: Record<string, string>[] = [
      { "x-session-token": session.token },
      { authorization: `Bearer ${session.token}` },
      { cookie: `csrf=abc; ${session.cookie}; theme=dark` },
    ];
    for (const headers of variants) {
      const res = await whoami(headers);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-kratos-authenticated-identity-id")).toBe(identity.id);
      const body = (await res.json()) as { id: string; active: boolean; identity: Record<string, unknown> };
      expect(body).toMatchObject({
        id: session.id,
        active: true,
        identity: { id: identity.id, metadata_public: { tier: 1 } },
      });
      expect(body.identity).not.toHaveProperty("metadata_admin");
    }
  });

  it("answers 401 session_inactive without a valid session", async () => {
    const identity = fake.createIdentity();
    const { token, cookie } = fake.createSession(identity.id);
    const variants: Record<string, string>[] = [
      {},
      { "x-session-token": "nope" },
      { "x-session-token": "nope", cookie },
    ];
    for (const headers of variants) {
      const res = await whoami(headers);
      expect(res.status).toBe(401);
      expect(await errorOf(res)).toMatchObject({ code: 401, status: "Unauthorized", id: "session_inactive" });
    }
    await patch(identity.id, [{ op: "replace", path: "/state", value: "inactive" }]);
    expect((await whoami({ "x-session-token": token })).status).toBe(401);
  });

  it("expires sessions", async () => {
    const identity = fake.createIdentity();
    const { token } = fake.createSession(identity.id);
    advance(25 * 3600_000);
    expect((await whoami({ "x-session-token": token })).status).toBe(401);
  });
});

describe("DELETE /admin/identities/{id}/sessions", () => {
  it("revokes every session of the identity", async () => {
    const identity = fake.createIdentity();
    const first = fake.createSession(identity.id);
    const second = fake.createSession(identity.id);
    const res = await admin(`/admin/identities/${identity.id}/sessions`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(fake.sessionRevocations.at(-1)).toMatchObject({
      identityId: identity.id,
      sessionIds: [first.id, second.id],
    });
    expect((await whoami({ "x-session-token": first.token })).status).toBe(401);
    expect((await whoami({ cookie: second.cookie })).status).toBe(401);
  });

  it("answers 404 like Kratos when nothing was deleted, 400 for a malformed id", async () => {
    const identity = fake.createIdentity();
    expect((await admin(`/admin/identities/${identity.id}/sessions`, { method: "DELETE" })).status).toBe(404);
    expect(
      (await admin("/admin/identities/6f1c1b8e-3c1a-4d7e-9a55-2b1e8c7d6a03/sessions", { method: "DELETE" }))
        .status,
    ).toBe(404);
    expect((await admin("/admin/identities/abc/sessions", { method: "DELETE" })).status).toBe(400);
  });
});

describe("recording and spec conformance", () => {
  it("records every request with its parsed body", async () => {
    const identity = fake.createIdentity();
    const ops = [{ op: "add", path: "/metadata_admin/x", value: 1 }];
    await patch(identity.id, ops);
    expect(fake.requests.at(-1)).toMatchObject({
      method: "PATCH",
      path: `/admin/identities/${identity.id}`,
      api: "admin",
      body: ops,
    });
    expect(fake.requests.at(-1)?.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it("flags calls outside the spec, undeclared query parameters and wrong ports", async () => {
    expect((await admin("/admin/nonsense")).status).toBe(404);
    expect((await admin("/admin/identities?credential_identifier=x")).status).toBe(400);
    expect((await admin("/sessions/whoami")).status).toBe(501);
    expect(fake.specViolations).toEqual([
      "GET /admin/nonsense is not in the Kratos spec",
      "GET /admin/identities: query parameter credential_identifier is not declared in the spec",
      "GET /sessions/whoami is in the spec but not served by the fake's admin API",
    ]);
    fake.specViolations.length = 0;
  });
});
