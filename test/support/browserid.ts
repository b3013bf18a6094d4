// Test signer for BrowserID: keypairs in every BrowserID alg, certificates, assertions and backed assertions (JWS compact).
//
// API (all synchronous; RSA key generation takes tens of ms, so reuse keys through sharedKeyPair where you can):
//   generateKeyPair(alg)                  → BrowserIdKeyPair { alg, publicKey (BrowserID JSON), privateKey (KeyObject) }
//   sharedKeyPair(alg, name?)             → the same keypair for (alg, name) for the whole test file
//   signCertificate({ issuer, email, publicKey, iat, exp, ...extra }, issuerKey, options?)   → JWS string
//       omit a claim by passing `undefined`; `principal`/`public-key` may be overridden through `extra`
//   signAssertion({ aud, exp, ...extra }, userKey, options?)                                   → JWS string
//   backedAssertion(cert, assertion)      → "cert~assertion" (pass several certs as an array to build a chain)
//   signJws(payload, key, { header?, signature? })   → JWS with any header/payload; `signature` replaces the real one
//   encodeJws(header, payload, signature) / b64url(bytes | string) → raw building blocks for malformed inputs
//   rawSign(signingInput, key)            → the signature bytes alone (node:crypto; DSA as r||s)
//   dsaSignature(r, s, alg)               → r||s bytes as BrowserID encodes them (for out-of-range tests)
//   supportDocument(keys)                 → a /.well-known/browserid document publishing the given public keys
// RS signatures are full modulus length (what node:crypto produces); pass { minimalRsa: true } to strip leading
// zero bytes the way jwcrypto did, which verifiers must left-pad.
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { bigintToBytes, bytesToBigint, dsaPrivateKeyDer } from "../../src/assertions/der.js";
import { DS128, DS256, type DsaGroup } from "../../src/assertions/dsa-groups.js";
import { AssertionError } from "../../src/assertions/errors.js";

export type BrowserIdAlg = "RS64" | "RS128" | "RS256" | "DS128" | "DS256";

export type BrowserIdPublicKey =
  | { algorithm: "RS"; n: string; e: string }
  | { algorithm: "DS"; y: string; p: string; q: string; g: string };

export interface BrowserIdKeyPair {
  alg: BrowserIdAlg;
  publicKey: BrowserIdPublicKey;
  privateKey: KeyObject;
}

const RSA_BITS: Record<string, number> = { RS64: 512, RS128: 1024, RS256: 2048 };

export function b64url(input: Uint8Array | string): string {
  return Buffer.from(input).toString("base64url");
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

function dsaGroup(alg: BrowserIdAlg): DsaGroup {
  return alg === "DS128" ? DS128 : DS256;
}

export function generateKeyPair(alg: BrowserIdAlg): BrowserIdKeyPair {
  const bits = RSA_BITS[alg];
  if (bits !== undefined) {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
      modulusLength: bits,
      publicExponent: 65537,
    });
    const jwk = publicKey.export({ format: "jwk" });
    const n = bytesToBigint(Buffer.from(jwk.n ?? "", "base64url")).toString(10);
    const e = bytesToBigint(Buffer.from(jwk.e ?? "", "base64url")).toString(10);
    return { alg, publicKey: { algorithm: "RS", n, e }, privateKey };
  }
  const group = dsaGroup(alg);
  // x uniform enough in [1, q-1]: 64 extra random bits make the modulo bias negligible.
  const x = (bytesToBigint(randomBytes(group.componentBytes + 8)) % (group.q - 1n)) + 1n;
  const y = modPow(group.g, x, group.p);
  const privateKey = createPrivateKey({ key: dsaPrivateKeyDer(group, x), format: "der", type: "pkcs8" });
  return {
    alg,
    publicKey: {
      algorithm: "DS",
      y: y.toString(16),
      p: group.p.toString(16),
      q: group.q.toString(16),
      g: group.g.toString(16),
    },
    privateKey,
  };
}

