// Discovery over an injected fetcher: ?domain=, delegation, cycles, hop limit, HTTP refusals, deadlines, caching.
import { describe, expect, it } from "vitest";
import { sharedKeyPair, supportDocument } from "../../test/support/browserid.js";
import { createDiscovery } from "./discovery.js";
import { AssertionError } from "./errors.js";
import { IssuerFetchError } from "./fetcher.js";
import type { IssuerDocumentResponse } from "./types.js";

type Answer = IssuerDocumentResponse | Error | (() => Promise<IssuerDocumentResponse>);
const json = (doc: unknown): IssuerDocumentResponse => ({
  status: 200,
  contentType: "application/json; charset=utf-8",
  body: JSON.stringify(doc),
});
const key = sharedKeyPair("RS256").publicKey;

function setup(table: Record<string, Answer>, timeoutMs = 1_000) {
  let clock = 0;
  const calls: string[] = [];
  const discovery = createDiscovery({
    fetch: async (host, path) => {
      calls.push(`${host}${path}`);
      const answer = table[host];
      if (answer === undefined) return { status: 404, contentType: "text/html", body: "" };
      if (answer instanceof Error) throw answer;
      return typeof answer === "function" ? answer() : answer;
    },
    now: () => clock,
    timeoutMs,
    cacheTtlMs: 1_000,
    negativeCacheTtlMs: 100,
  });
  return { discovery, calls, advance: (ms: number) => (clock += ms) };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AssertionError) return error.reason;
    throw error;
  }
  throw new Error("expected a failure");
}

