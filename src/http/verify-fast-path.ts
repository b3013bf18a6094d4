// POST /verify, / and /v2 with a JSON body, answered from node:http ahead of Fastify (as the login gate is).
import type { IncomingMessage, ServerResponse } from "node:http";
import { readLimitedBody } from "./raw-body.js";
import {
  type Counts,
  countsFor,
  HEADERS,
  refusal,
  VERIFY_V1_PATHS,
  VERIFY_V2_PATH,
  type VerifyRouteDeps,
  verdictJson,
} from "./verify-answer.js";
import { EMPTY, JSON_TYPE, mediaType, RequestError, v1Input, v2Input } from "./verify-input.js";
import { failureJson } from "./verify-schemas.js";

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
  const tooLarge = () => new RequestError(413, `request body too large (limit ${deps.bodyLimit} bytes)`);
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
      refuse(req, res, counts, tooLarge());
      return true;
    }
    readLimitedBody(req, deps.bodyLimit, {
      onTooLarge: () => refuse(req, res, counts, tooLarge()),
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
