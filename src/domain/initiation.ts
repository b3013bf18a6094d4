// Starting verifications: one open provider session per identity, created idempotently and retried when the provider fails.

import { backoffDelay } from "../lib/backoff.js";
import { AppError, describeError, UpstreamError } from "../lib/errors.js";
import type { IdvProvider, ProviderName, StartOffer, Subject } from "../providers/provider.js";
import type { VerificationRow } from "../store/index.js";
import { type DomainDeps, OUTBOX } from "./deps.js";
import type { ResultRecorder } from "./results.js";
import { ACTIONABLE_STATUSES, isFinal, type NormalizedStatus } from "./status.js";

export const REGISTRATION = "registration";

export interface InitiateInput {
  subject: Subject;
  triggerId: string | null;
}

export interface InitiateOutcome {
  verification: VerificationRow;
  /** False when the provider could not be reached; a retry is queued. */
  sessionReady: boolean;
  /** Link / SDK token the provider issued with a session created by this call. */
  offer: StartOffer | null;
}

export function createInitiation(deps: DomainDeps, results: ResultRecorder) {
  const { store, runtime } = deps;

  function providerOf(name: ProviderName): IdvProvider {
    const provider = deps.providers.get(name);
    if (!provider) throw new AppError("not_configured", `Provider ${name} is not configured`);
    return provider;
  }

  /** Creates the provider session for a verification that has none; on failure records the error and queues a retry. */
  async function ensureSession(
    provider: IdvProvider,
    row: VerificationRow,
    subject: Subject,
  ): Promise<InitiateOutcome> {
    if (row.session_id !== null) return { verification: row, sessionReady: true, offer: null };
    try {
      // The verification id is the idempotency key: a retry after a lost answer returns the same session.
      const { result, offer } = await provider.createSession(subject, row.id);
      const { row: updated } = await results.record(row.id, result);
      return { verification: updated, sessionReady: true, offer };
    } catch (error) {
      const now = runtime.clock.now();
      const message = `${provider.name} session could not be created: ${describeError(error)}`;
      const retryAfter = error instanceof UpstreamError ? error.retryAfterMs : undefined;
      await store.transaction(async (repos) => {
        await repos.verifications.update(row.id, { last_error: message }, now);
        await repos.enqueue(
          { kind: OUTBOX.initiate, subject: row.id, payload: subject },
          now,
          now + backoffDelay(deps.backoff, 1, runtime.random, retryAfter),
        );
        await repos.enqueue({ kind: OUTBOX.syncIdentity, subject: row.identity_id, payload: null }, now);
      });
      return { verification: { ...row, last_error: message }, sessionReady: false, offer: null };
    }
  }

  return {
    /** Kratos registration.after: returns the identity's open verification, creating it (once) if needed. */
    async initiate(name: ProviderName, input: InitiateInput): Promise<InitiateOutcome> {
      const provider = providerOf(name);
      if (input.triggerId) {
        const seen = await store.verifications.findByTrigger(name, input.triggerId);
        if (seen) return ensureSession(provider, seen, input.subject);
      }
      const { row } = await store.verifications.open({
        id: runtime.newId(),
        identityId: input.subject.identityId,
        provider: name,
        purpose: REGISTRATION,
        triggerId: input.triggerId,
        now: runtime.clock.now(),
      });
      return ensureSession(provider, row, input.subject);
    },

    /** The outbox retry of a failed initiation. Throws to be retried again. */
    async retryInitiation(verificationId: string, subject: Subject): Promise<void> {
      const row = await store.verifications.findById(verificationId);
      if (!row || row.session_id !== null) return;
      const provider = providerOf(row.provider as ProviderName);
      const { result } = await provider.createSession(subject, row.id);
      await results.record(row.id, result);
    },

    /**
     * The signed-in user's way (back) into the flow: finds or creates their verification, creates the
     * provider session synchronously if needed, resumes it when expired, and returns the offer
     * (none once the user has nothing left to do there).
     */
    async start(
      name: ProviderName,
      subject: Subject,
    ): Promise<{ verification: VerificationRow; offer: StartOffer | null }> {
      const provider = providerOf(name);
      const latest = (await store.verifications.listForIdentity(subject.identityId)).find(
        (r) => r.provider === name,
      );
      if (latest && isFinal(latest.status as NormalizedStatus)) return { verification: latest, offer: null };
      const { row } = await store.verifications.open({
        id: runtime.newId(),
        identityId: subject.identityId,
        provider: name,
        purpose: REGISTRATION,
        triggerId: null,
        now: runtime.clock.now(),
      });
      const outcome = await ensureSession(provider, row, subject);
      const verification = outcome.verification;
      if (!outcome.sessionReady || verification.session_id === null) {
        throw new AppError(
          "upstream_unavailable",
          `${name} is unavailable right now; please try again shortly`,
        );
      }
      const current = await provider.fetchResult(verification.session_id);
      if (!ACTIONABLE_STATUSES.has(current.status)) {
        // Finished in the provider's flow (completed, in review, decided): nothing for the user to do.
        const { row: updated } = await results.record(verification.id, current);
        return { verification: updated, offer: null };
      }
      // The provider's read may not name the identity (Jumio's status resource); the verification does.
      const { offer, result } = await provider.startOffer(
        current.identityId ? current : { ...current, identityId: verification.identity_id },
      );
      const { row: updated } = await results.record(verification.id, result);
      return { verification: updated, offer };
    },
  };
}

export type Initiation = ReturnType<typeof createInitiation>;
