// Tables and verdicts of the /verify part: raw node:crypto limit beside the gateway on one core, per run and as
// medians, and the targets (gateway ≥ 0.6× raw, p99 < 5 ms when paced at 1,000 req/s).
import type { LoadResult } from "./load.js";
import type { PacedResult } from "./paced-load.js";
import type { ProcessSample } from "./processes.js";
import { median, type Verdict } from "./report.js";
import type { VerifyPair } from "./verify-fixtures.js";

export interface RawRun {
  pair: VerifyPair;
  run: number;
  /** Verifications (certificate + assertion signature) per second of wall time. */
  rate: number;
  /** CPU microseconds per verification. */
  cpuUs: number;
  /** The child's CPU and the machine's, in cores, and the bench's own meanwhile. */
  cpu: number;
  machineCpu: number;
  generatorCpu: number;
}

export interface GatewayRun {
  pair: VerifyPair;
  run: number;
  /** Closed loop at the gateway's maximum rate. */
  max: LoadResult;
  sample: ProcessSample;
  /** Open loop at the paced rate. */
  paced: PacedResult;
  pacedSample: ProcessSample;
  /** Answers other than 200 `"status":"okay"`, socket errors and timeouts, in any phase. */
  bad: number;
  /** The bare node:http server doing only the two checks (bench/bare-verify.mjs), over the same windows. */
  bare: { rate: number; cpuUs: number; pacedP99Ms: number };
}

export const VERIFY_TARGETS = { rawRatio: 0.6, pacedP99Ms: 5 };

/** Cores other processes used: the worse of the raw phase and the gateway's measured phase. */
export function verifyNoise(raw: RawRun, gateway: GatewayRun): number {
  const rawNoise = raw.machineCpu - raw.cpu - raw.generatorCpu;
  const gatewayNoise = gateway.sample.machineCpu - gateway.sample.cpu - gateway.max.generatorCpu;
  return Math.max(0, rawNoise, gatewayNoise);
}

/** CPU microseconds the gateway spent per answered /verify during the closed-loop phase. */
const gatewayUs = (g: GatewayRun) => (g.sample.cpu / g.max.rps) * 1e6;

/**
 * The gateway cannot check two signatures in less CPU than node:crypto alone: if it seems to, it skipped one
 * (a cached verdict), and the run does not measure verification.
 */
