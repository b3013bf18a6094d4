// How the bench measures a route: one server process per run in alternating pairs (callbacks, which need a
// fresh inbox per process), or both servers alive side by side and loaded in short alternating windows
// (validate, whose target is the ratio of the two: see bench/README.md, "Interleaved windows").
import { resolve } from "node:path";
import { type LoadResult, runLoad, runSampledLoad } from "./load.js";
import { type PacedResult, runPaced } from "./paced-load.js";
import {
  freePort,
  gatewayCommand,
  type ProcessSample,
  type ServerProcess,
  startServer,
  waitForQuiet,
} from "./processes.js";
import { noise, RUN_HEAD, type RunRecord, runRow } from "./report.js";
import type { Attempt, Scenario, ServerKind } from "./scenarios.js";

/** Other processes may use this many cores during a run before it is measured again. */
export const NOISE_LIMIT = 0.25;

/** Seconds of load in one window of the interleaved measurements (validate, and /verify in verify-bench.ts). */
export const WINDOW_SECONDS = 2;

export interface Settings {
  connections: number;
  warmup: number;
  duration: number;
  cpuProf: string | undefined;
  /** Routes with a paced request: requests per second and seconds of the open-loop run after the closed loop. */
  pacedRate: number;
  pacedDuration: number;
}

interface Started {
  server: ServerProcess;
  load: { url: string; connections: number; requests: ReturnType<Scenario["requests"]> };
}

