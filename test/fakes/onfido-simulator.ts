// Onfido v3.6 API + webhook sender on real HTTP (127.0.0.1, port 0), every exchange checked against the official spec.
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ApiResponse, type OnfidoState, ROUTES, type Workflow } from "./onfido-api.js";
import { createOnfidoAuth } from "./onfido-auth.js";
import {
  applyStatus,
  isoSeconds,
  type RunStatus,
  renderRun,
  type SimApplicant,
  type SimWorkflowRun,
  TERMINAL,
} from "./onfido-records.js";
import { errorFor, onfidoValidator, webhookProblems } from "./onfido-spec.js";
import {
  createOnfidoWebhookSender,
  type OnfidoDelivery,
  type OnfidoWebhookTarget,
  signOnfido,
} from "./onfido-webhooks.js";
import { readBody } from "./persona-http.js";

export type { RunStatus, SimApplicant, SimWorkflowRun } from "./onfido-records.js";
export { RUN_STATUSES } from "./onfido-records.js";
export type { OnfidoDelivery } from "./onfido-webhooks.js";

export interface OnfidoRecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string including "?", or "". */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
}

export interface OnfidoSimulator {
  /** `http://127.0.0.1:PORT/v3.6` */
  baseUrl: string;
  applicants: Map<string, SimApplicant>;
  workflowRuns: Map<string, SimWorkflowRun>;
  workflows: Map<string, Workflow>;
  requests: OnfidoRecordedRequest[];
  /** Spec problems in requests received and answers and webhooks sent (and simulator crashes); tests expect it empty. */
  specViolations: string[];
  deliveries: OnfidoDelivery[];
  readonly webhookToken: string | undefined;
  setWebhook(url: string, token: string): void;
  addWorkflow(id: string, workflow?: Partial<Workflow>): void;
  /** Moves a run to `status`, `updated_at` strictly later; terminal statuses send `workflow_run.completed` by default. */
  setStatus(runId: string, status: RunStatus, opts?: { emit?: boolean }): OnfidoDelivery | undefined;
  /** The raw body of a webhook event about the run's current state. */
  buildEvent(runId: string, opts?: { action?: string }): string;
  emit(runId: string, opts?: { action?: string }): OnfidoDelivery;
  /** `X-SHA2-Signature` of a body, with the webhook's token unless another is given. */
  sign(body: string, token?: string): string;
  /**
   * The next `n` API requests (OAuth included; only those to `route`, e.g. "POST /workflow_runs", when
   * given) fail with `status` in front of auth, as a proxy or rate limiter would. With `lostAnswer` the
   * request is carried out first and only its answer is replaced (a response lost on the way back).
   */
  failNext(
    n: number,
    status: number,
    opts?: { retryAfterSeconds?: number; route?: string; lostAnswer?: boolean },
  ): void;
  /** Invalidates every OAuth access token issued so far (as a credential rotation does). */
  revokeAccessTokens(): void;
  /** Dashboard: the runs created for a Kratos identity (by customer_user_id or custom_data). */
  runsFor(identityId: string): SimWorkflowRun[];
  /** Dashboard: a reviewer decides a run that is in review. */
  review(runId: string, decision: "approved" | "declined"): OnfidoDelivery | undefined;
  close(): Promise<void>;
}

export interface OnfidoSimulatorOptions {
  /** Accepted as `Authorization: Token token=<apiToken>`. */
  apiToken?: string;
  /** Client credentials accepted at `POST /v3.6/oauth/token`. */
  oauth?: { clientId: string; clientSecret: string; expiresInSeconds?: number };
  /** Workflow id → settings; runs of unknown workflows are refused. */
  workflows?: Record<string, Partial<Workflow>>;
  webhookUrl?: string;
  webhookToken?: string;
  /** Waits before each retry; default [30, 60, 120, 240] ms. */
  retryScheduleMs?: number[];
  /** Per-attempt webhook timeout; default 10 000 ms (Onfido: "a 20x within 10 seconds"). */
  webhookTimeoutMs?: number;
  now?: () => number;
  /** Keep every request in `requests` (default true). */
  recordRequests?: boolean;
}

