// The store: repositories over one database, and transactions that bind them all to one connection.
import { type Kysely, sql } from "kysely";
import { type DatabaseOptions, type DialectName, type OpenDatabase, openDatabase } from "./database.js";
import { createGateReader, type GateReader } from "./gate-reader.js";
import { createIdentityStatusRepository } from "./identity-status.js";
import { createSqliteInboxWriter } from "./inbox-writer.js";
import { migrateToLatest, pendingMigrations } from "./migrations.js";
import { createQueue } from "./queue.js";
import { createReplay } from "./replay.js";
import type { Database } from "./tables.js";
import { createVerificationRepository } from "./verifications.js";

/** The database answers reads but refuses writes (SQLite volume full or read-only). */
export class StoreNotWritableError extends Error {
  readonly code = "SQLITE_NOT_WRITABLE";
}

export interface InboxEvent {
  provider: string;
  dedupeKey: string;
  eventName: string;
  sessionId: string;
  payload: string;
}

export interface OutboxJob {
  kind: string;
  subject: string;
  payload: unknown;
}

function createRepositories(
  db: Kysely<Database>,
  dialect: DialectName,
  onStatusWritten: (identityId: string) => void,
) {
  return {
    dialect,
    verifications: createVerificationRepository(db),
    identityStatus: createIdentityStatusRepository(db, onStatusWritten),
    inbox: createQueue(db, dialect, "inbox"),
    outbox: createQueue(db, dialect, "outbox"),
    replay: createReplay(db),
    /** Stores a provider event once; false when its dedupe key was seen before. */
    async addInboxEvent(event: InboxEvent, now: number): Promise<boolean> {
      const result = await db
        .insertInto("inbox")
        .values({
          provider: event.provider,
          dedupe_key: event.dedupeKey,
          event_name: event.eventName,
          session_id: event.sessionId,
          payload: event.payload,
          state: "pending",
          attempts: 0,
          next_attempt_at: now,
          locked_by: null,
          locked_until: null,
          last_error: null,
          created_at: now,
          done_at: null,
        })
        .onConflict((oc) => oc.columns(["provider", "dedupe_key"]).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    /** Queues an outbound job; a job of the same kind already pending for the subject absorbs it. */
    async enqueue(job: OutboxJob, now: number, runAt = now): Promise<void> {
      await db
        .insertInto("outbox")
        .values({
          kind: job.kind,
          subject: job.subject,
          payload: JSON.stringify(job.payload ?? null),
          state: "pending",
          attempts: 0,
          next_attempt_at: runAt,
          locked_by: null,
          locked_until: null,
          last_error: null,
          created_at: now,
          done_at: null,
        })
        .onConflict((oc) =>
          oc
            .columns(["kind", "subject"])
            // SQLite matches a partial index only when the predicate is the same literal text.
            .where(sql.ref("state"), "=", sql.lit("pending"))
            .doNothing(),
        )
        .execute();
    },
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

export interface Store extends Repositories {
  db: Kysely<Database>;
  readGate: GateReader;
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  migrate(): Promise<string[]>;
  pendingMigrations(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions extends DatabaseOptions {
  /** SQLite: identity statuses the login gate keeps in memory (see gate-reader.ts); 0 or unset: none. */
  gateCacheSize?: number;
  /** PostgreSQL: the login gate's read is abandoned after this long, and its connection closed (not reused). */
  gateQueryTimeoutMs?: number;
}

export function openStore(options: StoreOptions): Store {
  const open: OpenDatabase = openDatabase(options);
  const { db, dialect } = open;
  const gateReader = createGateReader(open, {
    cacheSize: options.gateCacheSize ?? 0,
    queryTimeoutMs: options.gateQueryTimeoutMs,
  });
  const repositories = createRepositories(db, dialect, gateReader.forget);
  return {
    ...repositories,
    // Outside transactions, SQLite ingests callbacks through the group-committing writer.
    addInboxEvent: createSqliteInboxWriter(open, db) ?? repositories.addInboxEvent,
    db,
    readGate: gateReader.read,
    transaction: (work) =>
      db.transaction().execute((tx) => work(createRepositories(tx, dialect, gateReader.forget))),
    migrate: () => migrateToLatest(db, dialect),
    pendingMigrations: () => pendingMigrations(db, dialect),
    ping: async () => {
      await sql`select 1`.execute(db);
      // SQLite can be readable while its volume is full or read-only: not ready to take callbacks then.
      const problem = open.raw.kind === "sqlite" ? open.raw.writeProblem() : undefined;
      if (problem) throw new StoreNotWritableError(problem);
    },
    close: () => {
      gateReader.close();
      return open.close();
    },
  };
}

export type { DialectName } from "./database.js";
export type { GateReader } from "./gate-reader.js";
export type { IdentityStatusRow } from "./identity-status.js";
export type { InboxRow, OutboxRow, Queue, QueueStats } from "./queue.js";
export type { DeadLetterReplay, RangeReplay, ReplayWindow } from "./replay.js";
export type { VerificationRow } from "./verifications.js";
