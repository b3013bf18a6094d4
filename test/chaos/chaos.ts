// One chaos run: simulators and Kratos behind fault proxies, gateway replicas as processes behind a round-robin
// proxy, the workload and the fault schedules at once, then every identity checked against what was sent.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { openStore } from "../../src/store/index.js";
import type { ProviderDriver } from "../contracts/driver.js";
import { type KratosFake, startKratosFake } from "../fakes/kratos-fake.js";
import { gatewayEnv, ORY_API_KEY, ORY_SECRET, startDrivers } from "../support/gateway-env.js";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.js";
import { type FaultKind, runFaults } from "./faults.js";
import { type ChaosPostgres, startChaosPostgres } from "./postgres-cluster.js";
import { startReplicas } from "./replicas.js";
import type { ChaosReport } from "./report.js";
import { createSqliteVolume, type SqliteVolume } from "./sqlite-volume.js";
import { createWorkload, type IdentityRun, type LoginSample } from "./workload.js";

export interface ChaosOptions {
  database: "sqlite" | "postgres";
  replicas: number;
  identities: number;
  /** Registrations per second. */
  ratePerSecond: number;
  faults: readonly FaultKind[];
  /**
   * Faults stop once every final callback has been sent at least once, or after this long (default: no cap),
   * so a slow machine cannot keep a run in faults for ever: retries then drain against a recovering gateway.
   */
  maxFaultMs?: number;
  /** How long to wait after the last callback for every identity to reach its final state. */
  settleMs?: number;
  seed?: number;
  log?: (line: string) => void;
  /** Called once the replicas run; the function it returns is called when the workload is done (soak sampling). */
  observe?: (view: RunView) => () => void;
}

export interface RunView {
  rssMiB(): number[];
  runs: readonly IdentityRun[];
  logins: readonly LoginSample[];
}

const DECISIONS = new Set(["approved", "declined", "review", "failed", "expired"]);

