// The simulator's inquiry record: creation from a request, status changes, redaction, JSON:API rendering.

export type InquiryStatus =
  | "created"
  | "pending"
  | "completed"
  | "failed"
  | "expired"
  | "approved"
  | "declined"
  | "needs_review";

export type TemplateAttribute = "inquiry-template-id" | "template-id" | "inquiry-template-version-id";

export interface SimInquiry {
  id: string;
  status: InquiryStatus;
  referenceId: string | null;
  /** Whichever template id the inquiry was created with (see `templateAttribute`). */
  templateId: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  completedAt: string | null;
  decisionedAt: string | null;
  redactedAt: string | null;
  fields: Record<string, { type: string; value: unknown }>;
  templateAttribute: TemplateAttribute;
  accountId: string;
  startedAt: string | null;
  failedAt: string | null;
  expiredAt: string | null;
  markedForReviewAt: string | null;
  note: string | null;
  tags: string[];
  reviewerComment: string | null;
  redirectUri: string | null;
  sessionIds: string[];
}

/** Event sent when an inquiry enters each status (reference §1.3 table). */
export const STATUS_EVENTS: Record<InquiryStatus, string> = {
  created: "inquiry.created",
  pending: "inquiry.started",
  completed: "inquiry.completed",
  failed: "inquiry.failed",
  expired: "inquiry.expired",
  approved: "inquiry.approved",
  declined: "inquiry.declined",
  needs_review: "inquiry.marked-for-review",
};

/** Fields every simulated template has, with their Persona field types; unset ones read back as null. */
const TEMPLATE_FIELDS: Record<string, string> = {
  "name-first": "string",
  "name-middle": "string",
  "name-last": "string",
  birthdate: "date",
  "address-street-1": "string",
  "address-street-2": "string",
  "address-city": "string",
  "address-subdivision": "string",
  "address-postal-code": "string",
  "address-country-code": "string",
  "email-address": "string",
  "phone-number": "string",
  "identification-number": "string",
};

function fieldType(name: string, value: unknown): string {
  const known = TEMPLATE_FIELDS[name];
  if (known) return known;
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number") return "number";
  if (Array.isArray(value)) return "array";
  if (value !== null && typeof value === "object") return "hash";
  return "string";
}

/** Persona's inquiry timestamps have whole seconds (`2019-11-15T05:27:24.000Z`). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString();
}

export interface NewInquiry {
  id: string;
  accountId: string;
  templateAttribute: TemplateAttribute;
  templateId: string;
  attributes: Record<string, unknown>;
  nowMs: number;
  expiresInSeconds: number;
}

/** The template fields whose value does not fit their declared type (string and date fields take strings). */
export function mistypedFields(given: Record<string, unknown>): string[] {
  return Object.entries(given)
    .filter(
      ([name, value]) => TEMPLATE_FIELDS[name] !== undefined && value !== null && typeof value !== "string",
    )
    .map(([name]) => name);
}

export function newInquiry(input: NewInquiry): SimInquiry {
  const now = isoSeconds(input.nowMs);
  const fields: SimInquiry["fields"] = {};
  for (const [name, type] of Object.entries(TEMPLATE_FIELDS)) fields[name] = { type, value: null };
  const given = input.attributes.fields;
  if (given !== null && typeof given === "object") {
    for (const [name, value] of Object.entries(given)) fields[name] = { type: fieldType(name, value), value };
  }
  const str = (key: string): string | null => {
    const value = input.attributes[key];
    return typeof value === "string" ? value : null;
  };
  const tags = input.attributes.tags;
  return {
    id: input.id,
    status: "created",
    referenceId: str("reference-id"),
    templateId: input.templateId,
    templateAttribute: input.templateAttribute,
    accountId: input.accountId,
    createdAt: now,
    updatedAt: now,
    expiresAt: isoSeconds(input.nowMs + input.expiresInSeconds * 1000),
    startedAt: null,
    completedAt: null,
    failedAt: null,
    expiredAt: null,
    markedForReviewAt: null,
    decisionedAt: null,
    redactedAt: null,
    fields,
    note: str("note"),
    tags: Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [],
    reviewerComment: null,
    redirectUri: str("redirect-uri"),
    sessionIds: [],
  };
}

