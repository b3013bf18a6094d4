// `idv status <identity-id>`: what the gateway knows about one identity, plus queue health and dead letters.
import type { Store } from "../store/index.js";

export async function identityReport(store: Store, identityId: string, now: number) {
  const gate = await store.identityStatus.get(identityId);
  const verifications = await store.verifications.listForIdentity(identityId);
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const deadOutbox = (await store.outbox.listDead(1000)).filter(
    (row) => row.subject === identityId || verifications.some((v) => v.id === row.subject),
  );
  const sessions = new Set(verifications.map((v) => v.session_id));
  const deadInbox = (await store.inbox.listDead(1000)).filter((row) => sessions.has(row.session_id));
  return {
    identity_id: identityId,
    login_gate: gate
      ? { status: gate.status, provider: gate.provider, decided_at: iso(gate.decided_at) }
      : { status: "unverified" },
    verifications: verifications.map((v) => ({
      id: v.id,
      provider: v.provider,
      purpose: v.purpose,
      session_id: v.session_id,
      status: v.status,
      provider_status: v.raw_status,
      decided_at: iso(v.decided_at),
      created_at: iso(v.created_at),
      updated_at: iso(v.updated_at),
      last_error: v.last_error,
    })),
    dead_letters: [
      ...deadInbox.map((r) => ({
        queue: "inbox",
        id: r.id,
        event: r.event_name,
        attempts: r.attempts,
        error: r.last_error,
      })),
      ...deadOutbox.map((r) => ({
        queue: "outbox",
        id: r.id,
        kind: r.kind,
        attempts: r.attempts,
        error: r.last_error,
      })),
    ],
    queues: { inbox: await store.inbox.stats(now), outbox: await store.outbox.stats(now) },
  };
}
