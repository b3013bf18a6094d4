// POST /verify, POST / (v1) and POST /v2: Mozilla's Remote Verification API over our BrowserID verifier.
// Routes only parse, call the verifier (and the idv lookup), and shape the answer; nothing is logged per request.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AssertionVerifier, VerifyInput } from "../assertions/types.js";
import type { IdvLookup } from "../domain/assertion-idv.js";
import type { Metrics } from "../lib/metrics.js";
import type { RateLimiter } from "../lib/rate-limit.js";
import { readLimitedBody } from "./raw-body.js";
import {
  failureJson,
  MAX_TRUSTED_ISSUERS,
  okayJson,
  verifyV1Request,
  verifyV2Request,
} from "./verify-schemas.js";

export interface VerifyRouteDeps {
  verifier: AssertionVerifier;
  /** Present when VERIFY_IDV_STATUS is on. */
  idv: IdvLookup | undefined;
  rateLimiter: RateLimiter;
  bodyLimit: number;
  metrics: Metrics;
}

export const VERIFY_V1_PATHS = ["/verify", "/"] as const;
export const VERIFY_V2_PATH = "/v2";

// Mozilla's verifier sent these on every answer; verification results must never be cached by anything.
const HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "private, no-cache, no-store, must-revalidate, max-age=0",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
};

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

/** A request the API refuses before verifying anything (400/413/415/429), with Mozilla's reason text. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

type Params = Record<string, unknown>;

function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const semicolon = header.indexOf(";");
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

function formParams(raw: string): Params {
  const params: Params = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const seen = params[key];
    // A repeated parameter becomes a list, which the schema then refuses: no silent first-or-last choice.
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

function jsonParams(raw: Buffer): Params {
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new RequestError(400, "invalid JSON body");
  }
  if (typeof parsed !== "object" || parsed === null) throw new RequestError(400, "invalid JSON body");
  return Array.isArray(parsed) ? {} : (parsed as Params);
}

/** Mozilla's `if (!value)`: absent, null, empty string, 0 and false all count as missing. */
const missing = (value: unknown) =>
  value === undefined || value === null || value === "" || value === 0 || value === false;

function requireParams(params: Params, unsupported: () => RequestError | undefined) {
  if (missing(params.assertion)) throw unsupported() ?? new RequestError(400, "missing assertion parameter");
  if (missing(params.audience)) throw unsupported() ?? new RequestError(400, "missing audience parameter");
}

const EMPTY: Params = {};
const V1_KEYS = ["assertion", "audience", "experimental_forceIssuer"] as const;

/** v1: query string first (a POST with only a query string and any body type works, as it did), then the body. */
function v1Input(contentType: string | undefined, raw: Buffer, query: Params): VerifyInput | string {
  const type = mediaType(contentType);
  const body =
    type === JSON_TYPE ? jsonParams(raw) : type === FORM ? formParams(raw.toString("utf8")) : EMPTY;
  const params: Params = {};
  for (const key of V1_KEYS) {
    const value = missing(query[key]) ? body[key] : query[key];
    if (value !== undefined) params[key] = value;
  }
  requireParams(params, () =>
    type === JSON_TYPE || type === FORM
      ? undefined
      : new RequestError(
          415,
          `Unsupported Content-Type: ${type || "none"} (expected application/x-www-form-urlencoded or application/json)`,
        ),
  );
  const { assertion, audience, experimental_forceIssuer: force } = params;
  // What verifyV1Request accepts, checked without a zod result per request; zod still names what is wrong.
  if (
    typeof assertion === "string" &&
    typeof audience === "string" &&
    (force === undefined || (typeof force === "string" && force.length <= 255))
  )
    return force === undefined ? { assertion, audience } : { assertion, audience, trustedIssuers: [force] };
  const parsed = verifyV1Request.safeParse(params);
  if (!parsed.success) return typeFailure(parsed.error.issues[0]?.path[0]);
  const data = parsed.data;
  return data.experimental_forceIssuer === undefined
    ? { assertion: data.assertion, audience: data.audience }
    : { assertion: data.assertion, audience: data.audience, trustedIssuers: [data.experimental_forceIssuer] };
}

const plainIssuers = (issuers: unknown[]) =>
  issuers.length <= MAX_TRUSTED_ISSUERS && issuers.every((i) => typeof i === "string" && i.length <= 255);

