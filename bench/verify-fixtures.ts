// BrowserID data for the /verify benchmark: an IdP key, user keys, and a pool of distinct signed backed assertions
// (every entry its own certificate and its own assertion, so no two requests carry the same signatures).
import { createPublicKey } from "node:crypto";
import { type BrowserIdKeyPair, generateKeyPair, signJws } from "../test/support/browserid.js";

/** Which pair of signatures one verification checks: the IdP's on the certificate, the user's on the assertion. */
export type VerifyPair = "RS256+RS256" | "RS256+DS128";

export const VERIFY_PAIRS: readonly VerifyPair[] = ["RS256+RS256", "RS256+DS128"];

/** SPKI PEM of a key pair's public half, for the raw-limit child, which imports it once. */
const pemOf = (key: BrowserIdKeyPair) =>
  createPublicKey(key.privateKey).export({ format: "pem", type: "spki" }).toString();

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
  const idp = generateKeyPair("RS256");
  const userAlg = options.pair === "RS256+RS256" ? "RS256" : "DS128";
  const users = Array.from({ length: options.userKeys ?? 8 }, () => generateKeyPair(userAlg));
  const expires = now + options.validForMs;
  const assertions: string[] = [];
  for (let i = 0; i < options.size; i++) {
    const user = users[i % users.length] as BrowserIdKeyPair;
    const cert = signJws(
      {
        "public-key": user.publicKey,
        principal: { email: `user${i}@${options.issuer}` },
        iat: now - 1000 - (i % 1000),
        exp: expires + i,
        iss: options.issuer,
      },
      idp,
    );
    const assertion = signJws({ exp: expires + i, aud: options.audience }, user);
    assertions.push(`${cert}~${assertion}`);
  }
  return {
    pair: options.pair,
    issuer: options.issuer,
    audience: options.audience,
    issuerKey: idp.publicKey,
    assertions,
    pems: { issuer: pemOf(idp), users: users.map(pemOf) },
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
