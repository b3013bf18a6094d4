// Composition root: config → store → providers → domain → worker + HTTP app, and an orderly close.
import type { FastifyInstance } from "fastify";
import pino, { type Logger } from "pino";
import { createAssertionVerifier, type VerifierDeps } from "./assertions/index.js";
import { publicBaseUrl } from "./config/load.js";
import type { Config } from "./config/schema.js";
import { createIdvLookup } from "./domain/assertion-idv.js";
import type { DomainDeps } from "./domain/deps.js";
import { createEventProcessing } from "./domain/events.js";
import { createIdentitySync } from "./domain/identity-sync.js";
import { createInitiation } from "./domain/initiation.js";
import { createLoginGate } from "./domain/login-gate.js";
import { createResultRecorder } from "./domain/results.js";
import { createApp } from "./http/app.js";
import { createKratosAdmin } from "./identity/kratos-admin.js";
import { createKratosPublic } from "./identity/kratos-public.js";
import type { FetchLike } from "./lib/http-client.js";
import { createMetrics } from "./lib/metrics.js";
import { createRateLimiter } from "./lib/rate-limit.js";
import { type Runtime, systemRuntime } from "./lib/runtime.js";
import type { ProviderStatus } from "./providers/provider.js";
import { configureProviders } from "./providers/registry.js";
import { openStore, type Store } from "./store/index.js";
import { createWorkerHandlers } from "./worker/handlers.js";
import { createWorker, type Worker } from "./worker/worker.js";

export interface GatewayOptions {
  runtime?: Runtime;
  logger?: Logger;
  fetch?: FetchLike;
  /** The BrowserID verifier's clock and issuer-document fetcher (tests, benchmarks). */
  verifierDeps?: VerifierDeps;
}

export interface Gateway {
  app: FastifyInstance;
  store: Store;
  worker: Worker;
  providerStatuses: ProviderStatus[];
  logger: Logger;
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.LOG_LEVEL,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        'req.headers["x-webhook-secret"]',
        'req.headers["x-session-token"]',
      ],
      remove: true,
    },
  });
}

/**
 * The store as the settings describe it. `checkpointThread: false` for one-shot commands (migrate, status,
 * replay): they write little, and the writer's own close checkpoints it, so a thread would only cost start-up.
 */
export function openConfiguredStore(
  config: Config,
  logger: Logger,
  { checkpointThread = true }: { checkpointThread?: boolean } = {},
): Store {
  return openStore({
    databaseUrl: config.DATABASE_URL,
    sqlitePath: config.SQLITE_PATH,
    sqliteSynchronous: config.SQLITE_SYNCHRONOUS,
    sqliteWalAutocheckpoint: config.SQLITE_WAL_AUTOCHECKPOINT_PAGES,
    sqliteCheckpointIntervalMs: checkpointThread ? config.SQLITE_CHECKPOINT_INTERVAL_MS : 0,
    onCheckpointProblem: (problem) =>
      problem === undefined
        ? logger.info("SQLite checkpoints succeed again")
        : logger.warn(
            { err: problem },
            "SQLite checkpoint failed; retrying, the commit backstop still applies",
          ),
    poolSize: config.DATABASE_POOL_SIZE,
    gateCacheSize: config.LOGIN_GATE_CACHE_SIZE,
    gateQueryTimeoutMs: config.LOGIN_GATE_TIMEOUT_MS,
    ...(config.DATABASE_SCHEMA ? { pgSchema: config.DATABASE_SCHEMA } : {}),
    onPoolError: (error) =>
      logger.warn({ err: error.message }, "database connection lost; reconnecting on next use"),
  });
}

