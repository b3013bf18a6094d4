// Persona's Idempotency-Key layer: the first response to a key is stored and replayed for 24 h.
//
// Reuse of a key with other parameters is an error whose status Persona does not document. The
// simulator's choice follows the IETF idempotency-key draft: 422 for a different request, 409 while the
// first request with that key is still being processed.

const RETENTION_MS = 24 * 3600 * 1000;

interface Entry {
  fingerprint: string;
  at: number;
  response?: { status: number; body: string };
}

export type IdempotencyLookup =
  | { kind: "new"; finish(status: number, body: string): void; forget(): void }
  | { kind: "replay"; status: number; body: string }
  | { kind: "mismatch" }
  | { kind: "in-flight" };

export interface IdempotencyStore {
  lookup(key: string, fingerprint: string): IdempotencyLookup;
}

/** The request a key is bound to: method, path and body, ignoring JSON whitespace and key order. */
export function requestFingerprint(method: string, path: string, body: unknown, raw: string): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
  };
  const bodyPart = body === undefined ? raw : JSON.stringify(canonical(body));
  return `${method} ${path}\n${bodyPart}`;
}

export function createIdempotencyStore(now: () => number): IdempotencyStore {
  const entries = new Map<string, Entry>();
  return {
    lookup(key, fingerprint) {
      const t = now();
      // Insertion order is age order, so pruning stops at the first key still inside the window.
      for (const [k, entry] of entries) {
        if (t - entry.at < RETENTION_MS) break;
        entries.delete(k);
      }
      const entry = entries.get(key);
      if (!entry) {
        const created: Entry = { fingerprint, at: t };
        entries.set(key, created);
        return {
          kind: "new",
          finish(status, body) {
            created.response = { status, body };
          },
          forget() {
            entries.delete(key);
          },
        };
      }
      if (entry.fingerprint !== fingerprint) return { kind: "mismatch" };
      if (!entry.response) return { kind: "in-flight" };
      return { kind: "replay", ...entry.response };
    },
  };
}
