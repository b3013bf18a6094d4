// Provider callbacks: raw bytes → signature → parse → commit to the inbox → 2xx. Nothing that can fail runs after the commit.
import type { FastifyInstance } from "fastify";
import type { EventProcessing } from "../domain/events.js";
import { AppError } from "../lib/errors.js";
import type { Metrics } from "../lib/metrics.js";
import type { ProviderName } from "../providers/provider.js";

export interface CallbackDeps {
  providers: readonly ProviderName[];
  bodyLimit: number;
  events: EventProcessing;
  metrics: Metrics;
  /** Nudges the worker once an event is stored. */
  onStored(): void;
}

/** The callback counter's children for one provider, bound once (a labels() lookup per request is measurable). */
export function callbackOutcomes(metrics: Metrics, provider: ProviderName) {
  return {
    stored: metrics.callbacks.labels({ provider, outcome: "stored" }),
    duplicate: metrics.callbacks.labels({ provider, outcome: "duplicate" }),
    ignored: metrics.callbacks.labels({ provider, outcome: "ignored" }),
    rejected: metrics.callbacks.labels({ provider, outcome: "rejected" }),
  };
}

/** The Fastify route; callback-fast-path.ts serves the common case ahead of Fastify with the same answers. */
export async function registerCallbacks(app: FastifyInstance, deps: CallbackDeps) {
  await app.register(async (scope) => {
    // Signatures cover the exact bytes sent: keep the body raw, whatever its content type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: deps.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );

    for (const provider of deps.providers) {
      const outcomes = callbackOutcomes(deps.metrics, provider);
      scope.post(`/${provider}/callback`, { bodyLimit: deps.bodyLimit }, async (request, reply) => {
        const raw = request.body;
        if (!Buffer.isBuffer(raw) || raw.length === 0)
          throw new AppError("invalid_request", "Body must not be empty");
        let result: Awaited<ReturnType<EventProcessing["ingest"]>>;
        try {
          result = await deps.events.ingest(provider, {
            headers: request.headers,
            query: request.query as Record<string, string | undefined>,
            rawBody: raw,
            sourceIp: request.ip,
          });
        } catch (error) {
          outcomes.rejected.inc();
          throw error;
        }
        outcomes[result.outcome].inc();
        if (result.outcome === "stored") deps.onStored();
        return reply.status(200).send({ received: true, outcome: result.outcome });
      });
    }
  });
}
