// Compares a presented secret with the expected one in constant time (for inputs of the expected length).
import { timingSafeEqual } from "node:crypto";

/**
 * A matcher for one expected secret. Bytes are compared with `timingSafeEqual`; a value of another length
 * is refused after a comparison of the same cost, so at most "the length differs" can be learned, never a
 * common prefix. No hashing: this runs on every Ory webhook call, logins included, and a digest per call
 * cost more than the rest of the login decision.
 */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const want = Buffer.from(expected, "utf8");
  return (presented) => {
    const got = Buffer.from(presented, "utf8");
    if (got.length !== want.length) {
      timingSafeEqual(want, want);
      return false;
    }
    return timingSafeEqual(got, want);
  };
}
