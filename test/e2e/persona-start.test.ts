// GET /persona/start over real sockets: Ory session check, hosted link / SDK token per inquiry type, reuse, resume, CORS, outages.
import { afterEach, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import { type Harness, type HttpAnswer, PUBLIC_URL, startHarness } from "../support/harness.js";

const APP_ORIGIN = "https://app.example.test";

interface StartBody {
  provider: string;
  session_id: string | null;
  status: string;
  url: string | null;
  sdk_token: string | null;
}

interface SignedIn {
  identityId: string;
  token: string;
  cookie: string;
  sessionId: string;
}

function signIn(
  h: Harness,
  traits: Record<string, unknown> = { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" } },
): SignedIn {
  const identity = h.kratos.createIdentity(traits);
  const session = h.kratos.createSession(identity.id);
  return { identityId: identity.id, token: session.token, cookie: session.cookie, sessionId: session.id };
}

/** The signed-in browser (cookie) or app (`X-Session-Token`) asking for its way into the flow. */
function start(
  h: Harness,
  headers: Record<string, string>,
  opts: { json?: boolean } = {},
): Promise<HttpAnswer> {
  const accept = opts.json
    ? { accept: "application/json" }
    : { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
  return h.request("GET", "/persona/start", { headers: { ...accept, ...headers } });
}

const asApp = (user: SignedIn) => ({ "x-session-token": user.token });
const asBrowser = (user: SignedIn) => ({ cookie: user.cookie });

async function initiated(h: Harness, user: SignedIn): Promise<string> {
  const answer = await h.initiate(user.identityId);
  expect(answer.status).toBe(200);
  return (answer.json as { session_id: string }).session_id;
}

/** The claims of a simulator session token (an HS256 JWT naming its inquiry session and inquiry). */
function tokenClaims(token: string): { sid: string; inq: string } {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as { sid: string; inq: string };
}

/** Persona timestamps have whole seconds; waits until the clock is in the next one, so a later state is also a newer one. */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}

function apiCalls(h: Harness): string[] {
  return h.persona.requests.filter((r) => r.path.startsWith("/api/v1/")).map((r) => `${r.method} ${r.path}`);
}

describeEachDatabase("GET /persona/start", (kind) => {
  let h: Harness | undefined;
  const harness = async (env: Record<string, string> = {}) => {
    h = await startHarness(kind, { env });
    return h;
  };
  afterEach(async () => {
    if (!h) return;
    expect(h.kratos.specViolations).toEqual([]);
    expect(h.persona.specViolations).toEqual([]);
    await h.close();
    h = undefined;
  });

  it("answers 401 without a valid Ory session and creates nothing", async () => {
    const h = await harness();
    const user = signIn(h);
    const revoked = signIn(h, { email: "gone@example.com" });
    const session = h.kratos.sessions.get(revoked.sessionId);
    if (!session) throw new Error("session missing");
    session.active = false;

    for (const headers of [
      {},
      { "x-session-token": "not-a-session-token" },
      { cookie: "ory_kratos_session=forged-cookie-value" },
      asApp(revoked),
      asBrowser(revoked),
    ]) {
      for (const json of [true, false]) {
        const answer = await start(h, headers, { json });
        expect(answer.status, JSON.stringify(headers)).toBe(401);
        expect(answer.json).toMatchObject({
          error: "unauthorized",
          message: expect.stringContaining("Sign in"),
        });
        expect(answer.headers.get("location")).toBeNull();
      }
    }
    // A bad token does not fall back to a good cookie (Kratos reads the token first).
    const mixed = await start(
      h,
      { "x-session-token": "not-a-session-token", cookie: user.cookie },
      { json: true },
    );
    expect(mixed.status).toBe(401);
    expect(h.persona.inquiries.size).toBe(0);
    // whoami was asked with exactly the credentials the caller brought.
    const whoami = h.kratos.requests.filter((r) => r.path === "/sessions/whoami");
    expect(whoami.some((r) => r.headers["x-session-token"] === revoked.token)).toBe(true);
    expect(whoami.some((r) => r.headers.cookie === revoked.cookie)).toBe(true);
  });

  it("redirects a browser (cookie) to the simulator's one-time link by default (hosted-embedded)", async () => {
    const h = await harness();
    const user = signIn(h);
    const inquiryId = await initiated(h, user);

    const answer = await start(h, asBrowser(user));
    expect(answer.status).toBe(302);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const location = answer.headers.get("location") ?? "";
    const origin = new URL(h.persona.baseUrl).origin;
    expect(location).toMatch(
      new RegExp(`^${origin.replace(/[.]/g, "\\.")}/verify\\?code=[1-9A-HJ-NP-Za-km-z]{20}$`),
    );
    // The link opens the hosted flow (valid, not expired or used).
    const page = await fetch(location);
    expect(await page.text()).toContain("state=valid");
    // It was made for the inquiry /persona/initiate created: no second inquiry.
    expect(h.persona.inquiries.size).toBe(1);
    expect(apiCalls(h)).toContain(`POST /api/v1/inquiries/${inquiryId}/generate-one-time-link`);
  });

  it("accepts X-Session-Token and the ory_kratos_session cookie alike (JSON form)", async () => {
    const h = await harness();
    const user = signIn(h);
    const inquiryId = await initiated(h, user);

    for (const headers of [asApp(user), asBrowser(user)]) {
      const answer = await start(h, headers, { json: true });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toContain("application/json");
      expect(answer.headers.get("cache-control")).toBe("no-store");
      const body = answer.json as StartBody;
      expect(Object.keys(body).sort()).toEqual(["provider", "sdk_token", "session_id", "status", "url"]);
      expect(body).toMatchObject({ provider: "persona", session_id: inquiryId, status: "created" });
      expect(body.url).toMatch(/\/verify\?code=/);
      // A created inquiry opens without a session token (Persona needs one only once it is pending).
      expect(body.sdk_token).toBeNull();
    }
    expect(h.persona.inquiries.size).toBe(1);
  });

  it("hosted: a one-time link and no SDK token, also for a pending inquiry", async () => {
    const h = await harness({ PERSONA_INQUIRY_TYPE: "hosted" });
    const user = signIn(h);
    const inquiryId = await initiated(h, user);
    h.persona.setStatus(inquiryId, "pending", { emit: false });

    const answer = await start(h, asApp(user), { json: true });
    expect(answer.status).toBe(200);
    const body = answer.json as StartBody;
    expect(body).toMatchObject({ provider: "persona", session_id: inquiryId, sdk_token: null });
    expect(body.url).toMatch(/\/verify\?code=/);
    // A hosted link needs no inquiry session: nothing is resumed.
    expect(apiCalls(h).filter((c) => c.endsWith("/resume"))).toEqual([]);

    const browser = await start(h, asBrowser(user));
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toMatch(/\/verify\?code=/);
  });

  it("embedded: no link; the resume session token once pending; a browser is told to use the JSON form", async () => {
    const h = await harness({ PERSONA_INQUIRY_TYPE: "embedded" });
    const user = signIn(h);
    const inquiryId = await initiated(h, user);

    const created = (await start(h, asApp(user), { json: true })).json as StartBody;
    expect(created).toMatchObject({ session_id: inquiryId, status: "created", url: null, sdk_token: null });

    await nextSecond();
    h.persona.setStatus(inquiryId, "pending", { emit: false });
    const answer = await start(h, asApp(user), { json: true });
    expect(answer.status).toBe(200);
    const body = answer.json as StartBody;
    expect(body).toMatchObject({ provider: "persona", session_id: inquiryId, status: "pending", url: null });
    expect(body.sdk_token).toEqual(expect.any(String));
    const claims = tokenClaims(body.sdk_token ?? "");
    expect(claims.inq).toBe(inquiryId);
    // The token belongs to the inquiry session the resume just opened.
    expect(claims.sid).toBe(h.persona.inquiries.get(inquiryId)?.sessionIds.at(-1));
    expect(apiCalls(h)).toContain(`POST /api/v1/inquiries/${inquiryId}/resume`);
    expect(apiCalls(h).some((c) => c.endsWith("/generate-one-time-link"))).toBe(false);

    const browser = await start(h, asBrowser(user));
    expect(browser.status).toBe(409);
    expect(browser.headers.get("location")).toBeNull();
    expect(browser.json).toMatchObject({
      error: "conflict",
      message: expect.stringContaining("application/json"),
    });
  });

  it("hosted-embedded: both a link and the session token when pending", async () => {
    const h = await harness({ PERSONA_INQUIRY_TYPE: "hosted-embedded" });
    const user = signIn(h);
    const inquiryId = await initiated(h, user);
    await nextSecond();
    h.persona.setStatus(inquiryId, "pending", { emit: false });

    const body = (await start(h, asApp(user), { json: true })).json as StartBody;
    expect(body).toMatchObject({ session_id: inquiryId, status: "pending" });
    expect(body.url).toMatch(/\/verify\?code=/);
    expect(tokenClaims(body.sdk_token ?? "").inq).toBe(inquiryId);
    expect(h.persona.inquiries.size).toBe(1);
  });

  it("creates the inquiry itself when none exists (registered while the gateway was down), once", async () => {
    const h = await harness();
    const user = signIn(h, { email: "grace@example.com", first_name: "Grace", last_name: "Hopper" });

    const answer = await start(h, asApp(user), { json: true });
    expect(answer.status).toBe(200);
    const body = answer.json as StartBody;
    expect(body.session_id).toMatch(/^inq_/);
    expect(body.url).toMatch(/\/verify\?code=/);
    const inquiry = h.persona.inquiries.get(body.session_id ?? "");
    expect(inquiry?.referenceId).toBe(user.identityId);
    expect(inquiry?.fields["email-address"]?.value).toBe("grace@example.com");
    expect(inquiry?.fields["name-first"]?.value).toBe("Grace");
    expect(inquiry?.fields["name-last"]?.value).toBe("Hopper");

    // Asking again, and Kratos' late registration hook, land on the same inquiry.
    const again = (await start(h, asBrowser(user), { json: true })).json as StartBody;
    expect(again.session_id).toBe(body.session_id);
    const late = await h.initiate(user.identityId);
    expect((late.json as { session_id: string }).session_id).toBe(body.session_id);
    expect(h.persona.inquiries.size).toBe(1);

    // The Kratos mirror learns about it, with the gateway's own start URL (never the bearer link).
    await h.drain();
    const stored = h.kratos.identities.get(user.identityId);
    expect(stored?.metadata_admin).toMatchObject({ persona: { inquiry_id: body.session_id } });
    expect(stored?.metadata_public).toMatchObject({
      idv: { provider: "persona", start_url: `${PUBLIC_URL}/persona/start` },
    });
    expect(JSON.stringify(stored?.metadata_public)).not.toContain("code=");
  });

  it("resumes an expired inquiry before it makes links", async () => {
    const h = await harness();
    const user = signIn(h);
    const inquiryId = await initiated(h, user);
    await nextSecond();
    expect(await h.persona.setStatus(inquiryId, "expired")?.done).toBe("delivered");
    await h.drain();
    expect(h.kratos.identities.get(user.identityId)?.metadata_admin).toMatchObject({
      persona: { status: "expired" },
    });
    await nextSecond();
    const before = apiCalls(h).length;

    const answer = await start(h, asApp(user), { json: true });
    expect(answer.status).toBe(200);
    const body = answer.json as StartBody;
    expect(h.persona.inquiries.get(inquiryId)?.status).toBe("pending");
    expect(body).toMatchObject({ session_id: inquiryId, status: "pending" });
    expect(body.url).toMatch(/\/verify\?code=/);
    expect(tokenClaims(body.sdk_token ?? "").inq).toBe(inquiryId);
    expect(apiCalls(h).slice(before)).toEqual([
      `GET /api/v1/inquiries/${inquiryId}`,
      `POST /api/v1/inquiries/${inquiryId}/resume`,
      `POST /api/v1/inquiries/${inquiryId}/generate-one-time-link`,
    ]);
    expect(await (await fetch(body.url ?? "")).text()).toContain("state=valid");
    expect(h.persona.inquiries.size).toBe(1);

    // The browser form works the same way, and the mirror follows the resumed state.
    expect((await start(h, asBrowser(user))).status).toBe(302);
    await h.drain();
    expect(h.kratos.identities.get(user.identityId)?.metadata_admin).toMatchObject({
      persona: { status: "pending" },
    });
  });

  it("has nothing to start once approved: 200 JSON without a link, 409 for the browser", async () => {
    const h = await harness();
    const user = signIn(h);
    const inquiryId = await initiated(h, user);
    expect(await h.persona.setStatus(inquiryId, "approved")?.done).toBe("delivered");
    await h.drain();
    const before = apiCalls(h).length;

    const answer = await start(h, asApp(user), { json: true });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      provider: "persona",
      session_id: inquiryId,
      status: "approved",
      url: null,
      sdk_token: null,
    });

    const browser = await start(h, asBrowser(user));
    expect(browser.status).toBe(409);
    expect(browser.headers.get("location")).toBeNull();
    expect(browser.json).toMatchObject({ error: "conflict", message: expect.stringContaining("approved") });
    // Decided: no call to Persona, no new inquiry.
    expect(apiCalls(h).length).toBe(before);
    expect(h.persona.inquiries.size).toBe(1);
  });

  it("allows credentialed CORS for configured origins only", async () => {
    const h = await harness({ CORS_ORIGINS: `${APP_ORIGIN},https://other-app.example.test` });
    const user = signIn(h);

    const allowed = await start(h, { ...asBrowser(user), origin: APP_ORIGIN }, { json: true });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    expect(allowed.headers.get("cache-control")).toBe("no-store");
    expect(allowed.headers.get("vary")?.toLowerCase()).toContain("origin");

    // Another origin gets no Access-Control-Allow-Origin, so the browser withholds the answer. (@fastify/cors
    // still adds Access-Control-Allow-Credentials, which has no effect without an allowed origin.)
    const evil = "https://evil.example.test";
    const foreign = await start(h, { ...asBrowser(user), origin: evil }, { json: true });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const foreignPreflight = await h.request("OPTIONS", "/persona/start", {
      headers: {
        origin: evil,
        "access-control-request-method": "GET",
        "access-control-request-headers": "x-session-token",
      },
    });
    expect(foreignPreflight.headers.get("access-control-allow-origin")).toBeNull();

    // The preflight of a fetch() that sends X-Session-Token.
    const preflight = await h.request("OPTIONS", "/persona/start", {
      headers: {
        origin: APP_ORIGIN,
        "access-control-request-method": "GET",
        "access-control-request-headers": "x-session-token",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("x-session-token");

    // A 401 carries the CORS headers too, so the app can read it and send the user to sign in.
    const anonymous = await start(h, { origin: APP_ORIGIN }, { json: true });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
  });

  it("sends no CORS headers when CORS_ORIGINS is unset", async () => {
    const h = await harness();
    const user = signIn(h);
    const answer = await start(h, { ...asBrowser(user), origin: APP_ORIGIN }, { json: true });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    expect(answer.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("limits each identity's start requests (429 with Retry-After), not other identities'", async () => {
    const h = await harness({ START_RATE_LIMIT_PER_MINUTE: "2" });
    const user = signIn(h);
    const other = signIn(h, { email: "grace@example.com" });
    for (let i = 0; i < 2; i++) expect((await start(h, asApp(user), { json: true })).status).toBe(200);
    const calls = apiCalls(h).length;
    const limited = await start(h, asApp(user), { json: true });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("30");
    expect(limited.json).toMatchObject({ error: "rate_limited", message: expect.stringContaining("30 s") });
    expect(apiCalls(h)).toHaveLength(calls);
    expect((await start(h, asApp(other), { json: true })).status).toBe(200);
  });

  it("answers 503 with Retry-After while Persona cannot create the inquiry, and works on the next try", async () => {
    const h = await harness();
    const user = signIn(h);
    h.persona.failNext(1, 503);

    const down = await start(h, asApp(user), { json: true });
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(down.json).toMatchObject({
      error: "upstream_unavailable",
      message: expect.stringContaining("try again"),
    });
    expect(h.persona.inquiries.size).toBe(0);

    const browserDown = await (async () => {
      h.persona.failNext(1, 503);
      return start(h, asBrowser(user));
    })();
    expect(browserDown.status).toBe(503);
    expect(browserDown.headers.get("location")).toBeNull();

    const up = await start(h, asApp(user), { json: true });
    expect(up.status).toBe(200);
    const body = up.json as StartBody;
    expect(body.session_id).toMatch(/^inq_/);
    expect(body.url).toMatch(/\/verify\?code=/);
    // The retry queued by the failure finds the session made and creates no second inquiry.
    await h.drain();
    expect(h.persona.inquiries.size).toBe(1);
    expect(h.persona.inquiries.get(body.session_id ?? "")?.referenceId).toBe(user.identityId);
  });

  it("answers 503 with Retry-After while Persona cannot be read for an existing inquiry, and works on the next try", async () => {
    const h = await harness();
    const user = signIn(h);
    const inquiryId = await initiated(h, user);
    h.persona.failNext(1, 503);

    const down = await start(h, asApp(user), { json: true });
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(down.json).toMatchObject({ error: "upstream_unavailable" });
    // Nothing about Persona's internals (URLs, keys) leaks into the answer.
    expect(down.text).not.toContain(h.persona.baseUrl);

    const up = await start(h, asBrowser(user));
    expect(up.status).toBe(302);
    expect(up.headers.get("location")).toMatch(/\/verify\?code=/);
    expect(h.persona.inquiries.size).toBe(1);
    expect(apiCalls(h)).toContain(`POST /api/v1/inquiries/${inquiryId}/generate-one-time-link`);
  });
});
