// What the provider contract suite needs from each provider's simulator: one driver per provider.
import type { NormalizedStatus } from "../../src/domain/status.js";
import type { ProviderName } from "../../src/providers/provider.js";

export interface CallbackDelivery {
  /** Query string to append to `/{provider}/callback` (with the leading `?`), if any. */
  query?: string;
  headers: Record<string, string>;
  /** Exact bytes sent. */
  body: string;
}

export interface CallbackOptions {
  /** Sign (or authenticate) with this secret instead of the configured one. */
  secret?: string;
  /** Change the body after signing it. */
  tamper?: boolean;
  /** Date the signature this many seconds in the past (schemes with a timestamp). */
  ageSeconds?: number;
}

export interface ProviderDriver {
  readonly name: ProviderName;
  /** Every status the provider reports, with the normalized status it must map to. */
  readonly statuses: readonly { raw: string; normalized: NormalizedStatus }[];
  /** Raw statuses the generic scenarios use. */
  readonly raw: { pending: string; approved: string; declined: string };
  /** Whether the callback scheme carries a timestamp that can go stale. */
  readonly hasTimestamp: boolean;
  /** Gateway settings that enable this provider against the simulator. */
  env(): Record<string, string>;
  /** Tells the simulator where the gateway's callback URL is. */
  connect(gatewayUrl: string): void;
  /** Moves the provider session to a raw status (a later provider timestamp), sending nothing. */
  setStatus(sessionId: string, raw: string): void;
  /** A correctly authenticated callback about the session's current state (unless opts say otherwise). */
  callback(sessionId: string, opts?: CallbackOptions): CallbackDelivery;
  /** An authenticated callback of an event type the gateway does not handle. */
  unknownEvent(): CallbackDelivery;
  /** The next n provider API calls fail with this status. */
  failApi(n: number, status: number): void;
  /** Sessions the provider holds (to prove nothing is created twice). */
  sessionCount(): number;
  close(): Promise<void>;
}
