// BrowserID data for the /verify benchmark: an IdP key, user keys, and a pool of distinct signed backed assertions
// (every entry its own certificate and its own assertion, so no two requests carry the same signatures).
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from "node:crypto";

/** Which pair of signatures one verification checks: the IdP's on the certificate, the user's on the assertion. */
export type VerifyPair = "RS256+RS256" | "RS256+DS128";

export const VERIFY_PAIRS: readonly VerifyPair[] = ["RS256+RS256", "RS256+DS128"];

interface SigningKey {
  alg: "RS256" | "DS128";
  privateKey: KeyObject;
  /** The public key as BrowserID writes it in certificates and support documents. */
  json: Record<string, string>;
  /** SPKI PEM, for the raw-limit child, which imports it once. */
  pem: string;
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString("base64url");
const toDecimal = (b64: string) => BigInt(`0x${Buffer.from(b64, "base64url").toString("hex")}`).toString(10);
const toHex = (value: bigint) => value.toString(16);

/** RSA-2048 (BrowserID "RS256": PKCS#1 v1.5 with SHA-256). */
function rsaKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });
  if (!jwk.n || !jwk.e) throw new Error("RSA public key without n/e");
  return {
    alg: "RS256",
    privateKey,
    json: { algorithm: "RS", n: toDecimal(jwk.n), e: toDecimal(jwk.e) },
    pem: publicKey.export({ format: "pem", type: "spki" }).toString(),
  };
}

// The FIPS 186-3 DSA 1024/160 group BrowserID's DS128 keys use (jwcrypto lib/algs/ds.js, the "128" parameters).
const DS128_GROUP = {
  p: "ff600483db6abfc5b45eab78594b3533d550d9f1bf2a992a7a8daa6dc34f8045ad4e6e0c429d334eeeaaefd7e23d4810be00e4cc1492cba325ba81ff2d5a5b305a8d17eb3bf4a06a349d392e00d329744a5179380344e82a18c47933438f891e22aeef812d69c8f75e326cb70ea000c3f776dfdbd604638c2ef717fc26d02e17",
  q: "e21e04f911d1ed7991008ecaab3bf775984309c3",
  g: "c52a4a0ff3b7e61fdf1867ce84138369a6154f4afa92966e3c827e25cfa6cf508b90e5de419e1337e07a2e9e2a3cd5dea704d175f8ebf6af397d69e110b96afb17c7a03259329e4829b0d03bbc7896b15b4ade53e130858cc34d96269aa89041f409136c7242a38895c9d5bccad4f389af1d7a4bd1398bd072dffa896233397a",
};

/** DER length prefix. */
function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
function derInteger(value: bigint): Buffer {
  let hex = toHex(value);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return der(0x02, bytes);
}
const DSA_OID = Buffer.from("06072a8648ce380401", "hex"); // 1.2.840.10040.4.1

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/**
 * A DS128 key in the standard group. node:crypto cannot generate a DSA key for given parameters, so the private
 * key x is drawn here and the PKCS#8 and SPKI documents are written by hand.
 */
function dsaKey(): SigningKey {
  const p = BigInt(`0x${DS128_GROUP.p}`);
  const q = BigInt(`0x${DS128_GROUP.q}`);
  const g = BigInt(`0x${DS128_GROUP.g}`);
  const x = (BigInt(`0x${randomBytes(32).toString("hex")}`) % (q - 1n)) + 1n;
  const y = modPow(g, x, p);
  const params = der(0x30, Buffer.concat([derInteger(p), derInteger(q), derInteger(g)]));
  const algorithm = der(0x30, Buffer.concat([DSA_OID, params]));
  const pkcs8 = der(0x30, Buffer.concat([derInteger(0n), algorithm, der(0x04, derInteger(x))]));
  const spki = der(
    0x30,
    Buffer.concat([algorithm, der(0x03, Buffer.concat([Buffer.from([0]), derInteger(y)]))]),
  );
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
  return {
    alg: "DS128",
    privateKey,
    json: { algorithm: "DS", y: toHex(y), p: DS128_GROUP.p, q: DS128_GROUP.q, g: DS128_GROUP.g },
    pem: createPublicKey({ key: spki, format: "der", type: "spki" })
      .export({ format: "pem", type: "spki" })
      .toString(),
  };
}

/** JWS compact: `b64url({"alg"}).b64url(payload).b64url(signature)`, DSA signatures as r || s (IEEE P1363). */
function jws(key: SigningKey, payload: object): string {
  const input = `${b64url(JSON.stringify({ alg: key.alg }))}.${b64url(JSON.stringify(payload))}`;
  const signature =
    key.alg === "RS256"
      ? sign("sha256", Buffer.from(input), key.privateKey)
      : sign("sha1", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${b64url(signature)}`;
}

export interface VerifyPool {
  pair: VerifyPair;
  /** The issuer (and the emails' domain): `host:port` of the support-document server. */
  issuer: string;
  audience: string;
  /** The issuer's public key, as its /.well-known/browserid serves it. */
  issuerKey: Record<string, string>;
  /** `cert~assertion`, all distinct. */
  assertions: string[];
  /** SPKI PEM of the issuer key and of each user key, for the raw-limit child. */
  pems: { issuer: string; users: string[] };
  /** Expiry of the earliest certificate or assertion in the pool (ms). */
  expires: number;
}

export interface PoolOptions {
  pair: VerifyPair;
  issuer: string;
  audience: string;
  size: number;
  /** Certificates and assertions stay valid this long from now (ms). */
  validForMs: number;
  /** Distinct user keys the certificates certify (users sign in with their own key). */
  userKeys?: number;
  now?: number;
}

/**
 * `size` backed assertions: entry i is a fresh certificate for `user<i>@<issuer>` (one of a few user keys) and a
 * fresh assertion for `audience`, each with its own timestamps, so both signatures differ from every other entry.
 */
export function verifyPool(options: PoolOptions): VerifyPool {
  const now = options.now ?? Date.now();
  const idp = rsaKey();
  const userKind = options.pair === "RS256+RS256" ? rsaKey : dsaKey;
  const users = Array.from({ length: options.userKeys ?? 8 }, () => userKind());
  const expires = now + options.validForMs;
  const assertions: string[] = [];
  for (let i = 0; i < options.size; i++) {
    const user = users[i % users.length] as SigningKey;
    const cert = jws(idp, {
      "public-key": user.json,
      principal: { email: `user${i}@${options.issuer}` },
      iat: now - 1000 - (i % 1000),
      exp: expires + i,
      iss: options.issuer,
    });
    const assertion = jws(user, { exp: expires + i, aud: options.audience });
    assertions.push(`${cert}~${assertion}`);
  }
  return {
    pair: options.pair,
    issuer: options.issuer,
    audience: options.audience,
    issuerKey: idp.json,
    assertions,
    pems: { issuer: idp.pem, users: users.map((u) => u.pem) },
    expires,
  };
}

/** The support document the issuer serves at /.well-known/browserid. */
export function supportDocument(pool: VerifyPool): string {
  return JSON.stringify({
    "public-key": pool.issuerKey,
    authentication: "/browserid/sign_in.html",
    provisioning: "/browserid/provision.html",
  });
}
