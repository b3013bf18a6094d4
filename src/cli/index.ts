#!/usr/bin/env node
// The `idv` command: serve, migrate, status.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/load.js";
import { createLogger, openConfiguredStore } from "../gateway.js";
import { serve } from "./serve.js";
import { identityReport } from "./status.js";

const USAGE = `usage: idv <command>

  serve                 run the gateway (HTTP + worker); migrates the database first
  migrate               apply database migrations and exit
  status <identity-id>  show an identity's verifications, login-gate status and dead letters

Configuration comes from environment variables; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
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
      const store = openConfiguredStore(config, createLogger(config));
      try {
        const applied = await store.migrate();
        console.log(applied.length > 0 ? `applied: ${applied.join(", ")}` : "database is up to date");
      } finally {
        await store.close();
      }
      return 0;
    }
    case "status": {
      const identityId = rest[0];
      if (!identityId) {
        console.error("usage: idv status <identity-id>");
        return 2;
      }
      const store = openConfiguredStore(config, createLogger(config));
      try {
        const pending = await store.pendingMigrations();
        if (pending.length > 0) {
          console.error(`database not migrated (pending: ${pending.join(", ")}); run \`idv migrate\``);
          return 1;
        }
        console.log(JSON.stringify(await identityReport(store, identityId, Date.now()), null, 2));
      } finally {
        await store.close();
      }
      return 0;
    }
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = 1;
      return;
    }
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
