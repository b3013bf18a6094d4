// GET /docs: the OpenAPI 3.1 document of every route, built from the zod schemas the routes parse with and
// the answer schemas of api-schemas.ts.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
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

interface Answer {
  description: string;
  schema?: z.ZodType;
  headers?: Record<string, string>;
}

interface Operation {
  summary: string;
  description?: string;
  tag: string;
  security?: Json[];
  headers?: { name: string; description: string; required?: boolean }[];
  body?: z.ZodType;
  responses: Record<number, Answer>;
}

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what the route accepts or answers. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

const error = (description: string): Answer => ({ description, schema: errorAnswer });
const RETRY_AFTER = { "Retry-After": "Seconds to wait before trying again." };

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

function providerOperations(provider: ProviderName): Record<string, Record<string, Operation>> {
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
          503: {
            ...error("ORY_WEBHOOK_SECRET is not set, or the database is unavailable."),
            headers: RETRY_AFTER,
          },
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
          429: {
            ...error("Too many calls for this identity (START_RATE_LIMIT_PER_MINUTE)."),
            headers: RETRY_AFTER,
          },
          503: { ...error("The provider or Kratos is unavailable."), headers: RETRY_AFTER },
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
          503: {
            ...error("Provider not configured, or the database is unavailable: retry."),
            headers: RETRY_AFTER,
          },
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

function verifyOperations(): Record<string, Record<string, Operation>> {
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

const OPS_PATHS: Record<string, Record<string, Operation>> = {
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

function toOpenApi(op: Operation): Json {
  const responses: Json = {};
  for (const [code, answer] of Object.entries(op.responses)) {
    responses[code] = {
      description: answer.description,
      ...(answer.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(answer.headers).map(([name, description]) => [
                name,
                { description, schema: { type: "string" } },
              ]),
            ),
          }
        : {}),
      ...(answer.schema
        ? { content: { "application/json": { schema: jsonSchema(answer.schema, "output") } } }
        : {}),
    };
  }
  return {
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.security ? { security: op.security } : {}),
    ...(op.headers
      ? {
          parameters: op.headers.map((h) => ({
            name: h.name,
            in: "header",
            required: h.required ?? false,
            description: h.description,
            schema: { type: "string" },
          })),
        }
      : {}),
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(op.body, "input") } },
          },
        }
      : {}),
    responses,
  };
}

/** The document for a gateway with `verify` on or off (the provider routes answer whether enabled or not). */
export function openApiDocument(options: { version: string; verify: boolean }): Json {
  const operations = {
    ...Object.assign({}, ...PROVIDER_NAMES.map(providerOperations)),
    ...(options.verify ? verifyOperations() : {}),
    ...OPS_PATHS,
  } as Record<string, Record<string, Operation>>;
  const paths: Json = {};
  for (const [path, methods] of Object.entries(operations)) {
    paths[path] = Object.fromEntries(Object.entries(methods).map(([method, op]) => [method, toOpenApi(op)]));
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "idv-gateway",
      version: options.version,
      description:
        "Identity verification for Ory Kratos with Persona, Onfido and Jumio, and a BrowserID verifier.",
    },
    paths,
    components: {
      securitySchemes: {
        webhookSecret: {
          type: "apiKey",
          in: "header",
          name: "X-Webhook-Secret",
          description: "ORY_WEBHOOK_SECRET",
        },
        orySessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: "ory_kratos_session",
          description:
            "Kratos' session cookie (on Ory Network `ory_session_<project slug>`); any cookie is passed on to whoami.",
        },
        orySessionToken: { type: "apiKey", in: "header", name: "X-Session-Token" },
      },
    },
  };
}

export function registerDocs(app: FastifyInstance, document: Json) {
  const body = JSON.stringify(document);
  app.get("/docs", async (_request, reply) => reply.type("application/json").send(body));
}
