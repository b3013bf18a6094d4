// The one place that turns errors into HTTP answers: typed codes to statuses, clear 4xx, generic 500.
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AppError, type ErrorCode, UpstreamError } from "../lib/errors.js";

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  not_configured: 503,
  store_unavailable: 503,
  upstream_unavailable: 503,
  internal: 500,
};

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details?: readonly unknown[];
}

/** The database is down, restarting, unreachable or refusing writes: a 503, so callers retry. */
export function isStoreError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === "string" &&
    (code.startsWith("SQLITE_") ||
      // PostgreSQL: connection exceptions (08…), operator intervention such as a restart (57P…),
      // insufficient resources (53…); and the socket errors of a server going away.
      /^(08|57P|53)/.test(code) ||
      ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT"].includes(code))
  )
    return true;
  return /Connection terminated|not queryable|timeout exceeded when trying to connect|database is locked/i.test(
    error.message,
  );
}

/** The 413 of every route, whether Fastify or a route ahead of it found the body too large. */
export const bodyTooLarge = () =>
  new AppError("payload_too_large", "Request body is larger than this route accepts");

function fromFastify(error: FastifyError): AppError | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return bodyTooLarge();
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new AppError("unsupported_media_type", "Content-Type must be application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new AppError("invalid_request", "Body must not be empty");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new AppError("invalid_request", "Body is not valid JSON");
    default:
      if (error.statusCode === 400 && error instanceof SyntaxError)
        return new AppError("invalid_request", "Body is not valid JSON");
      if (error.statusCode === 413) return new AppError("payload_too_large", "Request body is too large");
      return undefined;
  }
}

export function toErrorReply(error: unknown): { status: number; body: ErrorBody } {
  const known =
    error instanceof AppError
      ? error
      : isStoreError(error)
        ? new AppError("store_unavailable", "The gateway cannot reach its database; try again")
        : error instanceof UpstreamError && error.retryable
          ? // A provider or Kratos outage during a request (e.g. /start re-reading a session): retryable, not our fault.
            new AppError(
              "upstream_unavailable",
              `${error.service} is unavailable right now; please try again shortly`,
            )
          : fromFastify(error as FastifyError);
  if (!known) return { status: 500, body: { error: "internal", message: "Internal error" } };
  const body: ErrorBody = { error: known.code, message: known.message };
  if (known.details.length > 0) body.details = known.details;
  return { status: STATUS[known.code], body };
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const { status, body } = toErrorReply(error);
  if (status >= 500) request.log.error({ err: error, reqId: request.id, url: request.url }, "request failed");
  if (status === 503) reply.header("retry-after", "5");
  return reply.status(status).send(body);
}
