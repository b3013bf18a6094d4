// Outbound HTTP for provider and Kratos APIs: timeout, response size cap, and 429/5xx/network classification.
import { UpstreamError } from "./errors.js";

export type FetchLike = typeof fetch;

export interface HttpRequest {
  method?: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface HttpClientOptions {
  service: string;
  timeoutMs: number;
  maxResponseBytes?: number;
  fetch?: FetchLike;
}

export type HttpClient = (url: string, request?: HttpRequest) => Promise<HttpResponse>;

/** Answers 2xx responses; throws UpstreamError (retryable on network errors, timeouts, 429 and 5xx but 501). */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const doFetch = options.fetch ?? fetch;
  const maxBytes = options.maxResponseBytes ?? 5 * 1024 * 1024;
  return async (url, request = {}) => {
    const headers: Record<string, string> = { accept: "application/json", ...request.headers };
    let body: string | undefined;
    if (request.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(request.json);
    } else if (request.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(request.form).toString();
    }
    let response: Response;
    try {
      response = await doFetch(url, {
        method: request.method ?? "GET",
        headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: "error",
      });
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      throw new UpstreamError(
        options.service,
        timedOut
          ? `${options.service} did not answer within ${options.timeoutMs} ms`
          : `${options.service} unreachable`,
        true,
      );
    }
    const text = await readCapped(response, maxBytes, options.service);
    const parsed = parseBody(text);
    if (response.status >= 200 && response.status < 300) {
      return { status: response.status, headers: response.headers, body: parsed };
    }
    const retryable = response.status === 429 || (response.status >= 500 && response.status !== 501);
    throw new UpstreamError(
      options.service,
      `${options.service} answered ${response.status}${summarize(parsed)}`,
      retryable,
      response.status,
      retryAfterMs(waitHeader(response)),
    );
  };
}

/** Retry-After; on a 429 without one, `ratelimit-reset` (seconds until the window resets, as Persona sends). */
function waitHeader(response: Response): string | null {
  const retryAfter = response.headers.get("retry-after");
  if (retryAfter !== null || response.status !== 429) return retryAfter;
  return response.headers.get("ratelimit-reset");
}

async function readCapped(response: Response, maxBytes: number, service: string): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new UpstreamError(
      service,
      `${service} response larger than ${maxBytes} bytes`,
      false,
      response.status,
    );
  }
  const buffer = Buffer.from(await response.arrayBuffer());
  if (buffer.length > maxBytes)
    throw new UpstreamError(
      service,
      `${service} response larger than ${maxBytes} bytes`,
      false,
      response.status,
    );
  return buffer.toString("utf8");
}

function parseBody(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function summarize(body: unknown): string {
  if (body === null || body === undefined || body === "") return "";
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return `: ${text.slice(0, 200)}`;
}

export function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
