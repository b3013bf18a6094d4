// Opens the database (embedded SQLite by default, PostgreSQL via DATABASE_URL) as one Kysely instance.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { type Dialect, Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { type Checkpointer, startCheckpointer } from "./checkpointer.js";
import type { Database } from "./tables.js";

export type DialectName = "sqlite" | "postgres";

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  sqlitePath: string;
  sqliteSynchronous: "NORMAL" | "FULL";
  /** SQLite `wal_autocheckpoint` in pages; unset: SQLite's 1,000. */
  sqliteWalAutocheckpoint?: number;
  /** Checkpoint the WAL from a worker thread this often (checkpointer.ts); unset or 0: only on commit. */
  sqliteCheckpointIntervalMs?: number;
  /** The checkpoint thread failed (message) or recovered (undefined). */
  onCheckpointProblem?: (message: string | undefined) => void;
  poolSize: number;
  /** PostgreSQL schema to use (tests isolate themselves in their own schema). */
  pgSchema?: string;
  onPoolError?: (error: Error) => void;
}

export interface RawSqlite {
  kind: "sqlite";
  /** The current handle (opened on first use, reopened after an error that broke it). */
  readonly sqlite: SQLite.Database;
  /** Changes whenever the handle is reopened: statements prepared on an older handle must be prepared again. */
  generation(): number;
  /** Runs statements, noting errors that leave the handle broken or show the database cannot be written. */
  watch<T>(run: () => T, writes: boolean): T;
  /** Why the last write failed (full, read-only or missing volume), until a write succeeds again. */
  writeProblem(): string | undefined;
}

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The raw driver handle, for the few prepared statements on hot paths. */
  raw: RawSqlite | { kind: "postgres"; pool: pg.Pool };
  close(): Promise<void>;
}

// bigint columns hold millisecond timestamps and row ids, well inside Number's exact range.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export function openDatabase(options: DatabaseOptions): OpenDatabase {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openSqlite(options);
}

/** Errors after which a SQLite handle stays broken even once the volume is healthy again (read-only or vanished file). */
const REOPEN_CODES = /^SQLITE_(READONLY|CANTOPEN|IOERR)/;
/** Errors that mean the database cannot take writes right now. */
const WRITE_CODES = /^SQLITE_(READONLY|CANTOPEN|IOERR|FULL)/;

/**
 * SQLite through one handle that is opened on first use and reopened after an error that leaves it unusable,
 * so a gateway whose volume was read-only or missing recovers without a restart once the volume is back.
 */
function openSqlite(options: DatabaseOptions): OpenDatabase {
  let current: SQLite.Database | undefined;
  let broken = false;
  let generation = 0;
  let checkpointer: Checkpointer | undefined;

  function connect(): SQLite.Database {
    if (options.sqlitePath !== ":memory:") mkdirSync(dirname(options.sqlitePath), { recursive: true });
    const sqlite = new SQLite(options.sqlitePath);
    try {
      sqlite.pragma("journal_mode = WAL");
      sqlite.pragma(`synchronous = ${options.sqliteSynchronous}`);
      sqlite.pragma("busy_timeout = 5000");
      sqlite.pragma("foreign_keys = ON");
      if (options.sqliteWalAutocheckpoint !== undefined)
        sqlite.pragma(`wal_autocheckpoint = ${Math.trunc(options.sqliteWalAutocheckpoint)}`);
    } catch (error) {
      sqlite.close();
      throw error;
    }
    const interval = options.sqliteCheckpointIntervalMs ?? 0;
    if (!checkpointer && interval > 0 && options.sqlitePath !== ":memory:")
      checkpointer = startCheckpointer({
        path: options.sqlitePath,
        synchronous: options.sqliteSynchronous,
        intervalMs: interval,
        onFailure: (message) => options.onCheckpointProblem?.(message),
        onRecovery: () => options.onCheckpointProblem?.(undefined),
      });
    return sqlite;
  }

  function handle(): SQLite.Database {
    if (current && broken) {
      try {
        current.close();
      } catch {
        // already unusable
      }
      current = undefined;
    }
    if (!current) {
      current = connect();
      broken = false;
      generation++;
    }
    return current;
  }

  /** The last write failure (volume full, read-only, gone), until a write succeeds again. */
  let writeProblem: string | undefined;

  function watch<T>(run: () => T, writes: boolean): T {
    try {
      const result = run();
      if (writes) writeProblem = undefined;
      return result;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && REOPEN_CODES.test(code)) broken = true;
      if (typeof code === "string" && WRITE_CODES.test(code))
        writeProblem = `${code}: ${(error as Error).message}`;
      throw error;
    }
  }

  // What Kysely's SqliteDialect calls: prepare a statement on the current handle, watching its runs.
  const database = {
    prepare(text: string) {
      const statement = watch(() => handle().prepare(text), false);
      const writes = !statement.readonly;
      return {
        get reader() {
          return statement.reader;
        },
        all: (parameters: readonly unknown[]) => watch(() => statement.all(parameters), writes),
        run: (parameters: readonly unknown[]) => watch(() => statement.run(parameters), writes),
        iterate: (parameters: readonly unknown[]) => watch(() => statement.iterate(parameters), writes),
      };
    },
    close() {
      current?.close();
      current = undefined;
    },
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return {
    db,
    dialect: "sqlite",
    raw: {
      kind: "sqlite",
      get sqlite() {
        return handle();
      },
      generation: () => generation,
      watch,
      writeProblem: () => writeProblem,
    },
    // The checkpoint thread's connection goes first, so the writer's close is the last one and checkpoints
    // the log into the database file.
    close: async () => {
      await checkpointer?.close();
      await db.destroy();
    },
  };
}

function openPostgres(url: string, options: DatabaseOptions): OpenDatabase {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: 5000,
    // TCP keep-alive probes after 10 s idle (the OS default is 2 h): an idle connection whose server vanished
    // without a FIN (a failed-over host) is found dead and replaced. A query waiting on it is bounded by
    // timeouts instead (the login gate's LOGIN_GATE_TIMEOUT_MS).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
  });
  // Idle clients die when PostgreSQL restarts; the pool replaces them on the next query.
  pool.on("error", (error) => options.onPoolError?.(error));
  // A client checked out between two queries (a transaction) has no listener of the pool's: without one,
  // its connection dying on a restart would be an uncaught 'error' that ends the process. The pool drops
  // such a client when it is released; the query that needed it fails and is retried like any other.
  pool.on("connect", (client) => client.on("error", (error) => options.onPoolError?.(error)));
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
