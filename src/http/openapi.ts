// GET /docs: the OpenAPI 3.1 document of every route (api-operations.ts), its schemas rendered from zod.
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { gatewayOperations, type Operation, type Operations } from "./api-operations.js";

type Json = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what the route accepts or answers. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return rest;
}

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

/** The document for a gateway with `verify` on or off. */
export function openApiDocument(options: { version: string; verify: boolean }): Json {
  return renderDocument(gatewayOperations({ verify: options.verify }), options.version);
}

function renderDocument(operations: Operations, version: string): Json {
  const paths: Json = {};
  for (const [path, methods] of Object.entries(operations)) {
    paths[path] = Object.fromEntries(Object.entries(methods).map(([method, op]) => [method, toOpenApi(op)]));
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "idv-gateway",
      version,
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

/** GET /docs. The document is built on the first request (~10 ms of schema rendering), not at start-up. */
export function registerDocs(app: FastifyInstance, options: { verify: boolean }) {
  let body: string | undefined;
  app.get("/docs", async (_request, reply) => {
    body ??= JSON.stringify(openApiDocument({ version: packageVersion(), verify: options.verify }));
    return reply.type("application/json").send(body);
  });
}

function packageVersion(): string {
  const manifest = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(manifest) as { version: string }).version;
}
