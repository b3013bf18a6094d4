// The login gate's table: each identity's most recent verification decision across providers.
import type { Kysely, Selectable } from "kysely";
import type { Database, IdentityStatusTable } from "./tables.js";

export type IdentityStatusRow = Selectable<IdentityStatusTable>;

/**
 * Every write of `identity_status` goes through here: `onWritten` tells the login gate's cache
 * (gate-reader.ts) that what it remembers of the identity may be stale.
 */
export function createIdentityStatusRepository(
  db: Kysely<Database>,
  onWritten: (identityId: string) => void = () => {},
) {
  async function upsert(row: IdentityStatusRow, decisions: readonly string[]): Promise<void> {
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
  }

  return {
    get: (identityId: string) =>
      db.selectFrom("identity_status").selectAll().where("identity_id", "=", identityId).executeTakeFirst(),
    /**
     * Records a verification's state unless another verification of the identity holds a newer one, or
     * holds a decision that this (undecided) state must not hide: the gate follows the latest decision.
     */
    async record(row: IdentityStatusRow, decisions: readonly string[]): Promise<void> {
      try {
        await upsert(row, decisions);
      } finally {
        onWritten(row.identity_id);
      }
    },
  };
}
