// Opens the database (embedded SQLite by default, PostgreSQL via DATABASE_URL) as one Kysely instance.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { type Dialect, Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./tables.js";

export type DialectName = "sqlite" | "postgres";

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  sqlitePath: string;
  sqliteSynchronous: "NORMAL" | "FULL";
  poolSize: number;
  /** PostgreSQL schema to use (tests isolate themselves in their own schema). */
  pgSchema?: string;
  onPoolError?: (error: Error) => void;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The raw driver handle, for the few prepared statements on hot paths. */
  raw: { kind: "sqlite"; sqlite: SQLite.Database } | { kind: "postgres"; pool: pg.Pool };
  close(): Promise<void>;
}

// bigint columns hold millisecond timestamps and row ids, well inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function openDatabase(options: DatabaseOptions): OpenDatabase {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openSqlite(options);
}

function openSqlite(options: DatabaseOptions): OpenDatabase {
  if (options.sqlitePath !== ":memory:") mkdirSync(dirname(options.sqlitePath), { recursive: true });
  const sqlite = new SQLite(options.sqlitePath);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma(`synchronous = ${options.sqliteSynchronous}`);
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: "sqlite",
    raw: { kind: "sqlite", sqlite },
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, options: DatabaseOptions): OpenDatabase {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: 5000,
    ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
  });
  // Idle clients die when PostgreSQL restarts; the pool replaces them on the next query.
  pool.on("error", (error) => options.onPoolError?.(error));
  const db = new Kysely<Database>({ dialect: ownSchemaIntrospection(new PostgresDialect({ pool })) });
  return {
    db,
    dialect: "postgres",
    raw: { kind: "postgres", pool },
    close: () => db.destroy(),
  };
}

/**
 * Kysely's migrator finds its bookkeeping tables through an introspection of every schema in the database,
 * which fails when another schema is dropped meanwhile: list the tables of our schema only (names only,
 * which is all the migrator reads).
 */
function ownSchemaIntrospection(dialect: PostgresDialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => dialect.createDriver(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector(db) {
      const full = dialect.createIntrospector(db);
      const getTables = async () => {
        const { rows } = await sql<{ name: string; schema: string }>`
          select c.relname as name, n.nspname as schema from pg_catalog.pg_class c
          join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v')`.execute(db);
        return rows.map((row) => ({ ...row, isView: false, columns: [] }));
      };
      return {
        getSchemas: () => full.getSchemas(),
        getTables,
        getMetadata: async () => ({ tables: await getTables() }),
      };
    },
  };
}
