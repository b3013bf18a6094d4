// The login gate's read of an identity's status: a read-only SQLite connection of its own, or a named
// PostgreSQL statement. It runs on every login, so it carries nothing per request that can be done once.
import SQLite from "better-sqlite3";
import type { OpenDatabase, RawSqlite } from "./database.js";

/** The status the gate judges (the identity's latest decision), undefined when it was never verified. */
export type GateReader = (identityId: string) => string | undefined | Promise<string | undefined>;

export interface GateReaderHandle {
  read: GateReader;
  close(): void;
}

const QUERY = "select status from identity_status where identity_id = ";

export function createGateReader(open: OpenDatabase): GateReaderHandle {
  if (open.raw.kind === "sqlite") return sqliteGateReader(open.raw);
  const pool = open.raw.pool;
  return {
    read: async (identityId) => {
      const result = await pool.query<{ status: string }>({
        name: "idv_gate_status",
        text: `${QUERY}$1`,
        values: [identityId],
      });
      return result.rows[0]?.status;
    },
    close: () => {},
  };
}

/** How long a read waits on a lock (only WAL recovery takes one a reader waits for) before the gate fails closed. */
const BUSY_TIMEOUT_MS = 1000;

/**
 * Reads on a connection of its own, opened read-only: it never sees the writes of a transaction still open on
 * the writer's connection (which it would, sharing that connection), and no Kysely transaction can wrap it.
 *
 * Starting a WAL read transaction costs two fcntl() calls on the shared-memory lock, more than the lookup
 * itself on this kind of machine. So the reads of one event-loop turn share one read transaction, ended in
 * that turn's check phase (`setImmediate`), and ended early whenever this process's writer wrote or committed
 * since it began: a login never sees a status older than a write this process had committed when it was read,
 * and another process's commit (the CLI) is seen from the next turn on.
 *
 * The connection is opened again when the writer reopened its handle (volume back after a read-only or
 * missing file) and after any error of its own.
 */
function sqliteGateReader(raw: RawSqlite): GateReaderHandle {
  // An in-memory database exists only on the writer's connection: read there, one statement per read.
  if (raw.path === ":memory:") return sharedConnectionReader(raw);

  let connection: SQLite.Database | undefined;
  let lookup: SQLite.Statement<[string], string> | undefined;
  let begin: SQLite.Statement | undefined;
  let commit: SQLite.Statement | undefined;
  let generation = -1;
  /** The writer's write count when the open read transaction began; -1 when none is open. */
  let snapshotWrites = -1;
  let endScheduled = false;

  function close() {
    snapshotWrites = -1;
    lookup = begin = commit = undefined;
    try {
      connection?.close();
    } catch {
      // already unusable
    }
    connection = undefined;
  }

  function connect() {
    close();
    generation = raw.generation();
    const sqlite = new SQLite(raw.path, { readonly: true, fileMustExist: true });
    try {
      sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      lookup = sqlite.prepare<[string], string>(`${QUERY}?`).pluck();
      begin = sqlite.prepare("begin");
      commit = sqlite.prepare("commit");
    } catch (error) {
      sqlite.close();
      throw error;
    }
    connection = sqlite;
  }

  function end() {
    if (snapshotWrites < 0) return;
    snapshotWrites = -1;
    try {
      commit?.run();
    } catch {
      close();
    }
  }

  function endOfTurn() {
    endScheduled = false;
    end();
  }

  function read(identityId: string): string | undefined {
    try {
      // Ending the snapshot first: a failed commit closes the connection, which is then opened again here.
      if (snapshotWrites >= 0 && snapshotWrites !== raw.writes()) end();
      if (!connection || generation !== raw.generation()) connect();
      if (snapshotWrites < 0) {
        (begin as SQLite.Statement).run();
        snapshotWrites = raw.writes();
        if (!endScheduled) {
          endScheduled = true;
          setImmediate(endOfTurn);
        }
      }
      return (lookup as SQLite.Statement<[string], string>).get(identityId);
    } catch (error) {
      close();
      throw error;
    }
  }

  return {
    read,
    close: () => {
      end();
      close();
    },
  };
}

function sharedConnectionReader(raw: RawSqlite): GateReaderHandle {
  let lookup: SQLite.Statement<[string], string> | undefined;
  let generation = -1;
  return {
    read(identityId) {
      if (!lookup || generation !== raw.generation()) {
        lookup = raw.sqlite.prepare<[string], string>(`${QUERY}?`).pluck();
        generation = raw.generation();
      }
      return lookup.get(identityId);
    },
    close: () => {},
  };
}
