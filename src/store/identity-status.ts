// The login gate's table: each identity's most recent verification decision across providers.
import type { Kysely, Selectable } from "kysely";
import type { OpenDatabase } from "./database.js";
import type { Database, IdentityStatusTable } from "./tables.js";

export type IdentityStatusRow = Selectable<IdentityStatusTable>;
export type GateRow = Pick<IdentityStatusRow, "status" | "provider" | "decided_at">;

export function createIdentityStatusRepository(db: Kysely<Database>) {
  return {
    get: (identityId: string) =>
      db.selectFrom("identity_status").selectAll().where("identity_id", "=", identityId).executeTakeFirst(),
    /**
     * Records a verification's state unless another verification of the identity holds a newer one, or
     * holds a decision that this (undecided) state must not hide: the gate follows the latest decision.
     */
    async record(row: IdentityStatusRow, decisions: readonly string[]): Promise<void> {
      await db
        .insertInto("identity_status")
        .values(row)
        .onConflict((oc) =>
          oc
            .column("identity_id")
            .doUpdateSet((eb) => ({
              status: eb.ref("excluded.status"),
              provider: eb.ref("excluded.provider"),
              verification_id: eb.ref("excluded.verification_id"),
              decided_at: eb.ref("excluded.decided_at"),
              status_version: eb.ref("excluded.status_version"),
              updated_at: eb.ref("excluded.updated_at"),
            }))
            .where((eb) =>
              eb.or([
                eb("identity_status.verification_id", "=", eb.ref("excluded.verification_id")),
                eb.and([
                  eb("identity_status.status_version", "<=", eb.ref("excluded.status_version")),
                  eb.or([
                    eb("excluded.status", "in", decisions),
                    eb("identity_status.status", "not in", decisions),
                  ]),
                ]),
              ]),
            ),
        )
        .execute();
    },
  };
}

/**
 * The login path's read: one prepared statement, compiled once, no query builder per request.
 * better-sqlite3 answers synchronously; PostgreSQL uses a named (server-side prepared) statement.
 */
export type GateReader = (identityId: string) => GateRow | undefined | Promise<GateRow | undefined>;

export function createGateReader(open: OpenDatabase): GateReader {
  const text = "select status, provider, decided_at from identity_status where identity_id = ";
  if (open.raw.kind === "sqlite") {
    const statement = open.raw.sqlite.prepare<[string], GateRow>(`${text}?`);
    // Synchronous on purpose: no promise on the login path for SQLite.
    return (identityId) => statement.get(identityId);
  }
  const pool = open.raw.pool;
  return async (identityId) => {
    const result = await pool.query<GateRow>({
      name: "idv_gate_status",
      text: `${text}$1`,
      values: [identityId],
    });
    return result.rows[0];
  };
}
