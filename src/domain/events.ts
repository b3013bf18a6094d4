// Provider callbacks: authenticate raw bytes, store once, later re-read the provider and record; plus the reconciler.
import { AppError } from "../lib/errors.js";
import type { CallbackRequest, IdvProvider, ProviderName } from "../providers/provider.js";
import type { InboxRow } from "../store/index.js";
import type { DomainDeps } from "./deps.js";
import type { ResultRecorder } from "./results.js";
import { OPEN_STATUSES } from "./status.js";

export type IngestOutcome = { outcome: "stored" | "duplicate" } | { outcome: "ignored"; eventName: string };

export const RECONCILE_EVENT = "gateway.reconcile";

export function createEventProcessing(deps: DomainDeps, results: ResultRecorder) {
  const { store, runtime } = deps;

  function providerOf(name: string): IdvProvider | undefined {
    return deps.providers.get(name as ProviderName);
  }

  return {
    /** Verify, parse, persist. Resolves only once the event is committed (or known to be a duplicate). */
    async ingest(name: ProviderName, request: CallbackRequest): Promise<IngestOutcome> {
      const provider = providerOf(name);
      if (!provider) throw new AppError("not_configured", `Provider ${name} is not configured`);
      const now = runtime.clock.now();
      const verdict = provider.authenticateCallback(request, now);
      if (!verdict.ok) {
        if (verdict.reason === "no_secret")
          throw new AppError("not_configured", `${name} callback secret is not configured`);
        throw new AppError("unauthorized", `${name} callback not authenticated (${verdict.reason})`);
      }
      // Decoded once: parsed here, stored as the inbox payload below.
      const body = request.rawBody.toString("utf8");
      const parsed = provider.parseCallback(body);
      if (parsed.kind === "ignored") return { outcome: "ignored", eventName: parsed.eventName };
      const stored = await store.addInboxEvent(
        {
          provider: name,
          dedupeKey: parsed.dedupeKey,
          eventName: parsed.eventName,
          sessionId: parsed.sessionId,
          payload: body,
        },
        now,
      );
      return { outcome: stored ? "stored" : "duplicate" };
    },

    /** Worker step for one inbox row: the callback is a hint, the provider API is the authority. */
    async process(row: InboxRow): Promise<"recorded" | "stale" | "unmatched"> {
      const provider = providerOf(row.provider);
      if (!provider) throw new AppError("not_configured", `Provider ${row.provider} is not configured`);
      const result = await provider.fetchResult(row.session_id);
      const verification = await results.locate(provider, result);
      if (!verification) return "unmatched";
      const { applied } = await results.record(verification.id, result);
      return applied ? "recorded" : "stale";
    },

    /**
     * Queues a provider re-read of every verification stuck in a non-final state for longer than `ageMs`,
     * unless nothing has changed on it for `maxAgeMs` (0: no limit): a template without a decision workflow
     * leaves inquiries `completed` for good, and re-reading them forever would spend the provider's rate limit.
     * Re-reads do not count as changes; a user coming back (a resumed session, a new result) does.
     */
    async reconcile(ageMs: number, maxAgeMs = 0, limit = 100): Promise<number> {
      const now = runtime.clock.now();
      const changedSince = maxAgeMs > 0 ? now - maxAgeMs : 0;
      const stale = await store.verifications.listStale(OPEN_STATUSES, now - ageMs, changedSince, limit);
      let queued = 0;
      for (const row of stale) {
        if (!row.session_id || !providerOf(row.provider)) continue;
        await store.transaction(async (repos) => {
          await repos.addInboxEvent(
            {
              provider: row.provider,
              dedupeKey: `reconcile:${row.id}:${now}`,
              eventName: RECONCILE_EVENT,
              sessionId: row.session_id as string,
              payload: "{}",
            },
            now,
          );
          await repos.verifications.update(row.id, { reconciled_at: now }, row.updated_at);
        });
        queued++;
      }
      return queued;
    },
  };
}

export type EventProcessing = ReturnType<typeof createEventProcessing>;
