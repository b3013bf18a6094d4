// The /verify part's windows: the raw loop, the bare server and the gateway take turns of WINDOW_SECONDS, and a
// run's figures are the totals over its windows of each.
import type { SampledLoad } from "./load.js";
import { median } from "./report.js";
import type { VerifyPair } from "./verify-fixtures.js";
import type { RawWindow } from "./verify-raw.js";
import type { RawRun } from "./verify-report.js";

export const rawRate = (w: RawWindow) => w.verifications / w.seconds;

/** The raw windows of a run as one: totals over the time they ran. */
export function combineRaw(windows: RawWindow[], pair: VerifyPair, run: number): RawRun {
  const sum = (f: (w: RawWindow) => number) => windows.reduce((n, w) => n + f(w), 0);
  const seconds = sum((w) => w.seconds);
  const verifications = sum((w) => w.verifications);
  return {
    pair,
    run,
    rate: verifications / seconds,
    cpuUs: (sum((w) => w.cpuSeconds) / verifications) * 1e6,
    cpu: sum((w) => w.cpuSeconds) / seconds,
    machineCpu: sum((w) => w.machineSeconds) / seconds,
    generatorCpu: sum((w) => w.generatorSeconds) / seconds,
  };
}

/** One server's windows of a run as one: totals over their time; p50/p99 are the windows' medians. */
export function combineLoads(windows: SampledLoad[]): SampledLoad {
  const sum = (f: (w: SampledLoad) => number) => windows.reduce((n, w) => n + f(w), 0);
  const seconds = sum((w) => w.load.seconds);
  const completed = sum((w) => w.load.completed);
  const statuses: Record<string, number> = {};
  for (const w of windows)
    for (const [status, n] of Object.entries(w.load.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  return {
    load: {
      completed,
      seconds,
      rps: completed / seconds,
      p50Ms: median(windows.map((w) => w.load.p50Ms)),
      p99Ms: median(windows.map((w) => w.load.p99Ms)),
      statuses,
      errors: sum((w) => w.load.errors),
      generatorCpu: sum((w) => w.load.generatorCpu * w.load.seconds) / seconds,
    },
    sample: {
      peakRss: Math.max(...windows.map((w) => w.sample.peakRss)),
      cpu: sum((w) => w.sample.cpu * w.load.seconds) / seconds,
      machineCpu: sum((w) => w.sample.machineCpu * w.load.seconds) / seconds,
    },
  };
}
