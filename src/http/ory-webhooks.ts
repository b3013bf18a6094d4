// Kratos Actions: POST /{provider}/initiate (registration.after, post-persist). The login gate's
// /{provider}/validate is src/http/login-gate-route.ts.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Initiation } from "../domain/initiation.js";
import type { Metrics } from "../lib/metrics.js";
import { parseInput } from "../lib/validation.js";
import type { ProviderName } from "../providers/provider.js";
import { identityIdSchema as identityId } from "./login-gate-route.js";
import { createSecretCheck } from "./secret-header.js";

const optionalText = z.string().max(512).nullish();

export const initiateBody = z.object({
  kratos_identity_id: identityId,
  email: optionalText,
  first_name: optionalText,
  last_name: optionalText,
  date_of_birth: z.iso.date("must be a date (YYYY-MM-DD)").nullish(),
  schema_id: optionalText,
  flow_id: optionalText,
});

export interface OryWebhookDeps {
  providers: readonly ProviderName[];
  webhookSecret: string | undefined;
  bodyLimit: number;
  initiation: Initiation;
  metrics: Metrics;
  startUrl(provider: ProviderName): string;
}

export function registerOryWebhooks(app: FastifyInstance, deps: OryWebhookDeps) {
  const authenticate = createSecretCheck(deps.webhookSecret, "X-Webhook-Secret", "ORY_WEBHOOK_SECRET");
  const opts = { bodyLimit: deps.bodyLimit };

  for (const provider of deps.providers) {
    app.post(`/${provider}/initiate`, opts, async (request, reply) => {
      authenticate(request.headers["x-webhook-secret"]);
      const body = parseInput(initiateBody, request.body);
      const trigger = request.headers["ory-webhook-trigger-id"];
      const outcome = await deps.initiation.initiate(provider, {
        subject: {
          identityId: body.kratos_identity_id,
          email: body.email,
          firstName: body.first_name,
          lastName: body.last_name,
          dateOfBirth: body.date_of_birth,
        },
        triggerId: typeof trigger === "string" && trigger.length > 0 ? trigger.slice(0, 200) : null,
      });
      const v = outcome.verification;
      deps.metrics.oryWebhooks.inc({ route: "initiate", outcome: outcome.sessionReady ? "ok" : "retrying" });
      // Never a 5xx here: the identity already exists, so failing would strand the user (ory/kratos#3352).
      return reply.status(outcome.sessionReady ? 200 : 202).send({
        provider,
        verification_id: v.id,
        session_id: v.session_id,
        status: v.status,
        verification_url: v.verification_url,
        start_url: deps.startUrl(provider),
        // Only when this call created the session: tokens are short-lived and never stored.
        url: outcome.offer?.url ?? null,
        sdk_token: outcome.offer?.sdkToken ?? null,
        error: v.last_error,
      });
    });
  }
}