const shared = new Map<string, BrowserIdKeyPair>();

export function sharedKeyPair(alg: BrowserIdAlg, name = "default"): BrowserIdKeyPair {
  const id = `${alg}/${name}`;
  let pair = shared.get(id);
  if (!pair) {
    pair = generateKeyPair(alg);
    shared.set(id, pair);
  }
  return pair;
}

export interface SignOptions {
  /** Header object; defaults to {"alg": key.alg}. */
  header?: Record<string, unknown>;
  /** Replaces the computed signature bytes (negative tests). */
  signature?: Uint8Array;
  /** Strip leading zero bytes of RS signatures, as jwcrypto did. */
  minimalRsa?: boolean;
}

export function encodeJws(header: unknown, payload: unknown, signature: Uint8Array): string {
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${b64url(signature)}`;
}

export function rawSign(data: string, key: BrowserIdKeyPair, minimalRsa = false): Buffer {
  if (key.alg.startsWith("DS")) {
    const group = dsaGroup(key.alg);
    return sign(group.hash, Buffer.from(data), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  }
  const signature = sign("sha256", Buffer.from(data), key.privateKey);
  if (!minimalRsa) return signature;
  let start = 0;
  while (start < signature.length - 1 && signature[start] === 0) start++;
  return signature.subarray(start);
}

export function signJws(payload: unknown, key: BrowserIdKeyPair, options: SignOptions = {}): string {
  const header = options.header ?? { alg: key.alg };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = options.signature ?? rawSign(signingInput, key, options.minimalRsa);
  return `${signingInput}.${b64url(signature)}`;
}

export interface CertificateClaims {
  issuer?: string | undefined;
  email?: string | undefined;
  publicKey?: BrowserIdPublicKey | undefined;
  /** Milliseconds; any value is allowed so tests can build malformed certificates. */
  iat?: unknown;
  exp?: unknown;
  [claim: string]: unknown;
}

export function signCertificate(
  claims: CertificateClaims,
  issuerKey: BrowserIdKeyPair,
  options?: SignOptions,
): string {
  const { issuer, email, publicKey, iat, exp, ...extra } = claims;
  const payload: Record<string, unknown> = {
    "public-key": publicKey,
    principal: email === undefined ? undefined : { email },
    iat,
    exp,
    iss: issuer,
    ...extra,
  };
  return signJws(payload, issuerKey, options);
}

export interface AssertionClaims {
  aud?: unknown;
  /** Milliseconds; any value is allowed so tests can build malformed assertions. */
  exp?: unknown;
  [claim: string]: unknown;
}

export function signAssertion(
  claims: AssertionClaims,
  userKey: BrowserIdKeyPair,
  options?: SignOptions,
): string {
  return signJws(claims, userKey, options);
}

export function backedAssertion(cert: string | readonly string[], assertion: string): string {
  return [...(typeof cert === "string" ? [cert] : cert), assertion].join("~");
}

/** r||s laid out as BrowserID encodes DSA signatures (each component left-padded to the byte length of q). */
export function dsaSignature(r: bigint, s: bigint, alg: "DS128" | "DS256"): Buffer {
  const width = dsaGroup(alg).componentBytes;
  return Buffer.concat([bigintToBytes(r, width), bigintToBytes(s, width)]);
}

export function supportDocument(
  keys: BrowserIdPublicKey | readonly BrowserIdPublicKey[],
): Record<string, unknown> {
  const list = Array.isArray(keys) ? keys : [keys];
  return {
    "public-key": list[0],
    ...(list.length > 1 ? { keys: list } : {}),
    authentication: "/browserid/sign_in.html",
    provisioning: "/browserid/provision.html",
  };
}

/** The AssertionError a synchronous verifier step throws (the test fails if it throws nothing, or something else). */
export function assertionFailure(run: () => unknown): AssertionError {
  try {
    run();
  } catch (error) {
    if (error instanceof AssertionError) return error;
    throw error;
  }
  throw new Error("expected an AssertionError");
}
