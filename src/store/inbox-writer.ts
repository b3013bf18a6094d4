// Durable callback ingestion on SQLite: one prepared INSERT, and every event that arrives in the same
// event-loop turn committed in one transaction (group commit) before any of their callers is answered.
import type SQLite from "better-sqlite3";
import type { Kysely } from "kysely";
import type { OpenDatabase } from "./database.js";
import type { InboxEvent } from "./index.js";
import type { Database } from "./tables.js";

interface Pending {
  event: InboxEvent;
  now: number;
  resolve(stored: boolean): void;
  reject(error: unknown): void;
}

export type InboxWriter = (event: InboxEvent, now: number) => Promise<boolean>;

export function createSqliteInboxWriter(open: OpenDatabase, db: Kysely<Database>): InboxWriter | undefined {
  if (open.raw.kind !== "sqlite") return undefined;
  const raw = open.raw;
  let insert: SQLite.Statement<[string, string, string, string, string, number, number]> | undefined;
  let insertGeneration = 0;
  let batch: Pending[] = [];

  function flush() {
    const items = batch;
    batch = [];
    // Kysely's connection lock: no Kysely transaction is open on this connection while we write,
    // so the batch commits on its own and never joins (or dies with) someone else's transaction.
    db.connection()
      .execute(async () =>
        raw.watch(() => {
          const sqlite = raw.sqlite;
          if (!insert || insertGeneration !== raw.generation()) {
            insert = sqlite.prepare(
              `insert into inbox (provider, dedupe_key, event_name, session_id, payload, state, attempts,
                 next_attempt_at, created_at) values (?, ?, ?, ?, ?, 'pending', 0, ?, ?)
               on conflict (provider, dedupe_key) do nothing`,
            );
            insertGeneration = raw.generation();
          }
          const statement = insert;
          return sqlite.transaction(() =>
            items.map(
              ({ event: e, now }) =>
                statement.run(e.provider, e.dedupeKey, e.eventName, e.sessionId, e.payload, now, now)
                  .changes > 0,
            ),
          )();
        }, true),
      )
      .then(
        (stored) => {
          for (const [i, item] of items.entries()) item.resolve(stored[i] === true);
        },
        (error: unknown) => {
          for (const item of items) item.reject(error);
        },
      );
  }

  return (event, now) =>
    new Promise<boolean>((resolve, reject) => {
      batch.push({ event, now, resolve, reject });
      if (batch.length === 1) setImmediate(flush);
    });
}
