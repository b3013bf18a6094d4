// Compares a presented secret with the expected one in constant time, whatever either's length.
import * as crypto from "node:crypto";

// crypto.hash (Node ≥ 20.12) is the one-shot digest, about twice as fast as createHash() on short inputs;
// this runs on every Ory webhook call, logins included.
const digest: (value: string) => Buffer =
  typeof crypto.hash === "function"
    ? (value) => crypto.hash("sha256", value, "buffer")
    : (value) => crypto.createHash("sha256").update(value).digest();

/**
 * A matcher for one expected secret. Comparing SHA-256 digests keeps `timingSafeEqual` usable on inputs
 * of any length and leaks neither the length nor a common prefix.
 */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const want = digest(expected);
  return (presented) => crypto.timingSafeEqual(digest(presented), want);
}
