// Answers of the routes served from node:http ahead of Fastify (login gate, provider callbacks): JSON bodies,
// and errors turned into the same status, body and Retry-After as Fastify's error handler (errors.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { toErrorReply } from "./errors.js";

const JSON_TYPE = "application/json; charset=utf-8";

export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  extra?: Record<string, string>,
): void {
  res.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** Answers `error` as errors.ts does (503 with Retry-After), discarding whatever is left of the body. */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  onServerError?: (error: unknown) => void,
): void {
  req.resume();
  const { status, body } = toErrorReply(error);
  if (status >= 500) onServerError?.(error);
  sendJson(res, status, JSON.stringify(body), status === 503 ? { "retry-after": "5" } : undefined);
}
