// Who may call the Onfido simulator: the API token, or OAuth2 bearer tokens it issued from client credentials.
import { randomBytes } from "node:crypto";
import type { ApiResponse } from "./onfido-api.js";

export interface OnfidoCredentials {
  apiToken?: string | undefined;
  oauth?: { clientId: string; clientSecret: string; expiresInSeconds?: number } | undefined;
}

export interface OnfidoAuth {
  /** Whether an `Authorization` header may call the API. */
  authorized(header: string | undefined): boolean;
  /**
   * `POST /v3.6/oauth/token` (not in the spec's paths): the SDK posts a form with client_id and
   * client_secret and no grant_type; `problems` receives what the request got wrong.
   */
  issueToken(contentType: string | undefined, raw: string, problems: string[]): ApiResponse;
  revokeAll(): void;
}

export function createOnfidoAuth(credentials: OnfidoCredentials, now: () => number): OnfidoAuth {
  const accessTokens = new Map<string, number>();
  return {
    authorized(header) {
      if (credentials.apiToken !== undefined && header === `Token token=${credentials.apiToken}`) return true;
      const bearer = header?.startsWith("Bearer ") ? header.slice(7) : undefined;
      const expiresAt = bearer === undefined ? undefined : accessTokens.get(bearer);
      return expiresAt !== undefined && now() < expiresAt;
    },
    issueToken(contentType, raw, problems) {
      if (!String(contentType).startsWith("application/x-www-form-urlencoded"))
        problems.push("POST /oauth/token: body is not application/x-www-form-urlencoded");
      const form = new URLSearchParams(raw);
      const { oauth } = credentials;
      if (
        !oauth ||
        form.get("client_id") !== oauth.clientId ||
        form.get("client_secret") !== oauth.clientSecret
      )
        return { status: 401, body: { error: "invalid_client" } };
      const accessToken = randomBytes(24).toString("base64url");
      const expiresIn = oauth.expiresInSeconds ?? 3600;
      accessTokens.set(accessToken, now() + expiresIn * 1000);
      return {
        status: 200,
        body: { access_token: accessToken, token_type: "Bearer", expires_in: expiresIn },
      };
    },
    revokeAll() {
      accessTokens.clear();
    },
  };
}
