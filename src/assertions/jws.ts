// JWS compact parsing for BrowserID: strict base64url, `cert~assertion` with exactly one certificate.
import { fail } from "./errors.js";

export interface ParsedJws {
  alg: string;
  /** The decoded payload; always a plain JSON object. */
  payload: Record<string, unknown>;
  /** ASCII `header.payload`, what the signature covers. */
  signingInput: string;
  signature: Buffer;
}

export interface BackedAssertion {
  certificate: ParsedJws;
  assertion: ParsedJws;
}

/** Largest backed assertion accepted; the HTTP layer caps bodies at 10 KiB, this guards direct library use. */
export const MAX_BACKED_ASSERTION_CHARS = 16 * 1024;

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict base64url: alphabet only, no padding, canonical (unused trailing bits zero). jwcrypto skipped foreign
 * characters in signatures; accepting `=`-padded or otherwise altered signatures would let one signature have
 * many spellings, so we refuse them.
 */
export function decodeBase64url(segment: string): Buffer | undefined {
  if (!B64URL.test(segment) || segment.length % 4 === 1) return undefined;
  const bytes = Buffer.from(segment, "base64url");
  if (bytes.toString("base64url") !== segment) return undefined;
  return bytes;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
  return { alg: header.alg, payload, signingInput: `${headerSegment}.${payloadSegment}`, signature };
}

export function parseBackedAssertion(input: unknown): BackedAssertion {
  if (typeof input !== "string") fail("malformed", "malformed backed assertion");
  if (input.length > MAX_BACKED_ASSERTION_CHARS) fail("malformed", "malformed backed assertion");
  const parts = input.split("~");
  if (parts.length < 2) fail("malformed", "no certificates provided");
  // Mozilla verified chains and then refused them; we refuse before doing any work.
  if (parts.length > 2) fail("malformed", "certificate chaining is not yet allowed");
  const [cert = "", assertion = ""] = parts;
  return { certificate: parseJws(cert), assertion: parseJws(assertion) };
}