describe("discovery", () => {
  it("fetches /.well-known/browserid with the principal's domain and returns the keys", async () => {
    const { discovery, calls } = setup({ "idp.example": json(supportDocument(key)) });
    const found = await discovery.lookup("idp.example", "mail.example");
    expect(found.type === "supported" && found.authority).toBe("idp.example");
    expect(calls).toEqual(["idp.example/.well-known/browserid?domain=mail.example"]);
  });

  it("follows authority delegation, keeping ?domain= the original principal domain", async () => {
    const { discovery, calls } = setup({
      "deleg.example": json({ authority: "mid.example" }),
      "mid.example": json({ authority: "idp.example" }),
      "idp.example": json(supportDocument(key)),
    });
    const found = await discovery.lookup("deleg.example", "deleg.example");
    expect(found).toMatchObject({ type: "supported", authority: "idp.example" });
    expect(calls.every((call) => call.endsWith("?domain=deleg.example"))).toBe(true);
  });

  it("peek answers what lookup answered, from the cache only, and nothing once it expired", async () => {
    const { discovery, calls, advance } = setup({
      "deleg.example": json({ authority: "idp.example" }),
      "idp.example": json(supportDocument(key)),
      "off.example": json({ disabled: true }),
    });
    expect(discovery.peek("deleg.example", "deleg.example")).toBeUndefined();
    const found = await discovery.lookup("deleg.example", "deleg.example");
    expect(discovery.peek("deleg.example", "deleg.example")).toEqual(found);
    await discovery.lookup("off.example", "off.example");
    expect(discovery.peek("off.example", "off.example")).toEqual({
      type: "disabled",
      authority: "off.example",
    });
    expect(discovery.peek("idp.example", "other.example")).toBeUndefined();
    expect(discovery.peek("not a domain", "deleg.example")).toBeUndefined();
    const fetched = calls.length;
    advance(1_001);
    expect(discovery.peek("deleg.example", "deleg.example")).toBeUndefined();
    expect(calls.length).toBe(fetched);
  });

  it("detects delegation cycles", async () => {
    const { discovery } = setup({
      "a.example": json({ authority: "b.example" }),
      "b.example": json({ authority: "a.example" }),
    });
    expect(await reason(discovery.lookup("a.example", "a.example"))).toBe(
      "Circular reference in delegating authority: a.example > b.example > a.example",
    );
  });

  it("allows 5 delegations and refuses a 6th", async () => {
    const table: Record<string, Answer> = {};
    for (let i = 0; i < 6; i++) table[`d${i}.example`] = json({ authority: `d${i + 1}.example` });
    table["d6.example"] = json(supportDocument(key));
    const { discovery } = setup(table);
    expect(await discovery.lookup("d1.example", "d1.example")).toMatchObject({ authority: "d6.example" });
    expect(await reason(discovery.lookup("d0.example", "d0.example"))).toMatch(
      /^Too many hops while delegating/,
    );
  });

  it("reports disabled documents as such", async () => {
    const { discovery } = setup({ "off.example": json({ disabled: true }) });
    expect(await discovery.lookup("off.example", "off.example")).toEqual({
      type: "disabled",
      authority: "off.example",
    });
  });

  it.each([
    [{ status: 302, contentType: "text/html", body: "" }, "redirection not supported for support documents"],
    [
      { status: 404, contentType: "application/json", body: "" },
      "non-200 response code to /.well-known/browserid",
    ],
    [
      { status: 200, contentType: "text/plain", body: "{}" },
      'non "application/json" response to /.well-known/browserid',
    ],
    [
      { status: 200, contentType: undefined, body: "{}" },
      'non "application/json" response to /.well-known/browserid',
    ],
  ])("refuses %j", async (answer, detail) => {
    const { discovery } = setup({ "idp.example": answer });
    expect(await reason(discovery.lookup("idp.example", "x.example"))).toBe(
      `idp.example is not a browserid primary - ${detail}`,
    );
  });

  it("never echoes network error text", async () => {
    const { discovery } = setup({ "idp.example": new Error("connect ECONNREFUSED 10.0.0.7:22") });
    const text = await reason(discovery.lookup("idp.example", "x.example"));
    expect(text).toBe("idp.example is not a browserid primary - could not fetch /.well-known/browserid");
    expect(text).not.toMatch(/ECONNREFUSED|10\.0\.0\.7/);
  });

  it("bounds an injected fetcher that never answers", async () => {
    const { discovery } = setup({ "idp.example": () => new Promise(() => {}) }, 50);
    expect(await reason(discovery.lookup("idp.example", "x.example"))).toBe(
      "timeout trying to load well-known for idp.example",
    );
  });

  it("gives a whole delegation chain one deadline, not one per hop", async () => {
    const slow = (doc: unknown) => () =>
      new Promise<IssuerDocumentResponse>((resolve) => setTimeout(() => resolve(json(doc)), 120));
    const { discovery } = setup(
      {
        "a.example": slow({ authority: "b.example" }),
        "b.example": slow({ authority: "c.example" }),
        "c.example": slow(supportDocument(key)),
      },
      200,
    );
    // Each hop alone fits in 200 ms; the second one ends past the chain's deadline.
    expect(await reason(discovery.lookup("a.example", "a.example"))).toBe(
      "timeout trying to load well-known for b.example",
    );
  });

  it("maps fetcher limits to reasons", async () => {
    const { discovery } = setup({ "big.example": new IssuerFetchError("too_large") });
    expect(await reason(discovery.lookup("big.example", "x.example"))).toMatch(/too large/);
  });

  it("refuses to fetch for something that is not a domain", async () => {
    const { discovery, calls } = setup({});
    expect(await reason(discovery.lookup("evil.example/x?y", "x.example"))).toMatch(/^invalid domain/);
    expect(calls).toEqual([]);
  });

  it("caches documents per (domain, principal domain) with positive and negative TTLs", async () => {
    const { discovery, calls, advance } = setup({ "idp.example": json(supportDocument(key)) });
    await discovery.lookup("idp.example", "a.example");
    await discovery.lookup("idp.example", "a.example");
    await discovery.lookup("idp.example", "b.example");
    expect(calls).toHaveLength(2);
    advance(1_001);
    await discovery.lookup("idp.example", "a.example");
    expect(calls).toHaveLength(3);

    await reason(discovery.lookup("down.example", "down.example"));
    await reason(discovery.lookup("down.example", "down.example"));
    expect(calls).toHaveLength(4);
    advance(101);
    await reason(discovery.lookup("down.example", "down.example"));
    expect(calls).toHaveLength(5);
    discovery.clear();
    await discovery.lookup("idp.example", "a.example");
    expect(calls).toHaveLength(6);
  });

  it("shares one fetch between concurrent lookups", async () => {
    const { discovery, calls } = setup({
      "idp.example": () =>
        new Promise((resolve) => setTimeout(() => resolve(json(supportDocument(key))), 20)),
    });
    await Promise.all(Array.from({ length: 10 }, () => discovery.lookup("idp.example", "x.example")));
    expect(calls).toHaveLength(1);
  });
});
