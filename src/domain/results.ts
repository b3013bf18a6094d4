// Applying provider results: monotonic status, the login gate's row, and the Kratos mirror, in one transaction.
import type { IdvProvider, ProviderResult } from "../providers/provider.js";
import type { VerificationRow } from "../store/index.js";
import { type DomainDeps, OUTBOX } from "./deps.js";
import { DECISION_STATUSES, isFinal, isNormalizedStatus, supersedes } from "./status.js";

export interface RecordOutcome {
  applied: boolean;
  row: VerificationRow;
}

export function createResultRecorder(deps: DomainDeps) {
  const { store, runtime } = deps;

  /** Stores what the provider said about a verification's session, if it is newer than what we hold. */
  async function record(verificationId: string, result: ProviderResult): Promise<RecordOutcome> {
    return store.transaction(async (repos) => {
      const row = await repos.verifications.lockById(verificationId, repos.dialect);
      if (!row) throw new Error(`verification ${verificationId} vanished`);
      const now = runtime.clock.now();
      const stored = {
        status: isNormalizedStatus(row.status) ? row.status : "created",
        version: row.status_version,
      };
      const fresh = supersedes(stored, { status: result.status, version: result.version });
      if (!fresh) {
        if (row.session_id === null) {
          await repos.verifications.update(row.id, { session_id: result.sessionId, last_error: null }, now);
          await repos.enqueue({ kind: OUTBOX.syncIdentity, subject: row.identity_id, payload: null }, now);
        }
        return { applied: false, row };
      }
      const changes = {
        session_id: result.sessionId,
        raw_status: result.rawStatus,
        status: result.status,
        status_version: result.version,
        decided_at: result.decidedAt,
        verification_url: result.verificationUrl,
        details: JSON.stringify(result.details),
        last_error: null,
        ...(isFinal(result.status) ? { active_key: null } : {}),
      };
      await repos.verifications.update(row.id, changes, now);
      await repos.identityStatus.record(
        {
          identity_id: row.identity_id,
          status: result.status,
          provider: row.provider,
          verification_id: row.id,
          decided_at: result.decidedAt,
          status_version: result.version,
          updated_at: now,
        },
        DECISION_STATUSES,
      );
      await repos.enqueue({ kind: OUTBOX.syncIdentity, subject: row.identity_id, payload: null }, now);
      if (result.status === "declined" && row.status !== "declined" && deps.revokeSessionsOnDecline) {
        await repos.enqueue({ kind: OUTBOX.revokeSessions, subject: row.identity_id, payload: null }, now);
      }
      return { applied: true, row: { ...row, ...changes, updated_at: now } as VerificationRow };
    });
  }

  /**
   * Finds the verification a provider session belongs to: by session id; else, for providers that adopt
   * sessions they did not start (IdvProvider.adoptsUnknownSessions), the identity's open verification still
   * waiting for its session, else a new record for a session started elsewhere.
   * An unknown session's progress without a decision is not recorded while the identity has a live
   * session with the provider: it is one the gateway replaced (Jumio restarts a flow with a new workflow
   * execution), and its "expired" must not shadow the live one.
   */
  async function locate(
    { name: provider, adoptsUnknownSessions }: Pick<IdvProvider, "name" | "adoptsUnknownSessions">,
    result: ProviderResult,
  ): Promise<VerificationRow | undefined> {
    const known = await store.verifications.findBySession(provider, result.sessionId);
    if (known) return known;
    if (!adoptsUnknownSessions || !result.identityId || !isUuid(result.identityId)) return undefined;
    const open = await store.verifications.findOpen(result.identityId, provider, "registration");
    if (open && open.session_id === null) return open;
    if (open && !DECISION_STATUSES.includes(result.status)) return undefined;
    const { row } = await store.verifications.open({
      id: runtime.newId(),
      identityId: result.identityId,
      provider,
      purpose: `external:${result.sessionId}`,
      triggerId: null,
      now: runtime.clock.now(),
    });
    return row;
  }

  return { record, locate };
}

export type ResultRecorder = ReturnType<typeof createResultRecorder>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
