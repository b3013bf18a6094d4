// Onfido API calls with either auth (API token or OAuth2 client credentials), answers checked against our schemas.
import type { z } from "zod";
import { createTokenSource, type TokenSource } from "../../lib/client-credentials.js";
import { AppError, UpstreamError } from "../../lib/errors.js";
import { createHttpClient, type FetchLike, type HttpRequest } from "../../lib/http-client.js";
import { systemRuntime } from "../../lib/runtime.js";
import { OAUTH_REFRESH_BEFORE_MS } from "./constants.js";
import type { OnfidoSettings } from "./schemas.js";

type Method = NonNullable<HttpRequest["method"]>;

export interface OnfidoApi {
  /** Sends the request and returns the answer parsed with `schema`. */
  call<T>(schema: z.ZodType<T>, path: string, method: Method, json?: unknown): Promise<T>;
  /** Sends a request whose answer has no body we read (DELETE → 204). */
  send(path: string, method: Method): Promise<void>;
}

export function createOnfidoApi(settings: OnfidoSettings, fetchImpl?: FetchLike): OnfidoApi {
  const base = settings.apiBase.replace(/\/+$/, "");
  const http = createHttpClient({ service: "Onfido API", timeoutMs: settings.timeoutMs, fetch: fetchImpl });
  const { auth } = settings;
  const tokens: TokenSource | undefined =
    auth.kind === "oauth"
      ? createTokenSource({
          service: "Onfido OAuth",
          tokenUrl: `${base}/oauth/token`,
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
          style: "form",
          http: createHttpClient({
            service: "Onfido OAuth",
            timeoutMs: settings.timeoutMs,
            fetch: fetchImpl,
          }),
          clock: settings.clock ?? systemRuntime.clock,
          refreshBeforeMs: OAUTH_REFRESH_BEFORE_MS,
        })
      : undefined;

  const authorization = async (): Promise<string> =>
    auth.kind === "token"
      ? `Token token=${auth.apiToken}`
      : `Bearer ${await (tokens as TokenSource).token()}`;

  async function request(path: string, method: Method, json?: unknown): Promise<unknown> {
    const attempt = async () =>
      (await http(`${base}${path}`, { method, headers: { authorization: await authorization() }, json }))
        .body;
    try {
      return await attempt();
    } catch (error) {
      // An OAuth token can be revoked before it expires: fetch a new one once.
      if (!tokens || !(error instanceof UpstreamError) || error.status !== 401) throw error;
      tokens.invalidate();
      return attempt();
    }
  }

  return {
    async call(schema, path, method, json) {
      const parsed = schema.safeParse(await request(path, method, json));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError(
          "upstream_unavailable",
          `Onfido API answered ${method} ${path.split("?")[0]} with an unexpected shape: ${issue?.path.join(".")} ${issue?.message}`,
        );
      }
      return parsed.data;
    },
    async send(path, method) {
      await request(path, method);
    },
  };
}

/** A 4xx other than 408/409/429: Onfido refused the request, so nothing was created. */
export function isDefiniteRefusal(error: unknown): boolean {
  return (
    error instanceof UpstreamError &&
    error.status !== undefined &&
    error.status >= 400 &&
    error.status < 500 &&
    ![408, 409, 429].includes(error.status)
  );
}
