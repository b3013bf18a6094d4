// What the domain needs from the outside, passed in explicitly by createApp / main.
import type { KratosAdmin } from "../identity/kratos-admin.js";
import type { BackoffPolicy } from "../lib/backoff.js";
import type { Runtime } from "../lib/runtime.js";
import type { IdvProvider, ProviderName } from "../providers/provider.js";
import type { Store } from "../store/index.js";

export interface DomainDeps {
  store: Store;
  providers: ReadonlyMap<ProviderName, IdvProvider>;
  kratos: KratosAdmin;
  runtime: Runtime;
  backoff: BackoffPolicy;
  /** Base URL users reach the gateway at (for start URLs). */
  publicUrl: string;
  revokeSessionsOnDecline: boolean;
}

export const OUTBOX = {
  syncIdentity: "kratos.sync_identity",
  revokeSessions: "kratos.revoke_sessions",
  initiate: "provider.initiate",
} as const;