/** Starts one server for the scenario and checks its answers by hand before any load. */
async function start(scenario: Scenario, attempt: Attempt, settings: Settings): Promise<Started> {
  const port = await freePort();
  const env = { ...(await scenario.prepare(attempt)), PORT: String(port) };
  const gateway = attempt.kind === "gateway";
  const profile = gateway && settings.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${settings.cpuProf}`] : [];
  const script = gateway
    ? [...profile, ...gatewayCommand("dist/cli/index.js", "serve")]
    : [resolve("bench/bare-server.mjs")];
  const server = await startServer(
    `${attempt.kind} (${scenario.route})`,
    script,
    env,
    port,
    gateway ? "/ready" : "/",
  );
  try {
    await scenario.check(attempt.kind, server.url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const load = {
    url: server.url,
    connections: settings.connections,
    requests: scenario.requests(attempt.kind),
  };
  return { server, load };
}

/** Loads a started server for `seconds`, sampling its CPU and RSS; throws if it died. */
async function loadWindow(started: Started, seconds: number) {
  const window = await runSampledLoad(started.server.pid, { ...started.load, durationSec: seconds });
  if (!started.server.alive())
    throw new Error(`${started.server.name} died under load:\n${started.server.output()}`);
  return window;
}

/** Responses with a status the scenario does not expect, plus socket errors and timeouts. */
function badAnswers(scenario: Scenario, loads: LoadResult[]): number {
  let bad = 0;
  for (const r of loads) {
    let good = 0;
    for (const [status, n] of Object.entries(r.statuses))
      if (scenario.goodStatuses.has(Number(status))) good += n;
    bad += r.errors + r.completed - good;
  }
  return bad;
}

function report(record: RunRecord, server: ServerProcess): RunRecord {
  console.log(`  ${runRow(record).join("  ")}`);
  if (record.bad > 0)
    console.log(
      `  !! ${record.bad} bad answers: ${JSON.stringify(record.load.statuses)}; server output:\n${server.output()}`,
    );
  if (record.problem) console.log(`  !! ${record.problem}`);
  return record;
}

function runRecord(
  scenario: Scenario,
  kind: ServerKind,
  run: number,
  load: LoadResult,
  process: ProcessSample,
  bad: number,
  problem?: string,
): RunRecord {
  return { scenario: scenario.route, routeKind: scenario.kind, kind, run, load, process, bad, problem };
}

async function settle(): Promise<void> {
  const busy = await waitForQuiet(NOISE_LIMIT, 10_000);
  if (busy > NOISE_LIMIT)
    console.log(`  (machine still busy before this run: ${busy.toFixed(2)} cores in use)`);
}

/**
 * The target's own reading of "p99 at 5,000 req/s": the server at a fixed rate, latency counted from each
 * request's due time (paced-load.ts), after the closed loop has warmed it up and filled its inbox.
 */
async function pacedRun(
  scenario: Scenario,
  started: Started,
  settings: Settings,
): Promise<PacedResult | undefined> {
  const next = scenario.paced?.bind(scenario);
  if (!next || settings.pacedRate <= 0) return undefined;
  const result = await runPaced({
    url: started.server.url,
    rate: settings.pacedRate,
    durationSec: settings.pacedDuration,
    next,
    good: (status) => scenario.goodStatuses.has(status),
  });
  if (!started.server.alive())
    throw new Error(`${started.server.name} died under paced load:\n${started.server.output()}`);
  return result;
}

/** Starts one server, checks its answers, warms it up, measures it, stops it. */
async function measureOnce(scenario: Scenario, attempt: Attempt, run: number, settings: Settings) {
  await settle();
  const started = await start(scenario, attempt, settings);
  const { server } = started;
  try {
    const warm = await runLoad({ ...started.load, durationSec: settings.warmup });
    const { load, sample } = await loadWindow(started, settings.duration);
    const paced = await pacedRun(scenario, started, settings);
    await server.stop();
    const pacedBad = paced ? paced.bad + paced.errors : 0;
    const ok =
      (warm.statuses["200"] ?? 0) + (load.statuses["200"] ?? 0) + (paced ? paced.completed - pacedBad : 0);
    const problem =
      attempt.kind === "gateway" ? scenario.verify?.(attempt, ok, 2 * settings.connections) : undefined;
    const bad = badAnswers(scenario, [warm, load]) + pacedBad;
    const record = report(
      { ...runRecord(scenario, attempt.kind, run, load, sample, bad, problem), paced },
      server,
    );
    const note = scenario.note?.();
    if (note) console.log(`  note: ${note}`);
    return record;
  } finally {
    await server.stop();
  }
}

function planned(scenario: Scenario, runs: number): number {
  const n = Math.min(runs, scenario.maxRuns ?? runs);
  return n;
}

/**
 * Runs `runs` pairs of bare and gateway, in alternating order (bare first in odd pairs, gateway first in even
 * ones) so that neither server always meets the machine warmer or calmer; a run disturbed by other processes
 * is measured again (the calmest kept). Each run is a fresh process.
 */
export async function measurePairs(
  scenario: Scenario,
  runs: number,
  retries: number,
  settings: Settings,
): Promise<RunRecord[]> {
  const n = planned(scenario, runs);
  console.log(`POST ${scenario.route} (${n} run${n === 1 ? "" : "s"})\n  ${RUN_HEAD.join("  ")}`);
  const records: RunRecord[] = [];
  let bareRps = 0;
  for (let run = 1; run <= n; run++) {
    const order = run % 2 === 1 ? (["bare", "gateway"] as const) : (["gateway", "bare"] as const);
    for (const kind of order) {
      // The gateway cannot beat the bare server: the last bare rate bounds how many distinct callbacks to sign.
      const budget =
        Math.ceil(bareRps * (settings.warmup + settings.duration) * 1.25) +
        settings.pacedRate * settings.pacedDuration +
        10_000;
      let best: RunRecord | undefined;
      for (let attempt = 0; attempt <= retries; attempt++) {
        const record = await measureOnce(scenario, { kind, key: `${run}-${attempt}`, budget }, run, settings);
        if (!best || noise(record) < noise(best)) best = record;
        if (noise(record) <= NOISE_LIMIT) break;
        if (attempt < retries)
          console.log(`  (other processes used ${noise(record).toFixed(2)} cores: measuring again)`);
      }
      if (!best) throw new Error("no run was measured");
      records.push(best);
      if (kind === "bare") bareRps = best.load.rps;
    }
  }
  console.log("");
  return records;
}

/**
 * Per run, a fresh bare server and a fresh gateway run side by side (idle while the other is loaded): both are
 * checked and warmed up, then loaded in alternating windows of WINDOW_SECONDS (bare first in odd windows),
 * `duration / WINDOW_SECONDS` windows each. Each window pair is one record pair: the two windows are
 * seconds apart, so the host's own speed, which drifts by up to 2× over tens of seconds here, cancels out of
 * their ratio. Scenarios measured this way must not depend on a fresh process per run (no `verify`).
 */
export async function measureInterleaved(
  scenario: Scenario,
  runs: number,
  settings: Settings,
): Promise<RunRecord[]> {
  if (scenario.verify)
    throw new Error(`${scenario.route}: a scenario that checks its process needs measurePairs`);
  const n = planned(scenario, runs);
  const windows = Math.max(1, Math.round(settings.duration / WINDOW_SECONDS));
  console.log(
    `POST ${scenario.route} (${n} run${n === 1 ? "" : "s"} of ${windows} window pairs of ${WINDOW_SECONDS} s)\n  ${RUN_HEAD.join("  ")}`,
  );
  const records: RunRecord[] = [];
  for (let run = 1; run <= n; run++) {
    await settle();
    const servers: Partial<Record<ServerKind, Started>> = {};
    try {
      for (const kind of ["bare", "gateway"] as const)
        servers[kind] = await start(scenario, { kind, key: `${run}`, budget: 0 }, settings);
      for (const kind of ["bare", "gateway"] as const) {
        const warm = await runLoad({ ...(servers[kind] as Started).load, durationSec: settings.warmup });
        const bad = badAnswers(scenario, [warm]);
        if (bad > 0) throw new Error(`${kind} ${scenario.route}: ${bad} bad answers while warming up`);
      }
      for (let w = 1; w <= windows; w++) {
        const order = w % 2 === 1 ? (["bare", "gateway"] as const) : (["gateway", "bare"] as const);
        for (const kind of order) {
          const started = servers[kind] as Started;
          const { load, sample } = await loadWindow(started, WINDOW_SECONDS);
          const index = (run - 1) * windows + w;
          records.push(
            report(
              runRecord(scenario, kind, index, load, sample, badAnswers(scenario, [load])),
              started.server,
            ),
          );
        }
      }
    } finally {
      for (const started of Object.values(servers)) await started.server.stop();
    }
  }
  console.log("");
  return records;
}
