// The IdvProvider contract every provider module satisfies; the security primitives it uses live in src/lib.
import type { Config } from "../config/schema.js";
import type { NormalizedStatus } from "../domain/status.js";
import type { FetchLike } from "../lib/http-client.js";
import type { Runtime } from "../lib/runtime.js";
import type { SignatureVerdict } from "../lib/webhook-signature.js";

export const PROVIDER_NAMES = ["persona", "onfido", "jumio"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface Subject {
  identityId: string;
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  /** YYYY-MM-DD */
  dateOfBirth?: string | null | undefined;
}

/** What the provider says about one session (inquiry / workflow run / workflow execution). */
export interface ProviderResult {
  /** The provider's id for the session, opaque to the rest of the gateway (may combine several ids). */
  sessionId: string;
  rawStatus: string;
  status: NormalizedStatus;
  /** The provider's timestamp for this state (ms); orders results that arrive out of order. */
  version: number;
  decidedAt: number | null;
  /** The identity the provider session was created for (reference id / custom data), if it says. */
  identityId: string | null;
  /** Where the user completes the flow, when the provider has a stable (non-bearer) URL. */
  verificationUrl: string | null;
  /** Provider ids worth mirroring into Kratos (applicant_id, account_id, …); never bearer tokens. */
  details: Record<string, string | null>;
}

/** What the end user is handed to continue: a hosted link, an SDK token, or both. */
export interface StartOffer {
  url: string | null;
  sdkToken: string | null;
}

export interface SessionCreated {
  result: ProviderResult;
  /** Link / SDK token issued with the session, when the provider hands them out at creation. */
  offer: StartOffer | null;
}

export type ParsedCallback =
  | { kind: "event"; dedupeKey: string; eventName: string; sessionId: string }
  | { kind: "ignored"; eventName: string; reason: string };

/** A provider callback as received: authenticate it on the raw bytes before anything else. */
export interface CallbackRequest {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | undefined>;
  rawBody: Buffer;
  /** The sender's address as the gateway sees it (the forwarded one only behind a trusted proxy). */
  sourceIp: string;
}

export interface KratosMetadataLocation {
  /** Where the provider's own record lives in Kratos (seed contract). */
  bag: "metadata_admin" | "metadata_public";
  key: string;
}

export interface IdvProvider {
  readonly name: ProviderName;
  readonly metadata: KratosMetadataLocation;
  /**
   * Whether a session the gateway holds no record of may be recorded for the identity it names. Onfido and
   * Jumio name an identity only on sessions made with the gateway's own API credentials; a Persona inquiry
   * can be started from the browser with a public template id and any reference id, so only by opt-in.
   */
  readonly adoptsUnknownSessions: boolean;
  /** Uses the shared verifiers in src/lib; answers why a callback is refused. */
  authenticateCallback(request: CallbackRequest, nowMs: number): SignatureVerdict;
  createSession(subject: Subject, idempotencyKey: string): Promise<SessionCreated>;
  fetchResult(sessionId: string): Promise<ProviderResult>;
  /** Prepares the user's way back into the flow, resuming an expired session; returns the state it left. */
  startOffer(current: ProviderResult): Promise<{ offer: StartOffer; result: ProviderResult }>;
  /** Reads an authenticated body (decoded as UTF-8); throws AppError("invalid_request") naming what is wrong. */
  parseCallback(body: string): ParsedCallback;
  /** The provider's record for Kratos metadata, in the provider's own vocabulary. */
  describe(record: ProviderRecord): Record<string, unknown>;
}

export interface ProviderRecord {
  sessionId: string | null;
  rawStatus: string;
  verificationUrl: string | null;
  details: Record<string, string | null>;
  createdAt: number;
  updatedAt: number;
  decidedAt: number | null;
  lastError: string | null;
}

export interface ProviderStatus {
  name: ProviderName;
  enabled: boolean;
  /** Why it is disabled (missing settings), empty when enabled. */
  reason: string;
}

export interface ProviderContext {
  config: Config;
  fetch?: FetchLike | undefined;
  runtime: Runtime;
  /** The gateway's external base URL (for callback URLs registered with a provider). */
  publicUrl: string;
}

/** Each provider folder's index.ts exports one: the provider, or the settings it still misses. */
export type ProviderFactory = (context: ProviderContext) => IdvProvider | { missing: string[] };

/** The settings among `keys` that are unset (or empty lists). */
export function missingSettings(config: Config, keys: readonly (keyof Config)[]): string[] {
  return keys.filter((key) => {
    const value = config[key];
    return value === undefined || (Array.isArray(value) && value.length === 0);
  });
}
