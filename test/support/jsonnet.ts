// Runs the real jsonnet evaluator on a Kratos webhook template, passing ctx as Kratos does (TLA code).
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const JSONNET_BIN = "jsonnet";
const TIMEOUT_MS = 10_000;

/** The evaluator exited non-zero; `stderr` holds its message (e.g. "RUNTIME ERROR: cancel"). */
export class JsonnetError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = "JsonnetError";
  }
}

/**
 * True when the template ran `error "cancel"`. Kratos checks the same substring
 * (request/builder.go: strings.Contains(err.Error(), RuntimeError{Msg: "cancel"}.Error())).
 */
export function isJsonnetCancel(error: unknown): boolean {
  return error instanceof JsonnetError && error.stderr.includes("RUNTIME ERROR: cancel");
}

let available: boolean | undefined;

/** Whether a `jsonnet` binary is on PATH (Debian package `jsonnet`, or go-jsonnet). */
export function jsonnetAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync(JSONNET_BIN, ["--version"], { stdio: "ignore", timeout: TIMEOUT_MS });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

/** Evaluates `templatePath` with `ctx` as the top-level argument and returns the parsed JSON output. */
export async function renderJsonnet(templatePath: string, ctx: unknown): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), "idv-jsonnet-"));
  try {
    const ctxFile = join(dir, "ctx.json");
    await writeFile(ctxFile, JSON.stringify(ctx), "utf8");
    const stdout = await run(["--tla-code-file", `ctx=${ctxFile}`, templatePath]);
    return JSON.parse(stdout) as unknown;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(JSONNET_BIN, args, { encoding: "utf8", timeout: TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      const exitCode = typeof error.code === "number" ? error.code : null;
      reject(
        new JsonnetError(
          `jsonnet failed (exit ${String(exitCode)}): ${stderr.trim() || error.message}`,
          stderr,
          exitCode,
        ),
      );
    });
  });
}
