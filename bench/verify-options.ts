// Options of the /verify benchmark: parsing, usage text, and how `--only` splits between /verify and the rest.
import { VERIFY_PAIRS, type VerifyPair } from "./verify-fixtures.js";

export interface VerifyBenchOptions {
  /** Scratch directory (pool files, the gateway's database). */
  dir: string;
  pairs: readonly VerifyPair[];
  runs: number;
  retries: number;
  warmup: number;
  duration: number;
  connections: number;
  /** Distinct backed assertions per pair, sent round-robin. */
  poolSize: number;
  pacedRate: number;
  pacedDuration: number;
  /** Other processes may use this many cores during a run before it is measured again. */
  noiseLimit: number;
}

/** Options of the /verify part, for parseArgs (both `npm run bench` and `npm run bench:verify` take them). */
export const verifyParseOptions = {
  pairs: { type: "string", default: VERIFY_PAIRS.join(",") },
  pool: { type: "string", default: "5000" },
  "paced-rate": { type: "string", default: "1000" },
  "paced-duration": { type: "string" },
} as const;

export const VERIFY_USAGE = `  --pairs LIST        /verify: signature pairs, comma-separated (default ${VERIFY_PAIRS.join(",")})
  --pool N            /verify: distinct backed assertions per pair, sent round-robin (default 5000)
  --paced-rate N      /verify: requests per second of the paced run (default 1000)
  --paced-duration S  /verify: seconds of the paced run (default: --duration)`;

function integer(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
}

/** The parsed command line (with the shared --runs, --duration, ...) as the /verify part's options. */
export function verifyOptions(
  args: {
    pairs?: string | undefined;
    pool?: string | undefined;
    "paced-rate"?: string | undefined;
    "paced-duration"?: string | undefined;
    runs?: string | undefined;
    "noise-retries"?: string | undefined;
    warmup?: string | undefined;
    duration?: string | undefined;
    connections?: string | undefined;
  },
  dir: string,
): VerifyBenchOptions {
  const pairs = (args.pairs ?? VERIFY_PAIRS.join(",")).split(",").map((p) => p.trim());
  const unknown = pairs.filter((p) => !(VERIFY_PAIRS as readonly string[]).includes(p));
  if (unknown.length > 0 || pairs.length === 0)
    throw new Error(`--pairs: unknown ${unknown.join(", ") || "(empty)"}; use ${VERIFY_PAIRS.join(", ")}`);
  const duration = integer("duration", args.duration ?? "10", 1);
  return {
    dir,
    pairs: pairs as VerifyPair[],
    runs: integer("runs", args.runs ?? "3", 1),
    retries: integer("noise-retries", args["noise-retries"] ?? "1", 0),
    warmup: integer("warmup", args.warmup ?? "3", 1),
    duration,
    connections: integer("connections", args.connections ?? "50", 1),
    poolSize: integer("pool", args.pool ?? "5000", 1),
    pacedRate: integer("paced-rate", args["paced-rate"] ?? "1000", 1),
    pacedDuration: integer("paced-duration", args["paced-duration"] ?? String(duration), 1),
    noiseLimit: 0.25,
  };
}

/**
 * Splits `--only`: whether the /verify part runs, and what is left for the other routes (`null`: nothing). Without
 * `--only` everything runs.
 */
export function verifySelection(only: string | undefined): {
  verify: boolean;
  others: string | undefined | null;
} {
  if (only === undefined) return { verify: true, others: undefined };
  const tokens = only.split(",").map((t) => t.trim().replace(/^\/+/, ""));
  const rest = tokens.filter((t) => t !== "verify" && t !== "");
  return { verify: tokens.includes("verify"), others: rest.length > 0 ? rest.join(",") : null };
}