/** v2: JSON only, with an optional `trustedIssuers` list. */
function v2Input(header: string | undefined, raw: Buffer): VerifyInput | string {
  if (header === undefined || !header.toLowerCase().startsWith(JSON_TYPE))
    throw new RequestError(415, `Unsupported Content-Type: ${header ?? "none"} (expected application/json)`);
  const params = jsonParams(raw);
  requireParams(params, () => undefined);
  const issuers = params.trustedIssuers;
  if (issuers !== undefined && !Array.isArray(issuers))
    throw new RequestError(400, "trusted issuers must be an array");
  if (Array.isArray(issuers) && issuers.some((i) => typeof i !== "string"))
    throw new RequestError(400, "trusted issuers must be an array of strings");
  const { assertion, audience } = params;
  // What verifyV2Request accepts, checked without a zod result per request; zod still names what is wrong.
  if (typeof assertion === "string" && typeof audience === "string") {
    if (issuers === undefined) return { assertion, audience };
    if (plainIssuers(issuers)) return { assertion, audience, trustedIssuers: issuers as string[] };
  }
  const parsed = verifyV2Request.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === "trustedIssuers") throw new RequestError(400, `trusted issuers: ${issue.message}`);
    return typeFailure(issue?.path[0]);
  }
  const { trustedIssuers } = parsed.data;
  return trustedIssuers === undefined
    ? { assertion: parsed.data.assertion, audience: parsed.data.audience }
    : { assertion: parsed.data.assertion, audience: parsed.data.audience, trustedIssuers };
}

/** A parameter of the wrong type is a verification failure (200), as Mozilla answered it. */
function typeFailure(field: PropertyKey | undefined): string {
  if (field === "audience") return "audience mismatch: audience must be a string";
  if (field === "experimental_forceIssuer")
    return "untrusted issuer: experimental_forceIssuer must be a string";
  return "malformed backed assertion";
}

const OUTCOMES = ["okay", "failure", "bad_request", "rate_limited", "error"] as const;
type Outcome = (typeof OUTCOMES)[number];
type Counts = Record<Outcome, { inc(): void }>;

/** The counter's children for one route, bound once: a labels() lookup per request is measurable. */
function countsFor(metrics: Metrics, route: string): Counts {
  const counter = metrics.verifications;
  return Object.fromEntries(OUTCOMES.map((o) => [o, counter.labels({ route, outcome: o })])) as Counts;
}

type Verification = Pick<VerifyRouteDeps, "verifier" | "idv">;

/** The 200 answer's JSON for a parsed request (or a type failure): verdict, count, and the idv member if due. */
async function verdictJson(deps: Verification, input: VerifyInput | string, counts: Counts): Promise<string> {
  if (typeof input === "string") {
    counts.failure.inc();
    return failureJson(input);
  }
  const verdict = await deps.verifier.verify(input);
  if (verdict.status === "failure") {
    counts.failure.inc();
    return failureJson(verdict.reason);
  }
  counts.okay.inc();
  // The idv member rides only on issuers the server itself trusts: a caller naming an issuer (v2
  // trustedIssuers, v1 experimental_forceIssuer) could otherwise mint certificates for anyone's email.
  const idv =
    deps.idv && verdict.issuerAuthoritative && !input.trustedIssuers?.includes(verdict.issuer)
      ? await deps.idv(verdict.email)
      : undefined;
  return okayJson(verdict, idv);
}

/** Status, reason and outcome of a request refused before (or instead of) a verdict. */
function refusal(error: unknown, bodyLimit: number) {
  if (error instanceof RequestError)
    return { status: error.status, reason: error.message, outcome: "bad_request" as const, internal: false };
  const fastify = error as Partial<FastifyError>;
  const status = fastify.statusCode ?? 500;
  if (fastify.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413)
    return {
      status: 413,
      reason: `request body too large (limit ${bodyLimit} bytes)`,
      outcome: "bad_request" as const,
      internal: false,
    };
  if (status < 500)
    return { status, reason: "bad request", outcome: "bad_request" as const, internal: false };
  // A verifier that throws broke its contract; Mozilla answered 503 when its workers died.
  return { status: 503, reason: "service unavailable", outcome: "error" as const, internal: true };
}

function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : EMPTY_BODY;
}
const EMPTY_BODY = Buffer.alloc(0);

