// Persona inquiry API routes of the simulator: plain functions over the simulator state, no HTTP plumbing.
import { personaId, randomBase58, sessionToken } from "./persona-ids.js";
import {
  type InquiryStatus,
  inquiryResource,
  isoSeconds,
  mistypedFields,
  newInquiry,
  redact,
  type SimInquiry,
  type TemplateAttribute,
} from "./persona-inquiry.js";

export interface OneTimeLink {
  inquiryId: string;
  expiresAtMs: number;
  firstUsedAtMs: number | null;
  revoked: boolean;
}

export interface ApiState {
  inquiries: Map<string, SimInquiry>;
  accountsByReference: Map<string, string>;
  links: Map<string, OneTimeLink>;
}

export interface ApiDeps {
  now: () => number;
  /** `http://127.0.0.1:PORT`, used for hosted-flow links. */
  origin: string;
  tokenKey: Buffer;
  /** Applies a status (and sends its webhook when one is configured). */
  changeStatus(inquiry: SimInquiry, status: InquiryStatus): void;
  /** Called after a redaction (sends `inquiry.redacted` when a webhook is configured). */
  redacted(inquiry: SimInquiry): void;
}

export interface ApiRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  body: unknown;
}

/** `kind` says which spec schema the body is checked against. */
export interface ApiResponse {
  status: number;
  body: unknown;
  kind: "inquiry" | "list" | "error";
}

const TEMPLATE_ATTRIBUTES: TemplateAttribute[] = [
  "inquiry-template-id",
  "template-id",
  "inquiry-template-version-id",
];
const DAY_SECONDS = 86_400;
/** A one-time link keeps working this long after its first use (reference §1.2). */
const LINK_GRACE_MS = 5 * 60 * 1000;

export function apiError(status: number, title: string, details?: string): ApiResponse {
  return { status, kind: "error", body: { errors: [{ status, title, ...(details ? { details } : {}) }] } };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Persona accepts camelCase, snake_case and kebab-case request keys; the simulator works in kebab-case. */
function kebabKeys(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) return {};
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[
      key
        .replace(/_/g, "-")
        .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
        .toLowerCase()
    ] = v;
  }
  return out;
}

function positiveSeconds(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : fallback;
}

function newSession(inquiry: SimInquiry, deps: ApiDeps): string {
  const sessionId = personaId("iqse");
  inquiry.sessionIds.push(sessionId);
  return sessionToken({
    sessionId,
    inquiryId: inquiry.id,
    issuer: deps.origin,
    nowMs: deps.now(),
    key: deps.tokenKey,
  });
}

const inquiryDoc = (inquiry: SimInquiry, status = 200, meta?: Record<string, unknown>): ApiResponse => ({
  status,
  kind: "inquiry",
  body: { data: inquiryResource(inquiry), ...(meta ? { meta } : {}) },
});

function createInquiry(state: ApiState, deps: ApiDeps, body: unknown): ApiResponse {
  if (!isRecord(body) || !isRecord(body.data))
    return apiError(422, "Unprocessable Entity", "data is required");
  const attributes = kebabKeys(body.data.attributes);
  if (attributes.fields !== undefined && attributes.fields !== null && !isRecord(attributes.fields)) {
    return apiError(422, "Unprocessable Entity", "fields must be an object");
  }
  attributes.fields = kebabKeys(attributes.fields);
  const mistyped = mistypedFields(attributes.fields as Record<string, unknown>);
  if (mistyped.length > 0) {
    // Simulator choice (Persona documents no behaviour): a template field of the wrong type is refused.
    return apiError(422, "Unprocessable Entity", `fields of the wrong type: ${mistyped.join(", ")}`);
  }
  const meta = kebabKeys(body.meta);
  const given = TEMPLATE_ATTRIBUTES.filter(
    (key) => attributes[key] !== undefined && attributes[key] !== null,
  );
  const [templateAttribute] = given;
  const templateId = templateAttribute ? attributes[templateAttribute] : undefined;
  if (given.length !== 1 || !templateAttribute || typeof templateId !== "string" || templateId === "") {
    return apiError(
      422,
      "Unprocessable Entity",
      "exactly one of template-id, inquiry-template-id or inquiry-template-version-id is required",
    );
  }
  const referenceId = attributes["reference-id"];
  if (referenceId !== undefined && referenceId !== null && typeof referenceId !== "string") {
    return apiError(422, "Unprocessable Entity", "reference-id must be a string");
  }
  let accountId = typeof attributes["account-id"] === "string" ? attributes["account-id"] : undefined;
  if (!accountId && typeof referenceId === "string") {
    accountId = state.accountsByReference.get(referenceId) ?? personaId("act");
    state.accountsByReference.set(referenceId, accountId);
  }
  const inquiry = newInquiry({
    id: personaId("inq"),
    accountId: accountId ?? personaId("act"),
    templateAttribute,
    templateId,
    attributes,
    nowMs: deps.now(),
    expiresInSeconds: positiveSeconds(meta["expiration-after-create-interval-seconds"], DAY_SECONDS),
  });
  state.inquiries.set(inquiry.id, inquiry);
  return inquiryDoc(inquiry, 201, { "session-token": newSession(inquiry, deps) });
}

