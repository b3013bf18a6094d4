// The Onfido simulator itself: spec validation, auth (token and OAuth), resources, status stamps, webhooks, faults.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebhookEventVerifier } from "@onfido/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type OnfidoSimulator, RUN_STATUSES, startOnfidoSimulator } from "./onfido-simulator.js";

const TOKEN = "api_sandbox.sim-test";
const WORKFLOW = "0c7a5b8e-1d2f-4a3b-8c9d-e0f1a2b3c4d5";
const LINKLESS = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d";
const auth = { authorization: `Token token=${TOKEN}` };

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> & Record<number, Record<string, unknown>>;
}

describe("Onfido simulator", () => {
  let sim: OnfidoSimulator;
  let clock = Date.UTC(2026, 0, 1, 12);
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = auth,
  ): Promise<Answer> => {
    const response = await fetch(`${sim.baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : {} };
  };
  const applicant = async () =>
    (await call("POST", "/applicants", { first_name: "Ada", last_name: "Lovelace" })).json.id as string;
  const run = async (over: Record<string, unknown> = {}) =>
    (
      await call("POST", "/workflow_runs", {
        workflow_id: WORKFLOW,
        applicant_id: await applicant(),
        ...over,
      })
    ).json;

  beforeEach(async () => {
    clock = Date.UTC(2026, 0, 1, 12);
    sim = await startOnfidoSimulator({
      apiToken: TOKEN,
      oauth: { clientId: "cid", clientSecret: "csecret", expiresInSeconds: 60 },
      workflows: { [WORKFLOW]: {}, [LINKLESS]: { hostedLink: false } },
      now: () => clock,
    });
  });
  afterEach(async () => {
    await sim.close();
  });

  it("answers spec-valid applicants and workflow runs, with the SDK token and hosted link on creation only", async () => {
    const created = await call("POST", "/applicants", {
      first_name: "Ada",
      last_name: "Lovelace",
      email: "ada@example.com",
      dob: "1815-12-10",
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      first_name: "Ada",
      dob: "1815-12-10",
      sandbox: true,
      href: expect.any(String),
    });
    const id = created.json.id as string;
    expect((await call("GET", `/applicants/${id}`)).json).toEqual(created.json);

    const runAnswer = await call("POST", "/workflow_runs", {
      workflow_id: WORKFLOW,
      applicant_id: id,
      custom_data: { kratos_identity_id: "k-1" },
      tags: ["a", "b"],
      link: { language: "de_DE" },
    });
    expect(runAnswer.status).toBe(201);
    expect(runAnswer.json).toMatchObject({
      status: "awaiting_input",
      applicant_id: id,
      sdk_token: expect.stringMatching(/^ey/),
      link: { url: expect.stringContaining("/l/"), language: "de_DE" },
      created_at: "2026-01-01T12:00:00Z",
    });
    expect(runAnswer.json).not.toHaveProperty("custom_data");
    const runId = runAnswer.json.id as string;
    expect((await call("GET", `/workflow_runs/${runId}`)).json.sdk_token).toBeNull();
    const page = await fetch(String((runAnswer.json.link as { url: string }).url));
    expect(await page.text()).toContain(`${runId} awaiting_input`);

    const linkless = await call("POST", "/workflow_runs", { workflow_id: LINKLESS, applicant_id: id });
    expect(linkless.json).not.toHaveProperty("link");
    expect((await call("POST", "/sdk_token", { applicant_id: id })).json).toEqual({
      token: expect.stringMatching(/^ey/),
    });
    expect(sim.specViolations).toEqual([]);
  });

  it("refuses unknown workflows and applicants, blank names, and deleted applicants until restored", async () => {
    const id = await applicant();
    expect(
      (await call("POST", "/workflow_runs", { workflow_id: LINKLESS.replace("9", "8"), applicant_id: id }))
        .status,
    ).toBe(422);
    expect((await call("POST", "/applicants", { first_name: " ", last_name: "L" })).json).toMatchObject({
      error: { type: "validation_error", fields: { first_name: ["can't be blank"] } },
    });
    expect((await call("DELETE", `/applicants/${id}`)).status).toBe(204);
    expect(sim.applicants.get(id)?.deleteAtMs).toBeGreaterThan(clock);
    expect((await call("GET", `/applicants/${id}`)).status).toBe(404);
    expect((await call("POST", "/workflow_runs", { workflow_id: WORKFLOW, applicant_id: id })).status).toBe(
      422,
    );
    expect((await call("POST", `/applicants/${id}/restore`)).status).toBe(204);
    expect((await call("GET", `/applicants/${id}`)).status).toBe(200);
    expect(sim.specViolations).toEqual([]);
  });

  it("records every request the spec does not allow", async () => {
    expect((await call("POST", "/applicants", { first_name: "Ada" })).status).toBe(422);
    await call("POST", "/applicants", { first_name: "A<b>", last_name: "L", surname: 1 });
    await call("GET", "/workflow_runs/not-a-uuid");
    await call("GET", "/workflow_runs?colour=blue");
    await call("GET", "/nowhere");
    await call("GET", "/checks");
    expect(sim.specViolations).toEqual([
      expect.stringMatching(/POST \/applicants request body: .*last_name/),
      expect.stringMatching(/first_name must match pattern/),
      expect.stringMatching(/workflow_run_id: \(root\) must match format "uuid"/),
      expect.stringMatching(/query parameter colour is not declared/),
      "GET /nowhere is not in the Onfido spec",
      "GET /checks is not served by the simulator",
    ]);
  });

  it("checks auth: the API token, or OAuth bearer tokens from a form without grant_type that expire and can be revoked", async () => {
    expect((await call("GET", "/workflow_runs", undefined, {})).status).toBe(401);
    expect(
      (await call("GET", "/workflow_runs", undefined, { authorization: "Token token=nope" })).json,
    ).toMatchObject({
      error: { type: "authorization_error" },
    });
    const token = await fetch(`${sim.baseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "cid", client_secret: "csecret" }),
    });
    const { access_token: accessToken, expires_in: expiresIn } = (await token.json()) as Record<
      string,
      unknown
    >;
    expect(expiresIn).toBe(60);
    const bearer = { authorization: `Bearer ${String(accessToken)}` };
    expect((await call("GET", "/workflow_runs", undefined, bearer)).status).toBe(200);
    clock += 61_000;
    expect((await call("GET", "/workflow_runs", undefined, bearer)).status).toBe(401);
    const wrong = await fetch(`${sim.baseUrl}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: "cid", client_secret: "wrong" }),
    });
    expect(wrong.status).toBe(401);
    expect(sim.specViolations).toEqual([]);
  });

  it("lists runs filtered by tags (CSV or repeated), applicant, status and date, sorted and paged", async () => {
    const first = await run({ tags: ["idv:1", "x"] });
    clock += 1000;
    const second = await run({ tags: ["idv:2", "x"] });
    sim.setStatus(second.id as string, "approved", { emit: false });
    const ids = async (query: string) =>
      ((await call("GET", `/workflow_runs${query}`)).json as unknown as { id: string }[]).map((r) => r.id);
    expect(await ids("?tags=idv:1")).toEqual([first.id]);
    expect(await ids("?tags=x,idv:2")).toEqual([second.id]);
    expect(await ids("?tags=x&tags=idv:2")).toEqual([second.id]);
    expect(await ids("?tags=x")).toEqual([second.id, first.id]);
    expect(await ids("?tags=x&sort=asc")).toEqual([first.id, second.id]);
    expect(await ids(`?applicant_id=${String(first.applicant_id)}`)).toEqual([first.id]);
    expect(await ids("?status=approved,declined")).toEqual([second.id]);
    expect(await ids("?created_at_gt=2026-01-02")).toEqual([]);
    for (let i = 0; i < 21; i++) await run({ tags: ["many"] });
    expect(await ids("?tags=many")).toHaveLength(20);
    expect(await ids("?tags=many&page=2")).toHaveLength(1);
    expect(sim.specViolations).toEqual([]);
  });

  it("stamps every status change strictly later, even on a frozen clock, covering the spec's whole enum", async () => {
    const { id } = await run();
    let last = "";
    for (const status of RUN_STATUSES) {
      sim.setStatus(id as string, status, { emit: false });
      const answer = (await call("GET", `/workflow_runs/${String(id)}`)).json;
      expect(answer.status).toBe(status);
      expect(String(answer.updated_at) > last).toBe(true);
      last = String(answer.updated_at);
      if (status === "error") expect(answer.error).toMatchObject({ type: expect.any(String) });
    }
    expect(sim.specViolations).toEqual([]);
  });

  it("fails requests on demand: before the work, only on one route, or after it (a lost answer)", async () => {
    sim.failNext(1, 429, { retryAfterSeconds: 3 });
    const limited = await call("GET", "/workflow_runs");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    const id = await applicant();
    sim.failNext(1, 503, { route: "POST /workflow_runs" });
    expect((await call("GET", `/applicants/${id}`)).status).toBe(200);
    expect((await call("POST", "/workflow_runs", { workflow_id: WORKFLOW, applicant_id: id })).status).toBe(
      503,
    );
    expect(sim.workflowRuns.size).toBe(0);
    sim.failNext(1, 502, { route: "POST /workflow_runs", lostAnswer: true });
    expect((await call("POST", "/workflow_runs", { workflow_id: WORKFLOW, applicant_id: id })).status).toBe(
      502,
    );
    expect(sim.workflowRuns.size).toBe(1);
    expect(sim.specViolations).toEqual([]);
  });

  it("delivers signed workflow_run.completed webhooks for finished runs, retrying until a 2xx", async () => {
    const received: { headers: IncomingMessage["headers"]; body: string }[] = [];
    let refuse = 1;
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(refuse-- > 0 ? 500 : 200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      sim.setWebhook(
        `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/onfido/callback`,
        "whk-token",
      );
      const { id } = await run({ customer_user_id: "identity-1" });
      expect(sim.setStatus(id as string, "processing")).toBeUndefined();
      sim.setStatus(id as string, "review");
      const delivery = sim.review(id as string, "approved");
      expect(await delivery?.done).toBe("delivered");
      await Promise.all(sim.deliveries.map((d) => d.done));
      expect(sim.deliveries.map((d) => d.attempts.length)).toEqual([2, 1]);
      const last = received.find((r) => r.body === delivery?.body);
      const event = new WebhookEventVerifier("whk-token").readPayload(
        last?.body ?? "",
        String(last?.headers["x-sha2-signature"]),
      );
      expect(event.payload).toMatchObject({
        resource_type: "workflow_run",
        action: "workflow_run.completed",
        object: { id, status: "approved", completed_at_iso8601: expect.stringMatching(/Z$/) },
        resource: { id, status: "approved", customer_user_id: "identity-1" },
      });
      expect(last?.body).not.toContain("sdk_token");
      expect(sim.runsFor("identity-1").map((r) => r.id)).toEqual([id]);
      expect(sim.specViolations).toEqual([]);
    } finally {
      receiver.closeAllConnections();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});
