// POST /{provider}/validate (Kratos login.after), served straight from node:http ahead of Fastify: it runs on
// every login, and Fastify's per-request machinery cost more than the decision itself (bench/README.md).
// It keeps the same contract as every other route: X-Webhook-Secret, JSON only, body limit, errors from
// src/http/errors.ts.

import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { GateDecision, LoginGate } from "../domain/login-gate.js";
import { isUuid } from "../domain/results.js";
import { AppError } from "../lib/errors.js";
import type { Metrics } from "../lib/metrics.js";
import { parseInput } from "../lib/validation.js";
import { bodyTooLarge } from "./errors.js";
import { sendError, sendJson } from "./node-reply.js";
import { readLimitedBody } from "./raw-body.js";
import { createSecretCheck } from "./secret-header.js";

export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** A Kratos identity id: a UUID, never the nil UUID that pre-persist hooks send. */
export const identityIdSchema = z
  .string({ error: "is required" })
  .refine(isUuid, "must be a Kratos identity id (UUID)")
  .refine(
    (v) => v !== NIL_UUID,
    "is the nil UUID: the hook runs pre-persist; configure it method-scoped without parse",
  );

export const validateBody = z.object({
  kratos_identity_id: identityIdSchema,
  session_id: z.string().max(512).nullish(),
});

/** Equivalent to `validateBody` for what the template sends, without a zod result per login; else undefined. */
function validIdentityId(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { kratos_identity_id: id, session_id: session } = body as Record<string, unknown>;
  if (typeof id !== "string" || id === NIL_UUID || !isUuid(id)) return undefined;
  if (session !== undefined && session !== null && (typeof session !== "string" || session.length > 512))
    return undefined;
  return id;
}

export interface LoginGateRouteDeps {
  providers: readonly string[];
  webhookSecret: string | undefined;
  bodyLimit: number;
  gate: LoginGate;
  metrics: Metrics;
}

const ALLOW = '{"allow":true}';
const JSON_CONTENT = /^application\/json\s*(;|$)/i;

interface GateHeaders {
  secret: string | undefined;
  contentType: string;
  contentLength: string | undefined;
}

/**
 * The three headers the gate reads, found in `rawHeaders`: reading `req.headers` builds an object of every
 * header on each login, which cost more than the status lookup. Same results as `req.headers`: a repeated
 * secret is joined with ", " (and so refused), a repeated Content-Type or Content-Length keeps the first.
 */
function gateHeaders(raw: readonly string[]): GateHeaders {
  let secret: string | undefined;
  let contentType = "";
  let contentLength: string | undefined;
  let typeSeen = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.length === 16 && name.toLowerCase() === "x-webhook-secret")
      secret = secret === undefined ? value : `${secret}, ${value}`;
    else if (name.length === 12 && !typeSeen && name.toLowerCase() === "content-type") {
      contentType = value;
      typeSeen = true;
    } else if (name.length === 14 && contentLength === undefined && name.toLowerCase() === "content-length")
      contentLength = value;
  }
  return { secret, contentType, contentLength };
}

/** Returns a handler that answers the validate routes and returns false for every other request. */
export function createLoginGateRoute(deps: LoginGateRouteDeps) {
  const paths = new Set(deps.providers.map((p) => `/${p}/validate`));
  const authenticate = createSecretCheck(deps.webhookSecret, "X-Webhook-Secret", "ORY_WEBHOOK_SECRET");

  function answer(res: ServerResponse, decision: GateDecision) {
    if (decision.allow) {
      deps.metrics.loginAllowed();
      sendJson(res, 200, ALLOW);
      return;
    }
    deps.metrics.oryWebhooks.inc({ route: "validate", outcome: decision.reason });
    sendJson(res, 403, decision.body);
  }
  function decide(req: IncomingMessage, res: ServerResponse, raw: string) {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new AppError(
        "invalid_request",
        raw.length === 0 ? "Body must not be empty" : "Body is not valid JSON",
      );
    }
    const id = validIdentityId(body) ?? parseInput(validateBody, body).kratos_identity_id;
    const decision = deps.gate(id);
    if (decision instanceof Promise)
      decision.then(
        (d) => answer(res, d),
        (error: unknown) => sendError(req, res, error),
      );
    else answer(res, decision);
  }

  return function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== "POST") return false;
    const url = req.url ?? "";
    const query = url.indexOf("?");
    if (!paths.has(query < 0 ? url : url.slice(0, query))) return false;
    try {
      const headers = gateHeaders(req.rawHeaders);
      authenticate(headers.secret);
      if (!JSON_CONTENT.test(headers.contentType))
        throw new AppError("unsupported_media_type", "Content-Type must be application/json");
      if (Number(headers.contentLength ?? 0) > deps.bodyLimit) throw bodyTooLarge();
    } catch (error) {
      sendError(req, res, error);
      return true;
    }
    readLimitedBody(req, deps.bodyLimit, {
      onTooLarge: () => sendError(req, res, bodyTooLarge()),
      onBody: (body) => {
        try {
          decide(req, res, body.toString("utf8"));
        } catch (error) {
          sendError(req, res, error);
        }
      },
    });
    return true;
  };
}
