// POST /verify, POST / (v1) and POST /v2: Mozilla's Remote Verification API over our BrowserID verifier.
// Routes only parse, call the verifier (and the idv lookup), and shape the answer; nothing is logged per request.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AssertionVerifier, VerifyInput } from "../assertions/types.js";
import type { IdvLookup } from "../domain/assertion-idv.js";
import type { Metrics } from "../lib/metrics.js";
import type { RateLimiter } from "../lib/rate-limit.js";
import { failureJson, okayJson, verifyV1Request, verifyV2Request } from "./verify-schemas.js";

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

function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

/** Mozilla's `if (!value)`: absent, null, empty string, 0 and false all count as missing. */
const missing = (value: unknown) =>
  value === undefined || value === null || value === "" || value === 0 || value === false;

function requireParams(params: Params, unsupported: () => RequestError | undefined) {
  if (missing(params.assertion)) throw unsupported() ?? new RequestError(400, "missing assertion parameter");
  if (missing(params.audience)) throw unsupported() ?? new RequestError(400, "missing audience parameter");
}

/** v1: query string first (a POST with only a query string and any body type works, as it did), then the body. */
function v1Input(request: FastifyRequest): VerifyInput | string {
  const type = mediaType(request.headers["content-type"]);
  const body =
    type === JSON_TYPE
      ? jsonParams(bodyOf(request))
      : type === FORM
        ? formParams(bodyOf(request).toString("utf8"))
        : {};
  const query = (request.query ?? {}) as Params;
  const params: Params = {};
  for (const key of ["assertion", "audience", "experimental_forceIssuer"] as const) {
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
  const parsed = verifyV1Request.safeParse(params);
  if (!parsed.success) return typeFailure(parsed.error.issues[0]?.path[0]);
  const { assertion, audience, experimental_forceIssuer: force } = parsed.data;
  return force === undefined ? { assertion, audience } : { assertion, audience, trustedIssuers: [force] };
}

/** v2: JSON only, with an optional `trustedIssuers` list. */
function v2Input(request: FastifyRequest): VerifyInput | string {
  const header = request.headers["content-type"];
  if (header === undefined || !header.toLowerCase().startsWith(JSON_TYPE))
    throw new RequestError(415, `Unsupported Content-Type: ${header ?? "none"} (expected application/json)`);
  const params = jsonParams(bodyOf(request));
  requireParams(params, () => undefined);
  const issuers = params.trustedIssuers;
  if (issuers !== undefined && !Array.isArray(issuers))
    throw new RequestError(400, "trusted issuers must be an array");
  if (Array.isArray(issuers) && issuers.some((i) => typeof i !== "string"))
    throw new RequestError(400, "trusted issuers must be an array of strings");
  const parsed = verifyV2Request.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === "trustedIssuers") throw new RequestError(400, `trusted issuers: ${issue.message}`);
    return typeFailure(issue?.path[0]);
  }
  const { assertion, audience, trustedIssuers } = parsed.data;
  return trustedIssuers === undefined ? { assertion, audience } : { assertion, audience, trustedIssuers };
}

/** A parameter of the wrong type is a verification failure (200), as Mozilla answered it. */
function typeFailure(field: PropertyKey | undefined): string {
  if (field === "audience") return "audience mismatch: audience must be a string";
  if (field === "experimental_forceIssuer")
    return "untrusted issuer: experimental_forceIssuer must be a string";
  return "malformed backed assertion";
}

export async function registerVerify(app: FastifyInstance, deps: VerifyRouteDeps) {
  const outcome = (route: string) => {
    const counter = deps.metrics.verifications;
    const labels = ["okay", "failure", "bad_request", "rate_limited", "error"] as const;
    return Object.fromEntries(labels.map((o) => [o, counter.labels({ route, outcome: o })])) as Record<
      (typeof labels)[number],
      ReturnType<typeof counter.labels>
    >;
  };

  async function answer(
    reply: FastifyReply,
    input: VerifyInput | string,
    counts: ReturnType<typeof outcome>,
  ) {
    if (typeof input === "string") {
      counts.failure.inc();
      return reply.status(200).headers(HEADERS).send(failureJson(input));
    }
    const verdict = await deps.verifier.verify(input);
    if (verdict.status === "failure") {
      counts.failure.inc();
      return reply.status(200).headers(HEADERS).send(failureJson(verdict.reason));
    }
    counts.okay.inc();
    // The idv member rides only on issuers the server itself trusts: a caller naming an issuer (v2
    // trustedIssuers, v1 experimental_forceIssuer) could otherwise mint certificates for anyone's email.
    const idv =
      deps.idv && verdict.issuerAuthoritative && !input.trustedIssuers?.includes(verdict.issuer)
        ? await deps.idv(verdict.email)
        : undefined;
    return reply.status(200).headers(HEADERS).send(okayJson(verdict, idv));
  }

  await app.register(async (scope) => {
    // The body is read raw (any content type, capped) and parsed by the route, which owns the 400/415 rules.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: deps.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((error: FastifyError | RequestError, request, reply) => {
      let status = error instanceof RequestError ? error.status : (error.statusCode ?? 500);
      let reason = error.message;
      if (!(error instanceof RequestError)) {
        if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || status === 413) {
          status = 413;
          reason = `request body too large (limit ${deps.bodyLimit} bytes)`;
        } else if (status < 500) {
          reason = "bad request";
        } else {
          // A verifier that throws broke its contract; Mozilla answered 503 when its workers died.
          request.log.error({ err: error, reqId: request.id, url: request.url }, "verification failed");
          status = 503;
          reason = "service unavailable";
        }
      }
      deps.metrics.verifications.inc({
        route: request.routeOptions.url ?? "",
        outcome: status === 503 ? "error" : "bad_request",
      });
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
      const counts = outcome(path);
      scope.post(path, { bodyLimit: deps.bodyLimit }, (request, reply) =>
        answer(reply, v1Input(request), counts),
      );
    }
    const v2Counts = outcome(VERIFY_V2_PATH);
    scope.post(VERIFY_V2_PATH, { bodyLimit: deps.bodyLimit }, (request, reply) =>
      answer(reply, v2Input(request), v2Counts),
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
