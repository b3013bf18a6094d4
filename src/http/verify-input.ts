// What a relying party sent to /verify: parameters from the query string, a JSON or form body (v1), or JSON (v2),
// with Mozilla's 400/415 reason texts for requests refused before anything is verified.
import type { VerifyInput } from "../assertions/types.js";
import { MAX_TRUSTED_ISSUERS, verifyV1Request, verifyV2Request } from "./verify-schemas.js";

const FORM = "application/x-www-form-urlencoded";
export const JSON_TYPE = "application/json";

/** A request the API refuses before verifying anything (400/413/415/429), with Mozilla's reason text. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

export type Params = Record<string, unknown>;

export function mediaType(header: string | undefined): string | undefined {
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

export const EMPTY: Params = {};
const V1_KEYS = ["assertion", "audience", "experimental_forceIssuer"] as const;

/** v1: query string first (a POST with only a query string and any body type works, as it did), then the body. */
export function v1Input(contentType: string | undefined, raw: Buffer, query: Params): VerifyInput | string {
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
export function v2Input(header: string | undefined, raw: Buffer): VerifyInput | string {
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
