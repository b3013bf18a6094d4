// HTTP plumbing of the Persona simulator: request bodies, Persona's response headers, the hosted page.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApiState, visitLink } from "./persona-api.js";
import { personaId } from "./persona-ids.js";

/** Persona's default environment limit (requests per minute). Reported in headers, never enforced. */
const RATE_LIMIT = 300;

export interface ReadBody {
  raw: string;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  jsonError: boolean;
}

export async function readBody(req: IncomingMessage): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  if (raw === "") return { raw, body: undefined, jsonError: false };
  try {
    return { raw, body: JSON.parse(raw), jsonError: false };
  } catch {
    return { raw, body: raw, jsonError: true };
  }
}

export type Respond = (
  res: ServerResponse,
  status: number,
  body: string,
  extra?: Record<string, string>,
) => void;

/** Writes a JSON answer with `Request-Id` and `ratelimit-*` headers counted per clock minute. */
export function createResponder(now: () => number): Respond {
  let window = { minute: -1, count: 0 };
  return (res, status, body, extra = {}) => {
    const minute = Math.floor(now() / 60_000);
    if (window.minute !== minute) window = { minute, count: 0 };
    window.count++;
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "request-id": personaId("req"),
      "ratelimit-limit": String(RATE_LIMIT),
      "ratelimit-remaining": String(Math.max(0, RATE_LIMIT - window.count)),
      "ratelimit-reset": String(Math.ceil(((minute + 1) * 60_000 - now()) / 1000)),
      ...extra,
    });
    res.end(body);
  };
}

/**
 * The hosted flow: just enough HTML for a browser, or a test following redirects, to land on.
 * `/s/<code>` (the short link) redirects to `/verify?code=<code>`; the page always answers 200 and
 * says `state=valid|used|expired|unknown` for one-time links, as the real page shows an error screen.
 */
export function hostedPage(
  state: ApiState,
  origin: string,
  now: number,
  res: ServerResponse,
  method: string,
  url: URL,
) {
  const shortCode = url.pathname.startsWith("/s/") ? url.pathname.slice(3) : undefined;
  if (method === "GET" && shortCode) {
    res.writeHead(302, { location: `${origin}/verify?code=${encodeURIComponent(shortCode)}` });
    return void res.end();
  }
  if (method !== "GET" || url.pathname !== "/verify") {
    res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
    return void res.end("<!doctype html><title>Not found</title>");
  }
  const code = url.searchParams.get("code");
  const inquiryId = url.searchParams.get("inquiry-id");
  let info = "state=start";
  if (code !== null) info = `state=${visitLink(state, now, code)}`;
  else if (inquiryId !== null)
    info = `inquiry=${inquiryId} status=${state.inquiries.get(inquiryId)?.status ?? "unknown"}`;
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><title>Persona simulator</title><p id="verify">${info.replace(/[<>&"]/g, "")}</p>`);
}
