// The one error type verification steps throw; the verifier turns it into a failure Verdict (never thrown to callers).
import type { FailureCategory } from "./types.js";

export class AssertionError extends Error {
  constructor(
    readonly category: FailureCategory,
    /** Mozilla-compatible reason text; never contains network error text or other internals. */
    readonly reason: string,
  ) {
    super(reason);
    this.name = "AssertionError";
  }
}

export function fail(category: FailureCategory, reason: string): never {
  throw new AssertionError(category, reason);
}
