// The one HMAC webhook verifier: constant-time compare, several secrets (rotation), optional timestamp window.
import { createHmac, timingSafeEqual } from "node:crypto";

export interface SignatureCandidate {
  /** Unix seconds the sender put beside the signature, when the scheme has one. */
  timestamp?: number;
  /** Lowercase hex digest. */
  signature: string;
}

export interface SignatureScheme {
  /** Lowercase header name. */
  header: string;
  /** Splits the header into candidates; null when it is malformed. */
  parse(value: string): SignatureCandidate[] | null;
  /** What the sender signed before the raw body (Persona: `<t>.`); the body alone when absent. */
  signedPrefix?(candidate: SignatureCandidate): string;
  /** Maximum age (and future skew) of a timestamp; only for schemes with timestamps. */
  toleranceSeconds?: number;
}

export type SignatureVerdict =
  | { ok: true }
  | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" | "no_secret" | "forbidden_source" };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

export function verifySignature(
  scheme: SignatureScheme,
  secrets: readonly string[],
  headerValue: string | string[] | undefined,
  rawBody: Buffer,
  nowMs: number,
): SignatureVerdict {
  if (secrets.length === 0) return { ok: false, reason: "no_secret" };
  const value = Array.isArray(headerValue) ? headerValue.join(" ") : headerValue;
  if (!value) return { ok: false, reason: "missing" };
  const candidates = scheme.parse(value.trim());
  if (!candidates || candidates.length === 0) return { ok: false, reason: "malformed" };
  let wellFormed = 0;
  let fresh = 0;
  for (const candidate of candidates) {
    if (!HEX_SHA256.test(candidate.signature)) continue;
    if (scheme.toleranceSeconds !== undefined) {
      if (candidate.timestamp === undefined || !Number.isFinite(candidate.timestamp)) continue;
      wellFormed++;
      if (Math.abs(nowMs / 1000 - candidate.timestamp) > scheme.toleranceSeconds) continue;
    }
    if (scheme.toleranceSeconds === undefined) wellFormed++;
    fresh++;
    const expected = Buffer.from(candidate.signature, "hex");
    const prefix = scheme.signedPrefix?.(candidate);
    for (const secret of secrets) {
      const hmac = createHmac("sha256", secret);
      if (prefix !== undefined) hmac.update(prefix);
      const actual = hmac.update(rawBody).digest();
      if (timingSafeEqual(actual, expected)) return { ok: true };
    }
  }
  if (wellFormed === 0) return { ok: false, reason: "malformed" };
  if (fresh === 0) return { ok: false, reason: "stale" };
  return { ok: false, reason: "mismatch" };
}

/** Hex HMAC-SHA256, for simulators and tests that sign like the providers. */
export function hmacHex(secret: string, content: string | Buffer): string {
  return createHmac("sha256", secret).update(content).digest("hex");
}
