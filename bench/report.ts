// Turns run records into the tables the benchmark prints: every run, medians with gateway/bare ratios, targets
// (the validate ratio per validate route, the callback rate and p99 per callback route, the RSS ceiling).
import type { LoadResult } from "./load.js";
import type { PacedResult } from "./paced-load.js";
import type { ProcessSample } from "./processes.js";
import type { RouteKind, ServerKind } from "./scenarios.js";

export interface RunRecord {
  /** The route, e.g. `/onfido/callback`. */
  scenario: string;
  routeKind: RouteKind;
  kind: ServerKind;
  run: number;
  load: LoadResult;
  /** The same server at a fixed rate after the closed-loop load (callback routes). */
  paced?: PacedResult | undefined;
  process: ProcessSample;
  /** Responses with a status the route should not answer, plus socket errors and timeouts. */
  bad: number;
  problem?: string | undefined;
}

export const TARGETS = {
  validateRatio: 0.7,
  callbackRps: 5000,
  callbackP99Ms: 10,
  rssMb: 150,
};

const MB = 1024 * 1024;

/** Cores other processes used during the run: the machine's busy time minus the server's and the load generator's. */
export function noise(r: RunRecord): number {
  return Math.max(0, r.process.machineCpu - r.process.cpu - r.load.generatorCpu);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => n.toFixed(2);
const pct = (n: number) => `${Math.round(n * 100)}%`;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function runRow(r: RunRecord): string[] {
  return [
    r.scenario,
    r.kind,
    String(r.run),
    int(r.load.rps),
    ms(r.load.p50Ms),
    ms(r.load.p99Ms),
    r.paced ? ms(r.paced.p99Ms) : "-",
    (r.process.peakRss / MB).toFixed(1),
    pct(r.process.cpu),
    ((r.process.cpu / r.load.rps) * 1e6).toFixed(0),
    pct(r.load.generatorCpu),
    pct(noise(r)),
    String(r.bad),
  ];
}

export const RUN_HEAD = [
  "route",
  "server",
  "run",
  "req/s",
  "p50 ms",
  "p99 ms",
  "paced p99 ms",
  "peak RSS MB",
  "server CPU",
  "server µs/req",
  "loadgen CPU",
  "other CPU",
  "bad",
];

export function runsTable(records: RunRecord[]): string {
  return table(RUN_HEAD, records.map(runRow));
}

function pick(records: RunRecord[], scenario: string, kind: ServerKind) {
  return records.filter((r) => r.scenario === scenario && r.kind === kind).sort((a, b) => a.run - b.run);
}

const cpuPerRequest = (r: RunRecord) => r.process.cpu / r.load.rps;

/**
 * gateway/bare of each run pair (the two ran back to back), in run order: throughput, or server CPU per request
 * (bare µs/req ÷ gateway µs/req).
 */
export function pairRatios(
  records: RunRecord[],
  scenario: string,
  by: "throughput" | "cpu" = "throughput",
): number[] {
  const bare = pick(records, scenario, "bare");
  return pick(records, scenario, "gateway").flatMap((g) => {
    const b = bare.find((x) => x.run === g.run);
    if (!b) return [];
    return [by === "throughput" ? g.load.rps / b.load.rps : cpuPerRequest(b) / cpuPerRequest(g)];
  });
}

/** The median of the pairs' gateway/bare ratios. */
export function ratio(records: RunRecord[], scenario: string): number {
  return median(pairRatios(records, scenario));
}

/**
 * One line per route: every pair's throughput ratio in run order, and the same pairs' ratio of server CPU per
 * request. On a quiet machine both servers are CPU-bound and the two agree; when other processes take CPU
 * away, the throughput ratio follows the scheduler much more than the CPU ratio does.
 */
export function pairRatioLines(records: RunRecord[]): string {
  const list = (values: number[]) =>
    `${values.map((r) => r.toFixed(2)).join(" ")} (median ${median(values).toFixed(2)})`;
  return routes(records)
    .map(
      (route) =>
        `${route}: throughput ${list(pairRatios(records, route))}; ` +
        `CPU per request ${list(pairRatios(records, route, "cpu"))}`,
    )
    .join("\n");
}

/** The measured routes, in the order they ran. */
function routes(records: RunRecord[], kind?: RouteKind): string[] {
  return [...new Set(records.filter((r) => !kind || r.routeKind === kind).map((r) => r.scenario))];
}

function pacedP99Cell(runs: RunRecord[]): string {
  const paced = runs.flatMap((r) => (r.paced ? [r.paced.p99Ms] : []));
  return paced.length > 0 ? ms(median(paced)) : "-";
}

export function summaryTable(records: RunRecord[]): string {
  const rows: string[][] = [];
  for (const scenario of routes(records)) {
    for (const kind of ["bare", "gateway"] as const) {
      const runs = pick(records, scenario, kind);
      if (runs.length === 0) continue;
      rows.push([
        `POST ${scenario}`,
        kind,
        int(median(runs.map((r) => r.load.rps))),
        ms(median(runs.map((r) => r.load.p50Ms))),
        ms(median(runs.map((r) => r.load.p99Ms))),
        pacedP99Cell(runs),
        (median(runs.map((r) => r.process.peakRss)) / MB).toFixed(1),
        kind === "gateway" ? ratio(records, scenario).toFixed(2) : "",
        String(runs.reduce((n, r) => n + r.bad, 0)),
      ]);
    }
  }
  return table(
    ["route", "server", "req/s", "p50 ms", "p99 ms", "paced p99 ms", "peak RSS MB", "gateway/bare", "bad"],
    rows,
  );
}

export interface Verdict {
  target: string;
  measured: string;
  verdict: "PASS" | "FAIL" | "INVALID" | "SKIPPED";
}

export function verdicts(records: RunRecord[]): Verdict[] {
  const invalid = (scenario: string) =>
    records.some(
      (r) => r.scenario === scenario && r.kind === "gateway" && (r.bad > 0 || r.problem !== undefined),
    );
  const judge = (scenario: string, measured: number, ok: boolean, text: string, target: string): Verdict => {
    if (Number.isNaN(measured)) return { target, measured: "not run", verdict: "SKIPPED" };
    return { target, measured: text, verdict: invalid(scenario) ? "INVALID" : ok ? "PASS" : "FAIL" };
  };
  const out: Verdict[] = [];
  const validateRoutes = routes(records, "validate");
  for (const route of validateRoutes.length > 0 ? validateRoutes : ["/persona/validate"]) {
    const r = ratio(records, route);
    out.push(
      judge(
        route,
        r,
        r >= TARGETS.validateRatio,
        `${r.toFixed(2)}x bare`,
        `${route} >= ${TARGETS.validateRatio}x bare`,
      ),
    );
  }
  const callbackRoutes = routes(records, "callback");
  for (const route of callbackRoutes.length > 0 ? callbackRoutes : ["/persona/callback"]) {
    const callback = pick(records, route, "gateway");
    const rps = median(callback.map((x) => x.load.rps));
    out.push(
      judge(
        route,
        rps,
        rps >= TARGETS.callbackRps,
        `${int(rps)} req/s`,
        `${route} >= ${int(TARGETS.callbackRps)} req/s`,
      ),
    );
    const paced = callback.flatMap((x) => (x.paced ? [x.paced] : []));
    const pacedP99 = median(paced.map((x) => x.p99Ms));
    const rates = [...new Set(paced.map((x) => Math.round(x.sent / x.seconds)))];
    out.push(
      judge(
        route,
        pacedP99,
        pacedP99 < TARGETS.callbackP99Ms,
        `p99 ${ms(pacedP99)} ms`,
        `${route} p99 < ${TARGETS.callbackP99Ms} ms at ${rates.map(int).join("/") || "?"} req/s (paced)`,
      ),
    );
    const p99 = median(callback.map((x) => x.load.p99Ms));
    out.push(
      judge(
        route,
        p99,
        p99 < TARGETS.callbackP99Ms,
        `p99 ${ms(p99)} ms`,
        `${route} p99 < ${TARGETS.callbackP99Ms} ms at max load (closed loop)`,
      ),
    );
  }
  // A memory ceiling is about the worst moment: the highest peak over every gateway run, not a median.
  const gateways = records.filter((x) => x.kind === "gateway");
  const rss = gateways.length > 0 ? Math.max(...gateways.map((x) => x.process.peakRss)) / MB : Number.NaN;
  out.push({
    target: `gateway RSS under load < ${TARGETS.rssMb} MB`,
    measured: Number.isNaN(rss) ? "not run" : `${rss.toFixed(1)} MB (highest peak)`,
    verdict: Number.isNaN(rss) ? "SKIPPED" : rss < TARGETS.rssMb ? "PASS" : "FAIL",
  });
  return out;
}

export function verdictTable(list: Verdict[]): string {
  return table(
    ["target", "measured", "verdict"],
    list.map((v) => [v.target, v.measured, v.verdict]),
  );
}
