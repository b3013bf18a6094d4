// GET /health (process up), GET /ready (database reachable, migrations applied), GET /metrics (Prometheus).
import type { FastifyInstance } from "fastify";
import type { Metrics } from "../lib/metrics.js";
import type { Clock } from "../lib/runtime.js";
import type { ProviderStatus } from "../providers/provider.js";
import { type Store, StoreNotWritableError } from "../store/index.js";
import { createSecretCheck } from "./secret-header.js";

export interface HealthDeps {
  store: Store;
  metrics: Metrics;
  clock: Clock;
  metricsToken: string | undefined;
  providerStatuses: readonly ProviderStatus[];
}

export function registerHealth(app: FastifyInstance, deps: HealthDeps) {
  app.get("/health", async () => ({ status: "ok" }));

  app.get("/ready", async (_request, reply) => {
    try {
      await deps.store.ping();
      const pending = await deps.store.pendingMigrations();
      if (pending.length > 0) {
        return reply
          .status(503)
          .send({ status: "not_ready", reason: `migrations not applied: ${pending.join(", ")}` });
      }
    } catch (error) {
      const reason =
        error instanceof StoreNotWritableError
          ? `database not writable (${error.message})`
          : "database unreachable";
      return reply.status(503).send({ status: "not_ready", reason });
    }
    return {
      status: "ready",
      providers: deps.providerStatuses.map((p) => ({
        name: p.name,
        enabled: p.enabled,
        reason: p.reason || undefined,
      })),
    };
  });

  const checkToken = deps.metricsToken
    ? createSecretCheck(deps.metricsToken, "Authorization: Bearer", "METRICS_TOKEN")
    : undefined;
  app.get("/metrics", async (request, reply) => {
    if (checkToken) checkToken(request.headers.authorization?.replace(/^Bearer\s+/i, ""));
    const now = deps.clock.now();
    for (const queue of ["inbox", "outbox"] as const) {
      const stats = await deps.store[queue].stats(now);
      for (const state of ["pending", "running", "dead"] as const)
        deps.metrics.queueDepth.set({ queue, state }, stats[state]);
      deps.metrics.queueOldest.set({ queue }, stats.oldestAgeMs / 1000);
    }
    reply.header("content-type", deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
