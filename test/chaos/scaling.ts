// Throughput with 1, 2 and 3 replicas sharing one PostgreSQL database, no faults: callbacks acknowledged per
// second, and decisions applied end to end (callback → provider re-read → Kratos) per second.
import { readdirSync, readFileSync } from "node:fs";
import { startKratosFake } from "../fakes/kratos-fake.js";
import { gatewayEnv, ORY_API_KEY, ORY_SECRET, startDrivers } from "../support/gateway-env.js";
import { startFaultProxy } from "./fault-proxy.js";
import { startChaosPostgres } from "./postgres-cluster.js";
import { startReplicas } from "./replicas.js";
import { deliver } from "./workload.js";

export interface ScalingOptions {
  identities: number;
  replicaCounts?: number[];
  concurrency?: number;
  log?: (line: string) => void;
}

interface ScalingRow {
  replicas: number;
  acceptedPerSecond: number;
  appliedPerSecond: number;
  initiatedPerSecond: number;
  /** Share of the decision phase's wall time the gateways / the harness (fakes, load) were on a CPU. */
  gatewayCpu: number;
  harnessCpu: number;
  postgresCpu: number;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** CPU seconds used so far by every PostgreSQL server process on the machine (the harness's cluster does the work). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.includes("(postgres)")) continue;
      const fields = stat.split(") ")[1]?.split(" ") ?? [];
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

async function measure(replicaCount: number, options: ScalingOptions): Promise<ScalingRow> {
  const kratos = await startKratosFake({ apiKey: ORY_API_KEY });
  const drivers = await startDrivers();
  const postgres = await startChaosPostgres();
  const env = {
    ...gatewayEnv(kratos, drivers.values()),
    ...postgres.env,
    LOG_LEVEL: "fatal",
    GATEWAY_PUBLIC_URL: "https://idv.example.test",
    WORKER_POLL_MS: "50",
    RECONCILE_AFTER_SECONDS: "3600",
  };
  const replicas = await startReplicas(replicaCount, env);
  const balancer = await startFaultProxy(replicas.urls);
  const concurrency = options.concurrency ?? 32;
  const persona = drivers.get("persona");
  if (!persona) throw new Error("no persona driver");
  try {
    const identities = Array.from({ length: options.identities }, (_, i) =>
      kratos.createIdentity({ email: `scale${i}@example.com` }),
    );
    const sessions: string[] = [];
    const pool = async <T>(items: T[], work: (item: T) => Promise<void>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < items.length) await work(items[next++] as T);
        }),
      );
    };
    const initStart = performance.now();
    await pool(identities, async (identity) => {
      const response = await fetch(`${balancer.origin}/persona/initiate`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-webhook-secret": ORY_SECRET },
        body: JSON.stringify({ kratos_identity_id: identity.id }),
      });
      sessions.push(((await response.json()) as { session_id: string }).session_id);
    });
    const initiatedPerSecond = identities.length / ((performance.now() - initStart) / 1000);
    // Let the initiation syncs drain before timing the decisions.
    const patchesBefore = () => kratos.patchCount();
    for (let last = -1; last !== patchesBefore(); ) {
      last = patchesBefore();
      await new Promise((r) => setTimeout(r, 1000));
    }
    const start = performance.now();
    const gatewayCpuBefore = sum(replicas.cpuSeconds());
    const harnessCpuBefore = process.cpuUsage();
    const postgresCpuBefore = postgresCpuSeconds();
    await pool(sessions, async (session) => {
      persona.setStatus(session, "approved");
      const delivery = persona.callback(session);
      await deliver(`${balancer.origin}/persona/callback`, delivery.headers, delivery.body, 30_000);
    });
    const acceptedS = (performance.now() - start) / 1000;
    const approved = () =>
      identities.filter(
        (identity) =>
          (kratos.identities.get(identity.id)?.metadata_public as { idv?: { status?: string } } | null)?.idv
            ?.status === "approved",
      ).length;
    while (approved() < identities.length) await new Promise((r) => setTimeout(r, 50));
    const appliedS = (performance.now() - start) / 1000;
    const harnessCpu = process.cpuUsage(harnessCpuBefore);
    return {
      gatewayCpu: (sum(replicas.cpuSeconds()) - gatewayCpuBefore) / appliedS,
      harnessCpu: (harnessCpu.user + harnessCpu.system) / 1e6 / appliedS,
      postgresCpu: (postgresCpuSeconds() - postgresCpuBefore) / appliedS,
      replicas: replicaCount,
      acceptedPerSecond: Math.round(identities.length / acceptedS),
      appliedPerSecond: Math.round(identities.length / appliedS),
      initiatedPerSecond: Math.round(initiatedPerSecond),
    };
  } finally {
    await replicas.close();
    await balancer.close();
    await Promise.all([...drivers.values()].map((d) => d.close()));
    await kratos.close();
    await postgres.drop();
  }
}

export async function runScaling(options: ScalingOptions): Promise<string> {
  const rows: ScalingRow[] = [];
  for (const count of options.replicaCounts ?? [1, 2, 3]) {
    const row = await measure(count, options);
    options.log?.(JSON.stringify(row));
    rows.push(row);
  }
  const base = rows[0];
  const lines = [
    "| replicas | registrations/s | callbacks acknowledged/s | decisions applied to Kratos/s | applied vs 1 replica | CPUs busy: gateways / PostgreSQL / harness (of 2) |",
    "|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.replicas} | ${r.initiatedPerSecond} | ${r.acceptedPerSecond} | ${r.appliedPerSecond} | ${base ? (r.appliedPerSecond / base.appliedPerSecond).toFixed(2) : "-"}× | ${r.gatewayCpu.toFixed(2)} / ${r.postgresCpu.toFixed(2)} / ${r.harnessCpu.toFixed(2)} |`,
    ),
  ];
  return `${new Date().toISOString()} — ${options.identities} identities per run, PostgreSQL, no faults\n${lines.join("\n")}`;
}
