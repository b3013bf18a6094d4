// A bounded TTL cache for async lookups: successes and failures each have their own TTL, and concurrent misses share one load.

interface Entry<V> {
  expiresAt: number;
  settled: boolean;
  /** Set once the load succeeded, so hits need no promise. */
  value?: V;
  promise: Promise<V>;
}

export interface LookupCache<V> {
  get(key: string, load: () => Promise<V>): Promise<V>;
  /** A fresh successful value, synchronously (the hot path: no promise, no microtask). */
  peek(key: string): V | undefined;
  clear(): void;
  readonly size: number;
}

export interface LookupCacheOptions {
  now: () => number;
  ttlMs: number;
  negativeTtlMs: number;
  maxEntries?: number;
}

export function createLookupCache<V>(options: LookupCacheOptions): LookupCache<V> {
  const { now, ttlMs, negativeTtlMs, maxEntries = 10_000 } = options;
  const entries = new Map<string, Entry<V>>();

  function store(key: string, entry: Entry<V>): void {
    if (entries.size >= maxEntries && !entries.has(key)) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(key, entry);
  }

  return {
    get(key, load) {
      const existing = entries.get(key);
      if (existing && (!existing.settled || existing.expiresAt > now())) return existing.promise;
      const entry: Entry<V> = { expiresAt: Number.POSITIVE_INFINITY, settled: false, promise: load() };
      entry.promise.then(
        (value) => {
          entry.value = value;
          entry.settled = true;
          entry.expiresAt = now() + ttlMs;
        },
        () => {
          entry.settled = true;
          entry.expiresAt = now() + negativeTtlMs;
        },
      );
      store(key, entry);
      return entry.promise;
    },
    peek(key) {
      const entry = entries.get(key);
      return entry?.settled && entry.expiresAt > now() ? entry.value : undefined;
    },
    clear: () => entries.clear(),
    get size() {
      return entries.size;
    },
  };
}
