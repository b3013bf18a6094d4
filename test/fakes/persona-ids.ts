// Persona-shaped identifiers (inq_…, evt_…, req_…) and JWT-shaped session tokens for the simulator.
import { createHmac, randomBytes, randomUUID } from "node:crypto";

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Unbiased random base58 string (bytes ≥ 232 are rejected so every letter is equally likely). */
export function randomBase58(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 232 && out.length < length) out += BASE58[byte % 58];
    }
  }
  return out;
}

/**
 * `inq_zEx4jL84ShbUyuwX6AzPSqt6`: every id in Persona's documented examples has 24 characters after
 * the prefix, so the simulator uses 24 (the brief said "about 25").
 */
export function personaId(prefix: string, length = 24): string {
  return `${prefix}_${randomBase58(length)}`;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString("base64url");
}

/**
 * A session token shaped like the one in the 2023 spec's resume example: HS256 JWT whose `sub` and
 * `sid` are the inquiry-session id. Signed with a key private to the simulator; nobody verifies it.
 */
export function sessionToken(opts: {
  sessionId: string;
  inquiryId: string;
  issuer: string;
  nowMs: number;
  key: Buffer;
}): string {
  const iat = Math.floor(opts.nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: "HS256" }));
  const payload = base64url(
    JSON.stringify({
      sub: opts.sessionId,
      aud: "persona-verify",
      iss: opts.issuer,
      iat,
      nbf: iat,
      exp: iat + 86_400,
      jti: randomUUID(),
      sid: opts.sessionId,
      inq: opts.inquiryId,
    }),
  );
  const signature = createHmac("sha256", opts.key).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}
