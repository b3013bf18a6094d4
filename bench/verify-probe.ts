// Quick CPU-per-request probe of POST /verify (not part of `npm run bench`): raw node:crypto, the gateway and
// optionally a bare node:http wrapper, each on one pinned core, closed loop; prints CPU µs per request.
// usage: npx tsx bench/verify-probe.ts [--pair RS256+DS128] [--seconds 6] [--prof DIR] [--bare FILE.mjs]
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type autocannon from "autocannon";
import { runLoad } from "./load.js";
import {
  freePort,
  gatewayCommand,
  readCpuSeconds,
  readMachineBusySeconds,
  runNode,
  startServer,
} from "./processes.js";
import { supportDocument, type VerifyPair, verifyPool } from "./verify-fixtures.js";

const { values: args } = parseArgs({
  options: {
    pair: { type: "string", default: "RS256+DS128" },
    seconds: { type: "string", default: "6" },
    warmup: { type: "string", default: "6" },
    prof: { type: "string" },
    perf: { type: "string" },
    bare: { type: "string" },
    "no-raw": { type: "boolean", default: false },
    "no-gateway": { type: "boolean", default: false },
    /** Comma-separated gateway CLIs to compare, measured alternately `rounds` times. */
    cli: { type: "string", default: "dist/cli/index.js" },
    rounds: { type: "string", default: "1" },
  },
});
const AUDIENCE = "https://rp.bench.example";
const dir = mkdtempSync(join(tmpdir(), "verify-probe-"));
const pin = (pid: number, cpu: string) => spawnSync("taskset", ["-a", "-p", "-c", cpu, String(pid)]);
pin(process.pid, "0");

spawnSync("openssl", [
  ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", join(dir, "k.pem")],
  ...["-out", join(dir, "c.pem"), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
]);
let doc = "{}";
const issuer = createHttpsServer(
  { key: readFileSync(join(dir, "k.pem")), cert: readFileSync(join(dir, "c.pem")) },
  (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(doc),
);
await new Promise<void>((done) => issuer.listen(0, "127.0.0.1", done));
const host = `127.0.0.1:${(issuer.address() as AddressInfo).port}`;
const pool = verifyPool({
  pair: args.pair as VerifyPair,
  issuer: host,
  audience: AUDIENCE,
  size: 5000,
  validForMs: 3_600_000,
});
doc = supportDocument(pool);
const poolFile = join(dir, "pool.json");
writeFileSync(poolFile, JSON.stringify(pool));
const bodies = pool.assertions.map((assertion) => JSON.stringify({ assertion, audience: AUDIENCE }));
let n = 0;
const seconds = Number(args.seconds);

if (!args["no-raw"]) {
  const out = spawnSync("taskset", ["-c", "1", process.execPath, resolve("bench/raw-verify.mjs"), poolFile], {
    encoding: "utf8",
    input: "4000\n",
  });
  // The first line says it is ready, the second is the 4 s window.
  const r = JSON.parse(out.stdout.split("\n")[1] as string) as {
    verifications: number;
    cpuSeconds: number;
    seconds: number;
  };
  console.log(
    `raw      ${((r.cpuSeconds / r.verifications) * 1e6).toFixed(1)} µs/verification (${(r.verifications / r.seconds).toFixed(0)}/s)`,
  );
}

const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  NODE_ENV: "production",
  GATEWAY_PUBLIC_URL: "https://idv.bench.invalid",
  HOST: "127.0.0.1",
  LOG_LEVEL: "warn",
  ORY_WEBHOOK_SECRET: "bench-ory-webhook-secret-0123456789",
  NODE_EXTRA_CA_CERTS: join(dir, "c.pem"),
  SQLITE_PATH: join(dir, "v.db"),
  WORKER_ENABLED: "false",
  VERIFY_ENABLED: "true",
  VERIFY_RATE_LIMIT_PER_MINUTE: "0",
  VERIFY_IDV_STATUS: "false",
  BROWSERID_ALLOWED_PRIVATE_HOSTS: host,
  BROWSERID_CACHE_TTL_SECONDS: "21600",
  // For a --bare server of your own: the pool the load is drawn from.
  POOL_FILE: poolFile,
};
await runNode(["dist/cli/index.js", "migrate"], env);

async function measure(name: string, argv: string[], readyPath: string) {
  const port = await freePort();
  const server = await startServer(name, argv, { ...env, PORT: String(port) }, port, readyPath);
  pin(server.pid, "1");
  const requests: autocannon.Request[] = [
    {
      method: "POST",
      path: "/verify",
      headers: { "content-type": "application/json" },
      setupRequest: (request) => ({ ...request, body: bodies[n++ % bodies.length] as string }),
    },
  ];
  const load = { url: server.url, connections: 50, requests };
  await runLoad({ ...load, durationSec: Number(args.warmup) });
  const cpu0 = readCpuSeconds(server.pid);
  const m0 = readMachineBusySeconds();
  const t0 = Date.now();
  const recorder = args.perf
    ? spawn(
        "perf",
        [
          "record",
          "-e",
          "cpu-clock",
          "-F",
          "2000",
          "-g",
          "-o",
          `${args.perf}/${name}.data`,
          "-p",
          String(server.pid),
          "--",
          "sleep",
          String(seconds),
        ],
        { stdio: "ignore" },
      )
    : undefined;
  const stat0 = readFileSync(`/proc/${server.pid}/stat`, "utf8");
  const result = await runLoad({ ...load, durationSec: seconds });
  const stat1 = readFileSync(`/proc/${server.pid}/stat`, "utf8");
  const split = (s: string) =>
    s
      .slice(s.lastIndexOf(")") + 2)
      .split(" ")
      .slice(11, 13)
      .map(Number);
  const [u0 = 0, s0 = 0] = split(stat0);
  const [u1 = 0, s1 = 0] = split(stat1);
  if (recorder) await new Promise((done) => recorder.once("exit", done));
  const cpu = readCpuSeconds(server.pid) - cpu0;
  const wall = (Date.now() - t0) / 1000;
  const other = (readMachineBusySeconds() - m0) / wall - cpu / wall - result.generatorCpu;
  const ok = result.statuses["200"] ?? 0;
  const perReq = (ticks: number) => ((ticks / 100 / result.completed) * 1e6).toFixed(1);
  console.log(
    `${name.padEnd(8)} ${((cpu / result.completed) * 1e6).toFixed(1)} µs/req  ${result.rps.toFixed(0)} req/s  server ${(cpu / wall).toFixed(2)} cores  other ${other.toFixed(2)}  200s ${ok}/${result.completed}  user ${perReq(u1 - u0)} sys ${perReq(s1 - s0)}`,
  );
  await server.stop();
}

const prof = args.prof
  ? ["--cpu-prof", `--cpu-prof-dir=${resolve(args.prof)}`]
  : args.perf
    ? ["--perf-basic-prof"]
    : [];
for (let round = 0; round < Number(args.rounds); round++) {
  if (!args["no-gateway"])
    for (const [i, cli] of (args.cli ?? "").split(",").entries())
      await measure(`gw${i}`, [...prof, ...gatewayCommand(resolve(cli), "serve")], "/ready");
  if (args.bare) await measure("bare", [...prof, resolve(args.bare)], "/ready");
}
issuer.close();
