// Jumio simulator's OAuth2 side: the client-credentials token endpoint and bearer checks on the APIs.
import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export interface TokenAnswer {
  status: number;
  body: unknown;
  /** Set when the request broke Jumio's documented form (the caller records it). */
  violation?: string;
}

export interface TokenIssuer {
  readonly issued: number;
  /** POST /oauth2/token: HTTP Basic client credentials, form-encoded `grant_type=client_credentials`. */
  answer(headers: IncomingHttpHeaders, rawBody: string): TokenAnswer;
  /** Whether `Authorization: Bearer …` holds a token that was issued and has not expired. */
  authorizes(authorization: string | undefined): boolean;
  revokeAll(): void;
}

export function createTokenIssuer(
  client: { clientId: string; clientSecret: string },
  lifetimeSeconds: number,
  now: () => number,
): TokenIssuer {
  const tokens = new Map<string, number>();
  let issued = 0;
  const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString("base64")}`;
  return {
    get issued() {
      return issued;
    },
    answer(headers, rawBody) {
      if (!String(headers["content-type"]).startsWith("application/x-www-form-urlencoded")) {
        const violation = "token requests are form-encoded";
        return { status: 400, body: { error: "invalid_request" }, violation };
      }
      if (headers.authorization !== basic) return { status: 401, body: { error: "invalid_client" } };
      if (new URLSearchParams(rawBody).get("grant_type") !== "client_credentials")
        return { status: 400, body: { error: "unsupported_grant_type" } };
      const accessToken = randomBytes(24).toString("base64url");
      tokens.set(accessToken, now() + lifetimeSeconds * 1000);
      issued++;
      return {
        status: 200,
        body: { access_token: accessToken, expires_in: lifetimeSeconds, token_type: "Bearer" },
      };
    },
    authorizes(authorization) {
      const bearer = /^Bearer (\S+)$/.exec(authorization ?? "")?.[1];
      const expiresAt = bearer ? tokens.get(bearer) : undefined;
      return expiresAt !== undefined && expiresAt > now();
    },
    revokeAll() {
      tokens.clear();
    },
  };
}
