// The raw limit of /verify: node:crypto alone checking the same two signatures (certificate, then assertion) of
// the same pool the gateway gets, in a loop on one core. It stays up between windows: for each line on stdin
// (milliseconds to run) it loops that long and prints {"verifications","seconds","cpuSeconds","machineSeconds"}
// (machineSeconds: CPU the whole machine was busy meanwhile, to tell what others took); it exits when stdin ends.
// Usage: node bench/raw-verify.mjs <pool.json>. Keys are imported once: only the checks are timed.
import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { part } from "./jws-part.mjs";

const [file] = process.argv.slice(2);
if (!file) throw new Error("usage: raw-verify.mjs <pool.json>");
const pool = JSON.parse(readFileSync(file, "utf8"));
const issuerKey = createPublicKey(pool.pems.issuer);
const userKeys = pool.pems.users.map((pem) => createPublicKey(pem));

const checks = pool.assertions.map((backed, i) => {
  const [cert, assertion] = backed.split("~");
  const user = userKeys[i % userKeys.length];
  const a = part(assertion);
  return {
    cert: part(cert),
    assertion: a,
    userKey: a.dsa ? { key: user, dsaEncoding: "ieee-p1363" } : user,
  };
});

function check(c) {
  return (
    verify(c.cert.hash, c.cert.data, issuerKey, c.cert.signature) &&
    verify(c.assertion.hash, c.assertion.data, c.userKey, c.assertion.signature)
  );
}

/** Verifies round-robin for `ms`; every check must pass (a false would mean the pool or the loop is wrong). */
function loop(ms) {
  const until = performance.now() + ms;
  let n = 0;
  while (performance.now() < until) {
    for (let k = 0; k < 64; k++, n++) {
      if (!check(checks[n % checks.length])) throw new Error(`verification ${n % checks.length} failed`);
    }
  }
  return n;
}

loop(500); // warm-up: JIT, OpenSSL's per-key caches
/** CPU seconds the whole machine has spent busy so far (as bench/processes.ts reads it). */
function machineBusySeconds() {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
    .split("\n", 1)[0]
    .trim()
    .split(/\s+/)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** One window: loops for `ms` and reports what it did. */
function window(ms) {
  const machineBefore = machineBusySeconds();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const verifications = loop(ms);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const machineSeconds = machineBusySeconds() - machineBefore;
  return { verifications, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6, machineSeconds };
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const ms = Number(line);
  if (!(ms > 0)) throw new Error(`raw-verify: expected milliseconds, got ${JSON.stringify(line)}`);
  process.stdout.write(`${JSON.stringify(window(ms))}\n`);
});
process.stdout.write("ready\n");
