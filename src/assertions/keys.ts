// BrowserID public keys → node:crypto KeyObjects, with key hygiene and a bounded cache of parsed keys.
import { createPublicKey, type KeyObject } from "node:crypto";
import { isPlainObject } from "../lib/json.js";
import { bigintToBytes, bytesToBigint, dsaPublicKeyDer } from "./der.js";
import { DSA_GROUPS, type DsaGroup } from "./dsa-groups.js";
import { fail } from "./errors.js";

export type KeyAlg = "RS128" | "RS256" | "DS128" | "DS256";

export type VerificationKey =
  | { kind: "rsa"; alg: "RS128" | "RS256"; keyObject: KeyObject; modulusBytes: number }
  | { kind: "dsa"; alg: "DS128" | "DS256"; keyObject: KeyObject; group: DsaGroup; qBytes: Buffer };

// Longest numbers we read (4096-bit moduli are 1234 digits, read only to say "bad key size"); longer is refused unread.
const MAX_DECIMAL = 1300;
const MAX_HEX = 520;
const MAX_B64 = 360;
const DECIMAL = /^[1-9][0-9]*$/;
const HEX = /^[0-9a-fA-F]+$/;
const B64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const MAX_EXPONENT = 2n ** 32n;

function decimal(value: unknown, name: string): bigint {
  if (typeof value !== "string" || value.length > MAX_DECIMAL || !DECIMAL.test(value)) {
    fail("key", `malformed public key: bad ${name}`);
  }
  return BigInt(value);
}

function hex(value: unknown, name: string): bigint {
  if (typeof value !== "string" || value.length > MAX_HEX || !HEX.test(value)) {
    fail("key", `malformed public key: bad ${name}`);
  }
  return BigInt(`0x${value}`);
}

// The JWK-ish form jwcrypto also loads ({"kty":"RSA"|"DSA"} with base64 or base64url big-endian values).
function base64Number(value: unknown, name: string): bigint {
  if (typeof value !== "string" || value.length > MAX_B64 || !B64.test(value)) {
    fail("key", `malformed public key: bad ${name}`);
  }
  const bytes = Buffer.from(value.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_"), "base64url");
  if (bytes.length === 0) fail("key", `malformed public key: bad ${name}`);
  return bytesToBigint(bytes);
}

const bitLength = (value: bigint): number => value.toString(2).length;

function rsaKey(n: bigint, e: bigint): VerificationKey {
  const bits = bitLength(n);
  // jwcrypto's own keygen produced 2047-bit "RS256" moduli, so allow ±1 bit like it did.
  let alg: "RS128" | "RS256";
  if (bits >= 2047 && bits <= 2049) alg = "RS256";
  else if (bits >= 1023 && bits <= 1025) alg = "RS128";
  else if (bits >= 511 && bits <= 513) fail("key", "RS64 keys are not accepted (RSA-512 is factorable)");
  else fail("key", `bad key size: ${bits}`);
  if ((n & 1n) === 0n) fail("key", "malformed public key: even RSA modulus");
  // e = 1 makes the signature equal the padded digest (trivial forgery); even e is not an RSA key.
  if (e < 3n || (e & 1n) === 0n || e >= MAX_EXPONENT) fail("key", "weak RSA public exponent");
  const keyObject = createPublicKey({
    key: { kty: "RSA", n: bigintToBytes(n).toString("base64url"), e: bigintToBytes(e).toString("base64url") },
    format: "jwk",
  });
  return { kind: "rsa", alg, keyObject, modulusBytes: Math.ceil(bits / 8) };
}

function dsaKey(p: bigint, q: bigint, g: bigint, y: bigint): VerificationKey {
  const group = DSA_GROUPS.find((candidate) => candidate.p === p && candidate.q === q && candidate.g === g);
  if (!group) fail("key", "DSA parameters are not a standard BrowserID group");
  // y outside (1, p-1) is degenerate (y = 1 or p-1 has a known discrete log).
  if (y <= 1n || y >= p - 1n) fail("key", "malformed public key: bad y");
  const keyObject = createPublicKey({ key: dsaPublicKeyDer(group, y), format: "der", type: "spki" });
  return {
    kind: "dsa",
    alg: group.alg,
    keyObject,
    group,
    qBytes: bigintToBytes(group.q, group.componentBytes),
  };
}

function cacheKey(key: Record<string, unknown>): string | undefined {
  const parts = [key.algorithm, key.kty, key.n, key.e, key.p, key.q, key.g, key.y];
  for (const part of parts) if (part !== undefined && typeof part !== "string") return undefined;
  return parts.map((part) => part ?? "").join("|");
}

function loadKey(key: Record<string, unknown>): VerificationKey {
  const type = key.algorithm ?? key.kty;
  switch (type) {
    case "RS":
      return rsaKey(decimal(key.n, "n"), decimal(key.e, "e"));
    case "RSA":
      return rsaKey(base64Number(key.n, "n"), base64Number(key.e, "e"));
    case "DS":
      return dsaKey(hex(key.p, "p"), hex(key.q, "q"), hex(key.g, "g"), hex(key.y, "y"));
    case "DSA":
      return dsaKey(
        base64Number(key.p, "p"),
        base64Number(key.q, "q"),
        base64Number(key.g, "g"),
        base64Number(key.y, "y"),
      );
    default:
      return fail(
        "algorithm",
        `no such algorithm: ${typeof type === "string" ? type.slice(0, 32) : String(type)}`,
      );
  }
}

const MAX_CACHED_KEYS = 10_000;
const keyCache = new Map<string, VerificationKey>();

/** Parses a BrowserID public key object; throws AssertionError("key" | "algorithm") for anything unacceptable. */
export function parsePublicKey(value: unknown): VerificationKey {
  if (!isPlainObject(value)) fail("key", "malformed public key");
  const id = cacheKey(value);
  if (id === undefined) fail("key", "malformed public key");
  const cached = keyCache.get(id);
  if (cached) return cached;
  const parsed = loadKey(value);
  // Oldest-first eviction keeps the cache bounded without reordering on every hit.
  if (keyCache.size >= MAX_CACHED_KEYS) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  keyCache.set(id, parsed);
  return parsed;
}

/** The alg a JWS header must name to be verified with this key (no alg confusion: RS on RSA of the right size only). */
export function requireAlg(key: VerificationKey, headerAlg: string): void {
  if (key.alg !== headerAlg) fail("algorithm", "algorithms do not match");
}
