// The /verify part of the benchmark: per signature pair, `runs` times, the raw node:crypto limit (a child on the
// gateway's core) then the gateway on that one core: closed-loop at its maximum rate, then paced at a fixed rate.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import type autocannon from "autocannon";
import { runLoad } from "./load.js";
import { runPaced } from "./paced-load.js";
import { freePort, runNode, sampleProcess, startServer, waitForQuiet } from "./processes.js";
import { verdictTable } from "./report.js";
import { supportDocument, type VerifyPair, type VerifyPool, verifyPool } from "./verify-fixtures.js";
import { type Issuer, startIssuer } from "./verify-issuer.js";
import type { VerifyBenchOptions } from "./verify-options.js";
import {
  type GatewayRun,
  type RawRun,
  VERIFY_RUN_HEAD,
  verifyNoise,
  verifyRunRow,
  verifyRunsTable,
  verifySummaryTable,
  verifyVerdicts,
} from "./verify-report.js";

const CLI = "dist/cli/index.js";
const AUDIENCE = "https://rp.bench.example";
const JSON_TYPE = "application/json";

/** The cores the bench may use, e.g. [0, 1]. */
function allowedCpus(): number[] {
  const status = readFileSync("/proc/self/status", "utf8");
  const list = /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1] ?? "";
  return list.split(",").flatMap((range) => {
    const [from, to] = range.split("-").map(Number);
    if (from === undefined || Number.isNaN(from)) return [];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

const hasTaskset = () => spawnSync("taskset", ["--version"]).status === 0;

/** Pins every thread of `pid` (threads created later inherit it) to `cpuList`. */
function pin(pid: number, cpuList: string): void {
  const result = spawnSync("taskset", ["-a", "-p", "-c", cpuList, String(pid)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`taskset ${cpuList} ${pid} failed: ${result.stderr}`);
}

/** Round-robin over the pool's request bodies, shared by every connection so no two in a row repeat. */
function bodies(pool: VerifyPool) {
  const all = pool.assertions.map((assertion) => JSON.stringify({ assertion, audience: AUDIENCE }));
  let next = 0;
  return { next: () => all[next++ % all.length] as string, sent: () => next, size: all.length };
}

/** The gateway's output without its start-up warnings (providers left unconfigured on purpose). */
function serverErrors(output: string): string {
  const lines = output.split("\n").filter((line) => line.trim() !== "" && !line.includes('"level":40'));
  return lines.length > 0 ? lines.join("\n") : "(none)";
}

/** Warm-up rounds at most: ends earlier once the pool went round once and the rate stopped climbing. */
const MAX_WARMUP_ROUNDS = 6;

const okay = (status: number, body: string) => status === 200 && body.includes('"status":"okay"');

async function post(url: string, body: string) {
  const response = await fetch(`${url}/verify`, {
    method: "POST",
    headers: { "content-type": JSON_TYPE },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** Before the load: one entry verifies with the expected claims, and a changed assertion signature fails. */
async function check(url: string, pool: VerifyPool): Promise<void> {
  const assertion = pool.assertions[0] as string;
  const good = await post(url, JSON.stringify({ assertion, audience: AUDIENCE }));
  const verdict = JSON.parse(good.text) as Record<string, unknown>;
  if (
    good.status !== 200 ||
    verdict.status !== "okay" ||
    verdict.email !== `user0@${pool.issuer}` ||
    verdict.audience !== AUDIENCE ||
    verdict.issuer !== pool.issuer
  )
    throw new Error(
      `gateway POST /verify: expected okay for user0@${pool.issuer}, got ${good.status} ${good.text}`,
    );
  // Flip one character of the assertion's signature: proves both signatures are really checked under this setup.
  const last = assertion.length - 2;
  const flipped = `${assertion.slice(0, last)}${assertion[last] === "A" ? "B" : "A"}${assertion.slice(last + 1)}`;
  const bad = await post(url, JSON.stringify({ assertion: flipped, audience: AUDIENCE }));
  if (bad.status !== 200 || !bad.text.includes('"status":"failure"'))
    throw new Error(`gateway accepted a forged assertion signature: ${bad.status} ${bad.text}`);
}

/** The raw limit: node:crypto alone over the same pool, in a child pinned to the gateway's core. */
async function measureRaw(
  poolFile: string,
  pair: VerifyPair,
  run: number,
  seconds: number,
  core: string | undefined,
): Promise<RawRun> {
  const script = [resolve("bench/raw-verify.mjs"), poolFile, String(seconds)];
  const child = core
    ? spawn("taskset", ["-c", core, process.execPath, ...script], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(process.execPath, script, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  const ownCpu = process.cpuUsage();
  const started = Date.now();
  const code = await new Promise<number | null>((done) => child.once("exit", done));
  const own = process.cpuUsage(ownCpu);
  if (code !== 0) throw new Error(`raw-verify exited ${code}: ${err}`);
  const result = JSON.parse(out) as {
    verifications: number;
    seconds: number;
    cpuSeconds: number;
    machineSeconds: number;
  };
  return {
    pair,
    run,
    rate: result.verifications / result.seconds,
    cpuUs: (result.cpuSeconds / result.verifications) * 1e6,
    // The child measured the machine over exactly its timed loop.
    machineCpu: result.machineSeconds / result.seconds,
    cpu: result.cpuSeconds / result.seconds,
    generatorCpu: (own.user + own.system) / 1e6 / ((Date.now() - started) / 1000),
  };
}

async function measureGateway(
  env: NodeJS.ProcessEnv,
  pool: VerifyPool,
  pair: VerifyPair,
  run: number,
  options: VerifyBenchOptions,
  core: string | undefined,
): Promise<GatewayRun> {
  const port = await freePort();
  const server = await startServer(
    `gateway (POST /verify ${pair})`,
    [CLI, "serve"],
    { ...env, PORT: String(port) },
    port,
    "/ready",
  );
  try {
    if (core) pin(server.pid, core);
    await check(server.url, pool);
    const feed = bodies(pool);
    const next = feed.next;
    let failures = 0;
    const requests: autocannon.Request[] = [
      {
        method: "POST",
        path: "/verify",
        headers: { "content-type": JSON_TYPE },
        setupRequest: (request) => ({ ...request, body: next() }),
        onResponse: (status, body) => {
          if (!okay(status, body)) failures++;
        },
      },
    ];
    const load = { url: server.url, connections: options.connections, requests };
    // Warm means: every certificate parsed once (the pool went round) and the JIT settled (the rate stopped
    // climbing). On a busy machine a fixed 3 s can end with the gateway still compiling.
    let previous = 0;
    for (let round = 1; ; round++) {
      const warm = await runLoad({ ...load, durationSec: options.warmup });
      failures += warm.errors;
      const steady = previous > 0 && warm.rps <= previous * 1.05;
      if ((feed.sent() >= feed.size && steady) || round >= MAX_WARMUP_ROUNDS) {
        if (round > 2) console.log(`  (warm-up took ${round} rounds of ${options.warmup} s)`);
        break;
      }
      previous = warm.rps;
    }
    const warmFailures = failures;
    failures = 0;
    const sampler = sampleProcess(server.pid);
    const max = await runLoad({ ...load, durationSec: options.duration });
    const sample = sampler.stop();
    const maxBad = failures + max.errors;
    const pacedSampler = sampleProcess(server.pid);
    const paced = await runPaced({
      url: server.url,
      rate: options.pacedRate,
      durationSec: options.pacedDuration,
      next: () => ({ path: "/verify", headers: { "content-type": JSON_TYPE }, body: next() }),
      good: okay,
    });
    const pacedSample = pacedSampler.stop();
    if (!server.alive()) throw new Error(`${server.name} died under load:\n${server.output()}`);
    const record: GatewayRun = {
      pair,
      run,
      max,
      sample,
      paced,
      pacedSample,
      bad: maxBad + warmFailures + paced.bad + paced.errors,
    };
    if (record.bad > 0)
      console.log(
        `  !! ${record.bad} bad answers (warm-up ${warmFailures}, max ${maxBad}, paced ${paced.bad} wrong and ${paced.errors} socket errors or timeouts); server errors:\n${serverErrors(server.output())}`,
      );
    return record;
  } finally {
    await server.stop();
  }
}

/** node:crypto's rate is steady: a shorter run than the gateway's is enough (at most 5 s). */
const rawSeconds = (duration: number) => Math.max(2, Math.min(5, duration));

/** What the gateway needs to start in production mode with nothing but /verify to do. */
export function verifyBaseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: "production",
    GATEWAY_PUBLIC_URL: "https://idv.bench.invalid",
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    ORY_WEBHOOK_SECRET: "bench-ory-webhook-secret-0123456789",
  };
}

/**
 * The gateway settings for /verify: the loopback issuer allowed (over https with its certificate trusted, or else
 * over plain http, which only a non-production gateway accepts), a cache outliving the run, no rate limit.
 */
function verifyEnv(
  base: NodeJS.ProcessEnv,
  sqlitePath: string,
  host: string,
  issuer: Issuer,
): NodeJS.ProcessEnv {
  return {
    ...base,
    ...(issuer.caFile
      ? { NODE_EXTRA_CA_CERTS: issuer.caFile }
      : { NODE_ENV: "development", BROWSERID_HTTP_HOSTS: host }),
    SQLITE_PATH: sqlitePath,
    WORKER_ENABLED: "false",
    VERIFY_ENABLED: "true",
    VERIFY_RATE_LIMIT_PER_MINUTE: "0",
    VERIFY_IDV_STATUS: "false",
    BROWSERID_ALLOWED_PRIVATE_HOSTS: host,
    BROWSERID_CACHE_TTL_SECONDS: String(6 * 3600),
  };
}

/** Runs the /verify part, printing each run as it ends; returns the tables to print at the end. */
export async function runVerifyBench(options: VerifyBenchOptions): Promise<string> {
  const allowed = allowedCpus();
  const pinning = allowed.length >= 2 && hasTaskset();
  // The gateway and the raw child share the last core; the bench (load generator, issuer) keeps the others.
  const serverCore = pinning ? String(allowed[allowed.length - 1]) : undefined;
  const generatorCores = pinning ? allowed.slice(0, -1).join(",") : undefined;
  console.log(
    pinning
      ? `POST /verify: gateway and raw limit pinned to cpu ${serverCore}, load generator to cpu ${generatorCores}`
      : `POST /verify: cannot pin (${allowed.length} cpu, taskset ${hasTaskset() ? "present" : "missing"}): figures are not one-core figures`,
  );
  const issuer = await startIssuer(options.dir);
  if (!issuer.caFile)
    console.log(
      "  (openssl missing: the issuer is served over http, the gateway runs with NODE_ENV=development)",
    );
  if (generatorCores) pin(process.pid, generatorCores);
  const raws: RawRun[] = [];
  const gateways: GatewayRun[] = [];
  try {
    const host = `127.0.0.1:${issuer.port}`;
    const sqlitePath = join(options.dir, "verify.db");
    const env = verifyEnv(verifyBaseEnv(), sqlitePath, host, issuer);
    await runNode([CLI, "migrate"], env);
    // Long enough for every run (pool generation, runs, retries) with room to spare.
    const validForMs = 6 * 3_600_000;
    for (const pair of options.pairs) {
      const started = Date.now();
      const pool = verifyPool({ pair, issuer: host, audience: AUDIENCE, size: options.poolSize, validForMs });
      console.log(
        `  ${pair}: ${pool.assertions.length} distinct backed assertions signed in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      issuer.serve(supportDocument(pool));
      const poolFile = join(options.dir, `verify-pool-${pair.replace("+", "-")}.json`);
      writeFileSync(poolFile, JSON.stringify(pool));
      console.log(`  ${VERIFY_RUN_HEAD.join("  ")}`);
      for (let run = 1; run <= options.runs; run++) {
        let raw: RawRun | undefined;
        let gateway: GatewayRun | undefined;
        for (let attempt = 0; attempt <= options.retries; attempt++) {
          const busy = await waitForQuiet(options.noiseLimit, 10_000);
          if (busy > options.noiseLimit)
            console.log(`  (machine still busy before this run: ${busy.toFixed(2)} cores in use)`);
          const r = await measureRaw(poolFile, pair, run, rawSeconds(options.duration), serverCore);
          const g = await measureGateway(env, pool, pair, run, options, serverCore);
          const calmer = !raw || !gateway || verifyNoise(r, g) < verifyNoise(raw, gateway);
          if (calmer) {
            raw = r;
            gateway = g;
          }
          console.log(`  ${verifyRunRow(r, g).join("  ")}`);
          if (verifyNoise(r, g) <= options.noiseLimit) break;
          if (attempt < options.retries)
            console.log(`  (other processes used ${verifyNoise(r, g).toFixed(2)} cores: measuring again)`);
        }
        if (!raw || !gateway) throw new Error("no /verify run was measured");
        raws.push(raw);
        gateways.push(gateway);
      }
    }
  } finally {
    if (generatorCores) pin(process.pid, allowed.join(","));
    await new Promise<void>((done) => issuer.server.close(() => done()));
  }
  const cpu = cpus()[0]?.model ?? "cpu";
  const noisy = raws.filter((r, i) => {
    const g = gateways[i];
    return g !== undefined && verifyNoise(r, g) > options.noiseLimit;
  }).length;
  return [
    `POST /verify, every run (${cpu}; raw = node:crypto alone, same two checks, same core; ` +
      `paced = ${options.pacedRate} req/s open loop, latency from each request's due time)\n\n${verifyRunsTable(raws, gateways)}\n`,
    `POST /verify, median of the runs (gateway/raw: median of the per-run rate ratios; by CPU µs: raw/gateway CPU per verification)\n\n${verifySummaryTable(raws, gateways, options.pacedRate)}\n`,
    `POST /verify targets\n\n${verdictTable(verifyVerdicts(raws, gateways, options.pacedRate))}`,
    ...(noisy > 0
      ? [
          `\n${noisy} /verify run(s) kept although other processes used > ${options.noiseLimit} cores: read them with care.`,
        ]
      : []),
  ].join("\n");
}
