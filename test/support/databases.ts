// Runs a suite once per database (SQLite file, PostgreSQL schema), each test context on a fresh, isolated database.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, inject } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { openStore, type Store, type StoreOptions } from "../../src/store/index.js";

export type DatabaseKind = "sqlite" | "postgres";

export interface TestDatabase {
  kind: DatabaseKind;
  /** Env settings that point the gateway at this database. */
  env: Record<string, string>;
  pgSchema?: string;
  drop(): Promise<void>;
}

export function postgresUrl(): string | null {
  return inject("postgresUrl");
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "idv-test-"));
    return {
      kind,
      env: { SQLITE_PATH: join(dir, "idv.db") },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const url = postgresUrl();
  if (!url) throw new Error("PostgreSQL is not available");
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  return {
    kind,
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema },
    pgSchema: schema,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

/** `describe` once per database; the PostgreSQL run is skipped, with a printed reason, only when no server answers. */
export function describeEachDatabase(name: string, body: (kind: DatabaseKind) => void) {
  for (const kind of ["sqlite", "postgres"] as const) {
    const skip = kind === "postgres" && !postgresUrl();
    if (skip) console.warn(`skipping "${name} [postgres]": PostgreSQL not reachable`);
    describe.skipIf(skip)(`${name} [${kind}]`, () => body(kind));
  }
}

/** The settings a gateway started without any would use. */
const DEFAULTS = loadConfig({});

/** A store on a test database, as one gateway replica would open it. */
export function openTestStore(db: TestDatabase, overrides: Partial<StoreOptions> = {}): Store {
  return openStore({
    databaseUrl: db.env.DATABASE_URL,
    sqlitePath: db.env.SQLITE_PATH ?? ":memory:",
    sqliteSynchronous: "NORMAL",
    sqliteWalAutocheckpoint: DEFAULTS.SQLITE_WAL_AUTOCHECKPOINT_PAGES,
    poolSize: 4,
    gateCacheSize: DEFAULTS.LOGIN_GATE_CACHE_SIZE,
    ...(db.pgSchema ? { pgSchema: db.pgSchema } : {}),
    ...overrides,
  });
}
