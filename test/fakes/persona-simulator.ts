// Persona API + webhook sender on real HTTP (127.0.0.1, port 0) for the gateway's e2e tests and benchmarks.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { type ApiResponse, type ApiState, apiError, handleApi, revokeLinks } from "./persona-api.js";
import { createResponder, hostedPage, readBody } from "./persona-http.js";
import { createIdempotencyStore, requestFingerprint } from "./persona-idempotency.js";
import { personaId } from "./persona-ids.js";
import {
  applyStatus,
  type InquiryStatus,
  inquiryResource,
  type SimInquiry,
  STATUS_EVENTS,
} from "./persona-inquiry.js";
import {
  createInquiryRequest,
  decisionRequest,
  errorDocument,
  inquiryDocument,
  inquiryList,
  inquiryResource as inquiryResourceSchema,
  specProblems,
} from "./persona-spec-schemas.js";
import { createWebhookSender, type Delivery, signPersona, type WebhookTarget } from "./persona-webhooks.js";

export type { InquiryStatus, SimInquiry } from "./persona-inquiry.js";
export type { Delivery } from "./persona-webhooks.js";

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string including "?", or "". */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
}

export interface EventOptions {
  createdAt?: string;
  eventId?: string;
}

export interface PersonaSimulator {
  /** `http://127.0.0.1:PORT/api/v1` */
  baseUrl: string;
  inquiries: Map<string, SimInquiry>;
  /** Every request received, API and hosted pages, in arrival order. */
  requests: RecordedRequest[];
  /** Spec problems in requests received and bodies sent (and simulator crashes); tests expect it empty. */
  specViolations: string[];
  /** Every webhook delivery started, in order. */
  deliveries: Delivery[];
  /** Secrets of the configured webhook (generated when only a URL was given); [] without a webhook. */
  readonly webhookSecrets: string[];
  setWebhook(url: string, secrets: string | string[]): void;
  setStatus(inquiryId: string, status: InquiryStatus, opts?: { emit?: boolean }): Delivery | undefined;
  emit(inquiryId: string, eventName: string, opts?: EventOptions): Delivery;
  buildEvent(inquiryId: string, eventName: string, opts?: EventOptions): { eventId: string; body: string };
  sign(body: string, t?: number, secrets?: string[]): string;
  /**
   * The next `n` API requests fail with `status`. By default the failure happens in front of auth and
   * the idempotency layer (a proxy or rate limiter), so it is not stored under an Idempotency-Key;
   * `stored: true` fails inside the application instead, and Persona replays stored failures.
   */
  failNext(n: number, status: number, opts?: { retryAfterSeconds?: number; stored?: boolean }): void;
  /** Delay before every API request is handled (after auth and the idempotency check). */
  setLatency(ms: number): void;
  /** Expires every created/pending inquiry whose expires-at has passed (sending inquiry.expired). */
  expireDue(): Delivery[];
  close(): Promise<void>;
}