/** A seeded PRNG (mulberry32) so a run can be repeated. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const idvStatus = (metadata: unknown): string | undefined =>
  (metadata as { idv?: { status?: string } } | null)?.idv?.status;

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

/** Points every URL of the gateway's settings that names a simulator at a fault proxy in front of it. */
async function proxyUpstreams(env: Record<string, string>, kratos: KratosFake) {
  const kratosProxy = await startFaultProxy([new URL(kratos.adminUrl).origin]);
  const providerProxies = new Map<string, FaultProxy>();
  const out: Record<string, string> = { ...env, KRATOS_ADMIN_URL: kratosProxy.rewrite(kratos.adminUrl) };
  for (const [key, value] of Object.entries(env)) {
    if (key === "KRATOS_ADMIN_URL" || key === "KRATOS_PUBLIC_URL" || !/^https?:\/\//.test(value)) continue;
    const origin = new URL(value).origin;
    let proxy = providerProxies.get(origin);
    if (!proxy) {
      proxy = await startFaultProxy([origin]);
      providerProxies.set(origin, proxy);
    }
    out[key] = proxy.rewrite(value);
  }
  return { env: out, kratosProxy, providerProxies: [...providerProxies.values()] };
}

function openRunStore(env: Record<string, string>) {
  return openStore({
    databaseUrl: env.DATABASE_URL,
    sqlitePath: env.SQLITE_PATH ?? ":memory:",
    sqliteSynchronous: "NORMAL",
    poolSize: 1,
    ...(env.DATABASE_SCHEMA ? { pgSchema: env.DATABASE_SCHEMA } : {}),
  });
}

/**
 * What the store holds for an identity that ended wrong: tells a callback still queued (retrying, dead) from
 * one processed to the wrong status, or one that never reached the inbox.
 */
async function storeStateOf(env: Record<string, string>, identityIds: readonly string[]): Promise<string[]> {
  if (identityIds.length === 0) return [];
  const store = openRunStore(env);
  try {
    const lines: string[] = [];
    for (const id of identityIds) {
      const gate = await store.db
        .selectFrom("identity_status")
        .select(["status", "status_version"])
        .where("identity_id", "=", id)
        .executeTakeFirst();
      const verifications = await store.db
        .selectFrom("verifications")
        .select(["provider", "session_id", "status", "raw_status", "last_error"])
        .where("identity_id", "=", id)
        .execute();
      const sessions = verifications.flatMap((v) => (v.session_id ? [v.session_id] : []));
      const inbox = sessions.length
        ? await store.db
            .selectFrom("inbox")
            .select(["event_name", "state", "attempts", "last_error"])
            .where("session_id", "in", sessions)
            .orderBy("id")
            .execute()
        : [];
      const outbox = await store.db
        .selectFrom("outbox")
        .select(["kind", "state", "attempts", "last_error"])
        .where("subject", "=", id)
        .orderBy("id")
        .execute();
      lines.push(
        `${id} in the store: gate ${gate ? `${gate.status} v${gate.status_version}` : "none"}; ` +
          `verifications ${JSON.stringify(verifications)}; inbox ${JSON.stringify(inbox)}; outbox ${JSON.stringify(outbox)}`,
      );
    }
    return lines;
  } finally {
    await store.close();
  }
}

async function queueTotals(env: Record<string, string>) {
  const store = openRunStore(env);
  try {
    let retries = 0;
    let dead = 0;
    for (const table of ["inbox", "outbox"] as const) {
      const { rows } = await sql<{ retries: number | string | null; dead: number | string | null }>`
        select sum(case when attempts > 1 then attempts - 1 else 0 end) as retries,
               sum(case when state = 'dead' then 1 else 0 end) as dead
        from ${sql.table(table)}`.execute(store.db);
      retries += Number(rows[0]?.retries ?? 0);
      dead += Number(rows[0]?.dead ?? 0);
    }
    return { retries, dead };
  } finally {
    await store.close();
  }
}

function analyse(runs: IdentityRun[], kratos: KratosFake) {
  let lost = 0;
  let wrong = 0;
  let unacknowledged = 0;
  let appliedTwice = 0;
  let applied = 0;
  const latencies: number[] = [];
  const problems: string[] = [];
  /** Identities behind `problems`. */
  const troubled = new Set<string>();
  for (const run of runs) {
    const patches = kratos.patches.filter((p) => p.identityId === run.identityId);
    for (const patch of patches) {
      const before = idvStatus(patch.before.metadata_public);
      const after = idvStatus(patch.after.metadata_public);
      if (before !== after) applied++;
      // Unchanged metadata re-written, or a decision written again over itself: both count as twice.
      const same = JSON.stringify(patch.before) === JSON.stringify(patch.after);
      if (same || (after !== undefined && DECISIONS.has(after) && before === after)) {
        appliedTwice++;
        troubled.add(run.identityId);
        problems.push(
          `${run.identityId}: ${same ? "unchanged metadata re-written" : `decision ${after} written again`}`,
        );
      }
    }
    const final = idvStatus(kratos.identities.get(run.identityId)?.metadata_public);
    const acked = run.finalSent?.ackedAt;
    if (acked === undefined) unacknowledged++;
    if (final !== run.expected) {
      wrong++;
      if (acked !== undefined) lost++;
      troubled.add(run.identityId);
      problems.push(
        `${run.identityId} (${run.provider} ${run.script.join("→")}): expected ${run.expected}, Kratos has ${final}${acked === undefined ? " (final callback never acknowledged)" : ""}`,
      );
      continue;
    }
    const reached = patches.find(
      (p) => idvStatus(p.after.metadata_public) === run.expected && p.at >= (run.finalSetAt ?? 0),
    );
    if (acked !== undefined && reached) latencies.push(Math.max(0, reached.at - acked));
  }
  return { lost, wrong, unacknowledged, appliedTwice, applied, latencies, problems, troubled };
}

async function finalLogins(target: string, runs: IdentityRun[]) {
  const wrong: { identityId: string; problem: string }[] = [];
  for (const run of runs) {
    const response = await fetch(`${target}/${run.provider}/validate`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-webhook-secret": ORY_SECRET },
      body: JSON.stringify({ kratos_identity_id: run.identityId }),
    });
    await response.arrayBuffer();
    const allowed = response.status === 200;
    if (allowed === (run.expected === "declined"))
      wrong.push({
        identityId: run.identityId,
        problem: `${run.identityId}: login ${response.status} for ${run.expected}`,
      });
  }
  return wrong;
}

