// The worker: claims inbox and outbox rows, runs them, retries with backoff, dead-letters, reconciles, shuts down cleanly.
import { hostname } from "node:os";
import type { Logger } from "pino";
import { OUTBOX } from "../domain/deps.js";
import { type BackoffPolicy, backoffDelay } from "../lib/backoff.js";
import { describeError, UpstreamError } from "../lib/errors.js";
import type { Metrics } from "../lib/metrics.js";
import type { Runtime } from "../lib/runtime.js";
import type { InboxRow, OutboxRow, Queue, Store } from "../store/index.js";

export interface WorkerSettings {
  pollMs: number;
  batchSize: number;
  leaseMs: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  reconcileAfterMs: number;
  reconcileIntervalMs: number;
  /** How long done rows are kept (their payloads carry personal data); 0 keeps them. */
  doneRetentionMs: number;
  shutdownTimeoutMs: number;
}

/**
 * A 401/403 means the gateway's own key was refused (rotated or revoked), not that the job is wrong: retried
 * with backoff like an outage, so work resumes once the key is fixed instead of every job dying at once.
 */
function isCredentialRefusal(error: UpstreamError): boolean {
  return error.status === 401 || error.status === 403;
}

/** Rows deleted per statement, so a large backlog never holds the write lock for long. */
const PRUNE_BATCH = 500;
/** Wall time one housekeeping pass may spend deleting. */
const PRUNE_BUDGET_MS = 2_000;

export interface WorkerHandlers {
  inbox(row: InboxRow): Promise<unknown>;
  outbox(row: OutboxRow): Promise<unknown>;
  reconcile(ageMs: number): Promise<number>;
}

export interface Worker {
  start(): void;
  /** Runs one round of every queue now (tests, and a nudge after new work arrives). */
  runOnce(): Promise<number>;
  wake(): void;
  stop(): Promise<void>;
  readonly id: string;
}

