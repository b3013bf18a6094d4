// GET /{provider}/start: the signed-in user's way into (or back into) the provider's flow.
import cors from "@fastify/cors";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Initiation } from "../domain/initiation.js";
import type { KratosPublic } from "../identity/kratos-public.js";
import { AppError } from "../lib/errors.js";
import type { RateLimiter } from "../lib/rate-limit.js";
import type { ProviderName } from "../providers/provider.js";

export interface StartDeps {
  providers: readonly ProviderName[];
  corsOrigins: readonly string[];
  initiation: Initiation;
  kratosPublic: KratosPublic;
  /** Per identity: each call costs up to three provider API calls, against an account-wide rate limit. */
  limiter: RateLimiter;
}

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

function text(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export async function registerStart(app: FastifyInstance, deps: StartDeps) {
  await app.register(async (scope) => {
    if (deps.corsOrigins.length > 0) {
      await scope.register(cors, {
        origin: [...deps.corsOrigins],
        credentials: true,
        methods: ["GET"],
        allowedHeaders: ["Accept", "X-Session-Token"],
        // So that an app on another origin can read how long to wait after a 429 or 503.
        exposedHeaders: ["Retry-After"],
      });
    }
    for (const provider of deps.providers) {
      scope.get(`/${provider}/start`, async (request, reply) => {
        const who = await deps.kratosPublic.whoami({
          cookie: text(request.headers.cookie),
          token: text(request.headers["x-session-token"]),
        });
        if (!who)
          throw new AppError(
            "unauthorized",
            "Sign in first: no valid Ory session (cookie or X-Session-Token)",
          );
        const allowance = deps.limiter.take(who.identityId);
        if (!allowance.allowed) {
          reply.header("retry-after", String(allowance.retryAfterSeconds));
          throw new AppError(
            "rate_limited",
            `Too many start requests for this identity; try again in ${allowance.retryAfterSeconds} s`,
          );
        }
        const traits = who.traits;
        const name = (traits.name && typeof traits.name === "object" ? traits.name : {}) as Record<
          string,
          unknown
        >;
        const str = (v: unknown) => (typeof v === "string" ? v : null);
        const { verification, offer } = await deps.initiation.start(provider, {
          identityId: who.identityId,
          email: str(traits.email),
          firstName: str(name.first) ?? str(traits.first_name),
          lastName: str(name.last) ?? str(traits.last_name),
        });
        const body = {
          provider,
          session_id: verification.session_id,
          status: verification.status,
          url: offer?.url ?? null,
          sdk_token: offer?.sdkToken ?? null,
        };
        reply.header("cache-control", "no-store");
        if (wantsJson(request)) return reply.status(200).send(body);
        if (!offer) {
          throw new AppError(
            "conflict",
            `Identity verification is already ${verification.status}; there is nothing to start`,
          );
        }
        if (!offer.url) {
          throw new AppError(
            "conflict",
            offer.sdkToken
              ? "This provider is set up for its embedded SDK only; request application/json"
              : `Identity verification is ${verification.status}; there is nothing to start right now`,
          );
        }
        return reply.redirect(offer.url, 302);
      });
    }
  });
}
