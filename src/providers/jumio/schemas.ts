// zod schemas for Jumio (KYX): the settings it needs, the account and retrieval API answers we read, callbacks.
import { z } from "zod";

export interface JumioSettings {
  /** OAuth2 token URL (`https://auth.{region}.jumio.ai/oauth2/token`). */
  authUrl: string;
  /** Account API base (`https://account.{region}.jumio.ai/api/v1`): creates accounts and workflow executions. */
  apiBase: string;
  /** Retrieval API base (`https://retrieval.{region}.jumio.ai/api/v1`): reads results. */
  retrievalBase: string;
  clientId: string;
  clientSecret: string;
  workflowKey: number;
  userAgent: string;
  /** Unset: callbacks are not authenticated beyond the allowlist (results are re-read anyway). */
  callbackSecret: string | undefined;
  /** Lowercase header a signing proxy puts the body HMAC in. */
  signatureHeader: string;
  /** CIDRs callbacks may come from; empty: any source. */
  allowlist: readonly string[];
  /** The gateway's external base URL; the callback URL registered with Jumio is built from it. */
  publicUrl: string;
  timeoutMs: number;
}

/** Jumio ids are UUIDs; anything path-safe is accepted, as ids end up in retrieval URLs. */
const jumioId = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, "must be a Jumio id (UUID)");
const status = z.string().regex(/^[A-Z][A-Z_]{0,39}$/, "must be an upper-case Jumio status");
/** A number in requests, a string in callbacks ("definitionKey": "3"). */
const definitionKey = z.union([z.string().max(40), z.number()]).transform(String);
const timestamp = z.string().nullish();

/** POST /accounts and PUT /accounts/{id} (200): the new workflow execution and how the user reaches it. */
export const accountAnswer = z.object({
  timestamp,
  account: z.object({ id: jumioId }),
  web: z.object({ href: z.url() }).nullish(),
  sdk: z.object({ token: z.string().min(1) }).nullish(),
  workflowExecution: z.object({ id: jumioId, status: status.optional() }),
});
export type AccountAnswer = z.infer<typeof accountAnswer>;

/** GET …/accounts/{id}/workflow-executions/{id} on the retrieval API (extracted data is never read). */
export const workflowDetails = z.object({
  workflow: z.object({
    id: jumioId,
    status,
    definitionKey: definitionKey.optional(),
    customerInternalReference: z.string().nullish(),
    userReference: z.string().nullish(),
  }),
  account: z.object({ id: jumioId }),
  createdAt: timestamp,
  startedAt: timestamp,
  completedAt: timestamp,
  decision: z
    .object({
      type: status,
      details: z.object({ label: z.string().nullish() }).nullish(),
    })
    .nullish(),
});
export type WorkflowDetails = z.infer<typeof workflowDetails>;

/** GET …/workflow-executions/{id}/status: the status only (no timestamps, no reference). */
export const workflowStatus = z.object({
  account: z.object({ id: jumioId }),
  workflowExecution: z.object({ id: jumioId, status, definitionKey: definitionKey.optional() }),
});
export type WorkflowStatus = z.infer<typeof workflowStatus>;

/** What Jumio POSTs to the callback URL: ids and a status, no decision, no personal data. */
export const callbackBody = z.object({
  callbackSentAt: z.string().min(1).max(64),
  userReference: z.string().nullish(),
  workflowExecution: z.object({
    id: jumioId,
    // Never followed: results are read from the configured retrieval base, not from URLs in a body.
    href: z.string().optional(),
    definitionKey,
    status,
  }),
  account: z.object({ id: jumioId, href: z.string().optional() }),
});
export type CallbackBody = z.infer<typeof callbackBody>;
