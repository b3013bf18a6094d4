// Routes each queued job to the domain step that performs it.
import { OUTBOX } from "../domain/deps.js";
import type { EventProcessing } from "../domain/events.js";
import type { IdentitySync } from "../domain/identity-sync.js";
import type { Initiation } from "../domain/initiation.js";
import type { Subject } from "../providers/provider.js";
import type { OutboxRow } from "../store/index.js";
import type { WorkerHandlers } from "./worker.js";

export function createWorkerHandlers(
  events: EventProcessing,
  sync: IdentitySync,
  initiation: Initiation,
  reconcileMaxAgeMs: number,
): WorkerHandlers {
  return {
    inbox: (row) => events.process(row),
    reconcile: (ageMs) => events.reconcile(ageMs, reconcileMaxAgeMs),
    async outbox(row: OutboxRow) {
      switch (row.kind) {
        case OUTBOX.syncIdentity:
          return sync.syncIdentity(row.subject);
        case OUTBOX.revokeSessions:
          return sync.revokeSessions(row.subject);
        case OUTBOX.initiate:
          return initiation.retryInitiation(row.subject, JSON.parse(row.payload) as Subject);
        default:
          throw new Error(`unknown outbox job kind ${row.kind}`);
      }
    },
  };
}
