// Exponential backoff with jitter for durable retries.
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Delay before attempt `attempt + 1` (attempt counts from 1): base·2^(n-1), capped, with "equal jitter". */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number,
  retryAfterMs?: number,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + (exponential / 2) * random();
  return Math.max(Math.round(jittered), Math.min(retryAfterMs ?? 0, policy.maxMs));
}
