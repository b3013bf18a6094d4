// Probes PostgreSQL once for the whole run and says loudly when its half of the suite cannot run.
import pg from "pg";
import type { TestProject } from "vitest/node";

export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("select 1");
    project.provide("postgresUrl", TEST_PG_URL);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.warn(
      `\n*** PostgreSQL not reachable at ${TEST_PG_URL} (${reason}): the PostgreSQL half of the suite is SKIPPED ***\n`,
    );
    project.provide("postgresUrl", null);
  } finally {
    await client.end().catch(() => {});
  }
}
