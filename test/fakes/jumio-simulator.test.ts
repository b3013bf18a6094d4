// The Jumio simulator behaves like Jumio: OAuth tokens, User-Agent rule, accounts, retrieval, callbacks and faults.
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type JumioSimulator, startJumioSimulator } from "./jumio-simulator.js";

const CLIENT = { clientId: "client-1", clientSecret: "secret-1" };
const AGENT = "ExampleCo SimulatorTest/1.0";
const IDENTITY = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const CALLBACK = "https://idv.example.test/jumio/callback?token=abc";

let clock = Date.parse("2026-03-01T10:00:00.000Z");
let sim: JumioSimulator;

// `any` on purpose: the tests read arbitrary JSON answers, and typing each one would hide the assertions.
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON members
type Json = any;

async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const res = await fetch(url, { method: init.method ?? "GET", headers: init.headers, body: init.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : undefined) as Json };
}

const basic = (id = CLIENT.clientId, secret = CLIENT.clientSecret) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function token(headers: Record<string, string> = {}, body = "grant_type=client_credentials") {
  return call(sim.authUrl, {
    method: "POST",
    headers: {
      authorization: basic(),
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": AGENT,
      ...headers,
    },
    body,
  });
}

async function api(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const accessToken = (await token()).json.access_token as string;
  return call(url, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      "user-agent": AGENT,
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const account = (extra: Record<string, unknown> = {}) => ({
  customerInternalReference: IDENTITY,
  workflowDefinition: { key: 10011 },
  callbackUrl: CALLBACK,
  ...extra,
});

async function createAccount(extra: Record<string, unknown> = {}) {
  const answer = await api("POST", `${sim.apiBaseUrl}/accounts`, account(extra));
  expect(answer.status).toBe(200);
  return { answer: answer.json, sessionId: `${answer.json.account.id}/${answer.json.workflowExecution.id}` };
}

const details = (sessionId: string) =>
  api("GET", `${sim.retrievalBaseUrl}/accounts/${sessionId.replace("/", "/workflow-executions/")}`);

async function receiver(statuses: number[] = []) {
  const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ url: req.url ?? "", headers: req.headers, body });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

beforeAll(async () => {
  sim = await startJumioSimulator({ ...CLIENT, now: () => clock, retryScheduleMs: [10, 10] });
});
afterEach(() => {
  sim.setSigningProxy(undefined);
});
afterAll(async () => {
  await sim.close();
});

describe("OAuth2 token endpoint", () => {
  it("issues a bearer token for HTTP Basic client credentials and grant_type=client_credentials", async () => {
    const answer = await token();
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: "Bearer" });
  });

  it("refuses wrong credentials, another grant, a JSON body and a missing User-Agent", async () => {
    expect((await token({ authorization: basic("client-1", "nope") })).json).toEqual({
      error: "invalid_client",
    });
    expect((await token({}, "grant_type=password")).status).toBe(400);
    const before = sim.specViolations.length;
    expect((await token({ "content-type": "application/json" }, "{}")).status).toBe(400);
    expect((await token({ "user-agent": "" })).status).toBe(403);
    expect(sim.specViolations.length).toBe(before + 2);
    sim.specViolations.length = before;
  });

  it("expires tokens after expires_in and forgets revoked ones", async () => {
    const accessToken = (await token()).json.access_token as string;
    const read = () =>
      call(`${sim.retrievalBaseUrl}/accounts/a/workflow-executions/b`, {
        headers: { authorization: `Bearer ${accessToken}`, "user-agent": AGENT },
      });
    expect((await read()).status).toBe(404);
    clock += 3600_000;
    expect((await read()).status).toBe(401);
    const fresh = (await token()).json.access_token as string;
    sim.revokeTokens();
    const revoked = await call(`${sim.retrievalBaseUrl}/accounts/a/workflow-executions/b`, {
      headers: { authorization: `Bearer ${fresh}`, "user-agent": AGENT },
    });
    expect(revoked.status).toBe(401);
  });
});

