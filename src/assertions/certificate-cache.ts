// Parsed certificates by their exact text: users re-send the same certificate for hours, and parsing it (base64,
// JSON, key import) costs more than the rest of verification. Only parsing is cached; signatures are checked every time.
import { type CertificateClaims, certificateClaims } from "./claims.js";
import { type ParsedJws, parseJws } from "./jws.js";

export interface ParsedCertificate {
  jws: ParsedJws;
  claims: Omit<CertificateClaims, "expires">;
}

const MAX_ENTRIES = 10_000;
const cache = new Map<string, ParsedCertificate>();

export function parseCertificate(text: string): ParsedCertificate {
  const cached = cache.get(text);
  if (cached) return cached;
  const jws = parseJws(text);
  const parsed: ParsedCertificate = { jws, claims: certificateClaims(jws.payload) };
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(text, parsed);
  return parsed;
}
