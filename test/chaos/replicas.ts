// Gateway replicas as real processes on fixed ports: killed with SIGKILL and restarted on the same port.
import { readFileSync } from "node:fs";
import { freePort, type GatewayProcess, spawnGateway } from "../support/gateway-process.js";

export interface Replicas {
  urls: string[];
  kills: number;
  /** Exits nobody asked for, with the end of the replica's output. */
  crashes: string[];
  /** SIGKILL replica `i` (no shutdown of any kind). */
  kill(i: number): Promise<void>;
  /** Starts replica `i` again; `waitFor: "health"` when its database is expected to be unavailable. */
  start(i: number, waitFor?: "ready" | "health"): Promise<void>;
  /** Resident set size of each running replica, MiB. */
  rssMiB(): number[];
  /** CPU seconds (user + system) each running replica has used so far. */
  cpuSeconds(): number[];
  output(i: number): string;
  close(): Promise<void>;
}

export async function startReplicas(count: number, env: Record<string, string>): Promise<Replicas> {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const running: (GatewayProcess | undefined)[] = [];
  const logs: string[] = ports.map(() => "");
  // Kills and starts of one replica never overlap (two fault schedules may both restart it).
  const locks: Promise<unknown>[] = ports.map(() => Promise.resolve());
  const exclusive = <T>(i: number, work: () => Promise<T>): Promise<T> => {
    const next = (locks[i] as Promise<unknown>).then(work, work);
    locks[i] = next.catch(() => undefined);
    return next;
  };
  const replicas: Replicas = {
    urls: ports.map((port) => `http://127.0.0.1:${port}`),
    kills: 0,
    crashes: [],
    kill: (i) =>
      exclusive(i, async () => {
        const replica = running[i];
        if (!replica) return;
        running[i] = undefined;
        logs[i] += replica.output();
        await replica.kill("SIGKILL");
        replicas.kills++;
      }),
    start: (i, waitFor = "ready") =>
      exclusive(i, async () => {
        if (running[i]) return;
        const replica = await spawnGateway(env, ports[i] as number, waitFor);
        running[i] = replica;
        replica.child.once("exit", (code, signal) => {
          if (running[i] !== replica) return; // killed on purpose
          running[i] = undefined;
          logs[i] += replica.output();
          replicas.crashes.push(`replica ${i} exited (${code ?? signal}): ${replica.output().slice(-4000)}`);
        });
      }),
    rssMiB() {
      return running.map((r) => {
        const status = r?.child.pid ? readFileSync(`/proc/${r.child.pid}/status`, "utf8") : "";
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        return Math.round(kb / 1024);
      });
    },
    cpuSeconds() {
      return running.map((r) => {
        if (!r?.child.pid) return 0;
        // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the ")" ending the name.
        const fields = readFileSync(`/proc/${r.child.pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
        return (Number(fields[11]) + Number(fields[12])) / 100;
      });
    },
    output: (i) => logs[i] + (running[i]?.output() ?? ""),
    async close() {
      await Promise.all(running.map((r) => r?.kill("SIGTERM")));
    },
  };
  // One at a time: the first one migrates the shared database.
  for (let i = 0; i < count; i++) await replicas.start(i);
  return replicas;
}
