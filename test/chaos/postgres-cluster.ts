// A PostgreSQL cluster of the chaos harness's own (port 5544), so restarting it mid-run disturbs nothing else.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { promisify } from "node:util";
import pg from "pg";

const CLUSTER = "idvchaos";
const PORT = 5544;

export interface ChaosPostgres {
  /** DATABASE_URL and DATABASE_SCHEMA for the gateway: a fresh schema per run. */
  env: Record<string, string>;
  /** Restarts the server (fast shutdown: every connection is cut), without blocking the event loop. */
  restart(): Promise<void>;
  drop(): Promise<void>;
}

function run(command: string, args: string[]) {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Why the PostgreSQL scenarios cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  try {
    run("pg_lsclusters", []);
    return undefined;
  } catch (error) {
    return `pg_lsclusters failed (${(error as Error).message.split("\n")[0]})`;
  }
}

function version(): string {
  const versions = readdirSync("/etc/postgresql").sort();
  const latest = versions.at(-1);
  if (!latest) throw new Error("no PostgreSQL installation under /etc/postgresql");
  return latest;
}

export async function startChaosPostgres(): Promise<ChaosPostgres> {
  const v = version();
  const clusters = run("pg_lsclusters", ["--no-header"]);
  if (!clusters.split("\n").some((line) => line.split(/\s+/)[1] === CLUSTER)) {
    run("pg_createcluster", [v, CLUSTER, "-p", String(PORT), "--", "--auth=trust"]);
  }
  if (!run("pg_lsclusters", ["--no-header"]).includes(`${CLUSTER} ${PORT} online`)) {
    run("pg_ctlcluster", ["--skip-systemctl-redirect", v, CLUSTER, "start"]);
  }
  const url = `postgres://postgres@127.0.0.1:${PORT}/postgres`;
  const schema = `chaos_${randomBytes(5).toString("hex")}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  return {
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema, DATABASE_POOL_SIZE: "8" },
    async restart() {
      await promisify(execFile)("pg_ctlcluster", [
        "--skip-systemctl-redirect",
        v,
        CLUSTER,
        "restart",
        "-m",
        "fast",
      ]);
    },
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
