// zod schemas for Onfido: the settings it needs, the API answers we read, and webhook events.
import { z } from "zod";
import type { Clock } from "../../lib/runtime.js";

export type OnfidoAuth =
  | { kind: "token"; apiToken: string }
  | { kind: "oauth"; clientId: string; clientSecret: string };

export interface OnfidoSettings {
  auth: OnfidoAuth;
  workflowId: string;
  /** Several while a token rotates (each registered webhook signs with its own token). */
  webhookTokens: readonly string[];
  /** e.g. `https://api.eu.onfido.com/v3.6` */
  apiBase: string;
  timeoutMs: number;
  /** For the OAuth token cache; the system clock by default. */
  clock?: Clock;
}

const timestamp = z.string().nullish();

/** An applicant as POST /applicants answers it (OSPEC `applicant`): only its id matters to us. */
export const applicant = z.looseObject({ id: z.string().min(1) });

/** A workflow run (OSPEC `workflow_run`); `custom_data` is not in the spec's answer but read when present. */
export const workflowRun = z.looseObject({
  id: z.string().min(1),
  applicant_id: z.string().min(1),
  workflow_id: z.string().nullish(),
  status: z.string().min(1),
  sdk_token: z.string().nullish(),
  link: z.looseObject({ url: z.string().nullish() }).nullish(),
  customer_user_id: z.string().nullish(),
  custom_data: z.looseObject({ kratos_identity_id: z.unknown() }).nullish(),
  tags: z.array(z.string()).nullish(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type WorkflowRun = z.infer<typeof workflowRun>;

/** GET /workflow_runs answers a bare array. */
export const workflowRunList = z.array(workflowRun);

/** POST /sdk_token → `{token}`. */
export const sdkToken = z.looseObject({ token: z.string().min(1) });

/**
 * A webhook event (OSPEC `webhook_event`). The spec's `required` list (`event`, `resource_id`) contradicts
 * its own properties; real events carry `resource_type`, `action` and `object` (reference §2.4).
 */
export const webhookEvent = z.object({
  payload: z.object({
    resource_type: z.string().min(1).max(100),
    action: z.string().min(1).max(200),
    object: z.object({
      id: z.string().min(1).max(200),
      status: z.string().max(100).nullish(),
      href: z.string().nullish(),
      completed_at_iso8601: z.string().nullish(),
    }),
  }),
});
