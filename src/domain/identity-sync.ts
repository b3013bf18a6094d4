// Mirrors our store into Kratos metadata (provider record + metadata_public.idv), writing only when it changed.
import { type DesiredMetadata, metadataPatch } from "../identity/metadata.js";
import { UpstreamError } from "../lib/errors.js";
import type { ProviderName } from "../providers/provider.js";
import type { DomainDeps } from "./deps.js";

export function createIdentitySync(deps: DomainDeps) {
  const { store, kratos } = deps;

  async function desiredMetadata(identityId: string): Promise<DesiredMetadata> {
    const rows = await store.verifications.listForIdentity(identityId);
    const entries: DesiredMetadata["entries"] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      const provider = deps.providers.get(row.provider as ProviderName);
      if (!provider || seen.has(row.provider)) continue; // rows are newest first: the latest per provider wins
      seen.add(row.provider);
      entries.push({
        bag: provider.metadata.bag,
        key: provider.metadata.key,
        value: provider.describe({
          sessionId: row.session_id,
          rawStatus: row.raw_status,
          verificationUrl: row.verification_url,
          details: JSON.parse(row.details) as Record<string, string | null>,
          createdAt: row.created_at,
          updatedAt: row.updated_at,
          decidedAt: row.decided_at,
          lastError: row.last_error,
        }),
      });
    }
    const gate = await store.identityStatus.get(identityId);
    const headline =
      gate ?? (rows[0] ? { status: rows[0].status, provider: rows[0].provider, decided_at: null } : null);
    if (headline) {
      entries.push({
        bag: "metadata_public",
        key: "idv",
        value: {
          status: headline.status,
          provider: headline.provider,
          verified_at:
            headline.status === "approved" && headline.decided_at !== null
              ? new Date(headline.decided_at).toISOString()
              : null,
          start_url: `${deps.publicUrl}/${headline.provider}/start`,
        },
      });
    }
    return { entries };
  }

  return {
    desiredMetadata,
    /** Brings the identity's metadata up to date; an identity deleted from Kratos is left alone. */
    async syncIdentity(identityId: string): Promise<"patched" | "unchanged" | "gone"> {
      const desired = await desiredMetadata(identityId);
      try {
        const identity = await kratos.getIdentity(identityId);
        const ops = metadataPatch(identity, desired);
        if (ops.length === 0) return "unchanged";
        await kratos.patchIdentity(identityId, ops);
        return "patched";
      } catch (error) {
        if (error instanceof UpstreamError && error.status === 404) return "gone";
        throw error;
      }
    },
    async revokeSessions(identityId: string): Promise<void> {
      try {
        await kratos.revokeSessions(identityId);
      } catch (error) {
        if (error instanceof UpstreamError && error.status === 404) return;
        throw error;
      }
    },
  };
}

export type IdentitySync = ReturnType<typeof createIdentitySync>;
