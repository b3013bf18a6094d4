#!/usr/bin/env -S node --max-semi-space-size=4
// The `idv` command: serve, migrate, status, replay.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { createLogger, openConfiguredStore } from "../gateway.js";
import type { Store } from "../store/index.js";
import { queueReport } from "./queues.js";
import { replay, UsageError } from "./replay.js";
import { serve } from "./serve.js";
import { identityReport } from "./status.js";

const USAGE = `usage: idv <command>

  serve                 run the gateway (HTTP + worker); migrates the database first
  migrate               apply database migrations and exit
  status                show queue depths, the age of the oldest waiting item and recent dead letters
  status <identity-id>  show an identity's verifications, login-gate status and dead letters
  replay --dead [--since <time>] [--until <time>]
                        put dead letters back in their queue with a fresh attempt budget
  replay --since <time> [--until <time>]
                        re-read from the provider every session that had events in the range and
                        re-sync the identities synced in it (safe to repeat: nothing is applied twice)

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: "boolean", short: "h" },
      dead: { type: "boolean" },
      since: { type: "string" },
      until: { type: "string" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const config = loadConfig();
  switch (command) {
    case "serve":
      await serve(config);
      return -1; // keeps running
    case "migrate": {
      const store = openConfiguredStore(config, createLogger(config), { checkpointThread: false });
      try {
        const applied = await store.migrate();
        console.log(applied.length > 0 ? `applied: ${applied.join(", ")}` : "database is up to date");
      } finally {
        await store.close();
      }
      return 0;
    }
    case "status":
      return withMigratedStore(config, async (store) => {
        const identityId = rest[0];
        const report = identityId
          ? await identityReport(store, identityId, Date.now())
          : await queueReport(store, Date.now());
        console.log(JSON.stringify(report, null, 2));
      });
    case "replay":
      return withMigratedStore(config, async (store) => {
        const request = { dead: values.dead === true, since: values.since, until: values.until };
        console.log(JSON.stringify(await replay(store, request, Date.now()), null, 2));
      });
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

/** Runs an operator command on a migrated database; 1 when it is not migrated yet. */
async function withMigratedStore(config: Config, work: (store: Store) => Promise<void>): Promise<number> {
  const store = openConfiguredStore(config, createLogger(config), { checkpointThread: false });
  try {
    const pending = await store.pendingMigrations();
    if (pending.length > 0) {
      console.error(`database not migrated (pending: ${pending.join(", ")}); run \`idv migrate\``);
      return 1;
    }
    await work(store);
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exitCode = 2;
      return;
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 1;
      return;
    }
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
