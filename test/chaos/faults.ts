// Fault schedules, each running until the workload is done: process kills, Kratos and provider outages,
// PostgreSQL restarts, and a full or read-only SQLite volume.

import type { Fault, FaultProxy } from "./fault-proxy.js";
import type { ChaosPostgres } from "./postgres-cluster.js";
import type { Replicas } from "./replicas.js";
import type { SqliteVolume } from "./sqlite-volume.js";

export const FAULT_KINDS = ["kill", "kratos", "provider", "postgres", "disk"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultContext {
  replicas: Replicas;
  kratosProxy: FaultProxy;
  providerProxies: FaultProxy[];
  postgres?: ChaosPostgres;
  volume?: SqliteVolume;
  random: () => number;
  /** True once faults should stop (every final callback sent once, or the fault time is up). */
  done(): boolean;
  /** What happened, for the report. */
  log(event: string): void;
}

export interface FaultCounters {
  kills: number;
  kratosWindows: number;
  providerWindows: number;
  postgresRestarts: number;
  diskFull: number;
  diskReadOnly: number;
  /** /ready answers while the database was unavailable (must be 503). */
  readyDuringOutage: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Outage windows of an upstream: errors with and without Retry-After, hangs, lost answers, slowness. */
const UPSTREAM_FAULTS: Fault[] = [
  { kind: "status", status: 503, retryAfterSeconds: 1 },
  { kind: "status", status: 429, retryAfterSeconds: 1 },
  { kind: "status", status: 500 },
  { kind: "hang" },
  { kind: "lose-answer" },
  { kind: "slow", ms: 1200 },
];

async function upstreamOutages(ctx: FaultContext, proxies: FaultProxy[], count: (n: number) => void) {
  for (let i = 0; !ctx.done(); i++) {
    await sleep(800 + ctx.random() * 800);
    if (ctx.done()) break;
    const fault = UPSTREAM_FAULTS[i % UPSTREAM_FAULTS.length] as Fault;
    for (const proxy of proxies) proxy.setFault(fault);
    count(1);
    await sleep(1200 + ctx.random() * 800);
    for (const proxy of proxies) proxy.setFault({ kind: "none" });
  }
}

/** Set while the disk schedule has the replicas down for a read-only remount. */
let holdKills = false;

async function kills(ctx: FaultContext, counters: FaultCounters) {
  while (!ctx.done()) {
    await sleep(1500 + ctx.random() * 2000);
    if (ctx.done()) break;
    if (holdKills) continue;
    const i = Math.floor(ctx.random() * ctx.replicas.urls.length);
    await ctx.replicas.kill(i);
    counters.kills++;
    ctx.log(`killed replica ${i}`);
    await sleep(200 + ctx.random() * 600);
    await ctx.replicas.start(i, "health");
  }
}

async function postgresRestarts(ctx: FaultContext, counters: FaultCounters) {
  const postgres = ctx.postgres;
  if (!postgres) return;
  while (!ctx.done()) {
    await sleep(2500 + ctx.random() * 2000);
    if (ctx.done()) break;
    await postgres.restart();
    counters.postgresRestarts++;
    ctx.log("postgres restarted");
  }
}

async function ready(url: string): Promise<number> {
  return fetch(`${url}/ready`, { signal: AbortSignal.timeout(15_000) }).then(
    (r) => r.status,
    () => 0,
  );
}

/** SQLite on a volume that fills up, then goes read-only across a restart; the gateway must answer 503. */
async function diskFaults(ctx: FaultContext, counters: FaultCounters) {
  const volume = ctx.volume;
  if (!volume) return;
  while (!ctx.done()) {
    await sleep(1500 + ctx.random() * 1000);
    if (ctx.done()) break;
    volume.fill();
    counters.diskFull++;
    ctx.log("volume full");
    await sleep(1500);
    volume.unfill();
    if (ctx.done()) break;

    await sleep(1000);
    holdKills = true;
    try {
      // A volume goes read-only under a running process only through kernel errors; here it happens
      // across a crash: the gateway comes back to a read-only volume and must answer 503, then recover.
      for (const [i] of ctx.replicas.urls.entries()) await ctx.replicas.kill(i);
      volume.setReadOnly(true);
      counters.diskReadOnly++;
      ctx.log("volume read-only");
      for (const [i] of ctx.replicas.urls.entries()) await ctx.replicas.start(i, "health");
      for (const url of ctx.replicas.urls) counters.readyDuringOutage.push(await ready(url));
      await sleep(1500);
      volume.setReadOnly(false);
    } finally {
      holdKills = false;
    }
  }
}

export async function runFaults(kinds: readonly FaultKind[], ctx: FaultContext): Promise<FaultCounters> {
  const counters: FaultCounters = {
    kills: 0,
    kratosWindows: 0,
    providerWindows: 0,
    postgresRestarts: 0,
    diskFull: 0,
    diskReadOnly: 0,
    readyDuringOutage: [],
  };
  const schedules: Record<FaultKind, () => Promise<void>> = {
    kill: () => kills(ctx, counters),
    kratos: () => upstreamOutages(ctx, [ctx.kratosProxy], (n) => (counters.kratosWindows += n)),
    provider: () => upstreamOutages(ctx, ctx.providerProxies, (n) => (counters.providerWindows += n)),
    postgres: () => postgresRestarts(ctx, counters),
    disk: () => diskFaults(ctx, counters),
  };
  await Promise.all(kinds.map((kind) => schedules[kind]()));
  return counters;
}
