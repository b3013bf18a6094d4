// Ory Kratos simulator for end-to-end tests: admin and public API on loopback, every exchange checked against Kratos' spec.
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  type AppliedPatch,
  createAdminRoutes,
  createPublicRoutes,
  type KratosState,
  SESSION_COOKIE,
} from "./kratos-fake-routes.js";
import {
  closeServer,
  kratosError,
  listen,
  notFound,
  type Reply,
  randomAlphaNum,
  readBody,
  syncAddresses,
  urlOf,
} from "./kratos-fake-support.js";
import { createOpenApiValidator, type OpenApiValidator } from "./openapi-validator.js";

export interface KratosIdentity {
  id: string;
  schema_id: string;
  schema_url: string;
  state: "active" | "inactive";
  traits: Record<string, unknown>;
  metadata_public: unknown | null;
  metadata_admin?: unknown | null;
  created_at: string;
  updated_at: string;
  state_changed_at?: string;
  verifiable_addresses?: unknown[];
  recovery_addresses?: unknown[];
  organization_id?: string | null;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string; see `query`. */
  path: string;
  query: string;
  api: "admin" | "public";
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface KratosSession {
  id: string;
  identityId: string;
  token: string;
  cookieValue: string;
  issuedAt: string;
  expiresAt: string;
  active: boolean;
}

export interface KratosFake {
  adminUrl: string;
  publicUrl: string;
  identities: Map<string, KratosIdentity>;
  sessions: Map<string, KratosSession>;
  requests: RecordedRequest[];
  specViolations: string[];
  /** One entry per successful `DELETE /admin/identities/{id}/sessions`. */
  sessionRevocations: { identityId: string; sessionIds: string[]; at: number }[];
  createIdentity(
    traits?: Record<string, unknown>,
    opts?: { metadata_public?: unknown; metadata_admin?: unknown },
  ): KratosIdentity;
  createSession(identityId: string): { id: string; token: string; cookie: string };
  /** The next `n` admin requests answer `status` (with `Retry-After` when given) instead of being served. */
  failAdmin(n: number, status: number, opts?: { retryAfterSeconds?: number }): void;
  /** Every admin request waits `ms` before it is answered (0 turns it off). */
  setAdminDelay(ms: number): void;
  /** While down, admin connections are reset without an answer. */
  setDown(down: boolean): void;
  /** Every PATCH Kratos applied (200), in order, with the metadata before and after. */
  patches: readonly AppliedPatch[];
  /** PATCHes that Kratos applied (200), for one identity or all. */
  patchCount(identityId?: string): number;
  close(): Promise<void>;
}

export interface KratosFakeOptions {
  /** When set, admin requests need `Authorization: Bearer <apiKey>` (as on Ory Network). */
  apiKey?: string;
  now?: () => Date;
  sessionLifespanMs?: number;
}

const SPEC_URL = new URL("../../../shared/specs/kratos-api.json", import.meta.url);
let sharedValidator: OpenApiValidator | undefined;
const kratosValidator = (): OpenApiValidator =>
  (sharedValidator ??= createOpenApiValidator(JSON.parse(readFileSync(SPEC_URL, "utf8")) as object));

export async function startKratosFake(opts: KratosFakeOptions = {}): Promise<KratosFake> {
  const validator = kratosValidator();
  const clock = opts.now ?? (() => new Date());
  const identities = new Map<string, KratosIdentity>();
  const sessions = new Map<string, KratosSession>();
  const requests: RecordedRequest[] = [];
  const specViolations: string[] = [];
  const sessionRevocations: KratosFake["sessionRevocations"] = [];
  const applied: AppliedPatch[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const fault = { remaining: 0, status: 500, retryAfterSeconds: undefined as number | undefined };
  let adminDelayMs = 0;
  let down = false;

  const state: KratosState = { identities, sessions, sessionRevocations, applied, validator, clock };
  const adminRoutes = createAdminRoutes(state);
  const publicRoutes = createPublicRoutes(state);

  async function handle(api: "admin" | "public", req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://kratos.fake");
    const record = (body: unknown) =>
      requests.push({
        method,
        path: url.pathname,
        query: url.search,
        api,
        headers: { ...req.headers },
        body,
        at: Date.now(),
      });
    if (api === "admin" && down) {
      record(undefined);
      req.socket.destroy();
      return;
    }
    const { body, invalidJson } = await readBody(req);
    record(body);
    const match = validator.matchOperation(method, url.pathname);
    const template = match?.pathTemplate;
    if (api === "admin") {
      if (adminDelayMs > 0) await sleep(adminDelayMs);
      if (down) return void req.socket.destroy();
      if (res.destroyed) return;
      if (fault.remaining > 0) {
        fault.remaining--;
        const headers =
          fault.retryAfterSeconds === undefined
            ? undefined
            : { "retry-after": String(fault.retryAfterSeconds) };
        return send(res, method, template, { ...kratosError(fault.status), headers });
      }
    }
    const routes = api === "admin" ? adminRoutes : publicRoutes;
    const route = template === undefined ? undefined : routes[`${method} ${template}`];
    if (!match || !route) {
      const why = match
        ? `is in the spec but not served by the fake's ${api} API`
        : "is not in the Kratos spec";
      specViolations.push(`${method} ${url.pathname} ${why}`);
      return send(
        res,
        method,
        undefined,
        match ? kratosError(501) : notFound("The requested resource could not be found"),
      );
    }
    const problems = [
      ...validator.validateParameters(method, match.pathTemplate, {
        query: url.searchParams,
        path: match.params,
        headers: req.headers,
      }),
      ...(invalidJson
        ? [`${method} ${match.pathTemplate} request body: not valid JSON`]
        : validator.validateRequestBody(
            method,
            match.pathTemplate,
            body,
            body === undefined ? undefined : req.headers["content-type"],
          )),
    ];
    specViolations.push(...problems);
    if (
      api === "admin" &&
      opts.apiKey !== undefined &&
      req.headers.authorization !== `Bearer ${opts.apiKey}`
    ) {
      return send(
        res,
        method,
        template,
        kratosError(401, "The request could not be authorized", { reason: "missing or invalid API key" }),
      );
    }
    if (problems.length > 0) {
      return send(
        res,
        method,
        template,
        kratosError(400, "The request was malformed or contained invalid parameters", {
          reason: problems.join("; "),
        }),
      );
    }
    send(
      res,
      method,
      template,
      route({ params: match.params, query: url.searchParams, body, headers: req.headers }),
    );
  }

  function send(res: ServerResponse, method: string, template: string | undefined, reply: Reply): void {
    const payload = reply.body === undefined ? undefined : JSON.stringify(reply.body);
    if (template !== undefined) {
      const wire = payload === undefined ? undefined : (JSON.parse(payload) as unknown);
      specViolations.push(
        ...validator.validateResponse(method, template, reply.status, wire, "application/json"),
      );
    }
    if (res.destroyed) return;
    const type = payload === undefined ? {} : { "content-type": "application/json; charset=utf-8" };
    res.writeHead(reply.status, { ...type, ...reply.headers });
    res.end(payload);
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  const listener = (api: "admin" | "public") => (req: IncomingMessage, res: ServerResponse) => {
    handle(api, req, res).catch((err: unknown) => {
      specViolations.push(`fake crashed on ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent && !res.destroyed)
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify(kratosError(500).body));
    });
  };
  const adminServer = await listen(createServer(listener("admin")));
  const publicServer = await listen(createServer(listener("public")));
  const publicUrl = urlOf(publicServer);

  return {
    adminUrl: urlOf(adminServer),
    publicUrl,
    identities,
    sessions,
    requests,
    specViolations,
    sessionRevocations,
    createIdentity(traits = { email: `user-${randomBytes(4).toString("hex")}@example.com` }, metadata = {}) {
      const now = clock().toISOString();
      const identity = syncAddresses(
        {
          id: randomUUID(),
          schema_id: "default",
          schema_url: `${publicUrl}/schemas/ZGVmYXVsdA`,
          state: "active",
          state_changed_at: now,
          traits,
          metadata_public: metadata.metadata_public ?? null,
          metadata_admin: metadata.metadata_admin ?? null,
          created_at: now,
          updated_at: now,
          organization_id: null,
        },
        now,
      );
      identities.set(identity.id, identity);
      return identity;
    },
    createSession(identityId) {
      if (!identities.has(identityId)) throw new Error(`kratos fake: no identity ${identityId}`);
      const issued = clock();
      const session: KratosSession = {
        id: randomUUID(),
        identityId,
        token: randomAlphaNum(32),
        cookieValue: randomBytes(64).toString("base64url"),
        issuedAt: issued.toISOString(),
        expiresAt: new Date(issued.getTime() + (opts.sessionLifespanMs ?? 24 * 3600_000)).toISOString(),
        active: true,
      };
      sessions.set(session.id, session);
      return { id: session.id, token: session.token, cookie: `${SESSION_COOKIE}=${session.cookieValue}` };
    },
    patches: applied,
    failAdmin(n, status, faultOpts = {}) {
      Object.assign(fault, { remaining: n, status, retryAfterSeconds: faultOpts.retryAfterSeconds });
    },
    setAdminDelay(ms) {
      adminDelayMs = ms;
    },
    setDown(value) {
      down = value;
    },
    patchCount(identityId) {
      return identityId === undefined
        ? applied.length
        : applied.filter((patch) => patch.identityId === identityId).length;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await Promise.all([adminServer, publicServer].map(closeServer));
    },
  };
}
