// Open-loop load at a fixed rate: request i is due at start + i/rate and its latency is counted from that due
// time, not from when it was sent, so a stalled server is charged for the requests it held back (no
// coordinated omission, unlike a closed-loop client that simply waits).
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";

export interface PacedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface PacedOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  durationSec: number;
  /** The next request to send (called once per request, in order). */
  next: () => PacedRequest;
  /** Classifies an answer; false counts as bad. */
  good: (status: number, body: string) => boolean;
  /** Most connections open at once; a request waits for a free one (and that wait counts). */
  maxSockets?: number;
  timeoutMs?: number;
}

export interface PacedResult {
  sent: number;
  /** Requests that ended, answered or failed; failed ones count in the percentiles with the time they took. */
  completed: number;
  seconds: number;
  /** Completed responses per second of the sending window. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  bad: number;
  errors: number;
  /** How late, at worst, the generator itself sent a request after its due time (its own timer jitter). */
  maxSendLagMs: number;
  generatorCpu: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

export function runPaced(options: PacedOptions): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 });
  const target = new URL(options.url);
  const total = Math.round(options.rate * options.durationSec);
  const latencies = new Float64Array(total);
  const intervalMs = 1000 / options.rate;
  let sent = 0;
  let completed = 0;
  let bad = 0;
  let errors = 0;
  let maxSendLagMs = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();

  return new Promise((resolve) => {
    let settled = 0;
    const finish = () => {
      if (settled !== total) return;
      clearInterval(timer);
      agent.destroy();
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const sorted = latencies.slice(0, completed).sort();
      resolve({
        sent,
        completed,
        seconds: options.durationSec,
        rps: (completed - errors) / options.durationSec,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted[sorted.length - 1] ?? Number.NaN,
        bad,
        errors,
        maxSendLagMs,
        generatorCpu: (cpu.user + cpu.system) / 1e6 / seconds,
      });
    };
    const send = (due: number) => {
      const { path, headers, body } = options.next();
      const req = request(
        {
          agent,
          hostname: target.hostname,
          port: target.port,
          method: "POST",
          path,
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          timeout: options.timeoutMs ?? 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            latencies[completed++] = performance.now() - due;
            if (!options.good(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"))) bad++;
            settled++;
            finish();
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => {
        // A request that failed (timed out) still waited this long: leaving it out would flatter the tail.
        latencies[completed++] = performance.now() - due;
        errors++;
        settled++;
        finish();
      });
      req.end(body);
    };
    // A 1 ms tick sends every request that has come due; at 1,000 req/s that is about one per tick.
    const timer = setInterval(() => {
      const now = performance.now();
      while (sent < total) {
        const due = started + sent * intervalMs;
        if (due > now) break;
        maxSendLagMs = Math.max(maxSendLagMs, now - due);
        sent++;
        send(due);
      }
    }, 1);
  });
}