describe("account API", () => {
  it("creates an account with a first workflow execution: web link, SDK token, ids", async () => {
    const { answer } = await createAccount();
    expect(answer).toMatchObject({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      account: { id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      web: { href: expect.stringContaining("/web/v4/app?authorizationToken=") },
      sdk: { token: expect.stringMatching(/^ey/) },
      workflowExecution: { id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    expect(answer.web.href).toContain(answer.sdk.token);
    expect(sim.accounts.get(answer.account.id)?.executions).toEqual([answer.workflowExecution.id]);
  });

  it("starts a new workflow execution on an existing account with PUT; 404 for an unknown account", async () => {
    const { answer } = await createAccount();
    const again = await api("PUT", `${sim.apiBaseUrl}/accounts/${answer.account.id}`, account());
    expect(again.status).toBe(200);
    expect(again.json.account.id).toBe(answer.account.id);
    expect(again.json.workflowExecution.id).not.toBe(answer.workflowExecution.id);
    expect(sim.accounts.get(answer.account.id)?.executions).toHaveLength(2);
    expect((await api("PUT", `${sim.apiBaseUrl}/accounts/nope`, account())).status).toBe(404);
  });

  it("enforces Jumio's documented request rules with 400", async () => {
    const before = sim.specViolations.length;
    const bad = [
      account({ customerInternalReference: "" }),
      account({ customerInternalReference: "a/b" }),
      account({ workflowDefinition: {} }),
      account({ callbackUrl: "http://idv.example.test/jumio/callback" }),
      account({ callbackUrl: "https://10.0.0.1/jumio/callback" }),
      account({ callbackUrl: "https://idv.example.test:8443/jumio/callback" }),
      account({ callbackUrl: `https://idv.example.test/${"x".repeat(250)}` }),
      account({ userReference: "u".repeat(101) }),
    ];
    for (const body of bad) {
      expect((await api("POST", `${sim.apiBaseUrl}/accounts`, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect(sim.specViolations.length).toBe(before + bad.length);
    sim.specViolations.length = before;
  });

  it("requires a meaningful User-Agent and a bearer token", async () => {
    const before = sim.specViolations.length;
    const generic = await api("POST", `${sim.apiBaseUrl}/accounts`, account(), { "user-agent": "node" });
    expect(generic.status).toBe(403);
    sim.specViolations.length = before;
    const anonymous = await call(`${sim.apiBaseUrl}/accounts`, {
      method: "POST",
      headers: { "user-agent": AGENT, "content-type": "application/json" },
      body: JSON.stringify(account()),
    });
    expect(anonymous.status).toBe(401);
  });

  it("keeps the account and retrieval APIs apart", async () => {
    const { sessionId } = await createAccount();
    const path = `/accounts/${sessionId.replace("/", "/workflow-executions/")}`;
    expect(
      (await api("GET", `${sim.apiBaseUrl}${path}`, undefined, { "content-type": "application/json" }))
        .status,
    ).toBe(404);
    expect((await api("POST", `${sim.retrievalBaseUrl}/accounts`, account())).status).toBe(404);
  });
});

describe("retrieval API and status changes", () => {
  it("serves details and status per state, dating every change strictly later even on a frozen clock", async () => {
    const { sessionId } = await createAccount();
    const initiated = (await details(sessionId)).json;
    expect(initiated).toMatchObject({
      workflow: { status: "INITIATED", definitionKey: "10011", customerInternalReference: IDENTITY },
    });
    expect(Date.parse(initiated.createdAt)).toBeGreaterThanOrEqual(clock);
    expect(initiated).not.toHaveProperty("decision");

    sim.setStatus(sessionId, "ACQUIRED", undefined, { emit: false });
    const acquired = (await details(sessionId)).json;
    sim.setStatus(sessionId, "PROCESSED", "PASSED", { emit: false });
    const passed = (await details(sessionId)).json;
    sim.setStatus(sessionId, "PROCESSED", "REJECTED", { emit: false, label: "FAKE" });
    const rejected = (await details(sessionId)).json;
    expect(Date.parse(acquired.startedAt)).toBeGreaterThan(Date.parse(initiated.createdAt));
    expect(passed.decision).toEqual({ type: "PASSED", details: { label: "OK" }, risk: { score: 12 } });
    expect(Date.parse(rejected.completedAt)).toBeGreaterThan(Date.parse(passed.completedAt));
    expect(rejected.decision).toMatchObject({ type: "REJECTED", details: { label: "FAKE" } });
    expect(rejected.capabilities.extraction[0].decision.type).toBe("PASSED");

    sim.setStatus(sessionId, "TOKEN_EXPIRED", undefined, { emit: false });
    expect((await details(sessionId)).json.decision).toEqual({
      type: "NOT_EXECUTED",
      details: { label: "TOKEN_EXPIRED" },
      risk: { score: -1 },
    });
    const status = await api(
      "GET",
      `${sim.retrievalBaseUrl}/accounts/${sessionId.replace("/", "/workflow-executions/")}/status`,
    );
    expect(status.json).toEqual({
      account: { id: sessionId.split("/")[0], href: expect.stringContaining("/retrieval/api/v1/accounts/") },
      workflowExecution: {
        id: sessionId.split("/")[1],
        href: expect.stringContaining("/workflow-executions/"),
        definitionKey: "10011",
        status: "TOKEN_EXPIRED",
      },
    });
  });

  it("answers 404 for an execution under another account", async () => {
    const a = await createAccount();
    const b = await createAccount();
    const mixed = `${b.sessionId.split("/")[0]}/${a.sessionId.split("/")[1]}`;
    expect((await details(mixed)).status).toBe(404);
  });

  it("can withhold details until an execution is processed", async () => {
    const strict = await startJumioSimulator({ ...CLIENT, detailsOnlyWhenProcessed: true });
    try {
      const auth = await fetch(strict.authUrl, {
        method: "POST",
        headers: {
          authorization: basic(),
          "content-type": "application/x-www-form-urlencoded",
          "user-agent": AGENT,
        },
        body: "grant_type=client_credentials",
      });
      const bearer = {
        authorization: `Bearer ${((await auth.json()) as Json).access_token}`,
        "user-agent": AGENT,
      };
      const created = await fetch(`${strict.apiBaseUrl}/accounts`, {
        method: "POST",
        headers: { ...bearer, "content-type": "application/json" },
        body: JSON.stringify(account()),
      });
      const { account: acc, workflowExecution: wf } = (await created.json()) as Json;
      const url = `${strict.retrievalBaseUrl}/accounts/${acc.id}/workflow-executions/${wf.id}`;
      expect((await fetch(url, { headers: bearer })).status).toBe(404);
      expect((await fetch(`${url}/status`, { headers: bearer })).status).toBe(200);
      strict.setStatus(wf.id, "PROCESSED", "PASSED", { emit: false });
      expect((await fetch(url, { headers: bearer })).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it("fails the next requests on demand, 429 with Jumio's body and Retry-After", async () => {
    sim.failNext(2, 429, { retryAfterSeconds: 3 });
    const first = await token();
    expect(first.status).toBe(429);
    expect(first.json).toEqual({ title: "Too Many Requests", status: 429, detail: "Request limit exceeded" });
    expect(first.headers.get("retry-after")).toBe("3");
    expect((await token()).status).toBe(429);
    expect((await token()).status).toBe(200);
  });
});

describe("callbacks", () => {
  it("POSTs Jumio's unsigned body to the registered callback URL, retrying until 200", async () => {
    const target = await receiver([503]);
    try {
      sim.routeCallbacks(target.origin);
      const { sessionId } = await createAccount();
      const delivery = sim.setStatus(sessionId, "PROCESSED", "PASSED");
      expect(await delivery?.done).toBe("delivered");
      expect(delivery?.attempts.map((a) => a.status)).toEqual([503, 200]);
      const [accountId, executionId] = sessionId.split("/");
      const last = target.received.at(-1);
      expect(last?.url).toBe("/jumio/callback?token=abc");
      expect(last?.headers).not.toHaveProperty("x-jumio-signature");
      expect(JSON.parse(last?.body ?? "")).toEqual({
        callbackSentAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        workflowExecution: {
          id: executionId,
          href: `${sim.retrievalBaseUrl}/accounts/${accountId}/workflow-executions/${executionId}`,
          definitionKey: "10011",
          status: "PROCESSED",
        },
        account: { id: accountId, href: `${sim.retrievalBaseUrl}/accounts/${accountId}` },
      });
    } finally {
      await target.close();
    }
  });

  it("adds a signing proxy's HMAC header (bare or sha256= hex) and dates every callback later", async () => {
    const target = await receiver();
    try {
      sim.routeCallbacks(target.origin);
      const { sessionId } = await createAccount({ userReference: "ref-1" });
      sim.setSigningProxy({ secret: "proxy-secret", prefixed: true });
      await sim.emit(sessionId).done;
      sim.setSigningProxy({ secret: "proxy-secret", header: "x-proxy-sig" });
      await sim.emit(sessionId).done;
      const [prefixed, bare] = target.received;
      const hmac = (body: string) => createHmac("sha256", "proxy-secret").update(body).digest("hex");
      expect(prefixed?.headers["x-jumio-signature"]).toBe(`sha256=${hmac(prefixed?.body ?? "")}`);
      expect(bare?.headers["x-proxy-sig"]).toBe(hmac(bare?.body ?? ""));
      const sent = target.received.map((r) => JSON.parse(r.body) as Json);
      expect(sent[0].userReference).toBe("ref-1");
      expect(Date.parse(sent[1].callbackSentAt)).toBeGreaterThan(Date.parse(sent[0].callbackSentAt));
    } finally {
      await target.close();
    }
  });
});
