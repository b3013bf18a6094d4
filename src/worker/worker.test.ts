// The worker on a real store (SQLite and PostgreSQL) with plain-function handlers: retries, dead letters, shutdown, reconciler.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  describeEachDatabase,
  openTestStore,
  type TestDatabase,
} from "../../test/support/databases.js";
import { UpstreamError } from "../lib/errors.js";
import { createMetrics, type Metrics } from "../lib/metrics.js";
import { type Runtime, systemRuntime } from "../lib/runtime.js";
import type { InboxRow, OutboxRow, Store } from "../store/index.js";
import { createWorker, type Worker, type WorkerHandlers, type WorkerSettings } from "./worker.js";

const T0 = 1_700_000_000_000;
const logger = pino({ level: "silent" });

const storeFor = openTestStore;

/** A runtime whose clock only moves when the test says so; jitter comes from a seeded generator. */
function manualRuntime(start = T0): Runtime & { advance(ms: number): void } {
  let now = start;
  let seed = 0x9e3779b9;
  return {
    clock: { now: () => now },
    newId: () => randomUUID(),
    random() {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    advance(ms) {
      now += ms;
    },
  };
}

function settings(overrides: Partial<WorkerSettings> = {}): WorkerSettings {
  return {
    pollMs: 5,
    batchSize: 8,
    leaseMs: 60_000,
    maxAttempts: 20,
    backoff: { baseMs: 100, maxMs: 1_000 },
    reconcileAfterMs: 3_600_000,
    reconcileIntervalMs: 3_600_000,
    doneRetentionMs: 0,
    shutdownTimeoutMs: 2_000,
    ...overrides,
  };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function jobCount(metrics: Metrics, queue: string, outcome: string): Promise<number> {
  const { values } = await metrics.jobs.get();
  return values
    .filter((v) => v.labels.queue === queue && v.labels.outcome === outcome)
    .reduce((sum, v) => sum + v.value, 0);
}

const idle: WorkerHandlers = {
  inbox: async () => undefined,
  outbox: async () => undefined,
  reconcile: async () => 0,
};

describeEachDatabase("worker", (kind) => {
  let db: TestDatabase;
  let store: Store;
  let metrics: Metrics;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    store = storeFor(db);
    await store.migrate();
    metrics = createMetrics();
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await store.close();
    await db.drop();
  });

  function worker(
    handlers: Partial<WorkerHandlers>,
    options: { settings?: Partial<WorkerSettings>; runtime?: Runtime; store?: Store } = {},
  ): Worker {
    const w = createWorker(
      options.store ?? store,
      { ...idle, ...handlers },
      settings(options.settings),
      options.runtime ?? systemRuntime,
      logger,
      metrics,
    );
    closers.push(() => w.stop());
    return w;
  }

  function anotherStore(): Store {
    const other = storeFor(db);
    closers.unshift(() => other.close());
    return other;
  }

  const outboxRow = async (id?: number) =>
    (await store.db
      .selectFrom("outbox")
      .selectAll()
      .$if(id !== undefined, (qb) => qb.where("id", "=", id ?? -1))
      .orderBy("id")
      .executeTakeFirstOrThrow()) as OutboxRow;
  const inboxRow = async () =>
    (await store.db.selectFrom("inbox").selectAll().orderBy("id").executeTakeFirstOrThrow()) as InboxRow;
  const sync = (subject: string) => ({ kind: "kratos.sync_identity", subject, payload: null });
  const inboxEvent = (key: string) => ({
    provider: "persona",
    dedupeKey: key,
    eventName: "inquiry.approved",
    sessionId: `inq_${key}`,
    payload: "{}",
  });

  it("queues an identity sync again when it finished after its claim was taken over", async () => {
    // The slow worker's lease runs out mid-call; another replica takes the row and finishes first. The slow
    // worker's Kratos write may land after the other's newer one, so the subject must be synced once more.
    const runtime = manualRuntime();
    let takeOver: (() => Promise<void>) | undefined;
    const w = worker(
      {
        outbox: async (row) => {
          if (row.subject !== "id-1" || row.attempts !== 1) return;
          await takeOver?.();
        },
      },
      { runtime },
    );
    await store.enqueue(sync("id-1"), runtime.clock.now());
    const first = await outboxRow();
    takeOver = () =>
      store.db
        .updateTable("outbox")
        .set({ locked_by: "other-replica" })
        .where("id", "=", first.id)
        .execute()
        .then(() => {});
    expect(await w.runOnce()).toBe(1);
    const rows = await store.db.selectFrom("outbox").selectAll().orderBy("id").execute();
    expect(rows.map((r) => [r.kind, r.subject, r.state])).toEqual([
      ["kratos.sync_identity", "id-1", "running"], // still the other replica's
      ["kratos.sync_identity", "id-1", "pending"], // queued again
    ]);

    // A sync that still held its claim is simply done: nothing more is queued.
    await store.enqueue(sync("id-2"), runtime.clock.now());
    expect(await w.runOnce()).toBeGreaterThan(0);
    const id2 = await store.db.selectFrom("outbox").selectAll().where("subject", "=", "id-2").execute();
    expect(id2.map((r) => r.state)).toEqual(["done"]);
  });

  describe("retries", () => {
    it("retries a retryable upstream failure with exponentially growing, jittered, capped delays until it succeeds", async () => {
      const runtime = manualRuntime();
      const backoff = { baseMs: 100, maxMs: 1_000 };
      const failures = 6;
      let calls = 0;
      const w = worker(
        {
          outbox: async () => {
            calls++;
            if (calls <= failures) throw new UpstreamError("kratos", "Kratos answered 503", true, 503);
          },
        },
        { runtime, settings: { backoff } },
      );
      await store.enqueue(sync("id-1"), runtime.clock.now());

      const delays: number[] = [];
      for (let attempt = 1; attempt <= failures; attempt++) {
        expect(await w.runOnce()).toBe(1);
        expect(calls).toBe(attempt);
        const row = await outboxRow();
        expect(row).toMatchObject({ state: "pending", attempts: attempt, last_error: "Kratos answered 503" });
        const delay = row.next_attempt_at - runtime.clock.now();
        const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
        expect(delay).toBeGreaterThanOrEqual(exponential / 2);
        expect(delay).toBeLessThanOrEqual(exponential);
        delays.push(delay);
        // Not a moment early.
        runtime.advance(delay - 1);
        expect(await w.runOnce()).toBe(0);
        expect(calls).toBe(attempt);
        runtime.advance(1);
      }
      expect(await w.runOnce()).toBe(1);
      expect(await outboxRow()).toMatchObject({ state: "done", attempts: failures + 1, last_error: null });

      // Below the cap each delay is at least the previous one (the range doubles, jitter only halves it)...
      for (let i = 1; i < 4; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1] ?? 0);
      // ...and after four doublings it is far above the first one, yet the capped ones stay under RETRY_MAX.
      expect(delays[3]).toBeGreaterThanOrEqual(4 * (delays[0] ?? 0));
      expect(delays.slice(4).every((d) => d >= backoff.maxMs / 2 && d <= backoff.maxMs)).toBe(true);
      const ratios = delays.map((d, i) => d / Math.min(backoff.maxMs, backoff.baseMs * 2 ** i));
      expect(new Set(ratios).size).toBeGreaterThan(1); // jitter, not a fixed schedule
      expect(await jobCount(metrics, "outbox", "retry")).toBe(failures);
      expect(await jobCount(metrics, "outbox", "done")).toBe(1);
    });

    it("waits at least the Retry-After the upstream asked for, but never longer than the retry cap", async () => {
      const runtime = manualRuntime();
      const asked: Record<string, number> = { "id-soon": 5_000, "id-later": 120_000 };
      const seen: string[] = [];
      const w = worker(
        {
          outbox: async (row) => {
            seen.push(row.subject);
            if (row.attempts === 1) {
              throw new UpstreamError("persona", "Persona answered 429", true, 429, asked[row.subject]);
            }
          },
        },
        { runtime, settings: { backoff: { baseMs: 10, maxMs: 60_000 } } },
      );
      await store.enqueue(sync("id-soon"), T0);
      await store.enqueue(sync("id-later"), T0);
      expect(await w.runOnce()).toBe(2);
      const rows = await store.db.selectFrom("outbox").selectAll().orderBy("id").execute();
      expect(rows.map((r) => r.next_attempt_at - T0)).toEqual([5_000, 60_000]);

      runtime.advance(4_999);
      expect(await w.runOnce()).toBe(0);
      runtime.advance(1);
      expect(await w.runOnce()).toBe(1);
      runtime.advance(55_000);
      expect(await w.runOnce()).toBe(1);
      expect(seen).toEqual(["id-soon", "id-later", "id-soon", "id-later"]);
      expect((await store.outbox.stats(runtime.clock.now())).pending).toBe(0);
    });

    it("retries a refused key (401/403) with backoff instead of dead-lettering it, up to the attempt limit", async () => {
      const runtime = manualRuntime();
      const w = worker(
        {
          outbox: async () => {
            throw new UpstreamError("kratos", "Kratos answered 401", false, 401);
          },
        },
        { runtime, settings: { maxAttempts: 3 } },
      );
      await store.enqueue(sync("id-1"), T0);
      for (const attempts of [1, 2]) {
        await w.runOnce();
        expect(await outboxRow()).toMatchObject({
          state: "pending",
          attempts,
          last_error: "Kratos answered 401",
        });
        runtime.advance(60_000);
      }
      await w.runOnce();
      expect(await outboxRow()).toMatchObject({ state: "dead", attempts: 3 });
    });

    it("dead-letters a non-retryable upstream failure at once", async () => {
      const runtime = manualRuntime();
      let calls = 0;
      const w = worker(
        {
          outbox: async () => {
            calls++;
            throw new UpstreamError("kratos", "Kratos answered 400", false, 400);
          },
        },
        { runtime },
      );
      await store.enqueue(sync("id-1"), T0);
      await w.runOnce();
      expect(await outboxRow()).toMatchObject({
        state: "dead",
        attempts: 1,
        last_error: "Kratos answered 400",
      });
      expect(await store.outbox.stats(runtime.clock.now())).toMatchObject({
        dead: 1,
        pending: 0,
        running: 0,
      });
      expect(await store.outbox.listDead(10)).toHaveLength(1);
      expect(await jobCount(metrics, "outbox", "dead")).toBe(1);
      expect(await jobCount(metrics, "outbox", "retry")).toBe(0);
      runtime.advance(86_400_000);
      expect(await w.runOnce()).toBe(0);
      expect(calls).toBe(1);
    });

    it("dead-letters a job after maxAttempts failed attempts and counts it in idv_jobs_total{outcome=dead}", async () => {
      const runtime = manualRuntime();
      const maxAttempts = 4;
      let calls = 0;
      const w = worker(
        {
          inbox: async () => {
            calls++;
            throw new Error("provider returned garbage");
          },
        },
        { runtime, settings: { maxAttempts } },
      );
      await store.addInboxEvent(inboxEvent("evt-1"), T0);
      for (let attempt = 1; attempt < maxAttempts; attempt++) {
        await w.runOnce();
        expect(await inboxRow()).toMatchObject({ state: "pending", attempts: attempt });
        expect(await jobCount(metrics, "inbox", "dead")).toBe(0);
        runtime.advance(settings().backoff.maxMs);
      }
      await w.runOnce();
      expect(calls).toBe(maxAttempts);
      expect(await inboxRow()).toMatchObject({
        state: "dead",
        attempts: maxAttempts,
        last_error: "provider returned garbage",
      });
      expect(await jobCount(metrics, "inbox", "dead")).toBe(1);
      expect(await jobCount(metrics, "inbox", "retry")).toBe(maxAttempts - 1);
      const exposed = await metrics.registry.metrics();
      expect(exposed).toContain('idv_jobs_total{queue="inbox",kind="inquiry.approved",outcome="dead"} 1');
      runtime.advance(86_400_000);
      expect(await w.runOnce()).toBe(0);
      expect(calls).toBe(maxAttempts);
    });

    it("keeps one retry pending when a newer job for the same subject arrives while the failing one runs", async () => {
      const runtime = manualRuntime();
      let calls = 0;
      const w = worker(
        {
          outbox: async (row) => {
            calls++;
            // A new decision arrives while Kratos is failing this sync.
            if (calls === 1) await store.enqueue(sync(row.subject), runtime.clock.now());
            if (calls <= 2) throw new UpstreamError("kratos", "Kratos answered 503", true, 503);
          },
        },
        { runtime },
      );
      await store.enqueue(sync("id-1"), T0);
      expect(await w.runOnce()).toBe(1);
      expect(await store.outbox.stats(runtime.clock.now())).toMatchObject({ pending: 1, running: 0 });
      runtime.advance(settings().backoff.maxMs);
      await w.runOnce();
      runtime.advance(settings().backoff.maxMs);
      await w.runOnce();
      expect(calls).toBe(3);
      expect(await store.outbox.stats(runtime.clock.now())).toMatchObject({
        pending: 0,
        running: 0,
        dead: 0,
      });
    });
  });

  describe("claims", () => {
    it("keeps a slow job's claim alive, so another replica does not take it while it still runs", async () => {
      const entered = deferred();
      const slow = deferred();
      const runs: string[] = [];
      const first = worker(
        {
          inbox: async () => {
            runs.push("first");
            entered.resolve();
            await slow.promise;
          },
        },
        { settings: { leaseMs: 150 } },
      );
      const second = worker(
        {
          inbox: async () => {
            runs.push("second");
          },
        },
        { settings: { leaseMs: 150 }, store: anotherStore() },
      );
      await store.addInboxEvent(inboxEvent("evt-slow"), Date.now());
      const round = first.runOnce();
      await entered.promise;
      // Four leases later the first replica is still at it: the row stays its own.
      for (let i = 0; i < 6; i++) {
        await sleep(100);
        expect(await second.runOnce()).toBe(0);
      }
      slow.resolve();
      await round;
      expect(runs).toEqual(["first"]);
      expect(await inboxRow()).toMatchObject({ state: "done", attempts: 1 });
    });
  });

  describe("shutdown", () => {
    it("stop() waits for an in-flight job to finish within the grace period", async () => {
      const entered = deferred();
      const w = worker(
        {
          outbox: async () => {
            entered.resolve();
            await sleep(150);
          },
        },
        { settings: { shutdownTimeoutMs: 3_000 } },
      );
      await store.enqueue(sync("id-1"), Date.now());
      w.start();
      await entered.promise;
      const started = Date.now();
      await w.stop();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(100);
      expect(took).toBeLessThan(2_000);
      expect(await outboxRow()).toMatchObject({ state: "done", attempts: 1, locked_by: null });
    });

    it("releases a job slower than the grace period, uncounted, to another worker, and ignores its late finish", async () => {
      const entered = deferred();
      const slow = deferred();
      const first = worker(
        {
          outbox: async () => {
            entered.resolve();
            await slow.promise;
          },
        },
        { settings: { shutdownTimeoutMs: 100 } },
      );
      await store.enqueue(sync("id-1"), Date.now());
      const { id } = await outboxRow();
      first.start();
      await entered.promise;
      const started = Date.now();
      await first.stop();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(90);
      expect(took).toBeLessThan(1_500);
      expect(await outboxRow(id)).toMatchObject({
        state: "pending",
        attempts: 0,
        locked_by: null,
        locked_until: null,
      });

      const secondEntered = deferred();
      const secondMayFinish = deferred();
      const attemptsSeen: number[] = [];
      const second = worker(
        {
          outbox: async (row) => {
            attemptsSeen.push(row.attempts);
            secondEntered.resolve();
            await secondMayFinish.promise;
          },
        },
        { store: anotherStore() },
      );
      const round = second.runOnce();
      await secondEntered.promise;
      expect(attemptsSeen).toEqual([1]);

      // The first worker's job finally returns: it must not mark the second worker's claim done.
      slow.resolve();
      await sleep(50);
      expect(await outboxRow(id)).toMatchObject({ state: "running", locked_by: second.id });

      secondMayFinish.resolve();
      expect(await round).toBe(1);
      expect(await outboxRow(id)).toMatchObject({ state: "done", attempts: 1 });
    });

    it("a stopped worker claims no further work once its in-flight job returns", async () => {
      const entered = deferred();
      const slow = deferred();
      const outboxCalls: number[] = [];
      const w = worker(
        {
          inbox: async () => {
            entered.resolve();
            await slow.promise;
          },
          outbox: async (row) => {
            outboxCalls.push(row.id);
          },
        },
        { settings: { shutdownTimeoutMs: 50 } },
      );
      await store.addInboxEvent(inboxEvent("evt-1"), Date.now());
      await store.enqueue(sync("id-1"), Date.now());
      w.start();
      await entered.promise;
      await w.stop();
      slow.resolve();
      await sleep(100);
      expect(outboxCalls).toEqual([]);
      expect(await outboxRow()).toMatchObject({ state: "pending", locked_by: null, attempts: 0 });
      expect(await inboxRow()).toMatchObject({ state: "pending", locked_by: null, attempts: 0 });
    });
  });

  describe("reconciler", () => {
    it("runs at most once per reconcileIntervalMs, with the configured age", async () => {
      const runtime = manualRuntime();
      const ages: number[] = [];
      const w = worker(
        {
          reconcile: async (age) => {
            ages.push(age);
            return 0;
          },
        },
        { runtime, settings: { reconcileIntervalMs: 1_000, reconcileAfterMs: 3_600_000 } },
      );
      await Promise.all([w.runOnce(), w.runOnce(), w.runOnce()]);
      expect(ages).toEqual([3_600_000]);
      runtime.advance(999);
      await w.runOnce();
      expect(ages).toHaveLength(1);
      runtime.advance(1);
      await w.runOnce();
      await w.runOnce();
      expect(ages).toHaveLength(2);
      runtime.advance(10_000);
      await Promise.all([w.runOnce(), w.runOnce()]);
      expect(ages).toHaveLength(3);
    });

    it("with it, deletes done rows past their retention and keeps pending, dead and recent ones", async () => {
      const runtime = manualRuntime();
      const day = 86_400_000;
      const w = worker(
        {
          inbox: async (row) => {
            if (row.dedupe_key === "poison")
              throw new UpstreamError("persona", "Persona answered 404", false, 404);
          },
        },
        { runtime, settings: { reconcileIntervalMs: 1_000, doneRetentionMs: 7 * day } },
      );
      const keys = async () =>
        (await store.db.selectFrom("inbox").select(["dedupe_key", "state"]).orderBy("id").execute()).map(
          (r) => `${r.dedupe_key}:${r.state}`,
        );
      const outboxJobs = async () =>
        (await store.db.selectFrom("outbox").select(["subject", "state"]).orderBy("id").execute()).map(
          (r) => `${r.subject}:${r.state}`,
        );
      for (const key of ["old-1", "old-2", "poison"])
        await store.addInboxEvent(inboxEvent(key), runtime.clock.now());
      await store.enqueue(sync("id-old"), runtime.clock.now());
      await w.runOnce();
      runtime.advance(6 * day);
      await store.addInboxEvent(inboxEvent("recent"), runtime.clock.now());
      await w.runOnce();
      runtime.advance(day + 1);
      await store.addInboxEvent(inboxEvent("waiting"), runtime.clock.now() + day);
      await store.enqueue(sync("id-1"), runtime.clock.now() + day);
      expect(await keys()).toEqual([
        "old-1:done",
        "old-2:done",
        "poison:dead",
        "recent:done",
        "waiting:pending",
      ]);
      expect(await outboxJobs()).toEqual(["id-old:done", "id-1:pending"]);
      await w.runOnce();
      expect(await keys()).toEqual(["poison:dead", "recent:done", "waiting:pending"]);
      expect(await outboxJobs()).toEqual(["id-1:pending"]);
    });

    it("its queued re-reads are drained in the same round", async () => {
      const runtime = manualRuntime();
      const processed: string[] = [];
      const w = worker(
        {
          reconcile: async () => {
            await store.addInboxEvent(inboxEvent("reconcile-1"), runtime.clock.now());
            return 1;
          },
          inbox: async (row) => {
            processed.push(row.dedupe_key);
          },
        },
        { runtime, settings: { reconcileIntervalMs: 1_000 } },
      );
      expect(await w.runOnce()).toBe(1);
      expect(processed).toEqual(["reconcile-1"]);
    });
  });

  it("two workers on separate connections (two replicas) run every job exactly once", async () => {
    const runtime = manualRuntime();
    const seen = new Map<string, number>();
    const note = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
    const handlers: Partial<WorkerHandlers> = {
      inbox: async (row) => {
        await sleep(1);
        note(`in:${row.id}`);
      },
      outbox: async (row) => {
        await sleep(1);
        note(`out:${row.id}`);
      },
    };
    const n = 40;
    for (let i = 0; i < n; i++) {
      await store.addInboxEvent(inboxEvent(`evt-${i}`), T0);
      await store.enqueue(sync(`id-${i}`), T0);
    }
    const workers = [
      worker(handlers, { runtime, settings: { batchSize: 3 } }),
      worker(handlers, { runtime, settings: { batchSize: 3 }, store: anotherStore() }),
    ];
    const done = await Promise.all(
      workers.map(async (w) => {
        let total = 0;
        for (;;) {
          const round = await w.runOnce();
          if (round === 0) return total;
          total += round;
        }
      }),
    );
    expect(done.reduce((a, b) => a + b, 0)).toBe(2 * n);
    expect(seen.size).toBe(2 * n);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(await store.inbox.stats(runtime.clock.now())).toMatchObject({ pending: 0, running: 0 });
    expect(await store.outbox.stats(runtime.clock.now())).toMatchObject({ pending: 0, running: 0 });
  });
});
