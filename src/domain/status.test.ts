// Properties of the result-ordering rule: late or weaker provider states never undo a decision, whatever order they arrive in.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type NormalizedStatus,
  type ObservedState,
  STATUSES,
  type StoredState,
  supersedes,
} from "./status.js";

const DECISIONS: readonly NormalizedStatus[] = ["approved", "declined", "review", "failed"];
const NON_DECISIONS: readonly NormalizedStatus[] = STATUSES.filter((s) => !DECISIONS.includes(s));

// Small versions too, so that equal timestamps (ties) come up often.
const version = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 2_000_000_000_000 }));
const state = (statuses: readonly NormalizedStatus[]) =>
  fc.record({ status: fc.constantFrom(...statuses), version });
const anyState = state(STATUSES);

/** What the store holds after the observed states arrive in this order (as results.record applies them). */
function apply(initial: StoredState, arrivals: readonly ObservedState[]): StoredState {
  return arrivals.reduce<StoredState>(
    (stored, observed) => (supersedes(stored, observed) ? observed : stored),
    initial,
  );
}

describe("supersedes", () => {
  it("never lets a non-decision replace a decision, however new", () => {
    fc.assert(
      fc.property(state(DECISIONS), state(NON_DECISIONS), (stored, observed) => {
        expect(supersedes(stored, observed)).toBe(false);
      }),
    );
  });

  it("lets any decision replace a non-decision, even one with an older timestamp", () => {
    fc.assert(
      fc.property(state(NON_DECISIONS), state(DECISIONS), (stored, observed) => {
        expect(supersedes(stored, observed)).toBe(true);
      }),
    );
  });

  it("never lets an older decision replace a newer one", () => {
    fc.assert(
      fc.property(state(DECISIONS), state(DECISIONS), (a, b) => {
        fc.pre(a.version !== b.version);
        const [older, newer] = a.version < b.version ? [a, b] : [b, a];
        expect(supersedes(newer, older)).toBe(false);
        expect(supersedes(older, newer)).toBe(true);
      }),
    );
  });

  it("is irreflexive: the same state seen again changes nothing", () => {
    fc.assert(
      fc.property(anyState, (s) => {
        expect(supersedes(s, { ...s })).toBe(false);
      }),
    );
  });

  it("is asymmetric, except that between two non-decisions of the same timestamp the later read wins", () => {
    fc.assert(
      fc.property(anyState, anyState, (a, b) => {
        const sameSecondNonDecisions =
          a.version === b.version && !DECISIONS.includes(a.status) && !DECISIONS.includes(b.status);
        fc.pre(!sameSecondNonDecisions);
        expect(supersedes(a, b) && supersedes(b, a)).toBe(false);
      }),
      { numRuns: 1_000 },
    );
    fc.assert(
      fc.property(state(NON_DECISIONS), fc.constantFrom(...NON_DECISIONS), (stored, status) => {
        fc.pre(status !== stored.status);
        expect(supersedes(stored, { status, version: stored.version })).toBe(true);
      }),
    );
  });

  it("ends in the same state for every arrival order when timestamps are distinct", () => {
    // Versions start at 1: the verification row starts as "created" with version 0.
    const scenario = fc
      .uniqueArray(fc.integer({ min: 1, max: 2_000_000_000_000 }), { minLength: 1, maxLength: 12 })
      .chain((versions) =>
        fc.tuple(
          ...versions.map((v) =>
            fc.record({ status: fc.constantFrom(...STATUSES), version: fc.constant(v) }),
          ),
        ),
      )
      .chain((observed) =>
        fc.record({
          observed: fc.constant(observed),
          arrival: fc.shuffledSubarray(observed, { minLength: observed.length }),
        }),
      );
    fc.assert(
      fc.property(scenario, ({ observed, arrival }) => {
        const initial: StoredState = { status: "created", version: 0 };
        const inTimestampOrder = apply(
          initial,
          [...observed].sort((a, b) => a.version - b.version),
        );
        expect(apply(initial, arrival)).toEqual(inTimestampOrder);
      }),
      { numRuns: 1_000 },
    );
  });

  it("out-of-order events never undo a decision: once any decision arrived, a decision is stored", () => {
    fc.assert(
      fc.property(fc.array(anyState, { minLength: 1, maxLength: 12 }), (arrival) => {
        const final = apply({ status: "created", version: 0 }, arrival);
        const decided = arrival.filter((s) => DECISIONS.includes(s.status));
        if (decided.length > 0) {
          expect(DECISIONS).toContain(final.status);
          // ...and it is the newest decision seen.
          expect(final.version).toBe(Math.max(...decided.map((s) => s.version)));
        }
      }),
      { numRuns: 1_000 },
    );
  });
});
