// The lookup cache: positive and negative TTLs on an injected clock, one shared load per key, bounded size.
import { describe, expect, it } from "vitest";
import { createLookupCache } from "./cache.js";

function setup() {
  let clock = 1_000;
  const cache = createLookupCache<string>({ now: () => clock, ttlMs: 100, negativeTtlMs: 10, maxEntries: 3 });
  return { cache, advance: (ms: number) => (clock += ms) };
}

describe("createLookupCache", () => {
  it("reuses a value until its TTL passes", async () => {
    const { cache, advance } = setup();
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.get("a", load)).toBe("v1");
    advance(99);
    expect(await cache.get("a", load)).toBe("v1");
    advance(2);
    expect(await cache.get("a", load)).toBe("v2");
  });

  it("peeks at fresh successful values only", async () => {
    const { cache, advance } = setup();
    expect(cache.peek("a")).toBeUndefined();
    await cache.get("a", async () => "v");
    expect(cache.peek("a")).toBe("v");
    await cache.get("b", async () => Promise.reject(new Error("down"))).catch(() => {});
    expect(cache.peek("b")).toBeUndefined();
    advance(101);
    expect(cache.peek("a")).toBeUndefined();
  });

  it("remembers failures for the shorter negative TTL", async () => {
    const { cache, advance } = setup();
    let loads = 0;
    const load = async () => {
      loads++;
      throw new Error("down");
    };
    await expect(cache.get("a", load)).rejects.toThrow("down");
    await expect(cache.get("a", load)).rejects.toThrow("down");
    expect(loads).toBe(1);
    advance(11);
    await expect(cache.get("a", load)).rejects.toThrow("down");
    expect(loads).toBe(2);
  });

  it("shares one load between concurrent lookups of the same key", async () => {
    const { cache } = setup();
    let loads = 0;
    let release: (value: string) => void = () => {};
    const load = () => {
      loads++;
      return new Promise<string>((resolve) => {
        release = resolve;
      });
    };
    const all = Promise.all([cache.get("a", load), cache.get("a", load), cache.get("a", load)]);
    release("shared");
    expect(await all).toEqual(["shared", "shared", "shared"]);
    expect(loads).toBe(1);
  });

  it("stays bounded and can be cleared", async () => {
    const { cache } = setup();
    for (const key of ["a", "b", "c", "d", "e"]) await cache.get(key, async () => key);
    expect(cache.size).toBe(3);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
