// The optional `idv` member of a /verify answer: email → Kratos identity (cached) → approved verification in our store.
import type { Clock } from "../lib/runtime.js";

export interface IdvMember {
  status: "approved";
  provider: string;
  /** When the approving decision was made (ISO 8601), or null if the provider gave no time. */
  verified_at: string | null;
}

/** The part of a Kratos identity this decision reads. */
export interface IdentityCandidate {
  id: string;
  state?: string | undefined;
  verifiable_addresses?: readonly { value?: unknown; verified?: unknown }[] | undefined;
}

/** The part of an identity's stored verification status this decision reads. */
export interface StoredStatus {
  status: string;
  provider: string;
  decided_at: number | null;
}

export interface IdvLookupDeps {
  /** Identities whose credential identifier is the email (Kratos admin `credentials_identifier`). */
  findIdentities(email: string): Promise<readonly IdentityCandidate[]>;
  readStatus(identityId: string): StoredStatus | undefined | Promise<StoredStatus | undefined>;
  clock: Clock;
  /** How long an email → identity answer (found or not) is reused; 0 asks every time. */
  cacheTtlMs: number;
  /** After Kratos or the store failed, lookups are skipped this long (answers go out without `idv`). */
  pauseAfterFailureMs?: number;
  maxCacheEntries?: number;
  /** Called once per failure pause, with what failed. */
  onUnavailable(what: "kratos" | "store", error: unknown): void;
}

export type IdvLookup = (email: string) => Promise<IdvMember | undefined>;

/**
 * The identity an email designates: exactly one active identity holding the email as a *verified* address.
 * An unverified address proves nothing: anyone could register someone else's email, pass IDV with their own
 * documents, and have it reported for the real owner's assertions.
 */
export function identityForEmail(
  email: string,
  candidates: readonly IdentityCandidate[],
): string | undefined {
  const wanted = email.toLowerCase();
  const matches = candidates.filter(
    (identity) =>
      (identity.state === undefined || identity.state === "active") &&
      (identity.verifiable_addresses ?? []).some(
        (a) => a.verified === true && typeof a.value === "string" && a.value.toLowerCase() === wanted,
      ),
  );
  return matches.length === 1 ? matches[0]?.id : undefined;
}

export function createIdvLookup(deps: IdvLookupDeps): IdvLookup {
  const pauseMs = deps.pauseAfterFailureMs ?? 5000;
  const maxEntries = deps.maxCacheEntries ?? 10_000;
  const cache = new Map<string, { identityId: string | undefined; until: number }>();
  const inFlight = new Map<string, Promise<string | undefined>>();
  let pausedUntil = 0;

  function fail(what: "kratos" | "store", error: unknown): undefined {
    const now = deps.clock.now();
    if (now >= pausedUntil) deps.onUnavailable(what, error);
    pausedUntil = now + pauseMs;
    return undefined;
  }

  async function identityOf(email: string): Promise<string | undefined> {
    const now = deps.clock.now();
    const hit = cache.get(email);
    if (hit && hit.until > now) return hit.identityId;
    let pending = inFlight.get(email);
    if (!pending) {
      pending = deps.findIdentities(email).then((candidates) => {
        const identityId = identityForEmail(email, candidates);
        if (deps.cacheTtlMs > 0) {
          if (cache.size >= maxEntries) cache.clear(); // crude but bounded; a refill costs one Kratos call each
          cache.set(email, { identityId, until: deps.clock.now() + deps.cacheTtlMs });
        }
        return identityId;
      });
      const settled = () => inFlight.delete(email);
      pending.then(settled, settled);
      inFlight.set(email, pending);
    }
    return pending;
  }

  return async (rawEmail) => {
    if (deps.clock.now() < pausedUntil) return undefined;
    const email = rawEmail.toLowerCase();
    let identityId: string | undefined;
    try {
      identityId = await identityOf(email);
    } catch (error) {
      return fail("kratos", error);
    }
    if (identityId === undefined) return undefined;
    let row: StoredStatus | undefined;
    try {
      row = await deps.readStatus(identityId);
    } catch (error) {
      return fail("store", error);
    }
    if (row?.status !== "approved") return undefined;
    return {
      status: "approved",
      provider: row.provider,
      verified_at: row.decided_at === null ? null : new Date(row.decided_at).toISOString(),
    };
  };
}