export async function registerVerify(app: FastifyInstance, deps: VerifyRouteDeps) {
  async function answer(reply: FastifyReply, input: VerifyInput | string, counts: Counts) {
    return reply
      .status(200)
      .headers(HEADERS)
      .send(await verdictJson(deps, input, counts));
  }

  await app.register(async (scope) => {
    // The body is read raw (any content type, capped) and parsed by the route, which owns the 400/415 rules.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: deps.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((error: FastifyError | RequestError, request, reply) => {
      const { status, reason, outcome, internal } = refusal(error, deps.bodyLimit);
      if (internal)
        request.log.error({ err: error, reqId: request.id, url: request.url }, "verification failed");
      deps.metrics.verifications.inc({ route: request.routeOptions.url ?? "", outcome });
      return reply.status(status).headers(HEADERS).send(failureJson(reason));
    });

    // No hook at all when off (the benchmark's setting): nothing per request.
    if (deps.rateLimiter.enabled)
      scope.addHook("onRequest", async (request, reply) => {
        const decision = deps.rateLimiter.take(request.ip);
        if (decision.allowed) return;
        deps.metrics.verifications.inc({ route: request.routeOptions.url ?? "", outcome: "rate_limited" });
        return reply
          .status(429)
          .headers(HEADERS)
          .header("retry-after", String(decision.retryAfterSeconds))
          .send(failureJson("too many requests"));
      });

    for (const path of VERIFY_V1_PATHS) {
      const counts = countsFor(deps.metrics, path);
      scope.post(path, { bodyLimit: deps.bodyLimit }, (request, reply) =>
        answer(
          reply,
          v1Input(request.headers["content-type"], bodyOf(request), (request.query ?? EMPTY) as Params),
          counts,
        ),
      );
    }
    const v2Counts = countsFor(deps.metrics, VERIFY_V2_PATH);
    scope.post(VERIFY_V2_PATH, { bodyLimit: deps.bodyLimit }, (request, reply) =>
      answer(reply, v2Input(request.headers["content-type"], bodyOf(request)), v2Counts),
    );
    // Mozilla answered 405 to GET on its verification routes; so do we, for every method but POST.
    for (const path of [...VERIFY_V1_PATHS, VERIFY_V2_PATH]) {
      scope.route({
        method: ["GET", "PUT", "DELETE", "PATCH"],
        url: path,
        handler: (_request, reply) =>
          reply.status(405).headers(HEADERS).header("allow", "POST").send(failureJson("method not allowed")),
      });
    }
  });
}

export interface VerifyFastPathDeps extends VerifyRouteDeps {
  /** request.ip is the socket address only without trusted proxies; with them, Fastify works it out. */
  trustProxy: boolean;
  /** True once the server is closing: Fastify then answers 503 (return503OnClosing). */
  closing(): boolean;
  logError(error: unknown, url: string): void;
}

const HEADER_PAIRS = Object.entries(HEADERS).flat();

/**
 * POST /verify, / and /v2 with a JSON body and no query string, served from node:http ahead of Fastify, as
 * the login gate is: the same parsing, verdicts, error bodies, headers, counters and rate limit as the Fastify
 * routes above, without Fastify's per-request machinery (bench/README.md, issue 5). Anything else (other
 * methods and types, a query string, trusted proxies, a closing server) returns false and goes to Fastify.
 */
export function createVerifyFastPath(deps: VerifyFastPathDeps) {
  const routes = new Map<string, { v2: boolean; counts: Counts }>([
    ...VERIFY_V1_PATHS.map((path) => [path, { v2: false, counts: countsFor(deps.metrics, path) }] as const),
    [VERIFY_V2_PATH, { v2: true, counts: countsFor(deps.metrics, VERIFY_V2_PATH) }],
  ]);

  function send(res: ServerResponse, status: number, body: string, extra?: readonly string[]) {
    const headers = [...HEADER_PAIRS, "content-length", String(Buffer.byteLength(body))];
    if (extra) headers.push(...extra);
    res.writeHead(status, headers);
    res.end(body);
  }
  function refuse(req: IncomingMessage, res: ServerResponse, counts: Counts, error: unknown) {
    req.resume(); // discard whatever is left of the body
    const { status, reason, outcome, internal } = refusal(error, deps.bodyLimit);
    if (internal) deps.logError(error, req.url ?? "");
    counts[outcome].inc();
    send(res, status, failureJson(reason));
  }
  function respond(
    req: IncomingMessage,
    res: ServerResponse,
    route: { v2: boolean; counts: Counts },
    raw: Buffer,
  ) {
    const type = req.headers["content-type"];
    const input = route.v2 ? v2Input(type, raw) : v1Input(type, raw, EMPTY);
    verdictJson(deps, input, route.counts).then(
      (json) => send(res, 200, json),
      (error: unknown) => refuse(req, res, route.counts, error),
    );
  }

  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== "POST" || deps.trustProxy || deps.closing()) return false;
    const route = routes.get(req.url ?? "");
    if (route === undefined || mediaType(req.headers["content-type"]) !== JSON_TYPE) return false;
    const { counts } = route;
    if (deps.rateLimiter.enabled) {
      const decision = deps.rateLimiter.take(req.socket.remoteAddress ?? "");
      if (!decision.allowed) {
        req.resume();
        counts.rate_limited.inc();
        send(res, 429, failureJson("too many requests"), ["retry-after", String(decision.retryAfterSeconds)]);
        return true;
      }
    }
    if (Number(req.headers["content-length"] ?? 0) > deps.bodyLimit) {
      refuse(
        req,
        res,
        counts,
        new RequestError(413, `request body too large (limit ${deps.bodyLimit} bytes)`),
      );
      return true;
    }
    readLimitedBody(req, deps.bodyLimit, {
      onTooLarge: () =>
        refuse(
          req,
          res,
          counts,
          new RequestError(413, `request body too large (limit ${deps.bodyLimit} bytes)`),
        ),
      onBody: (body) => {
        try {
          respond(req, res, route, body);
        } catch (error) {
          refuse(req, res, counts, error);
        }
      },
    });
    return true;
  };
}
