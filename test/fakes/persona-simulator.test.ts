// The Persona simulator behaves like Persona: API answers, idempotency, signed webhooks, retries and rotation.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type PersonaSimulator, startPersonaSimulator } from "./persona-simulator.js";

const API_KEY = "persona_sandbox_0123456789";
const TEMPLATE = "itmpl_Test1234567890abcdefghij";
const VECTOR = {
  body: '{"data":{"type":"event","id":"evt_XGuYWp7WuDzNxie5z16s7sGJ","attributes":{"name":"inquiry.approved","payload":{"data":{"type":"inquiry","id":"inq_2CVZ4HyVg7qaboXz2PUHknAn","attributes":{"status":"approved"}}},"created-at":"2019-09-09T22:46:27.598Z"}}}',
  t: 1764686826,
  current: "2129e20feac27885a2dadaa0921c107612f92890262e1cc96e861467d2902a80",
  old: "fba046377bd381cdea78ee0ecf3d9f0067e83145f6a0fbd7e40bc9eab2ea3bfd",
};

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook endpoint that answers the given statuses in order, then 200; each request advances the clock 1 s. */
async function startReceiver(statuses: number[], onRequest: () => void = () => {}) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      onRequest();
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/persona/callback`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url, received, close };
}

/** Independent verifier after Persona's Node sample: t from the first pair, accept if any v1 matches. */
function verifies(header: string, body: string, secret: string): boolean {
  const pairs = header.split(" ").map((pair) => new URLSearchParams(pair.replaceAll(",", "&")));
  const t = pairs[0]?.get("t");
  if (!t) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${body}`).digest("hex"));
  return pairs.some((pair) => {
    const v1 = Buffer.from(pair.get("v1") ?? "");
    return v1.length === expected.length && timingSafeEqual(v1, expected);
  });
}

let clock = VECTOR.t * 1000;
let sim: PersonaSimulator;
const closers: (() => Promise<void>)[] = [];

async function api(
  method: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${sim.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json", ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON:API members
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as any };
}

const createBody = (referenceId: string, extra: Record<string, unknown> = {}) => ({
  data: {
    attributes: {
      "inquiry-template-id": TEMPLATE,
      "reference-id": referenceId,
      fields: { "name-first": "Alexander", birthdate: "1977-08-31" },
      ...extra,
    },
  },
});

beforeAll(async () => {
  sim = await startPersonaSimulator({
    apiKey: API_KEY,
    now: () => clock,
    retryScheduleMs: [20, 20, 20, 20, 20, 20, 20],
  });
});
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
  expect(sim.specViolations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await sim.close();
});

describe("signature", () => {
  it("reproduces the reference test vector, with one pair per secret during rotation", () => {
    expect(sim.sign(VECTOR.body, VECTOR.t, ["wbhsec_test_secret"])).toBe(
      `t=${VECTOR.t},v1=${VECTOR.current}`,
    );
    expect(sim.sign(VECTOR.body, VECTOR.t, ["wbhsec_test_secret", "wbhsec_old_secret"])).toBe(
      `t=${VECTOR.t},v1=${VECTOR.current} t=${VECTOR.t},v1=${VECTOR.old}`,
    );
  });
});

