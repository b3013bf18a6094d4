// Token buckets: burst, steady refill, per-key isolation, off at 0, bounded memory.
import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./rate-limit.js";

function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("createRateLimiter", () => {
  it("allows a burst of perMinute requests, then refuses with a Retry-After", () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ perMinute: 3, clock });
    expect([1, 2, 3].map(() => limiter.take("a").allowed)).toEqual([true, true, true]);
    const refused = limiter.take("a");
    expect(refused.allowed).toBe(false);
    // 3 per minute: one token every 20 s.
    expect(refused.retryAfterSeconds).toBe(20);
  });

  it("refills at the sustained rate", () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ perMinute: 60, clock });
    for (let i = 0; i < 60; i++) expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(false);
    clock.advance(999);
    expect(limiter.take("a").allowed).toBe(false);
    clock.advance(1001);
    expect(limiter.take("a").allowed).toBe(true);
    clock.advance(3_600_000);
    // Never more than one burst saved up.
    for (let i = 0; i < 60; i++) expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.take("a").allowed).toBe(false);
  });

  it("keeps each key apart", () => {
    const limiter = createRateLimiter({ perMinute: 1, clock: manualClock() });
    expect(limiter.take("10.0.0.1").allowed).toBe(true);
    expect(limiter.take("10.0.0.1").allowed).toBe(false);
    expect(limiter.take("10.0.0.2").allowed).toBe(true);
  });

  it("is off at 0", () => {
    const limiter = createRateLimiter({ perMinute: 0, clock: manualClock() });
    expect(limiter.enabled).toBe(false);
    for (let i = 0; i < 10_000; i++) expect(limiter.take("a").allowed).toBe(true);
    expect(limiter.size()).toBe(0);
  });

  it("tracks a bounded number of keys, keeping those that are being limited", () => {
    const clock = manualClock();
    const limiter = createRateLimiter({ perMinute: 2, clock, maxKeys: 100 });
    limiter.take("hot");
    limiter.take("hot");
    for (let i = 0; i < 1000; i++) {
      limiter.take(`ip-${i}`);
      limiter.take("hot");
    }
    expect(limiter.size()).toBeLessThanOrEqual(100);
    // "hot" is the most recently seen key: never evicted, still limited.
    expect(limiter.take("hot").allowed).toBe(false);
  });
});
