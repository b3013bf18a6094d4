// `npm run chaos`: the fault harness from the command line; prints the results table.
//   npm run chaos                       every fault kind, one at a time and combined, 1 and 2 replicas
//   npm run chaos -- --quick            fewer identities
//   npm run chaos -- --scaling          throughput with 1, 2 and 3 replicas on PostgreSQL, no faults
//   npm run chaos -- --soak 600         10 minutes at a steady rate: RSS and latency at start and end
import { parseArgs } from "node:util";
import { type ChaosOptions, runChaos } from "./chaos.js";
import { FAULT_KINDS, type FaultKind } from "./faults.js";
import { postgresUnavailable } from "./postgres-cluster.js";
import { type ChaosReport, formatReports } from "./report.js";
import { runScaling } from "./scaling.js";
import { runSoak } from "./soak.js";
import { volumeUnavailable } from "./sqlite-volume.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean" },
    scaling: { type: "boolean" },
    soak: { type: "string" },
    identities: { type: "string" },
    only: { type: "string" },
  },
});

async function main() {
  if (values.scaling) {
    console.log(await runScaling({ identities: Number(values.identities ?? 600), log: console.log }));
    return;
  }
  if (values.soak) {
    console.log(await runSoak({ seconds: Number(values.soak), log: console.log }));
    return;
  }
  const identities = Number(values.identities ?? (values.quick ? 30 : 120));
  const noPostgres = postgresUnavailable();
  const noVolume = volumeUnavailable();
  if (noPostgres) console.log(`PostgreSQL scenarios not run: ${noPostgres}`);
  if (noVolume) console.log(`disk scenarios not run: ${noVolume}`);
  const runs: Omit<ChaosOptions, "identities" | "ratePerSecond">[] = [];
  const single = (values.only?.split(",") ?? FAULT_KINDS) as FaultKind[];
  for (const kind of single) {
    if (kind === "postgres") {
      if (!noPostgres) runs.push({ database: "postgres", replicas: 2, faults: ["postgres"] });
    } else if (kind === "disk") {
      if (!noVolume) runs.push({ database: "sqlite", replicas: 1, faults: ["disk"] });
    } else runs.push({ database: "sqlite", replicas: 1, faults: [kind] });
  }
  if (!values.only) {
    runs.push({
      database: "sqlite",
      replicas: 1,
      faults: ["kill", "kratos", "provider", ...(noVolume ? [] : (["disk"] as const))],
    });
    if (!noPostgres)
      runs.push({ database: "postgres", replicas: 2, faults: ["kill", "kratos", "provider", "postgres"] });
  }
  const reports: ChaosReport[] = [];
  for (const run of runs) {
    const report = await runChaos({ ...run, identities, ratePerSecond: 10, log: () => {} });
    reports.push(report);
    console.log(
      `${report.label}: ${report.problems.length === 0 ? "ok" : `${report.problems.length} problems`}`,
    );
    for (const problem of report.problems.slice(0, 10)) console.log(`  ${problem}`);
  }
  console.log(`\n${new Date().toISOString()}\n${formatReports(reports)}`);
  if (reports.some((r) => r.problems.length > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
