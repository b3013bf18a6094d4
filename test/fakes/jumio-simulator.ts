// Jumio (KYX) OAuth, account and retrieval APIs plus callback sender on real HTTP (127.0.0.1, port 0), for tests.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import { createTokenIssuer } from "./jumio-auth.js";
import {
  type CallbackDelivery,
  createCallbackSender,
  proxySignature,
  type SigningProxy,
} from "./jumio-callbacks.js";
import {
  accountAnswer,
  applyStatus,
  callbackDocument,
  type DecisionType,
  detailsDocument,
  newExecution,
  parseAccountRequest,
  type SimAccount,
  type SimExecution,
  statusDocument,
  type WorkflowStatus,
} from "./jumio-workflow.js";
import { readBody } from "./persona-http.js";

export type { CallbackDelivery, SigningProxy } from "./jumio-callbacks.js";
export type { DecisionType, SimAccount, SimExecution, WorkflowStatus } from "./jumio-workflow.js";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface JumioSimulatorOptions {
  clientId: string;
  clientSecret: string;
  /** `expires_in` of issued tokens (Jumio: 3600). */
  tokenLifetimeSeconds?: number;
  now?: () => number;
  /** Callback retry waits; Jumio documents none, default [50, 100, 200] ms (a simulator choice). */
  retryScheduleMs?: number[];
  /** Answer 404 for details until an execution is PROCESSED (Jumio does not say whether it does). */
  detailsOnlyWhenProcessed?: boolean;
}

export interface JumioSimulator {
  /** `http://127.0.0.1:PORT/oauth2/token` */
  authUrl: string;
  /** Account API: `http://127.0.0.1:PORT/account/api/v1` */
  apiBaseUrl: string;
  /** Retrieval API: `http://127.0.0.1:PORT/retrieval/api/v1` (the account API refuses retrieval paths). */
  retrievalBaseUrl: string;
  accounts: Map<string, SimAccount>;
  /** By workflow execution id. */
  executions: Map<string, SimExecution>;
  requests: RecordedRequest[];
  /** Requests that broke Jumio's documented rules (also answered 400/403) and simulator crashes. */
  specViolations: string[];
  deliveries: CallbackDelivery[];
  /** Access tokens issued so far. */
  readonly tokensIssued: number;
  /** Answer 404 for details until an execution is PROCESSED (see the option); switchable at any time. */
  detailsOnlyWhenProcessed: boolean;
  /** Sends callbacks for registered URLs to this origin instead (the gateway under test), path and query kept. */
  routeCallbacks(origin: string): void;
  /** Puts a signing proxy between Jumio and the gateway (undefined: callbacks go out unsigned, as Jumio sends them). */
  setSigningProxy(proxy: SigningProxy | undefined): void;
  /** `sessionId` is `accountId/workflowExecutionId` (or the execution id). Timestamps move strictly forward. */
  setStatus(
    sessionId: string,
    status: WorkflowStatus,
    decision?: DecisionType,
    opts?: { emit?: boolean; label?: string },
  ): CallbackDelivery | undefined;
  /** The callback body for the execution's current state, with a fresh (strictly later) callbackSentAt. */
  callbackBody(sessionId: string): string;
  /** Delivers a callback about the execution's current state to its registered callbackUrl. */
  emit(sessionId: string): CallbackDelivery;
  /** The next `n` requests (token, account or retrieval) fail with `status`, in front of auth. */
  failNext(n: number, status: number, opts?: { retryAfterSeconds?: number }): void;
  /** Forgets every issued access token: the next API call with one gets 401. */
  revokeTokens(): void;
  close(): Promise<void>;
}

/** What Node's fetch sends when the caller sets nothing: Jumio refuses such generic agents (403). */
const GENERIC_AGENT = /^(node|undici|node-fetch(\/.*)?)$/i;

