// POST /{provider}/callback answered from node:http ahead of Fastify (as the login gate and /verify are): raw
// bytes → signature → parse → commit to the inbox → 200, with the same answers as the Fastify route.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "../lib/errors.js";
import type { CallbackDeps } from "./callbacks.js";
import { callbackOutcomes } from "./callbacks.js";
import { toErrorReply } from "./errors.js";
import { readLimitedBody } from "./raw-body.js";

export interface CallbackFastPathDeps extends CallbackDeps {
  /** request.ip is the socket address only without trusted proxies; with them, Fastify works it out. */
  trustProxy: boolean;
  /** True once the server is closing: Fastify then answers 503 (return503OnClosing). */
  closing(): boolean;
  logError(error: unknown, url: string): void;
}

const JSON_TYPE = "application/json; charset=utf-8";
const tooLarge = () => new AppError("payload_too_large", "Request body is larger than this route accepts");

/**
 * Callbacks with a Content-Type and no query string, served without Fastify's per-request machinery
 * (bench/README.md): the signature check, parsing and inbox commit are `events.ingest`, shared with the Fastify
 * route in callbacks.ts, and so are the counters and error answers. Anything else (a query string such as
 * Jumio's `?token=`, no Content-Type, trusted proxies, a closing server) returns false and goes to Fastify.
 */
export function createCallbackFastPath(deps: CallbackFastPathDeps) {
  const routes = new Map(
    deps.providers.map((provider) => [
      `/${provider}/callback`,
      { provider, outcomes: callbackOutcomes(deps.metrics, provider) },
    ]),
  );

  function send(res: ServerResponse, status: number, body: string, retryAfter: boolean) {
    const headers: Record<string, string | number> = {
      "content-type": JSON_TYPE,
      "content-length": Buffer.byteLength(body),
    };
    if (retryAfter) headers["retry-after"] = "5";
    res.writeHead(status, headers);
    res.end(body);
  }
  function fail(req: IncomingMessage, res: ServerResponse, error: unknown) {
    req.resume(); // discard whatever is left of the body
    const { status, body } = toErrorReply(error);
    if (status >= 500) deps.logError(error, req.url ?? "");
    send(res, status, JSON.stringify(body), status === 503);
  }

  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== "POST" || deps.trustProxy || deps.closing()) return false;
    const route = routes.get(req.url ?? "");
    if (route === undefined || req.headers["content-type"] === undefined) return false;
    if (Number(req.headers["content-length"] ?? 0) > deps.bodyLimit) {
      fail(req, res, tooLarge());
      return true;
    }
    const { provider, outcomes } = route;
    readLimitedBody(req, deps.bodyLimit, {
      onTooLarge: () => fail(req, res, tooLarge()),
      onBody: (rawBody) => {
        if (rawBody.length === 0) {
          fail(req, res, new AppError("invalid_request", "Body must not be empty"));
          return;
        }
        deps.events
          .ingest(provider, {
            headers: req.headers,
            query: {},
            rawBody,
            sourceIp: req.socket.remoteAddress ?? "",
          })
          .then(
            (result) => {
              outcomes[result.outcome].inc();
              if (result.outcome === "stored") deps.onStored();
              send(res, 200, `{"received":true,"outcome":"${result.outcome}"}`, false);
            },
            (error: unknown) => {
              outcomes.rejected.inc();
              fail(req, res, error);
            },
          );
      },
    });
    return true;
  };
}
