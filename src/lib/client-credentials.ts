// OAuth2 client-credentials tokens (Jumio, Onfido OAuth): cached, refreshed before expiry, one refresh at a time.
import { z } from "zod";
import { UpstreamError } from "./errors.js";
import type { HttpClient } from "./http-client.js";
import type { Clock } from "./runtime.js";

const tokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().optional(),
});

export interface ClientCredentialsOptions {
  service: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** `basic`: HTTP Basic + `grant_type=client_credentials` (RFC 6749, Jumio); `form`: id and secret in the form (Onfido's SDK). */
  style: "basic" | "form";
  http: HttpClient;
  clock: Clock;
  /** Refresh this long before the token expires. */
  refreshBeforeMs?: number;
  headers?: Record<string, string>;
}

export interface TokenSource {
  token(): Promise<string>;
  /** Drops the cached token (after a 401 from the API). */
  invalidate(): void;
}

export function createTokenSource(options: ClientCredentialsOptions): TokenSource {
  const refreshBefore = options.refreshBeforeMs ?? 60_000;
  let cached: { token: string; expiresAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString("base64");
    const response = await options.http(options.tokenUrl, {
      method: "POST",
      headers: {
        ...options.headers,
        ...(options.style === "basic" ? { authorization: `Basic ${basic}` } : {}),
      },
      form:
        options.style === "basic"
          ? { grant_type: "client_credentials" }
          : { client_id: options.clientId, client_secret: options.clientSecret },
    });
    const parsed = tokenResponse.safeParse(response.body);
    if (!parsed.success)
      throw new UpstreamError(options.service, `${options.service} token answer has no access_token`, true);
    const lifetimeMs = (parsed.data.expires_in ?? 300) * 1000;
    cached = { token: parsed.data.access_token, expiresAt: options.clock.now() + lifetimeMs };
    return parsed.data.access_token;
  }

  return {
    async token() {
      if (cached && options.clock.now() < cached.expiresAt - refreshBefore) return cached.token;
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
