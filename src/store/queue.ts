// Durable work queues (inbox of provider events, outbox of outbound calls): claim with a lease, retry, dead-letter.
import { type Kysely, sql } from "kysely";
import type { DialectName } from "./database.js";
import type { Database, InboxTable, OutboxTable, QueueColumns, QueueTable } from "./tables.js";

export type InboxRow = {
  [K in keyof InboxTable]: InboxTable[K] extends { __select__: infer S } ? S : InboxTable[K];
};
export type OutboxRow = {
  [K in keyof OutboxTable]: OutboxTable[K] extends { __select__: infer S } ? S : OutboxTable[K];
};
type RowOf<T extends QueueTable> = T extends "inbox" ? InboxRow : OutboxRow;

export interface QueueStats {
  pending: number;
  running: number;
  dead: number;
  /** Age in ms of the oldest pending or running row, 0 when empty. */
  oldestAgeMs: number;
}

export interface Queue<T extends QueueTable> {
  /** Claims up to `limit` due rows (or rows whose lease expired) for `workerId` until `now + leaseMs`. */
  claim(workerId: string, limit: number, now: number, leaseMs: number): Promise<RowOf<T>[]>;
  /** Marks the row done; false when `workerId` no longer held it (its lease ran out and another took it). */
  complete(id: number, workerId: string, now: number): Promise<boolean>;
  retry(id: number, workerId: string, error: string, nextAttemptAt: number): Promise<void>;
  kill(id: number, workerId: string, error: string, now: number): Promise<void>;
  /** Extends the lease of every row `workerId` is working on (a heartbeat while slow work runs). */
  extend(workerId: string, lockedUntil: number): Promise<number>;
  /** Gives claimed rows back without counting an attempt (graceful shutdown). */
  release(workerId: string): Promise<number>;
  stats(now: number): Promise<QueueStats>;
  listDead(limit: number): Promise<RowOf<T>[]>;
  /** Deletes up to `limit` done rows that finished before `doneBefore` (retention); answers how many. */
  prune(doneBefore: number, limit: number): Promise<number>;
}

export function createQueue<T extends QueueTable>(
  db: Kysely<Database>,
  dialect: DialectName,
  table: T,
): Queue<T> {
  // The queue-column operations are the same for both tables; Kysely cannot type a table-name union.
  const q = db as unknown as Kysely<{ queue: QueueColumns }>;
  const name = table as unknown as "queue";
  const skipLocked = dialect === "postgres" ? sql`for update skip locked` : sql``;
  const t = sql.table(table);

  return {
    async claim(workerId, limit, now, leaseMs) {
      // One writer per subject: an outbox row waits while another row for its subject is being worked on,
      // or was (lease expired) and is older, so it is reclaimed first instead of alongside this one.
      const subjectGuard =
        table === "outbox"
          ? sql`and not exists (select 1 from outbox r where r.subject = q.subject and r.kind = q.kind
                  and r.state = 'running' and (r.locked_until >= ${now} or r.id < q.id) and r.id <> q.id)`
          : sql``;
      const result = await sql<RowOf<T>>`
        update ${t} set state = 'running', locked_by = ${workerId}, locked_until = ${now + leaseMs},
          attempts = attempts + 1
        where id in (
          select q.id from ${t} q
          where ((q.state = 'pending' and q.next_attempt_at <= ${now})
              or (q.state = 'running' and q.locked_until < ${now}))
            ${subjectGuard}
          order by q.next_attempt_at
          limit ${limit}
          ${skipLocked}
        )
        returning *`.execute(db);
      return result.rows;
    },
    async complete(id, workerId, now) {
      const result = await q
        .updateTable(name)
        .set({ state: "done", done_at: now, locked_by: null, locked_until: null, last_error: null })
        .where("id", "=", id)
        .where("locked_by", "=", workerId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async retry(id, workerId, error, nextAttemptAt) {
      if (table === "outbox") {
        // A job of the same kind and subject queued while this one ran redoes its work, and only one may be
        // pending (unique index): that job takes over, not before this retry's time, and this row is closed.
        const takeOver = sql`update outbox set next_attempt_at =
            case when next_attempt_at < ${nextAttemptAt} then ${nextAttemptAt} else next_attempt_at end
          where state = 'pending' and exists (select 1 from outbox r where r.id = ${id}
            and r.locked_by = ${workerId} and r.kind = outbox.kind and r.subject = outbox.subject)`;
        if (Number((await takeOver.execute(db)).numAffectedRows ?? 0) > 0) {
          await q
            .updateTable(name)
            .set({ state: "done", locked_by: null, locked_until: null, last_error: error })
            .where("id", "=", id)
            .where("locked_by", "=", workerId)
            .execute();
          return;
        }
      }
      await q
        .updateTable(name)
        .set({
          state: "pending",
          next_attempt_at: nextAttemptAt,
          locked_by: null,
          locked_until: null,
          last_error: error,
        })
        .where("id", "=", id)
        .where("locked_by", "=", workerId)
        .execute();
    },
    async kill(id, workerId, error, now) {
      await q
        .updateTable(name)
        .set({ state: "dead", done_at: now, locked_by: null, locked_until: null, last_error: error })
        .where("id", "=", id)
        .where("locked_by", "=", workerId)
        .execute();
    },
    async extend(workerId, lockedUntil) {
      const result = await q
        .updateTable(name)
        .set({ locked_until: lockedUntil })
        .where("locked_by", "=", workerId)
        .where("state", "=", "running")
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async release(workerId) {
      const result = await q
        .updateTable(name)
        .set((eb) => ({
          state: "pending",
          locked_by: null,
          locked_until: null,
          attempts: eb("attempts", "-", 1),
        }))
        .where("locked_by", "=", workerId)
        .where("state", "=", "running")
        // Only one row per kind+subject may be pending; with one already waiting, this claim runs out its lease.
        .$if(table === "outbox", (qb) =>
          qb.where(
            sql<boolean>`not exists (select 1 from outbox s where s.state = 'pending'
              and s.kind = outbox.kind and s.subject = outbox.subject)`,
          ),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async stats(now) {
      const rows = await q
        .selectFrom(name)
        .select((eb) => [
          "state",
          eb.fn.countAll<number>().as("count"),
          eb.fn.min<number>("created_at").as("oldest"),
        ])
        .where("state", "in", ["pending", "running", "dead"])
        .groupBy("state")
        .execute();
      const stats: QueueStats = { pending: 0, running: 0, dead: 0, oldestAgeMs: 0 };
      for (const row of rows) {
        const state = row.state as "pending" | "running" | "dead";
        stats[state] = Number(row.count);
        if (state !== "dead" && row.oldest !== null)
          stats.oldestAgeMs = Math.max(stats.oldestAgeMs, now - Number(row.oldest));
      }
      return stats;
    },
    async prune(doneBefore, limit) {
      const result = await q
        .deleteFrom(name)
        .where(
          "id",
          "in",
          q
            .selectFrom(name)
            .select("id")
            .where("state", "=", "done")
            .where("done_at", "<", doneBefore)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async listDead(limit) {
      return (await q
        .selectFrom(name)
        .selectAll()
        .where("state", "=", "dead")
        .orderBy("id", "desc")
        .limit(limit)
        .execute()) as unknown as RowOf<T>[];
    },
  };
}