describe("API", () => {
  it("rejects requests without the API key", async () => {
    for (const headers of [{ authorization: "" }, { authorization: "Bearer persona_sandbox_wrong" }]) {
      const res = await api("GET", "/inquiries", { headers });
      expect(res.status).toBe(401);
      expect(res.json.errors[0].title).toBe("Unauthorized");
    }
  });

  it("creates an inquiry and returns it on GET and in the reference-id filter", async () => {
    const created = await api("POST", "/inquiries", { body: createBody("usr_create") });
    expect(created.status).toBe(201);
    expect(created.headers.get("request-id")).toMatch(/^req_/);
    expect(created.headers.get("ratelimit-limit")).toBe("300");
    const { data, meta } = created.json;
    expect(data.id).toMatch(/^inq_[1-9A-HJ-NP-Za-km-z]{24}$/);
    expect(data.attributes).toMatchObject({
      status: "created",
      "reference-id": "usr_create",
      "completed-at": null,
    });
    expect(Date.parse(data.attributes["expires-at"]) - Date.parse(data.attributes["created-at"])).toBe(
      86_400_000,
    );
    expect(data.attributes.fields["name-first"]).toEqual({ type: "string", value: "Alexander" });
    expect(data.attributes.fields.birthdate).toEqual({ type: "date", value: "1977-08-31" });
    expect(data.relationships["inquiry-template"].data).toEqual({ type: "inquiry-template", id: TEMPLATE });
    expect(meta["session-token"].split(".")).toHaveLength(3);
    expect(meta["one-time-link"]).toBeUndefined();

    const fetched = await api("GET", `/inquiries/${data.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json.data).toEqual(data);
    const listed = await api("GET", "/inquiries?filter%5Breference-id%5D=usr_create");
    expect(listed.json.data.map((inq: { id: string }) => inq.id)).toEqual([data.id]);
    expect(sim.requests.some((r) => r.method === "POST" && r.path === "/api/v1/inquiries")).toBe(true);
  });

  it("pages the inquiry list newest first with next/prev links", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await api("POST", "/inquiries", { body: createBody("usr_page") })).json.data.id);
    const first = await api("GET", "/inquiries?filter%5Breference-id%5D=usr_page&page%5Bsize%5D=2");
    expect(first.json.data.map((inq: { id: string }) => inq.id)).toEqual([ids[2], ids[1]]);
    expect(first.json.links.prev).toBeNull();
    const second = await api("GET", first.json.links.next.replace("/api/v1", ""));
    expect(second.json.data.map((inq: { id: string }) => inq.id)).toEqual([ids[0]]);
    expect(second.json.links.next).toBeNull();
    const back = await api("GET", second.json.links.prev.replace("/api/v1", ""));
    expect(back.json.data.map((inq: { id: string }) => inq.id)).toEqual([ids[2], ids[1]]);
  });

  it("answers 404 for unknown inquiries and 422 unless exactly one template id is given", async () => {
    const missing = await api("GET", "/inquiries/inq_doesnotexist");
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ errors: [{ status: 404, title: "Record not found" }] });
    const none = await api("POST", "/inquiries", { body: { data: { attributes: { "reference-id": "x" } } } });
    expect(none.status).toBe(422);
    const two = await api("POST", "/inquiries", { body: createBody("x", { "template-id": "tmpl_abc" }) });
    expect(two.status).toBe(422);
  });

  it("records create requests that break the spec's request schema", async () => {
    const res = await api("POST", "/inquiries", {
      body: createBody("usr_spec", { fields: { "name-first": 42 } }),
    });
    expect(res.status).toBe(422);
    expect(sim.specViolations.splice(0)).toEqual([
      expect.stringMatching(/^request POST \/inquiries: \/data\/attributes\/fields\/name-first: /),
    ]);
  });

  it("replays the stored response for a repeated Idempotency-Key and refuses other parameters", async () => {
    const headers = { "idempotency-key": "idem-1" };
    const unauthorized = await api("POST", "/inquiries", {
      body: createBody("usr_idem"),
      headers: { ...headers, authorization: "Bearer nope" },
    });
    expect(unauthorized.status).toBe(401); // not cached: auth runs before the idempotency layer
    const first = await api("POST", "/inquiries", { body: createBody("usr_idem"), headers });
    const second = await api("POST", "/inquiries", { body: createBody("usr_idem"), headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect([...sim.inquiries.values()].filter((inq) => inq.referenceId === "usr_idem")).toHaveLength(1);
    const other = await api("POST", "/inquiries", { body: createBody("usr_other"), headers });
    expect(other.status).toBe(422);
  });

  it("injects failures: proxy failures are not stored, application failures are replayed", async () => {
    sim.failNext(1, 429, { retryAfterSeconds: 2 });
    const limited = await api("POST", "/inquiries", {
      body: createBody("usr_fail"),
      headers: { "idempotency-key": "k-429" },
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    const retried = await api("POST", "/inquiries", {
      body: createBody("usr_fail"),
      headers: { "idempotency-key": "k-429" },
    });
    expect(retried.status).toBe(201);

    sim.failNext(1, 500, { stored: true });
    const failed = await api("POST", "/inquiries", {
      body: createBody("usr_fail"),
      headers: { "idempotency-key": "k-500" },
    });
    const replayed = await api("POST", "/inquiries", {
      body: createBody("usr_fail"),
      headers: { "idempotency-key": "k-500" },
    });
    expect([failed.status, replayed.status]).toEqual([500, 500]);
  });

  it("refuses a concurrent request with the same Idempotency-Key while the first is in progress", async () => {
    sim.setLatency(100);
    try {
      const headers = { "idempotency-key": "k-concurrent" };
      const first = api("POST", "/inquiries", { body: createBody("usr_concurrent"), headers });
      await new Promise((resolve) => setTimeout(resolve, 30));
      const second = await api("POST", "/inquiries", { body: createBody("usr_concurrent"), headers });
      expect([(await first).status, second.status]).toEqual([201, 409]);
    } finally {
      sim.setLatency(0);
    }
  });

  it("generates one-time links that open the hosted page, but not for expired inquiries", async () => {
    const { json } = await api("POST", "/inquiries", { body: createBody("usr_otl") });
    const id: string = json.data.id;
    const otl = await api("POST", `/inquiries/${id}/generate-one-time-link`, {
      body: { meta: { "expires-in-seconds": 600 } },
    });
    expect(otl.status).toBe(200);
    expect(otl.json.data.id).toBe(id);
    const origin = sim.baseUrl.replace("/api/v1", "");
    expect(otl.json.meta["one-time-link"]).toMatch(new RegExp(`^${origin}/verify\\?code=\\w+$`));
    const page = await fetch(otl.json.meta["one-time-link-short"]);
    expect(page.status).toBe(200);
    expect(page.url).toBe(otl.json.meta["one-time-link"]);
    expect(await page.text()).toContain("state=valid");

    const expired = await api("POST", `/inquiries/${id}/expire`);
    expect(expired.json.data.attributes.status).toBe("expired");
    expect(await (await fetch(otl.json.meta["one-time-link"])).text()).toContain("state=expired");
    const refused = await api("POST", `/inquiries/${id}/generate-one-time-link`);
    expect(refused.status).toBe(409);
  });

  it("resumes created and expired inquiries with a new session token, and refuses decided ones", async () => {
    const { json } = await api("POST", "/inquiries", { body: createBody("usr_resume") });
    const id: string = json.data.id;
    const resumed = await api("POST", `/inquiries/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json.meta["session-token"]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(resumed.json.meta["session-token"]).not.toBe(json.meta["session-token"]);

    clock += 86_400_000;
    expect(sim.expireDue()).toEqual([]); // no webhook configured yet, so nothing is sent
    expect(sim.inquiries.get(id)?.status).toBe("expired");
    const revived = await api("POST", `/inquiries/${id}/resume`);
    expect(revived.json.data.attributes.status).toBe("pending");

    sim.setStatus(id, "approved");
    expect((await api("POST", `/inquiries/${id}/resume`)).status).toBe(409);
  });

  it("redacts: fields nulled, redacted-at set, status kept", async () => {
    const { json } = await api("POST", "/inquiries", { body: createBody("usr_redact") });
    const id: string = json.data.id;
    sim.setStatus(id, "approved");
    const redacted = await api("DELETE", `/inquiries/${id}`);
    expect(redacted.status).toBe(200);
    const attributes = (await api("GET", `/inquiries/${id}`)).json.data.attributes;
    expect(attributes.status).toBe("approved");
    expect(attributes["redacted-at"]).toBe(new Date(clock).toISOString());
    expect(attributes["reference-id"]).toBe("usr_redact");
    expect(
      Object.values(attributes.fields).every((field) => (field as { value: unknown }).value === null),
    ).toBe(true);
  });
});

describe("webhooks", () => {
  it("retries a rejected delivery and signs every attempt with its own timestamp", async () => {
    const receiver = await startReceiver([500, 500], () => {
      clock += 1000;
    });
    closers.push(receiver.close);
    sim.setWebhook(receiver.url, "wbhsec_current");
    const { json } = await api("POST", "/inquiries", { body: createBody("usr_hook") });
    const approved = await api("POST", `/inquiries/${json.data.id}/approve`, {
      body: { meta: { comment: "ok" } },
    });
    expect(approved.status).toBe(200);

    const delivery = sim.deliveries.at(-1);
    expect(await delivery?.done).toBe("delivered");
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 500, 200]);
    expect(receiver.received).toHaveLength(3);
    const headers = receiver.received.map((r) => r.headers);
    expect(headers.map((h) => h["persona-webhook-attempts-made"])).toEqual(["1", "2", "3"]);
    expect(headers.map((h) => h["persona-webhook-attempts-left"])).toEqual(["7", "6", "5"]);
    expect(new Set(headers.map((h) => h["persona-webhook-first-attempted-at"])).size).toBe(1);
    expect(new Set(headers.map((h) => h["persona-signature"]?.toString().split(",")[0])).size).toBe(3);
    expect(headers[0]?.["content-type"]).toBe("application/json; charset=utf-8");
    for (const { headers: h, body } of receiver.received) {
      expect(body).toBe(delivery?.body);
      expect(verifies(String(h["persona-signature"]), body, "wbhsec_current")).toBe(true);
      expect(verifies(String(h["persona-signature"]), `${body} `, "wbhsec_current")).toBe(false);
    }

    const event = JSON.parse(receiver.received[0]?.body ?? "{}");
    expect(event.data.type).toBe("event");
    expect(event.data.id).toBe(delivery?.eventId);
    expect(event.data.id).toMatch(/^evt_/);
    expect(event.data.attributes.name).toBe("inquiry.approved");
    expect(event.data.attributes.payload.included).toEqual([]);
    const current = (await api("GET", `/inquiries/${json.data.id}`)).json.data;
    expect(event.data.attributes.payload.data).toEqual(current);
    expect(current.attributes["reviewer-comment"]).toBe("ok");
  });

  it("sends two signature pairs during secret rotation", async () => {
    const receiver = await startReceiver([]);
    closers.push(receiver.close);
    sim.setWebhook(receiver.url, ["wbhsec_new", "wbhsec_old"]);
    const { json } = await api("POST", "/inquiries", { body: createBody("usr_rotate") });
    expect(await sim.setStatus(json.data.id, "declined")?.done).toBe("delivered");
    const [received] = receiver.received;
    const header = String(received?.headers["persona-signature"]);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64} t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifies(header, received?.body ?? "", "wbhsec_new")).toBe(true);
    expect(verifies(header, received?.body ?? "", "wbhsec_old")).toBe(true);
    expect(verifies(header, received?.body ?? "", "wbhsec_other")).toBe(false);
    expect(JSON.parse(received?.body ?? "{}").data.attributes.name).toBe("inquiry.declined");
  });

  it("gives up after the initial attempt and 7 retries", async () => {
    const receiver = await startReceiver(Array.from({ length: 10 }, () => 503));
    closers.push(receiver.close);
    sim.setWebhook(receiver.url, "wbhsec_current");
    const { json } = await api("POST", "/inquiries", { body: createBody("usr_exhaust") });
    const delivery = sim.emit(json.data.id, "inquiry.completed", { eventId: "evt_fixed" });
    expect(await delivery.done).toBe("exhausted");
    expect(delivery.attempts).toHaveLength(8);
    expect(receiver.received.at(-1)?.headers["persona-webhook-attempts-left"]).toBe("0");
  });
});
