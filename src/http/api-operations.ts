// The gateway's routes as OpenAPI operations: what each accepts and answers, with the zod schemas the routes
// parse with (request bodies) and the answer schemas of api-schemas.ts. openapi.ts renders them.
import type { z } from "zod";
import { callbackBody as jumioCallback } from "../providers/jumio/schemas.js";
import { webhookEvent as onfidoEvent } from "../providers/onfido/schemas.js";
import { webhookEnvelope as personaEnvelope } from "../providers/persona/schemas.js";
import { PROVIDER_NAMES, type ProviderName } from "../providers/provider.js";
import {
  allowAnswer,
  callbackAnswer,
  errorAnswer,
  healthAnswer,
  initiateAnswer,
  kratosBlockAnswer,
  notReadyAnswer,
  readyAnswer,
  startAnswer,
} from "./api-schemas.js";
import { validateBody } from "./login-gate-route.js";
import { initiateBody } from "./ory-webhooks.js";
import { VERIFY_V1_PATHS, VERIFY_V2_PATH } from "./verify-answer.js";
import { verifyAnswer, verifyV1Request, verifyV2Request } from "./verify-schemas.js";

type Json = Record<string, unknown>;

export interface Answer {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, string>;
}

export interface Operation {
  summary: string;
  description?: string;
  tag: string;
  security?: Json[];
  headers?: { name: string; description: string; required?: boolean }[];
  body?: z.ZodType;
  responses: Record<number, Answer>;
}

/** Path → method → operation. */
export type Operations = Record<string, Record<string, Operation>>;

const error = (description: string): Answer => ({ description, schema: errorAnswer });
const RETRY_AFTER = { "Retry-After": "Seconds to wait before trying again." };
/** An error answer that says when to try again (429, 503). */
const retryLater = (description: string): Answer => ({ ...error(description), headers: RETRY_AFTER });

const CALLBACK_BODIES: Record<ProviderName, { schema: z.ZodType; signature: string }> = {
  persona: {
    // Any event is taken (and ignored unless it is an inquiry.* event, which also needs payload.data {type, id}).
    schema: personaEnvelope,
    signature:
      "`Persona-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + '.' + raw body)>` (space-separated pairs while rotating).",
  },
  onfido: {
    schema: onfidoEvent,
    signature: "`X-SHA2-Signature: <hex HMAC-SHA256(webhook token, raw body)>`.",
  },
  jumio: {
    schema: jumioCallback,
    signature:
      "The `?token=` the gateway registered with Jumio, or a signing proxy's HMAC header (`JUMIO_CALLBACK_SIGNATURE_HEADER`).",
  },
};

