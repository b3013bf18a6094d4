// createApp: the Fastify app with every face wired explicitly from its dependencies.
import { createServer } from "node:http";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { EventProcessing } from "../domain/events.js";
import type { Initiation } from "../domain/initiation.js";
import type { LoginGate } from "../domain/login-gate.js";
import type { KratosPublic } from "../identity/kratos-public.js";
import type { Metrics } from "../lib/metrics.js";
import { createRateLimiter } from "../lib/rate-limit.js";
import type { Clock } from "../lib/runtime.js";
import { PROVIDER_NAMES, type ProviderName, type ProviderStatus } from "../providers/provider.js";
import type { Store } from "../store/index.js";
import { createCallbackFastPath } from "./callback-fast-path.js";
import { registerCallbacks } from "./callbacks.js";
import { errorHandler } from "./errors.js";
import { registerHealth } from "./health.js";
import { createLoginGateRoute } from "./login-gate-route.js";
import { registerDocs } from "./openapi.js";
import { registerOryWebhooks } from "./ory-webhooks.js";
import { registerStart } from "./start.js";
import { registerVerify } from "./verify.js";
import type { VerifyRouteDeps } from "./verify-answer.js";
import { createVerifyFastPath } from "./verify-fast-path.js";

/** Idle keep-alive connections live this long (Fastify's default for servers it creates itself). */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export interface AppDeps {
  logger: Logger;
  store: Store;
  metrics: Metrics;
  clock: Clock;
  initiation: Initiation;
  events: EventProcessing;
  gate: LoginGate;
  kratosPublic: KratosPublic;
  providerStatuses: readonly ProviderStatus[];
  settings: {
    oryWebhookSecret: string | undefined;
    webhookBodyLimit: number;
    callbackBodyLimit: number;
    corsOrigins: readonly string[];
    startRateLimitPerMinute: number;
    trustProxy: readonly string[];
    metricsToken: string | undefined;
    publicUrl: string;
  };
  onEventStored(): void;
  /** The Remote Verification API (`POST /verify`, `/`, `/v2`); absent when VERIFY_ENABLED is off. */
  verify?: Omit<VerifyRouteDeps, "metrics"> | undefined;
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  // The login gate answers for every known provider route, enabled or not: a provider switched off
  // must not break logins that Kratos still routes through its /validate URL.
  const loginGate = createLoginGateRoute({
    providers: PROVIDER_NAMES,
    webhookSecret: deps.settings.oryWebhookSecret,
    bodyLimit: deps.settings.webhookBodyLimit,
    gate: deps.gate,
    metrics: deps.metrics,
  });
  let closing = false;
  // POST /verify with a JSON body also runs ahead of Fastify (issue 5); it hands everything else to Fastify.
  const verifyFast = deps.verify
    ? createVerifyFastPath({
        ...deps.verify,
        metrics: deps.metrics,
        trustProxy: deps.settings.trustProxy.length > 0,
        closing: () => closing,
        logError: (error, url) => deps.logger.error({ err: error, url }, "verification failed"),
      })
    : undefined;
  const callbackDeps = {
    providers: PROVIDER_NAMES,
    bodyLimit: deps.settings.callbackBodyLimit,
    events: deps.events,
    metrics: deps.metrics,
    onStored: deps.onEventStored,
  };
  const callbackFast = createCallbackFastPath({
    ...callbackDeps,
    trustProxy: deps.settings.trustProxy.length > 0,
    closing: () => closing,
    logError: (error, url) => deps.logger.error({ err: error, url }, "request failed"),
  });
  const app: FastifyInstance = Fastify({
    // The login gate, provider callbacks and /verify run ahead of Fastify; everything else goes through it.
    serverFactory: (handler) => {
      const server = createServer((req, res) => {
        if (!loginGate(req, res) && !callbackFast(req, res) && !verifyFast?.(req, res)) handler(req, res);
      });
      // Fastify sets these only on servers it creates. Kratos (Go) and load balancers keep connections
      // pooled between logins; Node's 5 s default closes idle ones, and a request sent as it does is reset.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
      return server;
    },
    loggerInstance: deps.logger as FastifyBaseLogger,
    // No per-request log lines: the login and callback paths are hot; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.settings.webhookBodyLimit,
    requestIdHeader: "x-request-id",
    // One logger for all requests instead of a child per request (a measurable cost at login rates);
    // the error handler names the request id itself.
    childLoggerFactory: (logger) => logger,
    // request.ip is the socket address unless the peer is a configured proxy.
    trustProxy: deps.settings.trustProxy.length > 0 ? [...deps.settings.trustProxy] : false,
    return503OnClosing: true,
  });
  // From here on Fastify answers 503 to new requests (return503OnClosing): the fast path steps aside.
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: "not_found", message: `No route ${request.method} ${request.url.split("?")[0]}` }),
  );

  const enabled = deps.providerStatuses.filter((p) => p.enabled).map((p) => p.name);
  const { settings } = deps;

  registerHealth(app, {
    store: deps.store,
    metrics: deps.metrics,
    clock: deps.clock,
    metricsToken: settings.metricsToken,
    providerStatuses: deps.providerStatuses,
  });
  registerOryWebhooks(app, {
    providers: PROVIDER_NAMES,
    webhookSecret: settings.oryWebhookSecret,
    bodyLimit: settings.webhookBodyLimit,
    initiation: deps.initiation,
    metrics: deps.metrics,
    startUrl: (provider: ProviderName) => `${settings.publicUrl}/${provider}/start`,
  });
  await registerCallbacks(app, callbackDeps);
  await registerStart(app, {
    providers: enabled,
    corsOrigins: settings.corsOrigins,
    initiation: deps.initiation,
    kratosPublic: deps.kratosPublic,
    limiter: createRateLimiter({ perMinute: settings.startRateLimitPerMinute, clock: deps.clock }),
  });
  if (deps.verify) await registerVerify(app, { ...deps.verify, metrics: deps.metrics });
  registerDocs(app, { verify: deps.verify !== undefined });
  return app;
}
