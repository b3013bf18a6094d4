// Onfido facts: API hosts, the X-SHA2-Signature scheme, workflow run statuses and their normalized mapping.
import type { NormalizedStatus } from "../../domain/status.js";
import type { SignatureScheme } from "../../lib/webhook-signature.js";

export const ONFIDO = "onfido" as const;

export type OnfidoRegion = "EU" | "US" | "CA";

/** `https://api.{eu|us|ca}.onfido.com/v3.6` (reference §2.1); ONFIDO_API_BASE overrides it. */
export function regionalApiBase(region: OnfidoRegion): string {
  return `https://api.${region.toLowerCase()}.onfido.com/v3.6`;
}

/** The SDK refreshes its OAuth token 30 s before expiry; so do we. */
export const OAUTH_REFRESH_BEFORE_MS = 30_000;

/**
 * Workflow run `status` (OSPEC `workflow_run_status`) → normalized (DESIGN §4). The spec's enum is
 * exactly these eight; `review` is a decision that a reviewer may still change.
 */
export const STATUS_MAP: Readonly<Record<string, NormalizedStatus>> = {
  awaiting_input: "pending",
  awaiting_client_input: "pending",
  processing: "pending",
  approved: "approved",
  review: "review",
  declined: "declined",
  abandoned: "expired",
  error: "failed",
};

/** A status Onfido adds later is kept raw and treated as still in progress (the reconciler re-reads it). */
export const UNKNOWN_STATUS: NormalizedStatus = "pending";

/** The only resource whose events we act on; tasks, checks and reports are parts of a run we re-read whole. */
export const WORKFLOW_RUN = "workflow_run";

export const SIGNATURE_HEADER = "x-sha2-signature";

const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

/**
 * Hex HMAC-SHA256 of the raw body keyed with the webhook token; no timestamp, so no replay window
 * (replays are harmless: decisions are re-read from the API). Onfido's SDK decodes the hex leniently
 * (Buffer.from stops at the first non-hex character); we accept exactly 64 hex digits, in either case.
 */
export const SIGNATURE_SCHEME: SignatureScheme = {
  header: SIGNATURE_HEADER,
  parse: (value) => (HEX_DIGEST.test(value) ? [{ signature: value.toLowerCase() }] : null),
};

/** Characters Onfido refuses in names (applicant `first_name` / `last_name` pattern `^[^!#$%*=<>;{}"]*$`). */
export const NAME_FORBIDDEN = /[!#$%*=<>;{}"]/g;

/**
 * Onfido requires both names, but a Kratos identity may have none (phone-only or username schemas).
 * This placeholder satisfies the spec's pattern; the document check reads the real name from the ID.
 */
export const PLACEHOLDER_NAME = "Unknown";

/** Tag that marks the workflow run created for one verification, so a retry can find it (no idempotency keys). */
export const RUN_TAG_PREFIX = "idv-gateway:";
/** Onfido limits each tag to 128 characters. */
export const MAX_TAG_LENGTH = 128;