function providerOperations(provider: ProviderName): Operations {
  const tag = provider;
  const webhookSecret = [{ webhookSecret: [] }];
  return {
    [`/${provider}/initiate`]: {
      post: {
        tag,
        summary: "Start a verification for a new identity (Kratos registration.after, post-persist)",
        security: webhookSecret,
        headers: [
          {
            name: "Ory-Webhook-Trigger-ID",
            description: "Kratos' id of this hook run: a retry returns the same session.",
          },
        ],
        body: initiateBody,
        responses: {
          200: { description: "The provider session exists.", schema: initiateAnswer },
          202: {
            description: "The provider is unreachable: recorded, retried by the gateway.",
            schema: initiateAnswer,
          },
          400: error("A field is missing or wrong (named in details)."),
          401: error("Wrong or missing X-Webhook-Secret."),
          413: error("Body too large."),
          503: retryLater("ORY_WEBHOOK_SECRET is not set, or the database is unavailable."),
        },
      },
    },
    [`/${provider}/start`]: {
      get: {
        tag,
        summary: "Send the signed-in user into the provider's flow",
        description:
          "Redirects (302) a browser to the hosted flow; with `Accept: application/json` answers the link and SDK token.",
        security: [{ orySessionCookie: [] }, { orySessionToken: [] }],
        responses: {
          200: { description: "The way into the flow (JSON form).", schema: startAnswer },
          302: {
            description: "Browser form: redirect to the hosted flow.",
            headers: { Location: "The hosted flow." },
          },
          401: error("No valid Ory session."),
          409: error(
            "Browser form: nothing to start (already decided), or the provider offers an SDK token only.",
          ),
          429: retryLater("Too many calls for this identity (START_RATE_LIMIT_PER_MINUTE)."),
          503: retryLater("The provider or Kratos is unavailable."),
        },
      },
    },
    [`/${provider}/callback`]: {
      post: {
        tag,
        summary: `${provider} webhook: authenticated on the raw bytes, committed to the inbox, then acknowledged`,
        description: `Authentication: ${CALLBACK_BODIES[provider].signature}`,
        body: CALLBACK_BODIES[provider].schema,
        responses: {
          200: {
            description: "Committed (or a duplicate, or an event the gateway ignores).",
            schema: callbackAnswer,
          },
          400: error("Not valid JSON, or a field the gateway needs is missing (named in details)."),
          401: error("Signature missing, malformed, stale or wrong: nothing stored."),
          413: error("Body too large."),
          503: retryLater("Provider not configured, or the database is unavailable: retry."),
        },
      },
    },
    [`/${provider}/validate`]: {
      post: {
        tag,
        summary: "Login gate (Kratos login.after and recovery.after, response.parse)",
        description:
          "Reads the identity's status from the gateway's store; no network call. One policy for all providers.",
        security: webhookSecret,
        body: validateBody,
        responses: {
          200: { description: "Allowed.", schema: allowAnswer },
          403: { description: "Blocked: Kratos renders the message.", schema: kratosBlockAnswer },
          400: error("A field is missing or wrong."),
          401: error("Wrong or missing X-Webhook-Secret."),
          413: error("Body too large."),
          503: error("ORY_WEBHOOK_SECRET is not set."),
        },
      },
    },
  };
}

function verifyOperations(): Operations {
  const answers = (v2: boolean): Record<number, Answer> => {
    const common: Record<number, Answer> = {
      200: {
        description: "`okay` with the verified email, or `failure` with a reason (Mozilla's answers).",
        schema: verifyAnswer,
      },
      413: { description: "Body too large." },
      429: {
        description: "Too many requests from this address (VERIFY_RATE_LIMIT_PER_MINUTE).",
        headers: RETRY_AFTER,
      },
    };
    return v2 ? { ...common, 415: { description: "Not a JSON body." } } : common;
  };
  const operations: Record<string, Record<string, Operation>> = {};
  for (const path of VERIFY_V1_PATHS) {
    operations[path] = {
      post: {
        tag: "verify",
        summary: "Verify a BrowserID assertion (Mozilla Persona Remote Verification API, v1)",
        description: "Parameters as JSON or form fields, or in the query string.",
        body: verifyV1Request,
        responses: answers(false),
      },
    };
  }
  operations[VERIFY_V2_PATH] = {
    post: {
      tag: "verify",
      summary: "Verify a BrowserID assertion (v2, JSON only)",
      body: verifyV2Request,
      responses: answers(true),
    },
  };
  return operations;
}

const OPS_PATHS: Operations = {
  "/health": {
    get: {
      tag: "ops",
      summary: "The process is up",
      responses: { 200: { description: "Up.", schema: healthAnswer } },
    },
  },
  "/ready": {
    get: {
      tag: "ops",
      summary: "Database reachable and migrated; which providers are enabled and why not",
      responses: {
        200: { description: "Ready.", schema: readyAnswer },
        503: { description: "Not ready, and why.", schema: notReadyAnswer },
      },
    },
  },
  "/metrics": {
    get: {
      tag: "ops",
      summary: "Prometheus metrics (Bearer METRICS_TOKEN when set)",
      responses: { 200: { description: "Prometheus text format." }, 401: error("Wrong or missing token.") },
    },
  },
  "/docs": {
    get: { tag: "ops", summary: "This document", responses: { 200: { description: "OpenAPI 3.1, JSON." } } },
  },
};

/** Every route of a gateway with the verifier on or off (the provider routes answer whether enabled or not). */
export function gatewayOperations(options: { verify: boolean }): Operations {
  return {
    ...Object.assign({}, ...PROVIDER_NAMES.map(providerOperations)),
    ...(options.verify ? verifyOperations() : {}),
    ...OPS_PATHS,
  } as Operations;
}
