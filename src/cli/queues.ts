// `idv status` without an identity: queue depths, the age of the oldest waiting item, dead letters.
import type { Store } from "../store/index.js";

export async function queueReport(store: Store, now: number) {
  const report: Record<string, unknown> = {};
  for (const name of ["inbox", "outbox"] as const) {
    const stats = await store[name].stats(now);
    const dead = await store[name].listDead(20);
    report[name] = {
      pending: stats.pending,
      running: stats.running,
      dead: stats.dead,
      oldest_waiting_age_seconds: Math.round(stats.oldestAgeMs / 100) / 10,
      recent_dead_letters: dead.map((row) => ({
        id: row.id,
        what: "kind" in row ? row.kind : row.event_name,
        subject: "kind" in row ? row.subject : row.session_id,
        attempts: row.attempts,
        error: row.last_error,
        created_at: new Date(row.created_at).toISOString(),
      })),
    };
  }
  return report;
}