export async function startJumioSimulator(opts: JumioSimulatorOptions): Promise<JumioSimulator> {
  const now = opts.now ?? Date.now;
  const accounts = new Map<string, SimAccount>();
  const executions = new Map<string, SimExecution>();
  const issuer = createTokenIssuer(opts, opts.tokenLifetimeSeconds ?? 3600, now);
  const requests: RecordedRequest[] = [];
  const specViolations: string[] = [];
  let callbackOrigin: string | undefined;
  let proxy: SigningProxy | undefined;
  let failures = { remaining: 0, status: 500, retryAfterSeconds: undefined as number | undefined };
  let lastStamp = 0;
  const stamp = () => {
    lastStamp = Math.max(now(), lastStamp + 1);
    return lastStamp;
  };
  const sender = createCallbackSender({
    now,
    retryScheduleMs: opts.retryScheduleMs ?? [50, 100, 200],
    timeoutMs: 5000,
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      specViolations.push(`simulator error on ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) problem(res, 500);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accountBase = `${origin}/account/api/v1`;
  const retrievalBase = `${origin}/retrieval/api/v1`;

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  }
  /** Jumio's error shape, as on its 429 (`{title, status, detail}`). */
  function problem(res: ServerResponse, status: number, detail?: string, headers?: Record<string, string>) {
    send(
      res,
      status,
      { title: STATUS_CODES[status] ?? "Error", status, ...(detail ? { detail } : {}) },
      headers,
    );
  }
  function violation(res: ServerResponse, status: number, where: string, detail: string) {
    specViolations.push(`${where}: ${detail}`);
    problem(res, status, detail);
  }

  function findExecution(sessionId: string): SimExecution {
    const executionId = sessionId.includes("/") ? sessionId.slice(sessionId.indexOf("/") + 1) : sessionId;
    const execution = executions.get(executionId);
    if (!execution) throw new Error(`jumio simulator: no workflow execution ${sessionId}`);
    return execution;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { raw, body, jsonError } = await readBody(req);
    const url = new URL(req.url ?? "/", origin);
    const method = req.method ?? "GET";
    const where = `${method} ${url.pathname}`;
    requests.push({ method, path: url.pathname, headers: req.headers, body });

    if (method === "GET" && url.pathname === "/web/v4/app") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return void res.end("<!doctype html><title>Jumio simulator</title><p>web client</p>");
    }
    if (failures.remaining > 0) {
      failures.remaining--;
      const retry = failures.retryAfterSeconds;
      const detail = failures.status === 429 ? "Request limit exceeded" : undefined;
      return problem(
        res,
        failures.status,
        detail,
        retry === undefined ? {} : { "retry-after": String(retry) },
      );
    }
    const agent = req.headers["user-agent"];
    if (!agent || GENERIC_AGENT.test(agent.trim())) {
      return violation(res, 403, where, "a meaningful User-Agent is required (Company App/version)");
    }
    if (url.pathname === "/oauth2/token") {
      if (method !== "POST") return problem(res, 405);
      const answer = issuer.answer(req.headers, raw);
      if (answer.violation) specViolations.push(`${where}: ${answer.violation}`);
      return send(res, answer.status, answer.body);
    }
    if (!issuer.authorizes(req.headers.authorization))
      return problem(res, 401, "invalid or expired access token");

    const accountPath = url.pathname.startsWith("/account/api/v1/") ? url.pathname.slice(15) : undefined;
    const retrievalPath = url.pathname.startsWith("/retrieval/api/v1/") ? url.pathname.slice(17) : undefined;
    if (accountPath !== undefined) {
      if (jsonError) return violation(res, 400, where, "the body is not valid JSON");
      if (!String(req.headers["content-type"]).startsWith("application/json"))
        return violation(res, 400, where, "Content-Type must be application/json");
      return accountsApi(res, method, accountPath, body, where);
    }
    if (retrievalPath !== undefined && method === "GET") return retrievalApi(res, retrievalPath);
    return problem(res, 404, `no route ${where}`);
  }

  function accountsApi(res: ServerResponse, method: string, path: string, body: unknown, where: string) {
    const update = /^\/accounts\/([^/]+)$/.exec(path);
    if (!(method === "POST" && path === "/accounts") && !(method === "PUT" && update)) {
      return problem(res, 404, `no route ${where}`);
    }
    const request = parseAccountRequest(body);
    if (typeof request === "string") return violation(res, 400, where, request);
    let account: SimAccount | undefined;
    if (update?.[1]) {
      account = accounts.get(update[1]);
      if (!account) return problem(res, 404, "account not found");
    } else {
      account = {
        id: randomUUID(),
        customerInternalReference: request.customerInternalReference,
        executions: [],
      };
      accounts.set(account.id, account);
    }
    const created = stamp();
    const execution = newExecution(account, request, created);
    executions.set(execution.id, execution);
    send(res, 200, accountAnswer(origin, execution, created));
  }

  function retrievalApi(res: ServerResponse, path: string) {
    const match = /^\/accounts\/([^/]+)\/workflow-executions\/([^/]+)(\/status)?$/.exec(path);
    const execution = match?.[2] ? executions.get(match[2]) : undefined;
    if (!match || !execution || execution.accountId !== match[1]) return problem(res, 404, "not found");
    if (match[3]) return send(res, 200, statusDocument(retrievalBase, execution));
    if (sim.detailsOnlyWhenProcessed && execution.status !== "PROCESSED")
      return problem(res, 404, "workflow execution not processed yet");
    send(res, 200, detailsDocument(execution));
  }

  const sim: JumioSimulator = {
    authUrl: `${origin}/oauth2/token`,
    apiBaseUrl: accountBase,
    retrievalBaseUrl: retrievalBase,
    accounts,
    executions,
    requests,
    specViolations,
    deliveries: sender.deliveries,
    get tokensIssued() {
      return issuer.issued;
    },
    detailsOnlyWhenProcessed: opts.detailsOnlyWhenProcessed ?? false,
    routeCallbacks(target) {
      callbackOrigin = target.replace(/\/+$/, "");
    },
    setSigningProxy(next) {
      proxy = next;
    },
    setStatus(sessionId, status, decision, statusOpts) {
      const execution = findExecution(sessionId);
      applyStatus(execution, status, decision, stamp(), statusOpts?.label);
      return (statusOpts?.emit ?? true) ? sim.emit(sessionId) : undefined;
    },
    callbackBody(sessionId) {
      return JSON.stringify(callbackDocument(retrievalBase, findExecution(sessionId), stamp()));
    },
    emit(sessionId) {
      const execution = findExecution(sessionId);
      if (!execution.callbackUrl) throw new Error("jumio simulator: the execution has no callbackUrl");
      const registered = new URL(execution.callbackUrl);
      const url = callbackOrigin
        ? `${callbackOrigin}${registered.pathname}${registered.search}`
        : registered.href;
      const body = sim.callbackBody(sessionId);
      const headers = {
        "content-type": "application/json",
        "user-agent": "Jumio Callback",
        ...(proxy ? proxySignature(proxy, body) : {}),
      };
      return sender.send({
        sessionId: `${execution.accountId}/${execution.id}`,
        status: execution.status,
        url,
        body,
        headers,
      });
    },
    failNext(n, status, failOpts) {
      failures = { remaining: n, status, retryAfterSeconds: failOpts?.retryAfterSeconds };
    },
    revokeTokens() {
      issuer.revokeAll();
    },
    async close() {
      await sender.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sim;
}