function loginStats(samples: LoginSample[]) {
  const ok = samples.filter((s) => s.status !== "error" && s.status < 500).map((s) => s.ms);
  return {
    p50: percentile(ok, 50),
    p99: percentile(ok, 99),
    errors: samples.length - ok.length,
    count: samples.length,
  };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const random = seeded(options.seed ?? 1);
  const started = Date.now();
  const label = `${options.database} ×${options.replicas} [${options.faults.join("+") || "no faults"}]`;
  const kratos = await startKratosFake({ apiKey: ORY_API_KEY });
  const drivers = await startDrivers();
  const upstreams = await proxyUpstreams(gatewayEnv(kratos, drivers.values()), kratos);

  let volume: SqliteVolume | undefined;
  let postgres: ChaosPostgres | undefined;
  let dir: string | undefined;
  let dbEnv: Record<string, string>;
  if (options.database === "postgres") {
    postgres = await startChaosPostgres();
    dbEnv = postgres.env;
  } else if (options.faults.includes("disk")) {
    volume = createSqliteVolume();
    dbEnv = { SQLITE_PATH: volume.path };
  } else {
    dir = mkdtempSync(join(tmpdir(), "idv-chaos-"));
    dbEnv = { SQLITE_PATH: join(dir, "idv.db") };
  }
  const env: Record<string, string> = {
    ...upstreams.env,
    ...dbEnv,
    NODE_ENV: "test",
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? "fatal",
    GATEWAY_PUBLIC_URL: "https://idv.example.test",
    RETRY_BASE_MS: "100",
    RETRY_MAX_MS: "2000",
    OUTBOUND_TIMEOUT_MS: "1500",
    WORKER_POLL_MS: "50",
    CLAIM_LEASE_MS: "3000",
    // Durability of acknowledged callbacks is what is measured: the reconciler must not repair losses.
    RECONCILE_AFTER_SECONDS: "3600",
  };

  const replicas = await startReplicas(options.replicas, env);
  const balancer = await startFaultProxy(replicas.urls);
  const workload = createWorkload({
    target: balancer.origin,
    kratos,
    drivers: drivers as ReadonlyMap<string, ProviderDriver>,
    identities: options.identities,
    ratePerSecond: options.ratePerSecond,
    duplicateRate: 0.3,
    reorderRate: 0.3,
    retryForMs: 120_000,
    random,
  });
  let done = false;
  const faultsEnd = Date.now() + (options.maxFaultMs ?? Number.POSITIVE_INFINITY);
  const faultsOver = () => done || workload.finalsSent() || Date.now() > faultsEnd;
  const faultsRun = runFaults(options.faults, {
    replicas,
    kratosProxy: upstreams.kratosProxy,
    providerProxies: upstreams.providerProxies,
    ...(postgres ? { postgres } : {}),
    ...(volume ? { volume } : {}),
    random,
    done: faultsOver,
    log,
  });
  const stopObserving = options.observe?.({
    rssMiB: () => replicas.rssMiB(),
    runs: workload.runs,
    logins: workload.logins,
  });
  try {
    await workload.run();
    stopObserving?.();
    done = true;
    const faults = await faultsRun;
    for (const proxy of [upstreams.kratosProxy, ...upstreams.providerProxies])
      proxy.setFault({ kind: "none" });
    for (const [i] of replicas.urls.entries()) await replicas.start(i);

    const settleBy = Date.now() + (options.settleMs ?? 60_000);
    const settled = () =>
      workload.runs.every(
        (r) => idvStatus(kratos.identities.get(r.identityId)?.metadata_public) === r.expected,
      );
    while (!settled() && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 200));
    const result = analyse(workload.runs, kratos);
    const wrongLogins = await finalLogins(balancer.origin, workload.runs);
    const totals = await queueTotals(env);
    const sent = workload.runs.flatMap((r) => r.sent);
    const statuses = sent.flatMap((s) => s.statuses);
    const troubled = new Set([...result.troubled, ...wrongLogins.map((w) => w.identityId)]);
    const problems = [
      ...result.problems,
      ...wrongLogins.map((w) => w.problem),
      ...(await storeStateOf(env, [...troubled])),
      ...replicas.crashes,
    ];
    if (faults.readyDuringOutage.some((status) => status !== 503))
      problems.push(
        `/ready during the database outage answered ${faults.readyDuringOutage.join(", ")} (want 503)`,
      );
    return {
      label,
      identities: workload.runs.length,
      eventsSent: sent.length,
      attempts: statuses.length,
      accepted: sent.filter((s) => s.ackedAt !== undefined).length,
      duplicatesAbsorbed: sent.filter((s) => s.outcome === "duplicate").length,
      refused503: statuses.filter((s) => s === 503).length,
      refusals: countBy(statuses.filter((s) => s === "error" || s >= 300).map(String)),
      lost: result.lost,
      appliedTwice: result.appliedTwice,
      applied: result.applied,
      wrongFinalStatus: result.wrong,
      unacknowledged: result.unacknowledged,
      wrongLogins: wrongLogins.length,
      callbackToKratosMs: {
        p50: percentile(result.latencies, 50),
        p99: percentile(result.latencies, 99),
        max: percentile(result.latencies, 100),
      },
      loginMs: loginStats(workload.logins),
      workerRetries: totals.retries,
      deadLetters: totals.dead,
      faults,
      durationS: Math.round((Date.now() - started) / 100) / 10,
      crashes: replicas.crashes.length,
      problems,
    };
  } finally {
    done = true;
    await faultsRun.catch(() => undefined);
    await replicas.close();
    await balancer.close();
    for (const proxy of [upstreams.kratosProxy, ...upstreams.providerProxies]) await proxy.close();
    await Promise.all([...drivers.values()].map((d) => d.close()));
    await kratos.close();
    await postgres?.drop().catch(() => undefined);
    volume?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
