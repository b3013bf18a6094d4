// `idv serve`: migrate, start HTTP and the worker, say which providers are off and why, stop gracefully on signals.
import type { Config } from "../config/schema.js";
import { buildGateway } from "../gateway.js";
import { isStoreError } from "../http/errors.js";
import { describeError } from "../lib/errors.js";

const MIGRATE_RETRY_MS = 2000;

export async function serve(config: Config): Promise<void> {
  const gateway = await buildGateway(config);
  const { logger } = gateway;

  for (const status of gateway.providerStatuses) {
    if (status.enabled) logger.info({ provider: status.name }, `${status.name} enabled`);
    else
      logger.warn(
        { provider: status.name, reason: status.reason },
        `${status.name} disabled: ${status.reason}`,
      );
  }
  if (!gateway.providerStatuses.some((p) => p.enabled)) {
    logger.warn(
      config.ORY_WEBHOOK_SECRET
        ? "no identity-verification provider is configured: /{provider}/validate still gates logins, nothing else runs"
        : "no identity-verification provider is configured",
    );
  }
  if (!config.ORY_WEBHOOK_SECRET) {
    logger.warn(
      "ORY_WEBHOOK_SECRET is not set: /{provider}/initiate and /{provider}/validate answer 503 until it is",
    );
  }

  await gateway.app.listen({ port: config.PORT, host: config.HOST });
  logger.info(
    { port: config.PORT, database: config.DATABASE_URL ? "postgresql" : `sqlite:${config.SQLITE_PATH}` },
    "idv-gateway listening",
  );
  // A database that cannot be written yet (volume read-only or full, server down) does not stop the process:
  // it serves 503 (providers and Kratos retry) and /ready says why, until the migration goes through.
  let retry: NodeJS.Timeout | undefined;
  const migrate = async () => {
    try {
      const applied = await gateway.store.migrate();
      if (applied.length > 0) logger.info({ migrations: applied }, "database migrated");
      if (config.WORKER_ENABLED) gateway.worker.start();
    } catch (error) {
      if (!isStoreError(error)) throw error;
      logger.error(
        { err: describeError(error) },
        `database unavailable; answering 503 and retrying in ${MIGRATE_RETRY_MS / 1000} s`,
      );
      retry = setTimeout(() => void migrate(), MIGRATE_RETRY_MS);
    }
  };
  await migrate();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearTimeout(retry);
    logger.info({ signal }, "shutting down: finishing claimed work");
    try {
      await gateway.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}
