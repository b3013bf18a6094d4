// Per-key token buckets (client IPs for /verify): bounded memory, injected clock, no timers.
import type { Clock } from "./runtime.js";

export interface RateLimitDecision {
  allowed: boolean;
  /** When refused: whole seconds until one request is allowed again (for Retry-After). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** False when configured off: callers can skip asking at all. */
  enabled: boolean;
  take(key: string): RateLimitDecision;
  /** Keys currently tracked (tests, metrics). */
  size(): number;
}

export interface RateLimitOptions {
  /** Sustained requests per minute per key; also the burst size. 0 turns the limiter off. */
  perMinute: number;
  clock: Clock;
  /** Keys tracked at most; beyond it, idle (full) buckets are dropped, then the oldest ones. */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const ALLOWED: RateLimitDecision = { allowed: true, retryAfterSeconds: 0 };

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const { perMinute, clock } = options;
  if (perMinute <= 0) return { enabled: false, take: () => ALLOWED, size: () => 0 };
  const maxKeys = options.maxKeys ?? 100_000;
  const perMs = perMinute / 60_000;
  // Insertion order = least recently refilled first: a Map is the LRU we need when full.
  const buckets = new Map<string, Bucket>();

  function refill(bucket: Bucket, now: number) {
    if (now > bucket.updatedAt) {
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedAt) * perMs);
      bucket.updatedAt = now;
    }
  }

  function evict(now: number) {
    // A full bucket carries no state: dropping it changes no answer.
    for (const [key, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= perMinute) buckets.delete(key);
    }
    // Under a flood of distinct keys, forget the least recently seen (they get a fresh burst back), down
    // to 90 % so that the scan above runs once per many new keys, not once per request.
    const target = Math.floor(maxKeys * 0.9);
    for (const key of buckets.keys()) {
      if (buckets.size <= target) break;
      buckets.delete(key);
    }
  }

  return {
    enabled: true,
    take(key) {
      const now = clock.now();
      let bucket = buckets.get(key);
      if (bucket) {
        buckets.delete(key);
        refill(bucket, now);
      } else {
        if (buckets.size >= maxKeys) evict(now);
        bucket = { tokens: perMinute, updatedAt: now };
      }
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return ALLOWED;
      }
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)),
      };
    },
    size: () => buckets.size,
  };
}
