// `npm run bench:verify`: only the POST /verify part of the benchmark (raw node:crypto limit beside the gateway on
// one core, closed loop at maximum rate and paced). A measurement, not a test: exits 0 whatever the figures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runVerifyBench } from "./verify-bench.js";
import { VERIFY_USAGE, verifyOptions, verifyParseOptions } from "./verify-options.js";

const { values: args } = parseArgs({
  options: {
    ...verifyParseOptions,
    runs: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    "noise-retries": { type: "string", default: "1" },
    "skip-build": { type: "boolean", default: false },
    "keep-data": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

async function main(): Promise<void> {
  if (args.help)
    return console.log(`usage: npm run bench:verify -- [options]
  --runs N            runs per signature pair (default 3; medians are reported)
  --duration S        seconds of closed-loop load per run (default 10), after --warmup S (default 3)
  --connections N     autocannon connections (default 50)
  --noise-retries N   re-measure a run up to N times (default 1) while other processes used > 0.25 cores
${VERIFY_USAGE}
  --skip-build        use dist/ as it is
  --keep-data         keep the temporary directory`);
  const cpu = cpus();
  console.log(
    `idv-gateway bench (POST /verify), ${new Date().toISOString()}, node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}\n`,
  );
  if (!args["skip-build"]) {
    const build = spawnSync("npm", ["run", "build", "--silent"], { stdio: "inherit" });
    if (build.status !== 0) throw new Error("npm run build failed");
  }
  const dir = mkdtempSync(join(tmpdir(), "idv-bench-verify-"));
  try {
    console.log(`\n${await runVerifyBench(verifyOptions(args, dir))}`);
  } finally {
    if (args["keep-data"]) console.log(`data kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