function cacheSuspected(raw: RawRun, gateway: GatewayRun): boolean {
  return gatewayUs(gateway) < 0.9 * raw.cpuUs;
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => n.toFixed(2);
const pct = (n: number) => `${Math.round(n * 100)}%`;
const MB = 1024 * 1024;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const VERIFY_RUN_HEAD = [
  "pair",
  "run",
  "raw verif/s",
  "raw µs",
  "gateway verif/s",
  "gateway µs",
  "ratio",
  "bare verif/s",
  "bare µs",
  "max p50 ms",
  "max p99 ms",
  "paced p50 ms",
  "paced p99 ms",
  "bare paced p99 ms",
  "peak RSS MB",
  "server CPU",
  "loadgen CPU",
  "other CPU",
  "bad",
];

export function verifyRunRow(raw: RawRun, g: GatewayRun): string[] {
  return [
    g.pair,
    String(g.run),
    int(raw.rate),
    raw.cpuUs.toFixed(1),
    int(g.max.rps),
    gatewayUs(g).toFixed(1),
    (g.max.rps / raw.rate).toFixed(2),
    int(g.bare.rate),
    g.bare.cpuUs.toFixed(1),
    ms(g.max.p50Ms),
    ms(g.max.p99Ms),
    ms(g.paced.p50Ms),
    ms(g.paced.p99Ms),
    ms(g.bare.pacedP99Ms),
    (Math.max(g.sample.peakRss, g.pacedSample.peakRss) / MB).toFixed(1),
    pct(g.sample.cpu),
    pct(g.max.generatorCpu),
    pct(verifyNoise(raw, g)),
    String(g.bad),
  ];
}

export function verifyRunsTable(raws: RawRun[], gateways: GatewayRun[]): string {
  return table(
    VERIFY_RUN_HEAD,
    gateways.flatMap((g, i) => {
      const raw = raws[i];
      return raw ? [verifyRunRow(raw, g)] : [];
    }),
  );
}

interface PairSummary {
  pair: VerifyPair;
  raw: number;
  rawUs: number;
  gateway: number;
  gatewayUs: number;
  ratio: number;
  cpuRatio: number;
  /** The bare node:http server with the two checks: its rate, and its ratio to raw (the ceiling over HTTP). */
  bare: number;
  bareRatio: number;
  barePacedP99: number;
  maxP50: number;
  maxP99: number;
  pacedP50: number;
  pacedP99: number;
  pacedRps: number;
  peakRss: number;
  bad: number;
  cacheSuspected: boolean;
}

function summarize(raws: RawRun[], gateways: GatewayRun[]): PairSummary[] {
  const pairs = [...new Set(gateways.map((g) => g.pair))];
  return pairs.map((pair) => {
    const runs = gateways.flatMap((g, i) => {
      const raw = raws[i];
      return g.pair === pair && raw ? [{ raw, g }] : [];
    });
    return {
      pair,
      raw: median(runs.map((r) => r.raw.rate)),
      rawUs: median(runs.map((r) => r.raw.cpuUs)),
      gateway: median(runs.map((r) => r.g.max.rps)),
      gatewayUs: median(runs.map((r) => gatewayUs(r.g))),
      ratio: median(runs.map((r) => r.g.max.rps / r.raw.rate)),
      cpuRatio: median(runs.map((r) => r.raw.cpuUs / gatewayUs(r.g))),
      bare: median(runs.map((r) => r.g.bare.rate)),
      bareRatio: median(runs.map((r) => r.g.bare.rate / r.raw.rate)),
      barePacedP99: median(runs.map((r) => r.g.bare.pacedP99Ms)),
      maxP50: median(runs.map((r) => r.g.max.p50Ms)),
      maxP99: median(runs.map((r) => r.g.max.p99Ms)),
      pacedP50: median(runs.map((r) => r.g.paced.p50Ms)),
      pacedP99: median(runs.map((r) => r.g.paced.p99Ms)),
      pacedRps: median(runs.map((r) => r.g.paced.rps)),
      // A memory ceiling is about the worst moment: the highest peak, not a median.
      peakRss: Math.max(...runs.map((r) => Math.max(r.g.sample.peakRss, r.g.pacedSample.peakRss))),
      bad: runs.reduce((n, r) => n + r.g.bad, 0),
      cacheSuspected: runs.some((r) => cacheSuspected(r.raw, r.g)),
    };
  });
}

export function verifySummaryTable(raws: RawRun[], gateways: GatewayRun[], pacedRate: number): string {
  return table(
    [
      "pair",
      "raw verif/s",
      "gateway verif/s",
      "gateway/raw",
      "by CPU µs",
      "bare verif/s",
      "bare/raw",
      "gateway/bare",
      "max p50 ms",
      "max p99 ms",
      `@${int(pacedRate)}/s p50 ms`,
      `@${int(pacedRate)}/s p99 ms`,
      "bare p99 ms",
      "peak RSS MB",
      "bad",
    ],
    summarize(raws, gateways).map((s) => [
      s.pair,
      int(s.raw),
      int(s.gateway),
      s.ratio.toFixed(2),
      `${s.cpuRatio.toFixed(2)} (${s.rawUs.toFixed(0)}/${s.gatewayUs.toFixed(0)})`,
      int(s.bare),
      s.bareRatio.toFixed(2),
      (s.gateway / s.bare).toFixed(2),
      ms(s.maxP50),
      ms(s.maxP99),
      ms(s.pacedP50),
      ms(s.pacedP99),
      ms(s.barePacedP99),
      (s.peakRss / MB).toFixed(1),
      String(s.bad),
    ]),
  );
}

export function verifyVerdicts(raws: RawRun[], gateways: GatewayRun[], pacedRate: number): Verdict[] {
  return summarize(raws, gateways).flatMap((s): Verdict[] => {
    const invalid = s.bad > 0 || s.cacheSuspected;
    const note = s.cacheSuspected ? " (less CPU than the raw checks: cached verdict?)" : "";
    const verdict = (ok: boolean): Verdict["verdict"] => (invalid ? "INVALID" : ok ? "PASS" : "FAIL");
    return [
      {
        target: `/verify ${s.pair} >= ${VERIFY_TARGETS.rawRatio}x raw node:crypto`,
        measured: `${s.ratio.toFixed(2)}x raw (${int(s.gateway)} / ${int(s.raw)} verif/s)${note}`,
        verdict: verdict(s.ratio >= VERIFY_TARGETS.rawRatio),
      },
      {
        target: `/verify ${s.pair} p99 < ${VERIFY_TARGETS.pacedP99Ms} ms at ${int(pacedRate)} req/s`,
        measured: `p99 ${ms(s.pacedP99)} ms (${int(s.pacedRps)} req/s answered)`,
        verdict: verdict(s.pacedP99 < VERIFY_TARGETS.pacedP99Ms),
      },
    ];
  });
}
