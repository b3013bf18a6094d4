// Soak: one replica on SQLite at a steady rate for a long time; RSS and latencies per window, first vs last.
import { runChaos } from "./chaos.js";

export interface SoakOptions {
  seconds: number;
  /** Registrations per second (each followed by 2–3 decisions and duplicate/reordered callbacks). */
  ratePerSecond?: number;
  windowSeconds?: number;
  log?: (line: string) => void;
}

interface Window {
  endS: number;
  rssMiB: number;
  callbacks: number;
  ackP50: number;
  ackP99: number;
  logins: number;
  loginP50: number;
  loginP99: number;
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return (
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) * 10) /
    10
  );
}

export async function runSoak(options: SoakOptions): Promise<string> {
  const rate = options.ratePerSecond ?? 10;
  const windowMs = (options.windowSeconds ?? 30) * 1000;
  const windows: Window[] = [];
  const started = Date.now();
  const report = await runChaos({
    database: "sqlite",
    replicas: 1,
    identities: Math.round(options.seconds * rate),
    ratePerSecond: rate,
    faults: [],
    observe(view) {
      let from = Date.now();
      const timer = setInterval(() => {
        const to = Date.now();
        const inWindow = (at: number | undefined) => at !== undefined && at >= from && at < to;
        const acks = view.runs
          .flatMap((r) => r.sent)
          .filter((s) => inWindow(s.ackedAt))
          .map((s) => s.ackMs ?? 0);
        const logins = view.logins.filter((l) => inWindow(l.at)).map((l) => l.ms);
        const row: Window = {
          endS: Math.round((to - started) / 1000),
          rssMiB: view.rssMiB()[0] ?? 0,
          callbacks: acks.length,
          ackP50: pct(acks, 50),
          ackP99: pct(acks, 99),
          logins: logins.length,
          loginP50: pct(logins, 50),
          loginP99: pct(logins, 99),
        };
        windows.push(row);
        options.log?.(JSON.stringify(row));
        from = to;
      }, windowMs);
      return () => clearInterval(timer);
    },
  });
  const lines = [
    "| window end s | gateway RSS MiB | callbacks | callback ack p50 / p99 ms | logins | login p50 / p99 ms |",
    "|---|---|---|---|---|---|",
    ...windows.map(
      (w) =>
        `| ${w.endS} | ${w.rssMiB} | ${w.callbacks} | ${w.ackP50} / ${w.ackP99} | ${w.logins} | ${w.loginP50} / ${w.loginP99} |`,
    ),
  ];
  const first = windows[0];
  const last = windows.at(-1);
  const summary =
    first && last
      ? `start → end: RSS ${first.rssMiB} → ${last.rssMiB} MiB, callback ack p99 ${first.ackP99} → ${last.ackP99} ms, login p99 ${first.loginP99} → ${last.loginP99} ms`
      : "no complete window";
  return [
    `${new Date().toISOString()} — soak ${options.seconds} s at ${rate} registrations/s, SQLite, 1 replica`,
    lines.join("\n"),
    summary,
    `lost ${report.lost}, applied twice ${report.appliedTwice}, wrong final status ${report.wrongFinalStatus}, unexpected exits ${report.crashes}`,
  ].join("\n");
}
