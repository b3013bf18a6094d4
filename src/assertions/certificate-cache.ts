// Parsed certificates by their exact text: users re-send the same certificate for hours, and parsing it (base64,
// JSON, key import) costs more than the rest of verification. Only parsing is cached; signatures are checked every time.
import { type CertificateClaims, certificateClaims } from "./claims.js";
import { type ParsedJws, parseJws } from "./jws.js";

export interface ParsedCertificate {
  jws: ParsedJws;
  claims: Omit<CertificateClaims, "expires">;
}

const MAX_ENTRIES = 10_000;
// Looked up by the signature segment (a few hundred characters, hashed on every request) rather than the whole
// text (kilobytes); a hit must still be the exact same text, or it is parsed afresh and not cached.
const cache = new Map<string, { text: string; parsed: ParsedCertificate }>();

export function parseCertificate(text: string): ParsedCertificate {
  const id = text.slice(text.lastIndexOf(".") + 1);
  const cached = cache.get(id);
  if (cached?.text === text) return cached.parsed;
  const jws = parseJws(text);
  const parsed: ParsedCertificate = { jws, claims: certificateClaims(jws.payload) };
  if (cached) return parsed; // same signature, other text: a forgery attempt; keep the genuine entry
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(id, { text, parsed });
  return parsed;
}
