// One autocannon load run: throughput from the completed count, exact p50/p99 from every response's latency.
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { type ProcessSample, sampleProcess } from "./processes.js";

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  requests: autocannon.Request[];
  /** Requests per second from all connections together; unset: as fast as the server answers (closed loop). */
  overallRate?: number;
}

export interface LoadResult {
  completed: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses per HTTP status. */
  statuses: Record<string, number>;
  /** Socket errors and timeouts: any is a broken run. */
  errors: number;
  /** CPU the load generator itself used, as a share of one core. */
  generatorCpu: number;
}

/** Growable store of latencies: autocannon's own histogram only keeps whole milliseconds. */
class Samples {
  private values = new Float64Array(1 << 18);
  length = 0;
  push(value: number) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }
  percentile(p: number): number {
    if (this.length === 0) return Number.NaN;
    const sorted = this.values.slice(0, this.length).sort();
    return sorted[Math.min(this.length - 1, Math.ceil((p / 100) * this.length) - 1)] ?? Number.NaN;
  }
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies = new Samples();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSec,
        timeout: 10,
        requests: options.requests,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuBefore);
        const statuses: Record<string, number> = {};
        for (const [status, { count }] of Object.entries(result.statusCodeStats)) statuses[status] = count;
        resolve({
          completed: latencies.length,
          seconds,
          rps: latencies.length / seconds,
          p50Ms: latencies.percentile(50),
          p99Ms: latencies.percentile(99),
          statuses,
          errors: result.errors + result.timeouts,
          generatorCpu: (cpu.user + cpu.system) / 1e6 / seconds,
        });
      },
    );
    instance.on("response", (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

/** One load run and the server process's CPU and RSS over the same time. */
export interface SampledLoad {
  load: LoadResult;
  sample: ProcessSample;
}

export async function runSampledLoad(pid: number, options: LoadOptions): Promise<SampledLoad> {
  const sampler = sampleProcess(pid);
  const load = await runLoad(options);
  return { load, sample: sampler.stop() };
}
