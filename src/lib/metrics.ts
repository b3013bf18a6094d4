// Prometheus metrics: one registry per app, counters on every face and queue, queue gauges read at scrape time.
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "idv_" });
  // Allowed logins are the hottest count: a plain number, folded into the counter when Prometheus scrapes.
  let allowedLogins = 0;
  return {
    registry,
    loginAllowed() {
      allowedLogins++;
    },
    callbacks: new Counter({
      name: "idv_callbacks_total",
      help: "Provider callbacks by provider and outcome (stored, duplicate, ignored, rejected).",
      labelNames: ["provider", "outcome"] as const,
      registers: [registry],
    }),
    oryWebhooks: new Counter({
      name: "idv_ory_webhooks_total",
      help: "Ory webhook calls by route and outcome.",
      labelNames: ["route", "outcome"] as const,
      registers: [registry],
      collect() {
        if (allowedLogins === 0) return;
        this.inc({ route: "validate", outcome: "allow" }, allowedLogins);
        allowedLogins = 0;
      },
    }),
    verifications: new Counter({
      name: "idv_verify_total",
      help: "Remote Verification API requests by route and outcome (okay, failure, bad_request, rate_limited, error).",
      labelNames: ["route", "outcome"] as const,
      registers: [registry],
    }),
    jobs: new Counter({
      name: "idv_jobs_total",
      help: "Worker jobs by queue, kind and outcome (done, retry, dead).",
      labelNames: ["queue", "kind", "outcome"] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "idv_queue_depth",
      help: "Rows per queue and state (pending, running, dead).",
      labelNames: ["queue", "state"] as const,
      registers: [registry],
    }),
    queueOldest: new Gauge({
      name: "idv_queue_oldest_age_seconds",
      help: "Age of the oldest unfinished row per queue.",
      labelNames: ["queue"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
