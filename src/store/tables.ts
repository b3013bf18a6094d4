// Kysely table types: the shape of every row the gateway stores.
import type { Generated } from "kysely";

export type QueueState = "pending" | "running" | "done" | "dead";

export interface VerificationsTable {
  id: string;
  identity_id: string;
  provider: string;
  purpose: string;
  /** The provider's session object id (Persona inquiry id); null until the provider created it. */
  session_id: string | null;
  /** `identity:provider:purpose` while the verification is open, null once decided: one open session each. */
  active_key: string | null;
  /** Ory-Webhook-Trigger-ID of the Kratos call that created it. */
  trigger_id: string | null;
  raw_status: string;
  status: string;
  /** Provider timestamp (ms) of the state stored, used to order results. */
  status_version: number;
  decided_at: number | null;
  verification_url: string | null;
  /** JSON object of provider ids mirrored to Kratos (applicant_id, account_id, …). */
  details: string;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  reconciled_at: number | null;
}

export interface IdentityStatusTable {
  identity_id: string;
  status: string;
  provider: string;
  verification_id: string;
  decided_at: number | null;
  status_version: number;
  updated_at: number;
}

export interface QueueColumns {
  id: Generated<number>;
  state: QueueState;
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  done_at: number | null;
}

export interface InboxTable extends QueueColumns {
  provider: string;
  dedupe_key: string;
  event_name: string;
  session_id: string;
  payload: string;
}

export interface OutboxTable extends QueueColumns {
  kind: string;
  /** The key one writer at a time works on (identity id for Kratos writes, verification id for initiation). */
  subject: string;
  payload: string;
}

export interface Database {
  verifications: VerificationsTable;
  identity_status: IdentityStatusTable;
  inbox: InboxTable;
  outbox: OutboxTable;
}

export type QueueTable = "inbox" | "outbox";
