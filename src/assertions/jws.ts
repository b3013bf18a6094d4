// JWS compact parsing for BrowserID: strict base64url, `cert~assertion` with exactly one certificate.

import { isPlainObject } from "../lib/json.js";
import { fail } from "./errors.js";

export interface ParsedJws {
  alg: string;
  /** The decoded payload; always a plain JSON object. */
  payload: Record<string, unknown>;
  /** ASCII `header.payload`, what the signature covers. */
  signingInput: string;
  /** The same as bytes, made once (certificates are cached, so their bytes are too). */
  signedBytes: Buffer;
  signature: Buffer;
}

export interface BackedAssertion {
  certificate: ParsedJws;
  assertion: ParsedJws;
}

/** Largest backed assertion accepted; the HTTP layer caps bodies at 10 KiB, this guards direct library use. */
export const MAX_BACKED_ASSERTION_CHARS = 16 * 1024;

const B64URL = /^[A-Za-z0-9_-]*$/;
const B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Strict base64url: alphabet only, no padding, canonical (unused trailing bits zero). jwcrypto skipped foreign
 * characters in signatures; accepting `=`-padded or otherwise altered signatures would let one signature have
 * many spellings, so we refuse them.
 */
export function decodeBase64url(segment: string): Buffer | undefined {
  const rest = segment.length % 4;
  if (rest === 1 || !B64URL.test(segment)) return undefined;
  // Canonical: the bits the last character carries beyond the final byte must be zero.
  if (rest !== 0) {
    const last = B64URL_ALPHABET.indexOf(segment.charAt(segment.length - 1));
    if ((last & (rest === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  }
  return Buffer.from(segment, "base64url");
}

function decodeJson(segment: string, name: "header" | "payload"): Record<string, unknown> {
  const bytes = decodeBase64url(segment);
  if (!bytes) fail("malformed", `${name} segment: Illegal base64url string!`);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    fail("malformed", `${name}segment: invalid json`);
  }
  if (!isPlainObject(value)) fail("malformed", `${name} segment: malformed object`);
  return value;
}

export function parseJws(jws: string): ParsedJws {
  const parts = jws.split(".");
  if (parts.length !== 3)
    fail("malformed", `signed object must have three parts, this one has ${parts.length}`);
  const [headerSegment = "", payloadSegment = "", signatureSegment = ""] = parts;
  const header = decodeJson(headerSegment, "header");
  if (typeof header.alg !== "string") fail("algorithm", "no such algorithm: (missing alg)");
  const payload = decodeJson(payloadSegment, "payload");
  const signature = decodeBase64url(signatureSegment);
  if (!signature || signature.length === 0) fail("malformed", "malformed signature");
  const signingInput = `${headerSegment}.${payloadSegment}`;
  return {
    alg: header.alg,
    payload,
    signingInput,
    signedBytes: Buffer.from(signingInput, "latin1"),
    signature,
  };
}

/** Splits `cert~assertion`; exactly one certificate. */
export function splitBackedAssertion(input: unknown): { certificate: string; assertion: string } {
  if (typeof input !== "string") fail("malformed", "malformed backed assertion");
  if (input.length > MAX_BACKED_ASSERTION_CHARS) fail("malformed", "malformed backed assertion");
  const parts = input.split("~");
  if (parts.length < 2) fail("malformed", "no certificates provided");
  // Mozilla verified chains and then refused them; we refuse before doing any work.
  if (parts.length > 2) fail("malformed", "certificate chaining is not yet allowed");
  const [certificate = "", assertion = ""] = parts;
  return { certificate, assertion };
}

export function parseBackedAssertion(input: unknown): BackedAssertion {
  const { certificate, assertion } = splitBackedAssertion(input);
  return { certificate: parseJws(certificate), assertion: parseJws(assertion) };
}