export async function startOnfidoSimulator(opts: OnfidoSimulatorOptions): Promise<OnfidoSimulator> {
  const now = opts.now ?? Date.now;
  const validator = onfidoValidator();
  const state: OnfidoState = { applicants: new Map(), workflowRuns: new Map(), workflows: new Map() };
  for (const [id, workflow] of Object.entries(opts.workflows ?? {}))
    state.workflows.set(id, { hostedLink: true, ...workflow });
  const requests: OnfidoRecordedRequest[] = [];
  const specViolations: string[] = [];
  const auth = createOnfidoAuth(opts, now);
  const tokenKey = randomBytes(32);
  let target: OnfidoWebhookTarget | undefined = opts.webhookUrl
    ? { url: opts.webhookUrl, token: opts.webhookToken ?? randomBytes(16).toString("hex") }
    : undefined;
  let failures: {
    remaining: number;
    status: number;
    retryAfterSeconds?: number | undefined;
    route?: string | undefined;
    lostAnswer?: boolean | undefined;
  } = { remaining: 0, status: 500 };
  const sender = createOnfidoWebhookSender({
    now,
    retryScheduleMs: opts.retryScheduleMs ?? [30, 60, 120, 240],
    timeoutMs: opts.webhookTimeoutMs ?? 10_000,
    target: () => target,
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      specViolations.push(`simulator error on ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) send(res, { status: 500, body: errorFor(500) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Status changes may stamp a run a little ahead of the wall clock (they are strictly later each time);
  // new records are never dated before them, as a real server's clock never goes back.
  let lastStampMs = 0;
  const deps = { now: () => Math.max(now(), lastStampMs), origin, tokenKey };

  function send(res: ServerResponse, response: ApiResponse, headers: Record<string, string> = {}) {
    const text = response.body === undefined ? undefined : JSON.stringify(response.body);
    const type = text === undefined ? {} : { "content-type": "application/json; charset=utf-8" };
    res.writeHead(response.status, { ...type, "x-request-id": randomUUID(), ...headers });
    res.end(text);
  }

  function hostedLink(res: ServerResponse, method: string, path: string) {
    const code = path.startsWith("/l/") ? path.slice(3) : undefined;
    const run = [...state.workflowRuns.values()].find((r) => code !== undefined && r.linkCode === code);
    res.writeHead(method === "GET" && run ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><title>Onfido simulator</title><p id="run">${run ? `${run.id} ${run.status}` : "unknown"}</p>`,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { raw, body, jsonError } = await readBody(req);
    const url = new URL(req.url ?? "/", origin);
    const method = req.method ?? "GET";
    if (opts.recordRequests ?? true)
      requests.push({ method, path: url.pathname, query: url.search, headers: req.headers, body });
    if (!url.pathname.startsWith("/v3.6/")) return hostedLink(res, method, url.pathname);
    const path = url.pathname.slice("/v3.6".length);
    const failing =
      failures.remaining > 0 && (failures.route === undefined || failures.route === `${method} ${path}`);
    if (failing) failures.remaining--;
    const failure = failing ? failures : undefined;
    const injected = () => {
      const retryAfter = failure?.retryAfterSeconds;
      const status = failure?.status ?? 500;
      send(
        res,
        { status, body: errorFor(status) },
        retryAfter === undefined ? {} : { "retry-after": String(retryAfter) },
      );
    };
    if (failure && !failure.lostAnswer) return injected();
    if (method === "POST" && path === "/oauth/token")
      return send(res, auth.issueToken(req.headers["content-type"], raw, specViolations));
    const match = validator.matchOperation(method, path);
    const route = match && ROUTES[`${method} ${match.pathTemplate}`];
    if (!match || !route) {
      specViolations.push(
        `${method} ${path} ${match ? "is not served by the simulator" : "is not in the Onfido spec"}`,
      );
      return send(res, { status: 404, body: errorFor(404) });
    }
    if (!auth.authorized(req.headers.authorization)) return send(res, { status: 401, body: errorFor(401) });
    const problems = [
      ...validator.validateParameters(method, match.pathTemplate, {
        query: url.searchParams,
        path: match.params,
        headers: req.headers,
      }),
      ...(jsonError
        ? [`${method} ${match.pathTemplate} request body: not valid JSON`]
        : validator.validateRequestBody(method, match.pathTemplate, body, req.headers["content-type"])),
    ];
    if (problems.length > 0) {
      specViolations.push(...problems);
      return send(res, { status: 422, body: { error: { ...errorFor(422).error, fields: { problems } } } });
    }
    const response = route(state, deps, { params: match.params, query: url.searchParams, body });
    const wire =
      response.body === undefined ? undefined : (JSON.parse(JSON.stringify(response.body)) as unknown);
    specViolations.push(
      ...validator.validateResponse(method, match.pathTemplate, response.status, wire, "application/json"),
    );
    if (failure) return injected();
    send(res, response);
  }

  const find = (runId: string): SimWorkflowRun => {
    const run = state.workflowRuns.get(runId);
    if (!run) throw new Error(`onfido simulator: no workflow run ${runId}`);
    return run;
  };

  const sim: OnfidoSimulator = {
    baseUrl: `${origin}/v3.6`,
    applicants: state.applicants,
    workflowRuns: state.workflowRuns,
    workflows: state.workflows,
    requests,
    specViolations,
    deliveries: sender.deliveries,
    get webhookToken() {
      return target?.token;
    },
    setWebhook(url, token) {
      target = { url, token };
    },
    addWorkflow(id, workflow = {}) {
      state.workflows.set(id, { hostedLink: true, ...workflow });
    },
    setStatus(runId, status, statusOpts) {
      const run = find(runId);
      applyStatus(run, status, now());
      lastStampMs = Math.max(lastStampMs, run.updatedAtMs);
      const emit = statusOpts?.emit ?? TERMINAL.has(status);
      return emit && target ? sim.emit(runId) : undefined;
    },
    buildEvent(runId, eventOpts) {
      const run = find(runId);
      const action = eventOpts?.action ?? "workflow_run.completed";
      // The event's resource is the run without its SDK token (reference §2.4 lists the fields).
      const { sdk_token: _token, ...resource } = renderRun(run, origin);
      const event = {
        payload: {
          resource_type: "workflow_run",
          action,
          object: {
            id: run.id,
            status: run.status,
            completed_at_iso8601: isoSeconds(run.completedAtMs ?? run.updatedAtMs),
            href: `${origin}/v3.6/workflow_runs/${run.id}`,
          },
          resource,
        },
      };
      specViolations.push(...webhookProblems(event, `webhook ${action}`));
      return JSON.stringify(event);
    },
    emit(runId, eventOpts) {
      if (!target) throw new Error("onfido simulator: no webhook configured (setWebhook first)");
      const body = sim.buildEvent(runId, eventOpts);
      return sender.send({ action: eventOpts?.action ?? "workflow_run.completed", objectId: runId, body });
    },
    sign(body, token = target?.token) {
      if (!token) throw new Error("onfido simulator: no webhook token to sign with");
      return signOnfido(body, token);
    },
    failNext(n, status, failOpts = {}) {
      failures = { remaining: n, status, ...failOpts };
    },
    revokeAccessTokens() {
      auth.revokeAll();
    },
    runsFor(identityId) {
      return [...state.workflowRuns.values()].filter(
        (run) => run.customerUserId === identityId || run.customData.kratos_identity_id === identityId,
      );
    },
    review(runId, decision) {
      const run = find(runId);
      if (run.status !== "review")
        throw new Error(`onfido simulator: run ${runId} is ${run.status}, not in review`);
      return sim.setStatus(runId, decision);
    },
    async close() {
      await sender.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sim;
}