/** The Remote Verification API's pieces: the verifier from BROWSERID_* settings, the rate limit, the idv lookup. */
function createVerifyDeps(config: Config, deps: DomainDeps, logger: Logger, options: GatewayOptions) {
  const verifier = createAssertionVerifier(
    {
      fallbackIssuer: config.BROWSERID_FALLBACK_ISSUER,
      trustedIssuers: config.BROWSERID_TRUSTED_ISSUERS,
      clockSkewMs: config.BROWSERID_CLOCK_SKEW_SECONDS * 1000,
      cacheTtlMs: config.BROWSERID_CACHE_TTL_SECONDS * 1000,
      negativeCacheTtlMs: config.BROWSERID_NEGATIVE_CACHE_TTL_SECONDS * 1000,
      fetch: {
        allowedPrivateHosts: config.BROWSERID_ALLOWED_PRIVATE_HOSTS,
        httpHosts: config.BROWSERID_HTTP_HOSTS,
        insecureTlsHosts: config.BROWSERID_INSECURE_TLS_HOSTS,
        timeoutMs: config.BROWSERID_FETCH_TIMEOUT_MS,
        maxBytes: config.BROWSERID_FETCH_MAX_BYTES,
      },
    },
    // The gateway's clock, so a test that freezes time freezes certificate and assertion expiry too.
    { now: () => deps.runtime.clock.now(), ...options.verifierDeps },
  );
  // A relying party waits on this lookup: a short deadline of its own, not the worker's outbound timeout.
  const kratos = createKratosAdmin({
    adminUrl: config.KRATOS_ADMIN_URL,
    apiKey: config.ORY_API_KEY,
    timeoutMs: Math.min(config.OUTBOUND_TIMEOUT_MS, 2000),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const idv = config.VERIFY_IDV_STATUS
    ? createIdvLookup({
        findIdentities: (email) => kratos.findIdentitiesByEmail(email),
        readStatus: (identityId) => deps.store.identityStatus.get(identityId),
        clock: deps.runtime.clock,
        cacheTtlMs: config.VERIFY_IDV_CACHE_SECONDS * 1000,
        onUnavailable: (what, error) =>
          logger.warn(
            { err: error instanceof Error ? error.message : String(error), what },
            "idv member left out of /verify answers for 5 s: lookup failed",
          ),
      })
    : undefined;
  return {
    verifier,
    idv,
    rateLimiter: createRateLimiter({
      perMinute: config.VERIFY_RATE_LIMIT_PER_MINUTE,
      clock: deps.runtime.clock,
    }),
    bodyLimit: config.VERIFY_BODY_LIMIT_BYTES,
  };
}

export async function buildGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const runtime = options.runtime ?? systemRuntime;
  const logger = options.logger ?? createLogger(config);
  const store = openConfiguredStore(config, logger);
  const metrics = createMetrics();
  const publicUrl = publicBaseUrl(config);
  const { providers, statuses } = configureProviders({ config, fetch: options.fetch, runtime, publicUrl });
  const backoff = { baseMs: config.RETRY_BASE_MS, maxMs: config.RETRY_MAX_MS };

  const deps: DomainDeps = {
    store,
    providers,
    kratos: createKratosAdmin({
      adminUrl: config.KRATOS_ADMIN_URL,
      apiKey: config.ORY_API_KEY,
      timeoutMs: config.OUTBOUND_TIMEOUT_MS,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    runtime,
    backoff,
    publicUrl,
    revokeSessionsOnDecline: config.REVOKE_SESSIONS_ON_DECLINE,
  };
  const results = createResultRecorder(deps);
  const initiation = createInitiation(deps, results);
  const events = createEventProcessing(deps, results);
  const sync = createIdentitySync(deps);
  const gate = createLoginGate(
    {
      blockStatuses: new Set(config.LOGIN_BLOCK_STATUSES),
      failOpen: config.LOGIN_FAIL_OPEN,
      blocked: { id: config.LOGIN_BLOCK_MESSAGE_ID, text: config.LOGIN_BLOCK_MESSAGE },
      unavailable: { id: config.LOGIN_UNAVAILABLE_MESSAGE_ID, text: config.LOGIN_UNAVAILABLE_MESSAGE },
      readTimeoutMs: config.LOGIN_GATE_TIMEOUT_MS,
    },
    store.readGate,
  );
  const worker = createWorker(
    store,
    createWorkerHandlers(events, sync, initiation, config.RECONCILE_MAX_AGE_SECONDS * 1000),
    {
      pollMs: config.WORKER_POLL_MS,
      batchSize: config.WORKER_BATCH_SIZE,
      leaseMs: config.CLAIM_LEASE_MS,
      maxAttempts: config.RETRY_MAX_ATTEMPTS,
      backoff,
      reconcileAfterMs: config.RECONCILE_AFTER_SECONDS * 1000,
      reconcileIntervalMs: config.RECONCILE_INTERVAL_SECONDS * 1000,
      doneRetentionMs: config.DONE_JOB_RETENTION_SECONDS * 1000,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    },
    runtime,
    logger,
    metrics,
  );
  const app = await createApp({
    logger,
    store,
    metrics,
    clock: runtime.clock,
    initiation,
    events,
    gate,
    kratosPublic: createKratosPublic({
      publicUrl: config.KRATOS_PUBLIC_URL,
      timeoutMs: config.OUTBOUND_TIMEOUT_MS,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    providerStatuses: statuses,
    settings: {
      oryWebhookSecret: config.ORY_WEBHOOK_SECRET,
      webhookBodyLimit: config.WEBHOOK_BODY_LIMIT_BYTES,
      callbackBodyLimit: config.CALLBACK_BODY_LIMIT_BYTES,
      corsOrigins: config.CORS_ORIGINS,
      startRateLimitPerMinute: config.START_RATE_LIMIT_PER_MINUTE,
      trustProxy: config.TRUST_PROXY,
      metricsToken: config.METRICS_TOKEN,
      publicUrl,
    },
    onEventStored: config.WORKER_ENABLED ? () => worker.wake() : () => {},
    verify: config.VERIFY_ENABLED ? createVerifyDeps(config, deps, logger, options) : undefined,
  });

  return {
    app,
    store,
    worker,
    providerStatuses: statuses,
    logger,
    async close() {
      await app.close();
      await worker.stop();
      await store.close();
    },
  };
}