export function createWorker(
  store: Store,
  handlers: WorkerHandlers,
  settings: WorkerSettings,
  runtime: Runtime,
  logger: Logger,
  metrics: Metrics,
): Worker {
  const id = `${hostname()}:${process.pid}:${runtime.newId().slice(0, 8)}`;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<number> | undefined;
  let lastReconcile = 0;
  /** Set by stop(): a round still in flight finishes what it holds but claims nothing new. */
  let stopping = false;

  async function drain<T extends InboxRow | OutboxRow>(
    queueName: "inbox" | "outbox",
    queue: Queue<"inbox"> | Queue<"outbox">,
    handle: (row: T) => Promise<unknown>,
  ): Promise<number> {
    if (stopping) return 0;
    const now = runtime.clock.now();
    const rows = (await queue.claim(id, settings.batchSize, now, settings.leaseMs)) as T[];
    if (rows.length === 0) return 0;
    // Heartbeat: slow work (upstream timeouts, several calls) keeps its claim, so no other replica takes
    // the row while this one still works on it. A dead process stops beating and its lease runs out.
    const heartbeat = setInterval(
      () => {
        queue.extend(id, runtime.clock.now() + settings.leaseMs).catch((error: unknown) => {
          logger.warn({ queue: queueName, err: describeError(error) }, "could not extend claims");
        });
      },
      Math.max(1, Math.floor(settings.leaseMs / 3)),
    );
    try {
      await handleAll(queueName, queue, handle, rows);
    } finally {
      clearInterval(heartbeat);
    }
    return rows.length;
  }

  async function handleAll<T extends InboxRow | OutboxRow>(
    queueName: "inbox" | "outbox",
    queue: Queue<"inbox"> | Queue<"outbox">,
    handle: (row: T) => Promise<unknown>,
    rows: T[],
  ): Promise<void> {
    await Promise.all(
      rows.map(async (row) => {
        const kind = "kind" in row ? row.kind : row.event_name;
        try {
          await handle(row);
          const held = await queue.complete(row.id, id, runtime.clock.now());
          metrics.jobs.inc({ queue: queueName, kind, outcome: "done" });
          if (!held && "kind" in row && row.kind === OUTBOX.syncIdentity) {
            // Our lease ran out while we worked and another worker took the job: our Kratos write may have
            // landed after its newer one (Kratos' PATCH has no concurrency control), so sync once more.
            await store.enqueue(
              { kind: row.kind, subject: row.subject, payload: JSON.parse(row.payload) },
              runtime.clock.now(),
            );
            logger.warn(
              { job: row.id, subject: row.subject },
              "identity sync finished after its claim was lost; queued again",
            );
          }
        } catch (error) {
          const message = describeError(error);
          const permanent = error instanceof UpstreamError && !error.retryable && !isCredentialRefusal(error);
          if (permanent || row.attempts >= settings.maxAttempts) {
            await queue.kill(row.id, id, message, runtime.clock.now());
            metrics.jobs.inc({ queue: queueName, kind, outcome: "dead" });
            logger.error(
              { queue: queueName, job: row.id, kind, attempts: row.attempts, err: message },
              "job dead-lettered",
            );
            return;
          }
          const retryAfter = error instanceof UpstreamError ? error.retryAfterMs : undefined;
          const delay = backoffDelay(settings.backoff, row.attempts, runtime.random, retryAfter);
          await queue.retry(row.id, id, message, runtime.clock.now() + delay);
          metrics.jobs.inc({ queue: queueName, kind, outcome: "retry" });
          logger.warn(
            { queue: queueName, job: row.id, kind, attempts: row.attempts, delay, err: message },
            "job will be retried",
          );
        }
      }),
    );
  }

  /**
   * Deletes done rows past retention, a batch at a time (short write locks), until none is left or the pass
   * has run PRUNE_BUDGET_MS: a backlog is worked off over the next passes, and the queues are never held up.
   */
  async function prune(doneBefore: number) {
    const deadline = runtime.clock.now() + PRUNE_BUDGET_MS;
    for (const [queueName, queue] of [
      ["inbox", store.inbox],
      ["outbox", store.outbox],
    ] as const) {
      let deleted = 0;
      while (!stopping) {
        const n = await queue.prune(doneBefore, PRUNE_BATCH);
        deleted += n;
        if (n < PRUNE_BATCH || runtime.clock.now() >= deadline) break;
      }
      if (deleted > 0) logger.info({ queue: queueName, deleted }, "deleted done jobs past their retention");
    }
  }

  async function round(): Promise<number> {
    let done = 0;
    const now = runtime.clock.now();
    if (now - lastReconcile >= settings.reconcileIntervalMs) {
      lastReconcile = now;
      const queued = await handlers.reconcile(settings.reconcileAfterMs);
      if (queued > 0) logger.info({ queued }, "reconciler queued stale verifications for a provider re-read");
      if (settings.doneRetentionMs > 0) await prune(now - settings.doneRetentionMs);
    }
    done += await drain("inbox", store.inbox, handlers.inbox);
    done += await drain("outbox", store.outbox, handlers.outbox);
    return done;
  }

  function runOnce(): Promise<number> {
    // One round at a time per process: a nudge during a round waits for it.
    const next = (current ?? Promise.resolve(0)).then(round, round);
    current = next.catch(() => 0);
    return next;
  }

  function schedule(delay: number) {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(loop, delay);
  }

  async function loop() {
    if (!running) return;
    let delay = settings.pollMs;
    try {
      const processed = await runOnce();
      if (processed > 0) delay = 0; // more may be waiting
    } catch (error) {
      logger.error({ err: describeError(error) }, "worker round failed (store unavailable?)");
      delay = Math.max(settings.pollMs, 1000);
    }
    schedule(delay);
  }

  return {
    id,
    runOnce,
    start() {
      if (running) return;
      running = true;
      stopping = false;
      schedule(0);
    },
    wake() {
      schedule(0);
    },
    async stop() {
      running = false;
      stopping = true;
      clearTimeout(timer);
      if (current) {
        // Finish claimed work within the grace period; whatever is still claimed after it is handed back.
        await Promise.race([current, new Promise((r) => setTimeout(r, settings.shutdownTimeoutMs).unref())]);
      }
      try {
        const released = (await store.inbox.release(id)) + (await store.outbox.release(id));
        if (released > 0) logger.warn({ released }, "released claimed work on shutdown");
      } catch (error) {
        logger.error({ err: describeError(error) }, "could not release claimed work; leases will expire");
      }
    },
  };
}
