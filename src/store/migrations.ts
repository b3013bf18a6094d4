// Versioned schema migrations, one Kysely schema for SQLite and PostgreSQL.
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";
import type { Database } from "./tables.js";

type Dialect = "sqlite" | "postgres";

function migrations(dialect: Dialect): Record<string, Migration> {
  const idType = dialect === "postgres" ? "bigserial" : "integer";
  const ms = "bigint";
  return {
    "0001_initial": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("verifications")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("identity_id", "text", (c) => c.notNull())
          .addColumn("provider", "text", (c) => c.notNull())
          .addColumn("purpose", "text", (c) => c.notNull())
          .addColumn("session_id", "text")
          .addColumn("active_key", "text")
          .addColumn("trigger_id", "text")
          .addColumn("raw_status", "text", (c) => c.notNull())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("status_version", ms, (c) => c.notNull())
          .addColumn("decided_at", ms)
          .addColumn("verification_url", "text")
          .addColumn("last_error", "text")
          .addColumn("created_at", ms, (c) => c.notNull())
          .addColumn("updated_at", ms, (c) => c.notNull())
          .addColumn("reconciled_at", ms)
          .execute();
        await db.schema
          .createIndex("verifications_active")
          .unique()
          .on("verifications")
          .column("active_key")
          .execute();
        await db.schema
          .createIndex("verifications_session")
          .unique()
          .on("verifications")
          .columns(["provider", "session_id"])
          .execute();
        await db.schema
          .createIndex("verifications_trigger")
          .unique()
          .on("verifications")
          .columns(["provider", "trigger_id"])
          .execute();
        await db.schema
          .createIndex("verifications_identity")
          .on("verifications")
          .columns(["identity_id"])
          .execute();
        await db.schema
          .createIndex("verifications_open")
          .on("verifications")
          .columns(["status", "updated_at"])
          .execute();

        await db.schema
          .createTable("identity_status")
          .addColumn("identity_id", "text", (c) => c.primaryKey())
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("provider", "text", (c) => c.notNull())
          .addColumn("verification_id", "text", (c) => c.notNull())
          .addColumn("decided_at", ms)
          .addColumn("status_version", ms, (c) => c.notNull())
          .addColumn("updated_at", ms, (c) => c.notNull())
          .execute();

        for (const table of ["inbox", "outbox"] as const) {
          let builder = db.schema
            .createTable(table)
            .addColumn("id", idType, (c) => c.primaryKey())
            .addColumn("state", "text", (c) => c.notNull())
            .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
            .addColumn("next_attempt_at", ms, (c) => c.notNull())
            .addColumn("locked_by", "text")
            .addColumn("locked_until", ms)
            .addColumn("last_error", "text")
            .addColumn("created_at", ms, (c) => c.notNull())
            .addColumn("done_at", ms)
            .addColumn("payload", "text", (c) => c.notNull());
          builder =
            table === "inbox"
              ? builder
                  .addColumn("provider", "text", (c) => c.notNull())
                  .addColumn("dedupe_key", "text", (c) => c.notNull())
                  .addColumn("event_name", "text", (c) => c.notNull())
                  .addColumn("session_id", "text", (c) => c.notNull())
              : builder
                  .addColumn("kind", "text", (c) => c.notNull())
                  .addColumn("subject", "text", (c) => c.notNull());
          await builder.execute();
          await db.schema
            .createIndex(`${table}_due`)
            .on(table)
            .columns(["state", "next_attempt_at"])
            .execute();
        }
        await db.schema
          .createIndex("inbox_dedupe")
          .unique()
          .on("inbox")
          .columns(["provider", "dedupe_key"])
          .execute();
        await db.schema
          .createIndex("outbox_pending_once")
          .unique()
          .on("outbox")
          .columns(["kind", "subject"])
          .where(sql.ref("state"), "=", "pending")
          .execute();
        await db.schema.createIndex("outbox_subject").on("outbox").columns(["subject", "state"]).execute();
      },
    },
    "0002_verification_details": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable("verifications")
          .addColumn("details", "text", (c) => c.notNull().defaultTo("{}"))
          .execute();
      },
    },
    // Retention deletes done rows by age (worker housekeeping): without it every pass scans all done rows.
    "0003_queue_done_index": {
      async up(db: Kysely<unknown>) {
        for (const table of ["inbox", "outbox"] as const) {
          await db.schema.createIndex(`${table}_done`).on(table).columns(["state", "done_at"]).execute();
        }
      },
    },
  };
}

class InCodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

export async function createMigrator(db: Kysely<Database>, dialect: Dialect): Promise<Migrator> {
  // Kysely looks for its bookkeeping tables in every PostgreSQL schema: pin them to ours, or another
  // schema's kysely_migration tables make it skip creating them here and the migration fails.
  const schema =
    dialect === "postgres"
      ? (await sql<{ name: string | null }>`select current_schema() as name`.execute(db)).rows[0]?.name
      : undefined;
  return new Migrator({
    db,
    provider: new InCodeMigrations(dialect),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const { error, results } = await (await createMigrator(db, dialect)).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

export async function pendingMigrations(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const all = await (await createMigrator(db, dialect)).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
