// Domain and email grammar: what may name an issuer or follow the `@` (lower-case LDH host, optional :port).

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN = new RegExp(`^(${LABEL}(?:\\.${LABEL})*)(?::([1-9][0-9]{0,4}))?$`);
// Mozilla's local-part set (browserid-local-verify validateEmail): no spaces, quotes, parens, NUL or newlines.
const LOCAL_PART = /^[\w!#$%&'*+/=?^`{|}~.-]+$/;

/**
 * A domain as BrowserID uses it: `host` or `host:port`. Upper case is refused, as Mozilla's round-trip check did
 * (url.parse lower-cases, so `Example.com` never equalled itself); IP literals are syntactically hosts here and
 * left to the fetcher's address policy.
 */
export function isValidDomain(value: string): boolean {
  if (value.length > 260) return false;
  const match = DOMAIN.exec(value);
  if (!match) return false;
  const [, host = "", port] = match;
  if (host.length > 253) return false;
  return port === undefined || Number(port) <= 65535;
}

/** Returns the email's domain when the address is acceptable, otherwise undefined. */
export function emailDomain(email: string): string | undefined {
  if (email.length < 3 || email.length > 254) return undefined;
  const at = email.indexOf("@");
  if (at <= 0 || at !== email.lastIndexOf("@")) return undefined;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!LOCAL_PART.test(local) || !isValidDomain(domain)) return undefined;
  return domain;
}
