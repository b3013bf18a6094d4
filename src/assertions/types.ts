// The verifier's contract: what the /verify route hands in and gets back (BrowserID backed assertions).

/** Failure families of ../shared/reference/browserid.md §1.10; `reason` carries Mozilla-compatible text. */
export type FailureCategory =
  | "malformed" // not `cert~assertion`, bad base64url/JSON, wrong segment count, missing fields
  | "algorithm" // unknown or unsupported alg, alg not bound to the key
  | "key" // weak or malformed public key (RS64, e=1, even e, wrong sizes, non-standard DSA group)
  | "signature" // certificate or assertion signature does not verify, or is out of range
  | "expired" // assertion or certificate expired, or issued in the future beyond the skew
  | "audience" // audience mismatch
  | "email" // principal email missing or not a valid address
  | "issuer" // issuer not allowed to speak for the email's domain
  | "discovery"; // the issuer's support document could not be fetched or is invalid

export interface VerifyInput {
  /** `cert~assertion` as the relying party sent it. */
  assertion: string;
  /** The relying party's audience string, as sent. */
  audience: string;
  /** v2 only: issuers the caller trusts for any email (never makes `issuerAuthoritative` true). */
  trustedIssuers?: readonly string[];
}

export type Verdict =
  | {
      status: "okay";
      email: string;
      /** Echoes VerifyInput.audience verbatim. */
      audience: string;
      /** Assertion expiry, milliseconds since the epoch. */
      expires: number;
      issuer: string;
      /**
       * True only when the certificate's issuer is authoritative for the email's domain by discovery, is the
       * domain itself, or is in the server-configured trusted issuers — never because of caller-sent trustedIssuers.
       */
      issuerAuthoritative: boolean;
    }
  | { status: "failure"; category: FailureCategory; reason: string };

export interface AssertionVerifier {
  verify(input: VerifyInput): Promise<Verdict>;
  /** Drops cached issuer documents (tests, key rotation). */
  clearCache(): void;
}

export interface IssuerFetchSettings {
  /** `host` or `host:port` entries that may resolve to private/loopback addresses. */
  allowedPrivateHosts: readonly string[];
  /** `host` or `host:port` entries fetched over plain http (tests, development). */
  httpHosts: readonly string[];
  /**
   * `host` or `host:port` entries whose TLS certificate is not verified (Mozilla's test IdP is self-signed, see
   * ../shared/reference/browserid.md §2.5). Tests only; absent means every certificate is verified.
   */
  insecureTlsHosts?: readonly string[];
  /** Total deadline per fetch, including DNS and body. */
  timeoutMs: number;
  /** Largest support document accepted. */
  maxBytes: number;
}

export interface VerifierSettings {
  /** Issuer that may certify any email whose domain has no support document (Mozilla: login.persona.org). */
  fallbackIssuer: string | undefined;
  /** Server-configured issuers trusted for every email domain. */
  trustedIssuers: readonly string[];
  /** Allowed clock skew for iat/exp checks, milliseconds. */
  clockSkewMs: number;
  /** How long a fetched support document is reused / how long a failed lookup is remembered, milliseconds. */
  cacheTtlMs: number;
  negativeCacheTtlMs: number;
  fetch: IssuerFetchSettings;
}

/** What an issuer's `/.well-known/browserid` answered; the fetcher leaves `body` empty unless status is 200 and JSON. */
export interface IssuerDocumentResponse {
  status: number;
  /** The Content-Type header as received, if any. */
  contentType: string | undefined;
  body: string;
}

/**
 * Fetches `path` (`/.well-known/browserid?domain=…`) from `host` (`name` or `name:port`). Rejects on any network,
 * policy, deadline or size failure; the rejection's text is never shown to callers. Injected in tests and the
 * differential oracle so no network is needed.
 */
export type IssuerDocumentFetcher = (host: string, path: string) => Promise<IssuerDocumentResponse>;
