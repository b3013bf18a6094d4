// A small tmpfs volume for the SQLite file, which the harness fills up or makes read-only (needs root and mount).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SqliteVolume {
  /** SQLITE_PATH for the gateway. */
  path: string;
  /** Fills the volume until writes fail with ENOSPC. */
  fill(): void;
  unfill(): void;
  /** Read-only remounts need every file on the volume closed: stop the gateway first. */
  setReadOnly(readOnly: boolean): void;
  close(): void;
}

const SIZE = "16m";

/** Why the disk scenarios cannot run here, or undefined when they can. */
export function volumeUnavailable(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "idv-volume-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "pipe" });
    execFileSync("umount", [dir], { stdio: "pipe" });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs volume here (${(error as Error).message.split("\n")[0]}): run as root`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function createSqliteVolume(): SqliteVolume {
  const dir = mkdtempSync(join(tmpdir(), "idv-volume-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${SIZE}`, "tmpfs", dir], { stdio: "pipe" });
  const filler = join(dir, "filler");
  return {
    path: join(dir, "idv.db"),
    fill() {
      // tmpfs takes what fits and then says ENOSPC: write big, then small, until nothing more fits.
      for (const chunk of [1 << 20, 1 << 12, 1 << 9]) {
        for (;;) {
          try {
            writeFileSync(filler, Buffer.alloc(chunk), { flag: "a" });
          } catch {
            break;
          }
        }
      }
    },
    unfill() {
      rmSync(filler, { force: true });
    },
    setReadOnly(readOnly) {
      execFileSync("mount", ["-o", `remount,${readOnly ? "ro" : "rw"}`, dir], { stdio: "pipe" });
    },
    close() {
      try {
        execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
