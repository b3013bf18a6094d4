// The IdvProvider contract every provider module satisfies; security (signatures) is configured here, implemented in src/lib.
import type { NormalizedStatus } from "../domain/status.js";
import type { SignatureScheme } from "../lib/webhook-signature.js";

export const PROVIDER_NAMES = ["persona"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface Subject {
  identityId: string;
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
}

/** What the provider says about one session (inquiry / workflow run / workflow execution). */
export interface ProviderResult {
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
}

/** What the end user is handed to continue: a hosted link, an SDK token, or both. */
export interface StartOffer {
  url: string | null;
  sdkToken: string | null;
}

export type ParsedCallback =
  | { kind: "event"; dedupeKey: string; eventName: string; sessionId: string }
  | { kind: "ignored"; eventName: string; reason: string };

export interface KratosMetadataLocation {
  /** Where the provider's own record lives in Kratos (seed contract). */
  bag: "metadata_admin" | "metadata_public";
  key: string;
}

export interface IdvProvider {
  readonly name: ProviderName;
  readonly signature: SignatureScheme;
  readonly webhookSecrets: readonly string[];
  readonly metadata: KratosMetadataLocation;
  createSession(subject: Subject, idempotencyKey: string): Promise<ProviderResult>;
  fetchResult(sessionId: string): Promise<ProviderResult>;
  /** Prepares the user's way back into the flow, resuming an expired session; returns the state it left. */
  startOffer(current: ProviderResult): Promise<{ offer: StartOffer; result: ProviderResult }>;
  /** Reads a signature-verified body; throws AppError("invalid_request") naming what is wrong. */
  parseCallback(rawBody: Buffer): ParsedCallback;
  /** The provider's record for Kratos metadata, in the provider's own vocabulary. */
  describe(record: ProviderRecord): Record<string, unknown>;
}

export interface ProviderRecord {
  sessionId: string | null;
  rawStatus: string;
  verificationUrl: string | null;
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
