// POST /{provider}/callback answered from node:http ahead of Fastify (as the login gate and /verify are): raw
// bytes → signature → parse → commit to the inbox → 200, with the same answers as the Fastify route.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "../lib/errors.js";
import type { CallbackDeps } from "./callbacks.js";
import { callbackOutcomes } from "./callbacks.js";
import { bodyTooLarge } from "./errors.js";
import { sendError, sendJson } from "./node-reply.js";
import { readLimitedBody } from "./raw-body.js";

export interface CallbackFastPathDeps extends CallbackDeps {
  /** request.ip is the socket address only without trusted proxies; with them, Fastify works it out. */
  trustProxy: boolean;
  /** True once the server is closing: Fastify then answers 503 (return503OnClosing). */
  closing(): boolean;
  logError(error: unknown, url: string): void;
}

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

  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown) =>
    sendError(req, res, error, (e) => deps.logError(e, req.url ?? ""));

  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== "POST" || deps.trustProxy || deps.closing()) return false;
    const route = routes.get(req.url ?? "");
    if (route === undefined || req.headers["content-type"] === undefined) return false;
    if (Number(req.headers["content-length"] ?? 0) > deps.bodyLimit) {
      fail(req, res, bodyTooLarge());
      return true;
    }
    const { provider, outcomes } = route;
    readLimitedBody(req, deps.bodyLimit, {
      onTooLarge: () => fail(req, res, bodyTooLarge()),
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
              sendJson(res, 200, `{"received":true,"outcome":"${result.outcome}"}`);
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
