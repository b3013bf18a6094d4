// Server processes for the benchmark: free ports, spawn, wait until ready, sample RSS and CPU from /proc, stop.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export { freePort } from "../test/support/gateway-process.js";

const SHEBANG = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)\s*$/;

/**
 * The gateway's process: the node flags the `idv` command's shebang carries (and `npm start` repeats), then
 * the CLI, so the bench measures the gateway as it is started in production.
 */
export function gatewayCommand(cli: string, ...args: string[]): string[] {
  const first = readFileSync(cli, "utf8").split("\n", 1)[0] ?? "";
  const match = SHEBANG.exec(first);
  if (!match)
    throw new Error(`${cli}: expected a "#!/usr/bin/env -S node [flags]" first line, found ${first}`);
  const flags = (match[1] ?? "").trim();
  return [...(flags ? flags.split(" ") : []), cli, ...args];
}

/** Runs a short-lived node command (e.g. `migrate`) and fails with its output if it fails. */
export async function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(process.execPath, args, { env });
  return stdout;
}

export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  /** The last lines the process wrote, for when it dies. */
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startServer(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  readyPath: string,
) {
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    name,
    pid: child.pid ?? -1,
    url,
    output: () => tail,
    alive: () => exitCode === undefined,
    async stop() {
      if (exitCode !== undefined) return;
      child.kill("SIGTERM");
      const timedOut = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
      if (timedOut) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${name} exited (${exitCode}) before it was ready:\n${tail}`);
    try {
      const response = await fetch(`${url}${readyPath}`);
      await response.arrayBuffer();
      if (response.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${name} was not ready within 20 s:\n${tail}`);
    }
    await sleep(50);
  }
}

/** VmRSS of a process in bytes, or undefined once it is gone. */
export function readRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds a process (all its threads) has used so far. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 a second on Linux).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds the whole machine has spent busy (everything but idle and iowait) so far. */
export function readMachineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

/**
 * Waits (up to `maxMs`) for a second in which the machine is nearly idle, so a run does not start on top
 * of someone else's burst; returns the CPU (in cores) the last second used.
 */
export async function waitForQuiet(maxCores: number, maxMs: number): Promise<number> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const before = readMachineBusySeconds();
    const started = Date.now();
    await sleep(1000);
    const cores = (readMachineBusySeconds() - before) / ((Date.now() - started) / 1000);
    if (cores <= maxCores || Date.now() > deadline) return cores;
  }
}

export interface ProcessSample {
  peakRss: number;
  /** CPU used during the sample, as a share of one core. */
  cpu: number;
  /** CPU the whole machine used meanwhile, in cores: what is left after server and load generator is noise. */
  machineCpu: number;
}

/** Samples a process' RSS every 50 ms until stopped; reports the peak and the CPU share used meanwhile. */
export function sampleProcess(pid: number): { stop(): ProcessSample } {
  let peakRss = readRss(pid) ?? 0;
  const cpuStart = readCpuSeconds(pid);
  const machineStart = readMachineBusySeconds();
  const started = Date.now();
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, readRss(pid) ?? 0);
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      peakRss = Math.max(peakRss, readRss(pid) ?? 0);
      const seconds = (Date.now() - started) / 1000;
      return {
        peakRss,
        cpu: (readCpuSeconds(pid) - cpuStart) / seconds,
        machineCpu: (readMachineBusySeconds() - machineStart) / seconds,
      };
    },
  };
}
