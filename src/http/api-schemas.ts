// The answers of the gateway's routes, as zod schemas: the OpenAPI document (GET /docs) is built from them,
// and the API test holds every real answer against that document.
import { z } from "zod";
import { STATUSES } from "../domain/status.js";
import { ERROR_CODES } from "../lib/errors.js";
import { PROVIDER_NAMES } from "../providers/provider.js";

const provider = z.enum(PROVIDER_NAMES);
const status = z.enum(STATUSES).describe("Normalized verification status (README: statuses).");

export const errorAnswer = z
  .object({
    error: z.enum(ERROR_CODES),
    message: z.string().describe("What was wrong, in words."),
    details: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe("For invalid_request: every wrong field."),
  })
  .describe("Every error answer.");

export const allowAnswer = z.object({ allow: z.literal(true) }).describe("The login may go on.");

export const kratosBlockAnswer = z
  .object({
    messages: z.array(
      z.object({
        instance_ptr: z.literal("#/"),
        messages: z.array(
          z.object({
            id: z.number().int(),
            text: z.string(),
            type: z.literal("error"),
            context: z.object({
              reason: z.enum(["identity_verification_blocked", "identity_verification_unavailable"]),
              status: z.string(),
            }),
          }),
        ),
      }),
    ),
  })
  .describe("Kratos' interrupt body: Kratos shows the message and stops the login (or recovery).");

export const initiateAnswer = z.object({
  provider,
  verification_id: z.string(),
  session_id: z
    .string()
    .nullable()
    .describe("The provider's session (Persona inquiry, Onfido workflow run, …)."),
  status,
  verification_url: z.string().nullable(),
  start_url: z.string().describe("The gateway's own GET /{provider}/start for this provider."),
  url: z.string().nullable().describe("A hosted link, only when this call created the session."),
  sdk_token: z.string().nullable().describe("An SDK token, only when this call created the session."),
  error: z
    .string()
    .nullable()
    .describe("Why the provider could not be reached yet (202: retried on its own)."),
});

export const startAnswer = z.object({
  provider,
  session_id: z.string().nullable(),
  status,
  url: z.string().nullable().describe("Where to send the user; null when there is nothing to do."),
  sdk_token: z.string().nullable().describe("For the provider's embedded SDK, when configured."),
});

export const callbackAnswer = z.object({
  received: z.literal(true),
  outcome: z
    .enum(["stored", "duplicate", "ignored"])
    .describe(
      "stored: committed to the inbox; duplicate: seen before; ignored: an event the gateway does not act on.",
    ),
});

export const healthAnswer = z.object({ status: z.literal("ok") });

export const readyAnswer = z.object({
  status: z.literal("ready"),
  providers: z.array(z.object({ name: provider, enabled: z.boolean(), reason: z.string().optional() })),
});

export const notReadyAnswer = z.object({ status: z.literal("not_ready"), reason: z.string() });
