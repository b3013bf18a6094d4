// What one chaos run found, and the table `npm run chaos` and the suite print.
import type { FaultCounters } from "./faults.js";

export interface ChaosReport {
  label: string;
  identities: number;
  eventsSent: number;
  attempts: number;
  accepted: number;
  duplicatesAbsorbed: number;
  refused503: number;
  /** Every non-2xx answer (or "error": no answer) callbacks got, by status. */
  refusals: Record<string, number>;
  lost: number;
  appliedTwice: number;
  applied: number;
  wrongFinalStatus: number;
  unacknowledged: number;
  wrongLogins: number;
  callbackToKratosMs: { p50: number; p99: number; max: number };
  loginMs: { p50: number; p99: number; errors: number; count: number };
  workerRetries: number;
  deadLetters: number;
  faults: FaultCounters;
  durationS: number;
  crashes: number;
  problems: string[];
}

export function formatReports(reports: ChaosReport[]): string {
  const rows: [string, (r: ChaosReport) => string | number][] = [
    ["identities", (r) => r.identities],
    ["callbacks sent (incl. duplicates, reordered)", (r) => r.eventsSent],
    ["HTTP attempts", (r) => r.attempts],
    ["accepted (2xx)", (r) => r.accepted],
    ["duplicates absorbed", (r) => r.duplicatesAbsorbed],
    ["refused with 503 (then retried)", (r) => r.refused503],
    [
      "all refusals by status",
      (r) =>
        Object.entries(r.refusals)
          .map(([k, v]) => `${k}:${v}`)
          .join(" ") || "-",
    ],
    ["status changes applied to Kratos", (r) => r.applied],
    ["lost (must be 0)", (r) => r.lost],
    ["applied twice (must be 0)", (r) => r.appliedTwice],
    ["wrong final status (must be 0)", (r) => r.wrongFinalStatus],
    ["wrong final login answer (must be 0)", (r) => r.wrongLogins],
    ["final callback never acknowledged", (r) => r.unacknowledged],
    [
      "callback → Kratos p50 / p99 / max ms",
      (r) => `${r.callbackToKratosMs.p50} / ${r.callbackToKratosMs.p99} / ${r.callbackToKratosMs.max}`,
    ],
    [
      "logins during run: count / p50 / p99 ms / 5xx+errors",
      (r) => `${r.loginMs.count} / ${r.loginMs.p50} / ${r.loginMs.p99} / ${r.loginMs.errors}`,
    ],
    ["worker retries", (r) => r.workerRetries],
    ["dead letters", (r) => r.deadLetters],
    [
      "kills / Kratos windows / provider windows",
      (r) => `${r.faults.kills} / ${r.faults.kratosWindows} / ${r.faults.providerWindows}`,
    ],
    [
      "PG restarts / volume full / read-only",
      (r) => `${r.faults.postgresRestarts} / ${r.faults.diskFull} / ${r.faults.diskReadOnly}`,
    ],
    ["unexpected process exits (must be 0)", (r) => r.crashes],
    ["duration s", (r) => r.durationS],
  ];
  const header = ["", ...reports.map((r) => r.label)];
  const table = [header, ...rows.map(([name, value]) => [name, ...reports.map((r) => String(value(r)))])];
  const widths = header.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] as number)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...table.slice(1).map(line),
  ].join("\n");
}
