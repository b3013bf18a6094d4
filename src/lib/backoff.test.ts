// Properties of the retry backoff: bounded by the exponential range, never shrinking, honouring Retry-After up to the cap.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

const policy = fc.record({
  baseMs: fc.integer({ min: 1, max: 60_000 }),
  maxMs: fc.integer({ min: 1, max: 3_600_000 }),
});
const attempt = fc.integer({ min: 1, max: 2_000 });
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

/** The un-jittered delay: base·2^(n-1), capped. */
const ceiling = (p: { baseMs: number; maxMs: number }, n: number) =>
  Math.min(p.maxMs, p.baseMs * 2 ** (n - 1));

describe("backoffDelay", () => {
  it("stays within [base·2^(n-1)/2, min(max, base·2^(n-1))]", () => {
    fc.assert(
      fc.property(policy, attempt, random, (p, n, r) => {
        const delay = backoffDelay(p, n, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(ceiling(p, n) / 2);
        expect(delay).toBeLessThanOrEqual(ceiling(p, n));
      }),
    );
  });

  it("never shrinks from one attempt to the next for the same jitter draw", () => {
    fc.assert(
      fc.property(policy, attempt, random, (p, n, r) => {
        expect(backoffDelay(p, n + 1, () => r)).toBeGreaterThanOrEqual(backoffDelay(p, n, () => r));
      }),
    );
  });

  it("waits at least a Retry-After, but never past the cap", () => {
    fc.assert(
      fc.property(policy, attempt, random, fc.integer({ min: 0, max: 10_000_000 }), (p, n, r, retryAfter) => {
        const delay = backoffDelay(p, n, () => r, retryAfter);
        expect(delay).toBeGreaterThanOrEqual(Math.min(retryAfter, p.maxMs));
        expect(delay).toBeGreaterThanOrEqual(backoffDelay(p, n, () => r));
        expect(delay).toBeLessThanOrEqual(p.maxMs);
      }),
    );
  });

  it("uses the whole jitter range: the lowest and highest draws give the two ends", () => {
    const p = { baseMs: 1_000, maxMs: 300_000 };
    expect(backoffDelay(p, 1, () => 0)).toBe(500);
    expect(backoffDelay(p, 3, () => 0.999_999)).toBe(4_000);
    expect(backoffDelay(p, 20, () => 0)).toBe(150_000);
  });
});
