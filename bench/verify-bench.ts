// The /verify part of the benchmark: per signature pair, `runs` times, the raw node:crypto limit (a child on the
// gateway's core), a bare node:http server doing only the two checks and the gateway, all on that one core at
// their maximum rates in rotating windows; then the gateway paced at a fixed rate.
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import type autocannon from "autocannon";
import { runLoad, runSampledLoad, type SampledLoad } from "./load.js";
import { WINDOW_SECONDS } from "./measure.js";
import { runPaced } from "./paced-load.js";
import { allowedCpus, hasTaskset, pin } from "./pinning.js";
import { freePort, gatewayCommand, runNode, sampleProcess, startServer, waitForQuiet } from "./processes.js";
import { verdictTable } from "./report.js";
import { AUDIENCE, check, checkBare, JSON_TYPE, okay } from "./verify-checks.js";
import { supportDocument, type VerifyPair, type VerifyPool, verifyPool } from "./verify-fixtures.js";
import { type Issuer, startIssuer } from "./verify-issuer.js";
import type { VerifyBenchOptions } from "./verify-options.js";
import { type RawWindow, startRawVerifier } from "./verify-raw.js";
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
import { combineLoads, combineRaw, rawRate } from "./verify-windows.js";

const CLI = "dist/cli/index.js";

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

/** A server under closed-loop /verify load: its requests, and how many answers were not an okay. */
function verifyTarget(url: string, feed: ReturnType<typeof bodies>, connections: number) {
  let failures = 0;
  const requests: autocannon.Request[] = [
    {
      method: "POST",
      path: "/verify",
      headers: { "content-type": JSON_TYPE },
      setupRequest: (request) => ({ ...request, body: feed.next() }),
      onResponse: (status, body) => {
        if (!okay(status, body)) failures++;
      },
    },
  ];
  return {
    load: { url, connections, requests },
    /** Wrong answers since the last call. */
    takeFailures() {
      const n = failures;
      failures = 0;
      return n;
    },
  };
}

/**
 * One run: a fresh gateway and a fresh bare server (bench/bare-verify.mjs) on the server core, checked and warmed
 * up; then the raw loop (a child on the same core), the bare server and the gateway at their maximum rates in
 * rotating windows of WINDOW_SECONDS, seconds apart, so that the host's drifting speed touches all three alike;
 * then the gateway paced.
 */
