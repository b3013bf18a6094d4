// Normalized verification statuses and the rule that orders results (late or weaker results never undo a decision).
export const STATUSES = [
  "created",
  "pending",
  "completed",
  "approved",
  "review",
  "declined",
  "expired",
  "failed",
] as const;
export type NormalizedStatus = (typeof STATUSES)[number];

/** Statuses that end a verification: no further user action is possible. */
export const FINAL_STATUSES: ReadonlySet<NormalizedStatus> = new Set(["approved", "declined", "failed"]);
/** Statuses that are a decision (by the provider, a workflow or a reviewer). */
export const DECISION_STATUSES: readonly NormalizedStatus[] = ["approved", "declined", "review", "failed"];
const DECISIONS: ReadonlySet<NormalizedStatus> = new Set(DECISION_STATUSES);
/** Statuses the reconciler re-reads: the provider still owes us an outcome. */
export const OPEN_STATUSES: readonly NormalizedStatus[] = ["created", "pending", "completed", "review"];
/** Statuses where the user can (still) act in the provider's flow. */
export const ACTIONABLE_STATUSES: ReadonlySet<NormalizedStatus> = new Set(["created", "pending", "expired"]);

export interface StoredState {
  status: NormalizedStatus;
  version: number;
}

export interface ObservedState {
  status: NormalizedStatus;
  /** The provider's timestamp for this state (ms): its resource `updated-at` or the status' own time. */
  version: number;
}

/**
 * Whether an observed provider state replaces the stored one. A decision is only replaced by a newer
 * decision (a reviewer declining after approval); a decision always replaces a non-decision and never the
 * reverse; between non-decisions the newer (or same-time, newer-read) provider state wins.
 */
export function supersedes(stored: StoredState, observed: ObservedState): boolean {
  if (observed.status === stored.status && observed.version === stored.version) return false;
  const storedIsDecision = DECISIONS.has(stored.status);
  const observedIsDecision = DECISIONS.has(observed.status);
  if (storedIsDecision && !observedIsDecision) return false;
  if (observedIsDecision && !storedIsDecision) return true;
  // Between non-decisions a tie goes to the newer read: provider timestamps can share a second
  // (created → pending), and a wrong tie is corrected by the next event or reconciliation.
  if (!storedIsDecision) return observed.version >= stored.version;
  return observed.version > stored.version;
}

export function isFinal(status: NormalizedStatus): boolean {
  return FINAL_STATUSES.has(status);
}

export function isNormalizedStatus(value: string): value is NormalizedStatus {
  return (STATUSES as readonly string[]).includes(value);
}
