// Jumio facts: the status vocabulary and its normalized mapping, callback URL token, signature header, API hosts.
import type { NormalizedStatus } from "../../domain/status.js";
import { AppError } from "../../lib/errors.js";
import { hmacHex, type SignatureCandidate } from "../../lib/webhook-signature.js";

export const JUMIO = "jumio" as const;
export const API_SERVICE = "Jumio API";
export const AUTH_SERVICE = "Jumio auth";

/** Workflow execution statuses (retrieval API, callbacks) while no decision is read. */
export const WORKFLOW_STATUS_MAP: Readonly<Record<string, NormalizedStatus>> = {
  INITIATED: "created",
  ACQUIRED: "pending",
  // PROCESSED before its decision is read; a decision replaces it (DECISION_MAP).
  PROCESSED: "completed",
  SESSION_EXPIRED: "expired",
  TOKEN_EXPIRED: "expired",
};

/** The top-level `decision.type` of a PROCESSED workflow execution. */
export const DECISION_MAP: Readonly<Record<string, NormalizedStatus>> = {
  PASSED: "approved",
  WARNING: "review",
  REJECTED: "declined",
  NOT_EXECUTED: "failed",
};

/** Jumio adds statuses without notice; an unknown one is kept raw and treated as still in progress. */
export const UNKNOWN_STATUS: NormalizedStatus = "pending";

export interface JumioState {
  /** The decision type once PROCESSED with a decision, else the workflow status (Kratos shows it lowercased). */
  rawStatus: string;
  status: NormalizedStatus;
}

/** Expired executions carry decision NOT_EXECUTED (label TOKEN_EXPIRED…); only PROCESSED ones are decided. */
export function jumioState(workflowStatus: string, decisionType: string | null | undefined): JumioState {
  if (workflowStatus === "PROCESSED" && decisionType) {
    return { rawStatus: decisionType, status: DECISION_MAP[decisionType] ?? "completed" };
  }
  return { rawStatus: workflowStatus, status: WORKFLOW_STATUS_MAP[workflowStatus] ?? UNKNOWN_STATUS };
}

/** Our session id joins the two ids every Jumio read needs: `${accountId}/${workflowExecutionId}`. */
export function sessionIdOf(accountId: string, workflowExecutionId: string): string {
  return `${accountId}/${workflowExecutionId}`;
}

export function parseSessionId(sessionId: string): { accountId: string; executionId: string } {
  const match = /^([A-Za-z0-9-]{1,100})\/([A-Za-z0-9-]{1,100})$/.exec(sessionId);
  if (!match?.[1] || !match[2])
    throw new AppError(
      "invalid_request",
      `Not a Jumio session id (account/workflow execution): ${sessionId}`,
    );
  return { accountId: match[1], executionId: match[2] };
}

export const CALLBACK_PATH = `/${JUMIO}/callback`;
export const URL_TOKEN_QUERY = "token";

/**
 * The token the gateway puts in the callback URL it registers (`?token=`): HMAC-SHA256(JUMIO_CALLBACK_SECRET,
 * "jumio-callback-url") in hex, so the secret itself never travels in URLs (or lands in access logs).
 * Operators registering the URL by hand compute it with
 * `printf %s jumio-callback-url | openssl dgst -sha256 -hmac "$JUMIO_CALLBACK_SECRET"`.
 */
export function callbackUrlToken(secret: string): string {
  return hmacHex(secret, "jumio-callback-url");
}

/** A signing proxy's header: hex HMAC-SHA256 of the raw body, optionally prefixed `sha256=`. */
export function parseSignatureHeader(value: string): SignatureCandidate[] | null {
  const hex = value.replace(/^sha256=/i, "").toLowerCase();
  return hex.length > 0 && !/\s/.test(hex) ? [{ signature: hex }] : null;
}

/**
 * Jumio's retrieval host is the account host with `account.` replaced by `retrieval.`
 * (`https://account.amer-1.jumio.ai/api/v1` → `https://retrieval.amer-1.jumio.ai/api/v1`); other hosts
 * (proxies, simulators) serve both APIs, so the base is kept as it is.
 */
export function defaultRetrievalBase(apiBase: string): string {
  const url = new URL(apiBase);
  if (url.hostname.startsWith("account."))
    url.hostname = `retrieval.${url.hostname.slice("account.".length)}`;
  return url.toString().replace(/\/+$/, "");
}