async function measureRun(
  env: NodeJS.ProcessEnv,
  pool: VerifyPool,
  poolFile: string,
  pair: VerifyPair,
  run: number,
  options: VerifyBenchOptions,
  core: string | undefined,
): Promise<{ raw: RawRun; gateway: GatewayRun }> {
  const port = await freePort();
  const server = await startServer(
    `gateway (POST /verify ${pair})`,
    gatewayCommand(CLI, "serve"),
    { ...env, PORT: String(port) },
    port,
    "/ready",
  );
  const barePort = await freePort();
  const bare = await startServer(
    `bare node:http (POST /verify ${pair})`,
    [resolve("bench/bare-verify.mjs")],
    { PATH: process.env.PATH, PORT: String(barePort), POOL_FILE: poolFile },
    barePort,
    "/",
  ).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  try {
    if (core) for (const pid of [server.pid, bare.pid]) pin(pid, core);
    await check(server.url, pool);
    await checkBare(bare.url, pool);
    const feed = bodies(pool);
    const gateway = verifyTarget(server.url, feed, options.connections);
    const baseline = verifyTarget(bare.url, bodies(pool), options.connections);
    // Warm means: every certificate parsed once (the pool went round) and the JIT settled (the rate stopped
    // climbing). On a busy machine a fixed 3 s can end with the gateway still compiling.
    let previous = 0;
    let warmErrors = 0;
    for (let round = 1; ; round++) {
      const warm = await runLoad({ ...gateway.load, durationSec: options.warmup });
      warmErrors += warm.errors;
      const steady = previous > 0 && warm.rps <= previous * 1.05;
      if ((feed.sent() >= feed.size && steady) || round >= MAX_WARMUP_ROUNDS) {
        if (round > 2) console.log(`  (warm-up took ${round} rounds of ${options.warmup} s)`);
        break;
      }
      previous = warm.rps;
    }
    const warmFailures = gateway.takeFailures() + warmErrors;
    await runLoad({ ...baseline.load, durationSec: options.warmup });
    const bareWarmFailures = baseline.takeFailures();
    if (bareWarmFailures > 0) throw new Error(`bare /verify server: ${bareWarmFailures} wrong answers`);

    const windows = Math.max(1, Math.round(options.duration / WINDOW_SECONDS));
    const rawWindows: RawWindow[] = [];
    const bareWindows: SampledLoad[] = [];
    const gatewayWindows: SampledLoad[] = [];
    const rawLoop = await startRawVerifier(poolFile, core);
    try {
      for (let w = 1; w <= windows; w++) {
        const order = ["raw", "bare", "gateway"] as const;
        for (const side of w % 2 === 1 ? order : [...order].reverse()) {
          if (side === "raw") rawWindows.push(await rawLoop.window(WINDOW_SECONDS * 1000));
          else if (side === "bare")
            bareWindows.push(
              await runSampledLoad(bare.pid, { ...baseline.load, durationSec: WINDOW_SECONDS }),
            );
          else
            gatewayWindows.push(
              await runSampledLoad(server.pid, { ...gateway.load, durationSec: WINDOW_SECONDS }),
            );
        }
      }
    } finally {
      await rawLoop.stop();
    }
    const { load: max, sample } = combineLoads(gatewayWindows);
    const bareMax = combineLoads(bareWindows);
    const bareFailures = baseline.takeFailures() + bareMax.load.errors;
    if (bareFailures > 0) throw new Error(`bare /verify server: ${bareFailures} wrong answers`);
    const rawRun = combineRaw(rawWindows, pair, run);
    const ratios = gatewayWindows.map((g, i) =>
      (g.load.rps / rawRate(rawWindows[i] as RawWindow)).toFixed(2),
    );
    const bareRatios = bareWindows.map((b, i) =>
      (b.load.rps / rawRate(rawWindows[i] as RawWindow)).toFixed(2),
    );
    console.log(`  windows, gateway/raw: ${ratios.join(" ")}; bare/raw: ${bareRatios.join(" ")}`);
    const maxBad = gateway.takeFailures() + max.errors;
    const pace = (url: string) =>
      runPaced({
        url,
        rate: options.pacedRate,
        durationSec: options.pacedDuration,
        next: () => ({ path: "/verify", headers: { "content-type": JSON_TYPE }, body: feed.next() }),
        good: okay,
      });
    // The same paced load on the bare server: what the host, the harness and node:http alone add to latency.
    const barePaced = await pace(bare.url);
    if (barePaced.bad + barePaced.errors > 0)
      throw new Error("bare /verify server: wrong answers when paced");
    await bare.stop();
    const pacedSampler = sampleProcess(server.pid);
    const paced = await pace(server.url);
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
      bare: {
        rate: bareMax.load.rps,
        cpuUs: (bareMax.sample.cpu / bareMax.load.rps) * 1e6,
        pacedP99Ms: barePaced.p99Ms,
      },
    };
    if (record.bad > 0)
      console.log(
        `  !! ${record.bad} bad answers (warm-up ${warmFailures}, max ${maxBad}, paced ${paced.bad} wrong and ${paced.errors} socket errors or timeouts); server errors:\n${serverErrors(server.output())}`,
      );
    return { raw: rawRun, gateway: record };
  } finally {
    await server.stop();
    await bare.stop();
  }
}

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
          const { raw: r, gateway: g } = await measureRun(
            env,
            pool,
            poolFile,
            pair,
            run,
            options,
            serverCore,
          );
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
