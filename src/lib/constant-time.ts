// Compares a presented secret with the expected one in constant time, whatever either's length.
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * A matcher for one expected secret. Comparing SHA-256 digests keeps `timingSafeEqual` usable on inputs
 * of any length and leaks neither the length nor a common prefix.
 */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const want = digest(expected);
  return (presented) => timingSafeEqual(digest(presented), want);
}
