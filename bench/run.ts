// `npm run bench`: builds, then loads a bare node:http server and the gateway in turn (bare, gateway, × runs)
// on POST /persona/validate and /persona/callback, and prints every run, the medians and a verdict per target.
// A measurement, not a test: exits 0 whatever the figures, non-zero only when something crashed.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { runLoad } from "./load.js";
import { freePort, sampleProcess, startServer } from "./processes.js";
import { RUN_HEAD, type RunRecord, runRow, runsTable, summaryTable, verdicts, verdictTable } from "./report.js";
import { callbackScenario, type Scenario, type ServerKind, type Setup, validateScenario } from "./scenarios.js";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    identities: { type: "string", default: "10000" },
    pool: { type: "string", default: "200000" },
    only: { type: "string" },
    "skip-build": { type: "boolean", default: false },
    "keep-data": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const USAGE = `usage: npm run bench -- [options]
  --runs N           measured runs per server and route (default 3; medians are reported)
  --duration S       seconds of load per run (default 10), after --warmup S (default 3) of unmeasured load
  --connections N    autocannon connections (default 50), pipelining 1
  --identities N     identities seeded for /validate (default 10000)
  --pool N           Persona callbacks signed before the load (default 200000)
  --only ROUTE       validate | callback
  --skip-build       use dist/ as it is
  --keep-data        keep the temporary databases
  --cpu-prof DIR     write a V8 CPU profile of every gateway process to DIR`;

const count = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
};

async function measure(scenario: Scenario, kind: ServerKind, run: number, cpuProf: string | undefined) {
  const opts = { connections: count("connections", args.connections), requests: scenario.requests(kind) };
  const port = await freePort();
  const env = { ...(await scenario.env(kind, run)), PORT: String(port) };
  const script =
    kind === "bare" ? [resolve("bench/bare-server.mjs")] : [...(cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`] : []), "dist/cli/index.js", "serve"];
  const server = await startServer(`${kind} (${scenario.name})`, script, env, port, kind === "bare" ? "/" : "/ready");
  try {
    await scenario.check(kind, server.url);
    const warm = await runLoad({ ...opts, url: server.url, durationSec: count("warmup", args.warmup) });
    const sampler = sampleProcess(server.pid);
    const load = await runLoad({ ...opts, url: server.url, durationSec: count("duration", args.duration) });
    const sample = sampler.stop();
    if (!server.alive()) throw new Error(`${server.name} died under load:\n${server.output()}`);
    const good = (statuses: Record<string, number>) =>
      Object.entries(statuses).reduce((n, [status, c]) => n + (scenario.goodStatuses.has(Number(status)) ? c : 0), 0);
    const bad = load.errors + load.completed - good(load.statuses) + warm.errors + warm.completed - good(warm.statuses);
    await server.stop();
    const ok = (warm.statuses["200"] ?? 0) + (load.statuses["200"] ?? 0);
    const problem = kind === "gateway" ? scenario.verify?.(run, ok) : undefined;
    const note = scenario.note?.();
    const record: RunRecord = { scenario: scenario.name, kind, run, load, process: sample, bad, problem };
    console.log(`  ${runRow(record).join("  ")}`);
    if (bad > 0) console.log(`  !! ${bad} bad answers: ${JSON.stringify(load.statuses)}; last output:\n${server.output()}`);
    if (problem) console.log(`  !! ${problem}`);
    if (note) console.log(`  note: ${note}`);
    return record;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const runs = count("runs", args.runs);
  const only = args.only;
  if (only !== undefined && only !== "validate" && only !== "callback") throw new Error("--only must be validate or callback");
  const cpuProf = args["cpu-prof"] ? resolve(args["cpu-prof"]) : undefined;
  if (cpuProf) mkdirSync(cpuProf, { recursive: true });

  console.log(
    `idv-gateway bench — ${new Date().toISOString()} — node ${process.version} — ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}` +
      ` — load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
  );
  console.log(
    `autocannon: ${args.connections} connections, pipelining 1, ${args.warmup} s warm-up + ${args.duration} s measured, ${runs} runs per server (bare, gateway alternating)\n`,
  );
  if (!args["skip-build"]) {
    const build = spawnSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
    if (build.status !== 0) throw new Error("npm run build failed");
  }

  const dir = mkdtempSync(join(tmpdir(), "idv-bench-"));
  const oryWebhookSecret = "bench-ory-webhook-secret-0123456789";
  const personaWebhookSecret = "wbhsec_bench0123456789abcdef";
  const setup: Setup = {
    dir,
    oryWebhookSecret,
    personaWebhookSecret,
    gatewayEnv: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      GATEWAY_PUBLIC_URL: "https://idv.bench.invalid",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      ORY_WEBHOOK_SECRET: oryWebhookSecret,
      PERSONA_API_KEY: "persona_sandbox_bench",
      PERSONA_TEMPLATE_ID: "itmpl_bench",
      PERSONA_WEBHOOK_SECRET: personaWebhookSecret,
      // Nothing listens there: the callback run has the worker off, the validate run has nothing to work on.
      PERSONA_API_BASE: "http://127.0.0.1:9/api/v1",
      KRATOS_ADMIN_URL: "http://127.0.0.1:9",
      KRATOS_PUBLIC_URL: "http://127.0.0.1:9",
    },
  };

  const records: RunRecord[] = [];
  try {
    const scenarios: (() => Promise<Scenario>)[] = [];
    if (only !== "callback") scenarios.push(() => validateScenario(setup, count("identities", args.identities)));
    if (only !== "validate") scenarios.push(() => callbackScenario(setup, count("pool", args.pool)));
    for (const make of scenarios) {
      const scenario = await make();
      console.log(`POST /persona/${scenario.name}\n  ${RUN_HEAD.join("  ")}`);
      for (let run = 1; run <= runs; run++) {
        for (const kind of ["bare", "gateway"] as const) {
          records.push(await measure(scenario, kind, run, cpuProf));
          await sleep(500);
        }
      }
      console.log("");
    }
  } finally {
    if (!args["keep-data"]) rmSync(dir, { recursive: true, force: true });
    else console.log(`data kept in ${dir}`);
  }

  console.log(`Every run\n\n${runsTable(records)}\n`);
  console.log(`Median of ${runs} runs (gateway/bare: median of the per-run ratios)\n\n${summaryTable(records)}\n`);
  console.log(`Targets\n\n${verdictTable(verdicts(records))}`);
  if (cpuProf) console.log(`\nCPU profiles of the gateway: ${cpuProf}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
