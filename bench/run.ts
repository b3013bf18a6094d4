// `npm run bench`: builds, then loads a bare node:http server and the gateway on POST
// /{persona,onfido,jumio}/validate (side by side, in alternating windows) and /{persona,onfido,jumio}/callback
// (in pairs of runs, their order alternating), and prints every run, the medians (the ratio: median of the
// pairs' ratios) and a verdict per target; then POST /verify against the raw node:crypto limit
// (bench/verify-bench.ts). How each is measured: bench/measure.ts.
// A measurement, not a test: exits 0 whatever the figures, non-zero only when something crashed.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { CallbackProvider } from "./fixtures.js";
import { measureInterleaved, measurePairs, NOISE_LIMIT, type Settings, WINDOW_SECONDS } from "./measure.js";
import {
  noise,
  pairRatioLines,
  type RunRecord,
  runsTable,
  summaryTable,
  TARGETS,
  verdicts,
  verdictTable,
} from "./report.js";
import { callbackScenario, type Setup, validateScenarios } from "./scenarios.js";
import { runVerifyBench } from "./verify-bench.js";
import { VERIFY_USAGE, verifyOptions, verifyParseOptions, verifySelection } from "./verify-options.js";

const USAGE = `usage: npm run bench -- [options]
  --runs N            measured runs per server on /persona/* (default 3; medians are reported); the
                      /onfido and /jumio callbacks get min(N, 2) runs, their validate routes 1 run
  --duration S        seconds of load per run and server (default 10), after --warmup S (default 3) of
                      unmeasured load; on /validate split into alternating windows of ${WINDOW_SECONDS} s
  --connections N     autocannon connections (default 50), pipelining 1
  --identities N      identities seeded for /validate (default 10000)
  --callback-paced-rate N      after each callback run's closed loop, the same server at N requests/s, open
                      loop (default ${TARGETS.callbackRps.toLocaleString("en-US")}, the target's rate; 0: none)
  --callback-paced-duration S  seconds of that paced run (default 10, as the closed loop)
  --noise-retries N   re-measure a callback run up to N times (default 1) while other processes used > 0.25 cores
  --only LIST         comma-separated: validate | callback | persona | onfido | jumio | <provider>/<route>
                      (e.g. callback = the three callbacks, onfido/callback,jumio/validate = those two)
                      | verify (POST /verify: see bench/README.md)
${VERIFY_USAGE}
  --skip-build        use dist/ as it is
  --keep-data         keep the temporary databases
  --cpu-prof DIR      write a V8 CPU profile of every gateway process to DIR (see bench/README.md)`;

