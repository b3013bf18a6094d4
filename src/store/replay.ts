// Operator re-drives: dead letters back into their queue, and a time range of provider events re-read.
// Both are safe to repeat: events only trigger a provider re-read (results are applied monotonically)
// and identity syncs write Kratos only when its metadata differs from our store.
import { type Kysely, sql } from "kysely";
import type { Database, QueueTable } from "./tables.js";

export interface ReplayWindow {
  /** Inclusive lower bound on the row's created_at (ms). */
  since?: number;
  /** Exclusive upper bound on the row's created_at (ms). */
  until?: number;
}

export interface DeadLetterReplay {
  /** Rows put back to pending with a fresh attempt budget. */
  revived: number;
  /** Dead outbox rows closed because a job of the same kind and subject is already waiting (it does their work). */
  absorbed: number;
}

export interface RangeReplay {
  /** Provider sessions whose events in the window were queued for a provider re-read. */
  sessions: number;
  /** Identities whose Kratos metadata sync was queued. */
  identities: number;
}

export const REPLAY_EVENT = "gateway.replay";

function inWindow(column: string, window: ReplayWindow) {
  const since = window.since ?? 0;
  const until = window.until ?? Number.MAX_SAFE_INTEGER;
  return sql`${sql.ref(column)} >= ${since} and ${sql.ref(column)} < ${until}`;
}

// Timestamps in SELECT lists are written as literals (integers): PostgreSQL types bare parameters there as text.
export function createReplay(db: Kysely<Database>) {
  async function reviveDead(table: QueueTable, window: ReplayWindow, now: number): Promise<DeadLetterReplay> {
    return db.transaction().execute(async (tx) => {
      let absorbed = 0;
      if (table === "outbox") {
        // Only one job per kind and subject may wait: keep the newest dead one, close the rest (and every
        // dead one whose kind and subject already has a waiting job), since one run does all their work.
        const closed = await sql`
          update outbox set state = 'done', done_at = ${now},
            last_error = 'replay: absorbed by a job of the same kind and subject'
          where state = 'dead' and ${inWindow("created_at", window)}
            and (exists (select 1 from outbox p where p.state in ('pending', 'running')
                   and p.kind = outbox.kind and p.subject = outbox.subject)
              or exists (select 1 from outbox n where n.state = 'dead' and n.kind = outbox.kind
                   and n.subject = outbox.subject and n.id > outbox.id))`.execute(tx);
        absorbed = Number(closed.numAffectedRows ?? 0);
      }
      const revived = await sql`
        update ${sql.table(table)} set state = 'pending', attempts = 0, next_attempt_at = ${now},
          locked_by = null, locked_until = null, done_at = null
        where state = 'dead' and ${inWindow("created_at", window)}`.execute(tx);
      return { revived: Number(revived.numAffectedRows ?? 0), absorbed };
    });
  }

  return {
    /** Dead letters of both queues back to pending (with a fresh attempt budget). */
    async replayDeadLetters(window: ReplayWindow, now: number) {
      return {
        inbox: await reviveDead("inbox", window, now),
        outbox: await reviveDead("outbox", window, now),
      };
    },

    /**
     * Re-drives everything received in the window: one provider re-read per session that had events,
     * and one Kratos sync per identity whose sync ran in the window. `runId` keeps one run from queuing a
     * session twice; another run queues it again, which is harmless.
     */
    async replayRange(
      window: ReplayWindow,
      now: number,
      runId: string,
      syncKind: string,
    ): Promise<RangeReplay> {
      return db.transaction().execute(async (tx) => {
        const sessions = await sql`
          insert into inbox (provider, dedupe_key, event_name, session_id, payload, state, attempts,
            next_attempt_at, created_at)
          select provider, ${`replay:${runId}:`} || session_id, ${REPLAY_EVENT}, session_id, '{}', 'pending', 0,
            ${sql.lit(now)}, ${sql.lit(now)}
          from (select distinct provider, session_id from inbox
                where event_name <> ${REPLAY_EVENT} and ${inWindow("created_at", window)}) s
          where true -- SQLite needs it to read ON CONFLICT as the upsert clause
          on conflict (provider, dedupe_key) do nothing`.execute(tx);
        const identities = await sql`
          insert into outbox (kind, subject, payload, state, attempts, next_attempt_at, created_at)
          select distinct kind, subject, 'null', 'pending', 0, ${sql.lit(now)}, ${sql.lit(now)} from outbox
          where kind = ${syncKind} and ${inWindow("created_at", window)}
          on conflict (kind, subject) where "state" = 'pending' do nothing`.execute(tx);
        return {
          sessions: Number(sessions.numAffectedRows ?? 0),
          identities: Number(identities.numAffectedRows ?? 0),
        };
      });
    },
  };
}

export type Replay = ReturnType<typeof createReplay>;
