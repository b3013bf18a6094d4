// Kratos public API client: who is this browser or app? (/sessions/whoami with the user's cookie or token).
import { z } from "zod";
import { UpstreamError } from "../lib/errors.js";
import { createHttpClient, type FetchLike } from "../lib/http-client.js";

const sessionSchema = z.object({
  id: z.string(),
  active: z.boolean().optional(),
  identity: z.object({ id: z.string(), traits: z.record(z.string(), z.unknown()).nullish() }).passthrough(),
});

export interface SessionIdentity {
  sessionId: string;
  identityId: string;
  traits: Record<string, unknown>;
}

export function createKratosPublic(options: { publicUrl: string; timeoutMs: number; fetch?: FetchLike }) {
  const http = createHttpClient({
    service: "Kratos public API",
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
  });
  const url = `${options.publicUrl.replace(/\/+$/, "")}/sessions/whoami`;
  return {
    /** The session's identity, or null when Kratos does not accept the credentials. */
    async whoami(credentials: {
      cookie?: string | undefined;
      token?: string | undefined;
    }): Promise<SessionIdentity | null> {
      if (!credentials.cookie && !credentials.token) return null;
      const headers: Record<string, string> = {};
      if (credentials.cookie) headers.cookie = credentials.cookie;
      if (credentials.token) headers["x-session-token"] = credentials.token;
      try {
        const response = await http(url, { headers });
        const parsed = sessionSchema.safeParse(response.body);
        if (!parsed.success || parsed.data.active === false) return null;
        return {
          sessionId: parsed.data.id,
          identityId: parsed.data.identity.id,
          traits: parsed.data.identity.traits ?? {},
        };
      } catch (error) {
        if (error instanceof UpstreamError && (error.status === 401 || error.status === 403)) return null;
        throw error;
      }
    },
  };
}

export type KratosPublic = ReturnType<typeof createKratosPublic>;
