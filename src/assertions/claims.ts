// Certificate and assertion claim rules: required ms `exp`, `iat` not in the future, skew explicit, strict email.
import { emailDomain as domainOfEmail, isValidDomain } from "./domain.js";
import { fail } from "./errors.js";
import { parsePublicKey, type VerificationKey } from "./keys.js";

export interface CertificateClaims {
  issuer: string;
  /** The certified email when it is present and valid; absence fails only at the authority step, as Mozilla did. */
  email: string | undefined;
  emailDomain: string | undefined;
  userKey: VerificationKey;
  expires: number;
}

export interface AssertionClaims {
  audience: string;
  expires: number;
}

function time(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  // Numbers only: Mozilla coerced numeric strings and treated garbage as "never expires".
  if (typeof value !== "number" || !Number.isFinite(value)) fail("malformed", `${what} is not a number`);
  return value;
}

/** `exp` is required (Mozilla let a missing one mean "never expires"); times are milliseconds since the epoch. */
export function checkTimes(
  payload: Record<string, unknown>,
  what: string,
  now: number,
  skewMs: number,
): number {
  const exp = time(payload.exp, `${what} exp`);
  const iat = time(payload.iat, `${what} iat`);
  if (exp === undefined) fail("malformed", `${what} has no exp`);
  if (iat !== undefined && iat > now + skewMs) fail("expired", "issued later than verification date");
  if (exp < now - skewMs) fail("expired", "expired");
  return exp;
}

function certifiedEmail(payload: Record<string, unknown>): string | undefined {
  const principal = payload.principal;
  if (typeof principal === "object" && principal !== null && !Array.isArray(principal)) {
    const email = (principal as Record<string, unknown>).email;
    if (typeof email === "string") return email;
  }
  // Mozilla's own test client put the email in `sub`.
  return typeof payload.sub === "string" ? payload.sub : undefined;
}

export function certificateClaims(payload: Record<string, unknown>): Omit<CertificateClaims, "expires"> {
  const issuer = payload.iss;
  if (typeof issuer !== "string" || issuer === "") fail("malformed", "certificate has no issuer");
  if (!isValidDomain(issuer)) fail("issuer", `invalid domain: ${issuer.slice(0, 64)}`);
  // Only `public-key` (jwcrypto 0.9.1); Mozilla crashed on `pubkey`, we just refuse it.
  if (payload["public-key"] === undefined) fail("malformed", "certificate has no public-key");
  const userKey = parsePublicKey(payload["public-key"]);
  const candidate = certifiedEmail(payload);
  const domain = candidate === undefined ? undefined : domainOfEmail(candidate);
  return { issuer, email: domain === undefined ? undefined : candidate, emailDomain: domain, userKey };
}

export function assertionAudience(payload: Record<string, unknown>): string {
  if (typeof payload.aud !== "string") fail("audience", "audience mismatch: the assertion has no audience");
  return payload.aud;
}
