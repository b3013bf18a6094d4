// Verification rows: one per provider session, found by id, provider session, open key or Kratos trigger.
import type { Kysely, Selectable } from "kysely";
import type { Database, VerificationsTable } from "./tables.js";

export type VerificationRow = Selectable<VerificationsTable>;

export interface NewVerification {
  id: string;
  identityId: string;
  provider: string;
  purpose: string;
  triggerId: string | null;
  now: number;
}

export interface VerificationUpdate {
  session_id?: string;
  raw_status?: string;
  status?: string;
  status_version?: number;
  decided_at?: number | null;
  verification_url?: string | null;
  details?: string;
  last_error?: string | null;
  active_key?: string | null;
  reconciled_at?: number;
}

export const openKey = (identityId: string, provider: string, purpose: string) =>
  `${identityId}:${provider}:${purpose}`;

export function createVerificationRepository(db: Kysely<Database>) {
  const base = () => db.selectFrom("verifications").selectAll();
  return {
    /** Inserts an open verification unless one is open for the identity or the trigger was seen; returns the one that wins. */
    async open(input: NewVerification): Promise<{ row: VerificationRow; created: boolean }> {
      const active = openKey(input.identityId, input.provider, input.purpose);
      const inserted = await db
        .insertInto("verifications")
        .values({
          id: input.id,
          identity_id: input.identityId,
          provider: input.provider,
          purpose: input.purpose,
          session_id: null,
          active_key: active,
          trigger_id: input.triggerId,
          raw_status: "initiating",
          status: "created",
          status_version: 0,
          decided_at: null,
          verification_url: null,
          details: "{}",
          last_error: null,
          created_at: input.now,
          updated_at: input.now,
          reconciled_at: null,
        })
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { row: inserted, created: true };
      const existing =
        (input.triggerId ? await this.findByTrigger(input.provider, input.triggerId) : undefined) ??
        (await base().where("active_key", "=", active).executeTakeFirst());
      if (!existing) throw new Error("verification insert conflicted but no conflicting row was found");
      return { row: existing, created: false };
    },
    findById: (id: string) => base().where("id", "=", id).executeTakeFirst(),
    findByTrigger: (provider: string, triggerId: string) =>
      base().where("provider", "=", provider).where("trigger_id", "=", triggerId).executeTakeFirst(),
    findBySession: (provider: string, sessionId: string) =>
      base().where("provider", "=", provider).where("session_id", "=", sessionId).executeTakeFirst(),
    findOpen: (identityId: string, provider: string, purpose: string) =>
      base()
        .where("active_key", "=", openKey(identityId, provider, purpose))
        .executeTakeFirst(),
    listForIdentity: (identityId: string) =>
      base().where("identity_id", "=", identityId).orderBy("created_at", "desc").execute(),
    /** Locks the row for the rest of the transaction (PostgreSQL; SQLite transactions are already serialized). */
    lockById: (id: string, dialect: "sqlite" | "postgres") => {
      const query = base().where("id", "=", id);
      return (dialect === "postgres" ? query.forUpdate() : query).executeTakeFirst();
    },
    async update(id: string, changes: VerificationUpdate, now: number): Promise<void> {
      await db
        .updateTable("verifications")
        .set({ ...changes, updated_at: now })
        .where("id", "=", id)
        .execute();
    },
    /**
     * Verifications in `statuses` whose provider owes an outcome: last changed before `olderThan` but not
     * before `changedSince`, and not re-read since `olderThan`.
     */
    listStale: (statuses: readonly string[], olderThan: number, changedSince: number, limit: number) =>
      base()
        .where("status", "in", statuses)
        .where("session_id", "is not", null)
        .where("updated_at", "<", olderThan)
        .where("updated_at", ">=", changedSince)
        .where((eb) => eb.or([eb("reconciled_at", "is", null), eb("reconciled_at", "<", olderThan)]))
        .orderBy("updated_at")
        .limit(limit)
        .execute(),
  };
}

export type VerificationRepository = ReturnType<typeof createVerificationRepository>;
