// The login gate's read of an identity's status: a prepared SQLite statement, or a named PostgreSQL
// statement. It runs on every login, so it carries nothing per request that can be done once.
import type SQLite from "better-sqlite3";
import type { OpenDatabase, RawSqlite } from "./database.js";

/** The status the gate judges (the identity's latest decision), undefined when it was never verified. */
export type GateReader = (identityId: string) => string | undefined | Promise<string | undefined>;

export interface GateReaderHandle {
  read: GateReader;
  /** Drops what the reader remembers of an identity: called on every write of its status by this process. */
  forget(identityId: string): void;
  close(): void;
}

export interface GateReaderOptions {
  /** SQLite: statuses kept in memory (0 = read the database on every login). PostgreSQL keeps none. */
  cacheSize?: number;
  /**
   * PostgreSQL: pg's query_timeout for the read. The pool closes a client whose query failed, so a connection
   * hung on a vanished server is given up, not kept checked out (the login gate stops waiting on its own).
   */
  queryTimeoutMs?: number | undefined;
}

const QUERY = "select status from identity_status where identity_id = ";

export function createGateReader(open: OpenDatabase, options: GateReaderOptions = {}): GateReaderHandle {
  if (open.raw.kind === "sqlite") return sqliteGateReader(open.raw, options.cacheSize ?? 0);
  const pool = open.raw.pool;
  return {
    read: async (identityId) => {
      const result = await pool.query<{ status: string }>({
        name: "idv_gate_status",
        text: `${QUERY}$1`,
        values: [identityId],
        ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
      });
      return result.rows[0]?.status;
    },
    forget: () => {},
    close: () => {},
  };
}

/**
 * SQLite: one prepared statement on the writer's connection, prepared again when that handle was reopened,
 * behind an exact cache of the statuses it read.
 *
 * A read-only connection of its own was tried (2026-12-05): it saved ~2 µs per login, but with it the chaos
 * harness's full/read-only volume runs lost acknowledged callbacks (2 runs of 2; 0 of 1 with this reader), and
 * the cause was not found in time. Until it is, the gate reads where the writer writes; the cost is that a
 * read can see a row of a worker transaction that is still open (harmless when it commits).
 *
 * The cache: each SQLite read costs a read transaction (two fcntl() lock calls and an fstat()) and a B-tree
 * descent, about a quarter of a login's instructions and more of its time (bench/README.md). A remembered
 * status stays exact because
 * - this process writes statuses only through the identity-status repository, which calls `forget` after
 *   each write (committed or not), and nothing read while a transaction is open on the connection is kept
 *   (it may be rolled back);
 * - another process's commit (the CLI, a second process on the same file) changes SQLite's `data_version`,
 *   checked once per event-loop turn before the first cached answer: a change clears the cache;
 * - a reopened handle clears it.
 * Full, it forgets its oldest entry first.
 */
function sqliteGateReader(raw: RawSqlite, cacheSize: number): GateReaderHandle {
  let lookup: SQLite.Statement<[string], string> | undefined;
  let dataVersion: SQLite.Statement<[], number> | undefined;
  let generation = -1;
  let seenVersion = -1;
  let checkedThisTurn = false;
  /** identity id → status, or null when the identity was never verified. */
  const cache = new Map<string, string | null>();
  const endTurn = () => {
    checkedThisTurn = false;
  };

  function prepare(): SQLite.Statement<[string], string> {
    if (!lookup || generation !== raw.generation()) {
      lookup = raw.sqlite.prepare<[string], string>(`${QUERY}?`).pluck();
      dataVersion = raw.sqlite.prepare<[], number>("pragma data_version").pluck();
      generation = raw.generation();
      seenVersion = -1;
      cache.clear();
    }
    return lookup;
  }

  /** Clears the cache when another connection committed since the last check (at most once per turn). */
  function checkOtherWriters(): void {
    if (checkedThisTurn) return;
    const version = (dataVersion as SQLite.Statement<[], number>).get() as number;
    if (version !== seenVersion) {
      cache.clear();
      seenVersion = version;
    }
    checkedThisTurn = true;
    setImmediate(endTurn).unref();
  }

  return {
    read(identityId) {
      const statement = prepare();
      if (cacheSize === 0) return statement.get(identityId);
      checkOtherWriters();
      const known = cache.get(identityId);
      if (known !== undefined) return known ?? undefined;
      const status = statement.get(identityId);
      if (!raw.sqlite.inTransaction) {
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
        cache.set(identityId, status ?? null);
      }
      return status;
    },
    forget(identityId) {
      cache.delete(identityId);
    },
    close: () => {
      cache.clear();
    },
  };
}
