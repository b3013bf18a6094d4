// Kratos admin API client: read an identity, JSON-Patch its metadata with `add`, revoke its sessions.
import { z } from "zod";
import { AppError } from "../lib/errors.js";
import { createHttpClient, type FetchLike } from "../lib/http-client.js";

export interface JsonPatchOp {
  op: "add" | "remove";
  path: string;
  value?: unknown;
}

const identitySchema = z
  .object({
    id: z.string(),
    metadata_public: z.unknown().optional(),
    metadata_admin: z.unknown().optional(),
  })
  .passthrough();
export type KratosIdentity = z.infer<typeof identitySchema>;

// What an email lookup needs of each identity; the rest of Kratos' answer is dropped.
const identityByEmailSchema = z.array(
  z.object({
    id: z.string(),
    state: z.string().optional(),
    verifiable_addresses: z
      .array(z.object({ value: z.string(), verified: z.boolean() }))
      .nullish()
      .transform((v) => v ?? []),
  }),
);
export type KratosIdentitySummary = z.output<typeof identityByEmailSchema>[number];

export interface KratosAdminOptions {
  adminUrl: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  fetch?: FetchLike;
}

export function createKratosAdmin(options: KratosAdminOptions) {
  const http = createHttpClient({
    service: "Kratos admin API",
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
  });
  const base = options.adminUrl.replace(/\/+$/, "");
  // A self-hosted admin port has no auth: send no header at all when no key is set.
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  const identityUrl = (id: string) => `${base}/admin/identities/${encodeURIComponent(id)}`;

  function asIdentity(body: unknown): KratosIdentity {
    const parsed = identitySchema.safeParse(body);
    if (!parsed.success)
      throw new AppError("upstream_unavailable", "Kratos answered an unexpected identity shape");
    return parsed.data;
  }

  return {
    async getIdentity(id: string): Promise<KratosIdentity> {
      return asIdentity((await http(identityUrl(id), { headers })).body);
    },
    async patchIdentity(id: string, ops: JsonPatchOp[]): Promise<KratosIdentity> {
      return asIdentity((await http(identityUrl(id), { method: "PATCH", headers, json: ops })).body);
    },
    /** Identities whose credentials identifier is exactly `email` (at most two: one is the only useful answer). */
    async findIdentitiesByEmail(email: string): Promise<KratosIdentitySummary[]> {
      const query = new URLSearchParams({ credentials_identifier: email, page_size: "2" });
      const { body } = await http(`${base}/admin/identities?${query}`, { headers });
      const parsed = identityByEmailSchema.safeParse(body);
      if (!parsed.success)
        throw new AppError("upstream_unavailable", "Kratos answered an unexpected identity list shape");
      return parsed.data;
    },
    async revokeSessions(id: string): Promise<void> {
      await http(`${identityUrl(id)}/sessions`, { method: "DELETE", headers });
    },
  };
}

export type KratosAdmin = ReturnType<typeof createKratosAdmin>;