export interface PersonaSimulatorOptions {
  apiKey: string;
  webhookUrl?: string;
  webhookSecrets?: string[];
  /** Waits before each retry; default [30, 60, 120, 240, 480, 960, 1920] ms (Persona: 3 s … 117649 s). */
  retryScheduleMs?: number[];
  /** Per-attempt webhook timeout; default 5000 ms as Persona. */
  webhookTimeoutMs?: number;
  now?: () => number;
  /** Keep every request in `requests` (default true); benchmarks turn it off to keep memory flat. */
  recordRequests?: boolean;
  /** Responses and webhooks are kebab-case, Persona's default; camel and snake are not simulated. */
  inflection?: "kebab";
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RESPONSE_SCHEMAS = { inquiry: inquiryDocument, list: inquiryList, error: errorDocument } as const;

export async function startPersonaSimulator(opts: PersonaSimulatorOptions): Promise<PersonaSimulator> {
  const now = opts.now ?? Date.now;
  const state: ApiState = { inquiries: new Map(), accountsByReference: new Map(), links: new Map() };
  const requests: RecordedRequest[] = [];
  const specViolations: string[] = [];
  const idempotency = createIdempotencyStore(now);
  const tokenKey = randomBytes(32);
  let target: WebhookTarget | undefined = opts.webhookUrl
    ? { url: opts.webhookUrl, secrets: opts.webhookSecrets ?? [`wbhsec_${randomBytes(16).toString("hex")}`] }
    : undefined;
  let latencyMs = 0;
  let failures: { remaining: number; status: number; retryAfterSeconds?: number; stored: boolean } = {
    remaining: 0,
    status: 500,
    stored: false,
  };
  const respond = createResponder(now);
  const sender = createWebhookSender({
    now,
    retryScheduleMs: opts.retryScheduleMs ?? [30, 60, 120, 240, 480, 960, 1920],
    timeoutMs: opts.webhookTimeoutMs ?? 5000,
    target: () => target,
  });

  const find = (inquiryId: string): SimInquiry => {
    const inquiry = state.inquiries.get(inquiryId);
    if (!inquiry) throw new Error(`persona simulator: no inquiry ${inquiryId}`);
    return inquiry;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      specViolations.push(`simulator error on ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) send(res, apiError(500, "Internal Server Error"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const apiDeps = {
    now,
    origin,
    tokenKey,
    changeStatus: (inquiry: SimInquiry, status: InquiryStatus) => void sim.setStatus(inquiry.id, status),
    redacted: (inquiry: SimInquiry) => void (target && sim.emit(inquiry.id, "inquiry.redacted")),
  };

  const send = (res: ServerResponse, response: ApiResponse, extra: Record<string, string> = {}) =>
    respond(res, response.status, JSON.stringify(response.body), extra);

  function injectedFailure(): { response: ApiResponse; headers: Record<string, string> } {
    failures.remaining--;
    const headers: Record<string, string> = {};
    if (failures.retryAfterSeconds !== undefined) headers["retry-after"] = String(failures.retryAfterSeconds);
    if (failures.status === 429) headers["ratelimit-remaining"] = "0";
    return { response: apiError(failures.status, STATUS_CODES[failures.status] ?? "Error"), headers };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { raw, body, jsonError } = await readBody(req);
    const url = new URL(req.url ?? "/", origin);
    const method = req.method ?? "GET";
    if (opts.recordRequests ?? true) {
      requests.push({ method, path: url.pathname, query: url.search, headers: req.headers, body });
    }

    if (!url.pathname.startsWith("/api/v1/")) return hostedPage(state, origin, now(), res, method, url);
    if (failures.remaining > 0 && !failures.stored) {
      const failure = injectedFailure();
      return send(res, failure.response, failure.headers);
    }
    if (req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return send(res, apiError(401, "Unauthorized", "a valid API key is required"));
    }
    if (jsonError) return send(res, apiError(400, "Bad Request", "the body is not valid JSON"));
    const decision = /^\/api\/v1\/inquiries\/[^/]+\/(approve|decline)$/.test(url.pathname);
    if (method === "POST" && url.pathname === "/api/v1/inquiries") {
      specViolations.push(...specProblems(createInquiryRequest, body, "request POST /inquiries"));
    } else if (method === "POST" && decision && body !== undefined) {
      specViolations.push(...specProblems(decisionRequest, body, `request POST ${url.pathname}`));
    }

    const key = req.headers["idempotency-key"];
    const stored =
      method === "POST" && typeof key === "string"
        ? idempotency.lookup(key, requestFingerprint(method, url.pathname, body, raw))
        : undefined;
    if (stored?.kind === "replay") return respond(res, stored.status, stored.body);
    if (stored?.kind === "mismatch") {
      return send(
        res,
        apiError(422, "Unprocessable Entity", "Idempotency-Key was used with other parameters"),
      );
    }
    if (stored?.kind === "in-flight") {
      return send(res, apiError(409, "Conflict", "a request with this Idempotency-Key is in progress"));
    }
    if (latencyMs > 0) await sleep(latencyMs);

    let response: ApiResponse;
    let headers: Record<string, string> = {};
    try {
      if (failures.remaining > 0 && failures.stored) ({ response, headers } = injectedFailure());
      else
        response = handleApi(state, apiDeps, {
          method,
          pathname: url.pathname,
          query: url.searchParams,
          body,
        });
    } catch (error) {
      stored?.forget(); // a simulator bug must not leave the key "in progress" forever
      throw error;
    }
    const where = `response ${method} ${url.pathname} ${response.status}`;
    specViolations.push(...specProblems(RESPONSE_SCHEMAS[response.kind], response.body, where));
    const text = JSON.stringify(response.body);
    stored?.finish(response.status, text);
    respond(res, response.status, text, headers);
  }

  const sim: PersonaSimulator = {
    baseUrl: `${origin}/api/v1`,
    inquiries: state.inquiries,
    requests,
    specViolations,
    deliveries: sender.deliveries,
    get webhookSecrets() {
      return target ? [...target.secrets] : [];
    },
    setWebhook(url, secrets) {
      target = { url, secrets: typeof secrets === "string" ? [secrets] : [...secrets] };
    },
    setStatus(inquiryId, status, statusOpts) {
      const inquiry = find(inquiryId);
      applyStatus(inquiry, status, now());
      if (status === "expired") revokeLinks(state, inquiryId);
      return (statusOpts?.emit ?? true) && target ? sim.emit(inquiryId, STATUS_EVENTS[status]) : undefined;
    },
    buildEvent(inquiryId, eventName, eventOpts) {
      const data = inquiryResource(find(inquiryId));
      specViolations.push(...specProblems(inquiryResourceSchema, data, `webhook ${eventName} payload.data`));
      const eventId = eventOpts?.eventId ?? personaId("evt");
      const createdAt = eventOpts?.createdAt ?? new Date(now()).toISOString();
      const event = {
        data: {
          type: "event",
          id: eventId,
          attributes: { name: eventName, payload: { data, included: [] }, "created-at": createdAt },
        },
      };
      return { eventId, body: JSON.stringify(event) };
    },
    emit(inquiryId, eventName, eventOpts) {
      if (!target) throw new Error("persona simulator: no webhook configured (setWebhook first)");
      const { eventId, body } = sim.buildEvent(inquiryId, eventName, eventOpts);
      return sender.send({ eventId, eventName, inquiryId, body });
    },
    sign(body, t = Math.floor(now() / 1000), secrets = target?.secrets) {
      if (!secrets || secrets.length === 0)
        throw new Error("persona simulator: no webhook secret to sign with");
      return signPersona(body, t, secrets);
    },
    failNext(n, status, failOpts) {
      failures = {
        remaining: n,
        status,
        retryAfterSeconds: failOpts?.retryAfterSeconds,
        stored: failOpts?.stored ?? false,
      };
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    expireDue() {
      const due = [...state.inquiries.values()].filter(
        (inq) => (inq.status === "created" || inq.status === "pending") && Date.parse(inq.expiresAt) <= now(),
      );
      return due.flatMap((inq) => sim.setStatus(inq.id, "expired") ?? []);
    },
    async close() {
      await sender.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sim;
}
