// Pinning for the /verify part: the gateway, the bare server and the raw loop share one core, the load
// generator keeps the others.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** The cores the bench may use, e.g. [0, 1]. */
export function allowedCpus(): number[] {
  const status = readFileSync("/proc/self/status", "utf8");
  const list = /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1] ?? "";
  return list.split(",").flatMap((range) => {
    const [from, to] = range.split("-").map(Number);
    if (from === undefined || Number.isNaN(from)) return [];
    return Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
  });
}

export const hasTaskset = () => spawnSync("taskset", ["--version"]).status === 0;

/** Pins every thread of `pid` (threads created later inherit it) to `cpuList`. */
export function pin(pid: number, cpuList: string): void {
  const result = spawnSync("taskset", ["-a", "-p", "-c", cpuList, String(pid)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`taskset ${cpuList} ${pid} failed: ${result.stderr}`);
}