const { values: args } = parseArgs({
  options: {
    ...verifyParseOptions,
    runs: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    identities: { type: "string", default: "10000" },
    "noise-retries": { type: "string", default: "1" },
    only: { type: "string" },
    "callback-paced-rate": { type: "string", default: String(TARGETS.callbackRps) },
    "callback-paced-duration": { type: "string", default: "10" },
    "skip-build": { type: "boolean", default: false },
    "keep-data": { type: "boolean", default: false },
    "cpu-prof": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

function count(name: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

const PROVIDERS: readonly CallbackProvider[] = ["persona", "onfido", "jumio"];
/** Runs of the /onfido and /jumio routes, at most: validate is the same handler as /persona/validate. */
const SECONDARY_CALLBACK_RUNS = 2;
const SECONDARY_VALIDATE_RUNS = 1;

/** Which routes `--only` selects: every token names a route kind, a provider, or `provider/kind`. */
function selector(only: string | undefined): (provider: CallbackProvider, kind: string) => boolean {
  if (only === undefined) return () => true;
  const tokens = only
    .split(",")
    .map((t) => t.trim().replace(/^\/+/, ""))
    .filter(Boolean);
  const known = new Set<string>(["validate", "callback", ...PROVIDERS]);
  for (const p of PROVIDERS) for (const k of ["validate", "callback"]) known.add(`${p}/${k}`);
  const unknown = tokens.filter((t) => !known.has(t));
  if (tokens.length === 0 || unknown.length > 0)
    throw new Error(`--only: unknown ${unknown.join(", ") || "(empty)"}; use ${[...known].join(", ")}`);
  return (provider, kind) => tokens.some((t) => t === kind || t === provider || t === `${provider}/${kind}`);
}

async function main(): Promise<void> {
  if (args.help) return console.log(USAGE);
  const runs = count("runs", args.runs);
  const retries = count("noise-retries", args["noise-retries"], 0);
  const settings: Settings = {
    connections: count("connections", args.connections),
    warmup: count("warmup", args.warmup),
    duration: count("duration", args.duration),
    cpuProf: args["cpu-prof"] ? resolve(args["cpu-prof"]) : undefined,
    pacedRate: count("callback-paced-rate", args["callback-paced-rate"], 0),
    pacedDuration: count("callback-paced-duration", args["callback-paced-duration"]),
  };
  const only = verifySelection(args.only);
  const selected = only.others === null ? () => false : selector(only.others);
  if (settings.cpuProf) mkdirSync(settings.cpuProf, { recursive: true });

  const cpu = cpus();
  console.log(
    `idv-gateway bench, ${new Date().toISOString()}, node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );
  console.log(
    `autocannon: ${settings.connections} connections, pipelining 1, ${settings.warmup} s warm-up + ${settings.duration} s measured; ` +
      `${runs} runs per server on /persona/*, at most ${SECONDARY_CALLBACK_RUNS} on /onfido|jumio/callback, ` +
      `${SECONDARY_VALIDATE_RUNS} on /onfido|jumio/validate; validate: both servers side by side, loaded in ` +
      `alternating ${WINDOW_SECONDS} s windows; callback: bare and gateway in pairs, their order alternating, ` +
      `then each at ${settings.pacedRate} req/s for ${settings.pacedDuration} s (open loop)\n`,
  );
  if (!args["skip-build"]) {
    const build = spawnSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
    if (build.status !== 0) throw new Error("npm run build failed");
  }

  const dir = mkdtempSync(join(tmpdir(), "idv-bench-"));
  const oryWebhookSecret = "bench-ory-webhook-secret-0123456789";
  const callbackSecrets = {
    persona: "wbhsec_bench0123456789abcdef",
    onfido: "bench-onfido-webhook-token-0123456789",
    jumio: "bench-jumio-callback-secret-0123456789",
  };
  const jumioWorkflowKey = "10011";
  const setup: Setup = {
    dir,
    oryWebhookSecret,
    callbackSecrets,
    jumioWorkflowKey,
    // Only what the gateway needs: nothing leaks in from the caller's environment (e.g. a DATABASE_URL).
    gatewayEnv: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      GATEWAY_PUBLIC_URL: "https://idv.bench.invalid",
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      ORY_WEBHOOK_SECRET: oryWebhookSecret,
      PERSONA_API_KEY: "persona_sandbox_bench",
      PERSONA_TEMPLATE_ID: "itmpl_bench",
      PERSONA_WEBHOOK_SECRET: callbackSecrets.persona,
      ONFIDO_API_TOKEN: "api_sandbox.bench",
      ONFIDO_WORKFLOW_ID: "00000000-0000-4000-8000-000000000001",
      ONFIDO_WEBHOOK_TOKEN: callbackSecrets.onfido,
      JUMIO_AUTH_URL: "http://127.0.0.1:9/oauth2/token",
      JUMIO_API_BASE_URL: "http://127.0.0.1:9/api/v1",
      JUMIO_CLIENT_ID: "bench-jumio-client",
      JUMIO_CLIENT_SECRET: "bench-jumio-client-secret",
      JUMIO_WORKFLOW_KEY: jumioWorkflowKey,
      JUMIO_CALLBACK_SECRET: callbackSecrets.jumio,
      // Nothing listens there: the callback runs have the worker off, the validate runs give it nothing to do.
      PERSONA_API_BASE: "http://127.0.0.1:9/api/v1",
      ONFIDO_API_BASE: "http://127.0.0.1:9/v3.6",
      KRATOS_ADMIN_URL: "http://127.0.0.1:9",
      KRATOS_PUBLIC_URL: "http://127.0.0.1:9",
    },
  };

  const records: RunRecord[] = [];
  let verifyReport: string | undefined;
  try {
    const validating = PROVIDERS.filter((p) => selected(p, "validate"));
    if (validating.length > 0) {
      const identities = count("identities", args.identities);
      const scenarios = await validateScenarios(setup, identities, validating, SECONDARY_VALIDATE_RUNS);
      // Only /persona/validate (or the first selected) gets every run: the others share its handler.
      for (const scenario of scenarios) records.push(...(await measureInterleaved(scenario, runs, settings)));
    }
    for (const provider of PROVIDERS.filter((p) => selected(p, "callback"))) {
      const maxRuns = provider === "persona" ? undefined : SECONDARY_CALLBACK_RUNS;
      const scenario = await callbackScenario(setup, provider, maxRuns);
      records.push(...(await measurePairs(scenario, runs, retries, settings)));
    }
    if (only.verify) verifyReport = await runVerifyBench(verifyOptions(args, dir));
  } finally {
    if (args["keep-data"]) console.log(`data kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }

  if (verifyReport) console.log(`${verifyReport}\n`);
  if (records.length === 0) return;
  console.log(
    `Every run (server CPU in shares of one core; other CPU = what other processes used meanwhile)\n\n${runsTable(records)}\n`,
  );
  console.log(
    `Median of the runs of each route (gateway/bare: median of the per-run throughput ratios)\n\n${summaryTable(records)}\n`,
  );
  console.log(
    `gateway/bare of every pair, in run order (throughput, and server CPU per request)\n\n${pairRatioLines(records)}\n`,
  );
  console.log(`Targets\n\n${verdictTable(verdicts(records))}`);
  const noisy = records.filter((r) => noise(r) > NOISE_LIMIT).length;
  if (noisy > 0)
    console.log(
      `\n${noisy} run(s) kept although other processes used > ${NOISE_LIMIT} cores: read them with care.`,
    );
  if (settings.cpuProf) console.log(`\nCPU profiles of the gateway: ${settings.cpuProf}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
