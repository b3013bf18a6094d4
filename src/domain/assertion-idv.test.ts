// The idv member's lookup: which identity an email designates, approved-only, caching, and outages.
import { describe, expect, it } from "vitest";
import {
  createIdvLookup,
  type IdentityCandidate,
  identityForEmail,
  type StoredStatus,
} from "./assertion-idv.js";

const ID_A = "0b6e4c36-8f43-4a43-9f1e-3c0f3f3c2a01";
const ID_B = "0b6e4c36-8f43-4a43-9f1e-3c0f3f3c2a02";

const identity = (id: string, email: string, verified = true, state = "active"): IdentityCandidate => ({
  id,
  state,
  verifiable_addresses: [{ value: email, verified }],
});

function rig(opts: { candidates?: IdentityCandidate[]; rows?: Record<string, StoredStatus> } = {}) {
  let now = 1_700_000_000_000;
  const calls: string[] = [];
  const warnings: string[] = [];
  const state = {
    candidates: opts.candidates ?? [identity(ID_A, "ada@example.com")],
    rows: opts.rows ?? { [ID_A]: { status: "approved", provider: "persona", decided_at: 1_690_000_000_000 } },
    kratosDown: false,
    storeDown: false,
  };
  const lookup = createIdvLookup({
    findIdentities: async (email) => {
      calls.push(email);
      if (state.kratosDown) throw new Error("Kratos admin API unreachable");
      return state.candidates;
    },
    readStatus: (id) => {
      if (state.storeDown) throw Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR" });
      return state.rows[id];
    },
    clock: { now: () => now },
    cacheTtlMs: 60_000,
    pauseAfterFailureMs: 5000,
    onUnavailable: (what) => warnings.push(what),
  });
  return { lookup, calls, warnings, state, advance: (ms: number) => (now += ms) };
}

describe("identityForEmail", () => {
  it("picks the one active identity holding the email as a verified address, case-insensitively", () => {
    expect(identityForEmail("Ada@Example.com", [identity(ID_A, "ada@example.com")])).toBe(ID_A);
  });

  it("ignores unverified addresses, inactive identities and other emails", () => {
    expect(identityForEmail("ada@example.com", [identity(ID_A, "ada@example.com", false)])).toBeUndefined();
    expect(
      identityForEmail("ada@example.com", [identity(ID_A, "ada@example.com", true, "inactive")]),
    ).toBeUndefined();
    expect(identityForEmail("ada@example.com", [identity(ID_A, "bob@example.com")])).toBeUndefined();
    expect(identityForEmail("ada@example.com", [{ id: ID_A }])).toBeUndefined();
  });

  it("refuses to choose between two identities", () => {
    expect(
      identityForEmail("ada@example.com", [
        identity(ID_A, "ada@example.com"),
        identity(ID_B, "ada@example.com"),
      ]),
    ).toBeUndefined();
  });
});

describe("createIdvLookup", () => {
  it("answers the approved verification of the email's identity", async () => {
    const { lookup } = rig();
    expect(await lookup("ada@example.com")).toEqual({
      status: "approved",
      provider: "persona",
      verified_at: new Date(1_690_000_000_000).toISOString(),
    });
  });

  it("answers nothing for an identity that is not approved, or has no verification", async () => {
    const declined = rig({ rows: { [ID_A]: { status: "declined", provider: "onfido", decided_at: 1 } } });
    expect(await declined.lookup("ada@example.com")).toBeUndefined();
    const none = rig({ rows: {} });
    expect(await none.lookup("ada@example.com")).toBeUndefined();
  });

  it("reuses the email → identity answer for the cache TTL, but reads the status every time", async () => {
    const { lookup, calls, state, advance } = rig();
    await lookup("ada@example.com");
    await lookup("ADA@example.com");
    expect(calls).toEqual(["ada@example.com"]);
    // A new decision shows at once: statuses are not cached.
    state.rows[ID_A] = { status: "declined", provider: "persona", decided_at: 2 };
    expect(await lookup("ada@example.com")).toBeUndefined();
    advance(60_001);
    await lookup("ada@example.com");
    expect(calls).toHaveLength(2);
  });

  it("asks Kratos once for concurrent lookups of one email", async () => {
    const { lookup, calls } = rig();
    await Promise.all([lookup("ada@example.com"), lookup("ada@example.com"), lookup("ada@example.com")]);
    expect(calls).toHaveLength(1);
  });

  it("answers without idv while Kratos is down, warns once per pause, and tries again after it", async () => {
    const { lookup, calls, warnings, state, advance } = rig();
    state.kratosDown = true;
    expect(await lookup("ada@example.com")).toBeUndefined();
    expect(await lookup("bob@example.com")).toBeUndefined();
    expect(calls).toHaveLength(1); // paused: no call, no wait
    expect(warnings).toEqual(["kratos"]);
    state.kratosDown = false;
    advance(5001);
    expect((await lookup("ada@example.com"))?.status).toBe("approved");
  });

  it("answers without idv when the store cannot be read", async () => {
    const { lookup, warnings, state } = rig();
    state.storeDown = true;
    expect(await lookup("ada@example.com")).toBeUndefined();
    expect(warnings).toEqual(["store"]);
  });
});