function listInquiries(state: ApiState, query: URLSearchParams): ApiResponse {
  const referenceId = query.get("filter[reference-id]");
  const accountId = query.get("filter[account-id]");
  const size = Math.min(100, Math.max(1, Number.parseInt(query.get("page[size]") ?? "10", 10) || 10));
  // Newest first, as Persona lists them.
  const all = [...state.inquiries.values()]
    .reverse()
    .filter(
      (inq) =>
        (referenceId === null || inq.referenceId === referenceId) &&
        (accountId === null || inq.accountId === accountId),
    );
  const after = query.get("page[after]");
  const before = query.get("page[before]");
  let start = 0;
  let end = all.length;
  if (after !== null) start = all.findIndex((inq) => inq.id === after) + 1;
  if (before !== null) {
    end = Math.max(
      0,
      all.findIndex((inq) => inq.id === before),
    );
  }
  const page =
    before !== null && after === null
      ? all.slice(Math.max(start, end - size), end)
      : all.slice(start, Math.min(end, start + size));
  const link = (cursor: "page[after]" | "page[before]", id: string | undefined) => {
    if (id === undefined) return null;
    const params = new URLSearchParams();
    for (const [key, value] of query)
      if (key.startsWith("filter[") || key === "page[size]") params.set(key, value);
    params.set(cursor, id);
    return `/api/v1/inquiries?${params}`;
  };
  const firstIndex = page[0] ? all.indexOf(page[0]) : -1;
  const lastIndex = firstIndex + page.length - 1;
  return {
    status: 200,
    kind: "list",
    body: {
      data: page.map(inquiryResource),
      links: {
        prev: firstIndex > 0 ? link("page[before]", page[0]?.id) : null,
        next: page.length > 0 && lastIndex < all.length - 1 ? link("page[after]", page.at(-1)?.id) : null,
      },
    },
  };
}

function generateOneTimeLink(
  state: ApiState,
  deps: ApiDeps,
  inquiry: SimInquiry,
  body: unknown,
): ApiResponse {
  if (inquiry.status === "expired") {
    return apiError(
      409,
      "Conflict",
      "cannot generate a one-time link for an expired inquiry; resume it first",
    );
  }
  const meta = kebabKeys(isRecord(body) ? body.meta : undefined);
  const seconds = positiveSeconds(meta["expires-in-seconds"], DAY_SECONDS);
  const code = randomBase58(20);
  state.links.set(code, {
    inquiryId: inquiry.id,
    expiresAtMs: deps.now() + seconds * 1000,
    firstUsedAtMs: null,
    revoked: false,
  });
  return inquiryDoc(inquiry, 200, {
    "one-time-link": `${deps.origin}/verify?code=${code}`,
    "one-time-link-short": `${deps.origin}/s/${code}`,
  });
}

function resume(deps: ApiDeps, inquiry: SimInquiry): ApiResponse {
  if (inquiry.status !== "created" && inquiry.status !== "pending" && inquiry.status !== "expired") {
    return apiError(409, "Conflict", `cannot resume an inquiry with status ${inquiry.status}`);
  }
  if (inquiry.status === "expired") {
    // Persona documents no event for this transition, so none is sent.
    inquiry.status = "pending";
    inquiry.expiresAt = isoSeconds(deps.now() + DAY_SECONDS * 1000);
    inquiry.updatedAt = isoSeconds(deps.now());
  }
  return inquiryDoc(inquiry, 200, { "session-token": newSession(inquiry, deps) });
}

const ACTIONS: Record<string, InquiryStatus> = {
  approve: "approved",
  decline: "declined",
  "mark-for-review": "needs_review",
  expire: "expired",
};

/** Revokes every one-time link of an inquiry ("on expiry, all sessions and OTLs are expired too"). */
export function revokeLinks(state: ApiState, inquiryId: string): void {
  for (const link of state.links.values()) if (link.inquiryId === inquiryId) link.revoked = true;
}

export function handleApi(state: ApiState, deps: ApiDeps, req: ApiRequest): ApiResponse {
  const parts = req.pathname.replace(/\/+$/, "").split("/").slice(3); // drop "", "api", "v1"
  const [collection, id, action, ...rest] = parts;
  if (collection !== "inquiries" || rest.length > 0)
    return apiError(404, "Not Found", `no route for ${req.pathname}`);
  if (id === undefined) {
    if (req.method === "POST") return createInquiry(state, deps, req.body);
    if (req.method === "GET") return listInquiries(state, req.query);
    return apiError(405, "Method Not Allowed");
  }
  const inquiry = state.inquiries.get(id);
  if (!inquiry) return apiError(404, "Record not found");
  if (action === undefined) {
    if (req.method === "GET") return inquiryDoc(inquiry);
    if (req.method === "DELETE") {
      redact(inquiry, deps.now());
      deps.redacted(inquiry);
      return inquiryDoc(inquiry);
    }
    return apiError(405, "Method Not Allowed");
  }
  if (req.method !== "POST") return apiError(405, "Method Not Allowed");
  if (action === "generate-one-time-link") return generateOneTimeLink(state, deps, inquiry, req.body);
  if (action === "resume") return resume(deps, inquiry);
  const status = ACTIONS[action];
  if (!status) return apiError(404, "Not Found", `no route for ${req.pathname}`);
  const comment = kebabKeys(isRecord(req.body) ? req.body.meta : undefined).comment;
  if ((status === "approved" || status === "declined") && typeof comment === "string")
    inquiry.reviewerComment = comment;
  deps.changeStatus(inquiry, status);
  return inquiryDoc(inquiry);
}

/** State of a one-time link when a browser opens it; the first visit starts the 5-minute grace period. */
export function visitLink(
  state: ApiState,
  now: number,
  code: string,
): "valid" | "expired" | "used" | "unknown" {
  const link = state.links.get(code);
  if (!link) return "unknown";
  if (link.revoked || now >= link.expiresAtMs) return "expired";
  link.firstUsedAtMs ??= now;
  return now - link.firstUsedAtMs <= LINK_GRACE_MS ? "valid" : "used";
}
