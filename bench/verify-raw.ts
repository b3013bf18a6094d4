// The raw limit of /verify as a child process that stays up between windows (bench/raw-verify.mjs), so that
// its windows can alternate with the gateway's, seconds apart.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

/** What one window of node:crypto alone did. */
export interface RawWindow {
  verifications: number;
  seconds: number;
  cpuSeconds: number;
  /** CPU seconds the whole machine was busy during the window. */
  machineSeconds: number;
  /** CPU seconds the bench itself (the caller) used meanwhile. */
  generatorSeconds: number;
}

export interface RawVerifier {
  window(ms: number): Promise<RawWindow>;
  stop(): Promise<void>;
}

/** Starts the raw loop over `poolFile` (pinned to `core` when given) and waits until it has warmed up. */
export async function startRawVerifier(poolFile: string, core: string | undefined): Promise<RawVerifier> {
  const script = [resolve("bench/raw-verify.mjs"), poolFile];
  const child: ChildProcessWithoutNullStreams = core
    ? spawn("taskset", ["-c", core, process.execPath, ...script])
    : spawn(process.execPath, script);
  let err = "";
  child.stderr.on("data", (c: Buffer) => {
    err = (err + c.toString("utf8")).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on("line", (line) => waiting.shift()?.(line));
  const exited = new Promise<number | null>((done) => child.once("exit", done));
  const nextLine = () =>
    Promise.race([
      new Promise<string>((done) => waiting.push(done)),
      exited.then((code) => {
        throw new Error(`raw-verify exited ${code}: ${err}`);
      }),
    ]);

  const ready = await nextLine();
  if (ready !== "ready") throw new Error(`raw-verify: expected "ready", got ${ready}`);
  return {
    async window(ms) {
      const own = process.cpuUsage();
      child.stdin.write(`${ms}\n`);
      const result = JSON.parse(await nextLine()) as Omit<RawWindow, "generatorSeconds">;
      const used = process.cpuUsage(own);
      return { ...result, generatorSeconds: (used.user + used.system) / 1e6 };
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}
