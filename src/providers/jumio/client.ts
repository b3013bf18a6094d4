// Authenticated calls to Jumio's APIs: OAuth2 bearer from the shared token source, the mandatory User-Agent, one retry after a 401.
import { createTokenSource } from "../../lib/client-credentials.js";
import { UpstreamError } from "../../lib/errors.js";
import { createHttpClient, type FetchLike, type HttpRequest } from "../../lib/http-client.js";
import type { Clock } from "../../lib/runtime.js";
import { API_SERVICE, AUTH_SERVICE } from "./constants.js";
import type { JumioSettings } from "./schemas.js";

export type JumioCall = (
  method: NonNullable<HttpRequest["method"]>,
  url: string,
  json?: unknown,
) => Promise<unknown>;

export function createJumioClient(settings: JumioSettings, clock: Clock, fetchImpl?: FetchLike): JumioCall {
  // Jumio answers 403 to a request without a meaningful User-Agent, the token request included.
  const userAgent = { "user-agent": settings.userAgent };
  const http = createHttpClient({ service: API_SERVICE, timeoutMs: settings.timeoutMs, fetch: fetchImpl });
  const tokens = createTokenSource({
    service: AUTH_SERVICE,
    tokenUrl: settings.authUrl,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    style: "basic",
    http: createHttpClient({ service: AUTH_SERVICE, timeoutMs: settings.timeoutMs, fetch: fetchImpl }),
    clock,
    headers: userAgent,
  });

  return async (method, url, json) => {
    for (let attempt = 1; ; attempt++) {
      const token = await tokens.token();
      try {
        const response = await http(url, {
          method,
          json,
          headers: { ...userAgent, authorization: `Bearer ${token}` },
        });
        return response.body;
      } catch (error) {
        // A token revoked or expired early: fetch a new one, once; a second 401 is a real refusal.
        if (attempt === 1 && error instanceof UpstreamError && error.status === 401) {
          tokens.invalidate();
          continue;
        }
        throw error;
      }
    }
  };
}