/**
 * Moves the inquiry to `status` and stamps the matching timestamp. A status that implies the user went
 * through the flow also fills `started-at` / `completed-at` when they are still null, so a test can
 * jump straight from created to approved and still get a plausible record.
 */
export function applyStatus(inquiry: SimInquiry, status: InquiryStatus, nowMs: number): void {
  const now = isoSeconds(nowMs);
  inquiry.status = status;
  inquiry.updatedAt = now;
  if (status !== "created" && status !== "expired") inquiry.startedAt ??= now;
  if (status === "completed" || status === "approved" || status === "declined" || status === "needs_review") {
    inquiry.completedAt ??= now;
  }
  if (status === "failed") inquiry.failedAt = now;
  if (status === "expired") inquiry.expiredAt = now;
  if (status === "needs_review") inquiry.markedForReviewAt = now;
  if (status === "approved" || status === "declined") inquiry.decisionedAt = now;
}

/** Redaction (reference §1.5): PII and note nulled, tags emptied, status and reference-id kept. */
export function redact(inquiry: SimInquiry, nowMs: number): void {
  const now = isoSeconds(nowMs);
  inquiry.redactedAt ??= now;
  inquiry.updatedAt = now;
  for (const field of Object.values(inquiry.fields)) field.value = null;
  inquiry.note = null;
  inquiry.tags = [];
}

const ref = (type: string, id: string | null) => ({ data: id === null ? null : { type, id } });
/** A template link the inquiry does not use: `{data: {}}`, as Persona's own example writes it. */
const templateRef = (type: string, id: string | null) => ({ data: id === null ? {} : { type, id } });

/** The JSON:API resource exactly as GET /inquiries/{id} returns it under `data` (kebab-case). */
export function inquiryResource(inquiry: SimInquiry): Record<string, unknown> {
  const attr = inquiry.templateAttribute;
  return {
    type: "inquiry",
    id: inquiry.id,
    attributes: {
      status: inquiry.status,
      "reference-id": inquiry.referenceId,
      note: inquiry.note,
      behaviors: {},
      tags: inquiry.tags,
      creator: "API",
      "reviewer-comment": inquiry.reviewerComment,
      "created-at": inquiry.createdAt,
      "updated-at": inquiry.updatedAt,
      "started-at": inquiry.startedAt,
      "expires-at": inquiry.expiresAt,
      "completed-at": inquiry.completedAt,
      "failed-at": inquiry.failedAt,
      "marked-for-review-at": inquiry.markedForReviewAt,
      "decisioned-at": inquiry.decisionedAt,
      "expired-at": inquiry.expiredAt,
      "redacted-at": inquiry.redactedAt,
      "previous-step-name": inquiry.startedAt === null ? null : "start",
      "next-step-name": inquiry.completedAt === null ? "start" : "success",
      fields: inquiry.fields,
    },
    relationships: {
      account: ref("account", inquiry.accountId),
      template: templateRef("template", attr === "template-id" ? inquiry.templateId : null),
      "inquiry-template": templateRef(
        "inquiry-template",
        attr === "inquiry-template-id" ? inquiry.templateId : null,
      ),
      "inquiry-template-version": templateRef(
        "inquiry-template-version",
        attr === "inquiry-template-version-id" ? inquiry.templateId : null,
      ),
      reports: { data: [] },
      verifications: { data: [] },
      sessions: { data: inquiry.sessionIds.map((id) => ({ type: "inquiry-session", id })) },
      documents: { data: [] },
      selfies: { data: [] },
      reviewer: { data: null },
    },
  };
}
