// Operator re-drives on SQLite and PostgreSQL: dead letters come back once, ranges re-read each session once per run.
import { afterEach, beforeEach, expect, it } from "vitest";
import {
  createTestDatabase,
  describeEachDatabase,
  openTestStore,
  type TestDatabase,
} from "../../test/support/databases.js";
import type { Store } from "./index.js";

const T0 = 1_700_000_000_000;
const SYNC = "kratos.sync_identity";

describeEachDatabase("replay", (kind) => {
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    db = await createTestDatabase(kind);
    store = openTestStore(db);
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  async function event(key: string, session: string, at: number) {
    await store.addInboxEvent(
      {
        provider: "persona",
        dedupeKey: key,
        eventName: "inquiry.approved",
        sessionId: session,
        payload: "{}",
      },
      at,
    );
  }

  /** Claims every due row of a queue and dead-letters it, as the worker does after its last attempt. */
  async function killAll(queue: "inbox" | "outbox", now: number) {
    for (const row of await store[queue].claim("w", 100, now, 1000))
      await store[queue].kill(row.id, "w", "boom", now);
  }

  it("puts dead letters back with a fresh attempt budget, once", async () => {
    await event("evt-1", "inq_1", T0);
    await event("evt-2", "inq_2", T0 + 10);
    await killAll("inbox", T0 + 20);
    expect((await store.inbox.stats(T0 + 30)).dead).toBe(2);

    const first = await store.replay.replayDeadLetters({}, T0 + 40);
    expect(first.inbox).toEqual({ revived: 2, absorbed: 0 });
    const claimed = await store.inbox.claim("w2", 10, T0 + 40, 1000);
    expect(claimed.map((r) => [r.session_id, r.attempts])).toEqual([
      ["inq_1", 1],
      ["inq_2", 1],
    ]);
    expect((await store.replay.replayDeadLetters({}, T0 + 50)).inbox.revived).toBe(0);
  });

  it("revives one outbox job per kind and subject, and none where one already waits", async () => {
    await store.enqueue({ kind: SYNC, subject: "id-a", payload: null }, T0);
    await killAll("outbox", T0 + 1);
    await store.enqueue({ kind: SYNC, subject: "id-a", payload: null }, T0 + 2);
    await killAll("outbox", T0 + 3);
    await store.enqueue({ kind: SYNC, subject: "id-b", payload: null }, T0 + 4);
    await killAll("outbox", T0 + 5);
    await store.enqueue({ kind: SYNC, subject: "id-b", payload: null }, T0 + 6); // waiting already

    const result = await store.replay.replayDeadLetters({}, T0 + 10);
    expect(result.outbox).toEqual({ revived: 1, absorbed: 2 });
    const due = await store.outbox.claim("w", 10, T0 + 10, 1000);
    expect(due.map((r) => r.subject).sort()).toEqual(["id-a", "id-b"]);
    expect((await store.outbox.stats(T0 + 10)).dead).toBe(0);
  });

  it("replays only dead letters inside the window", async () => {
    await event("evt-old", "inq_old", T0);
    await event("evt-new", "inq_new", T0 + 60_000);
    await killAll("inbox", T0 + 70_000);
    const result = await store.replay.replayDeadLetters({ since: T0 + 30_000 }, T0 + 80_000);
    expect(result.inbox.revived).toBe(1);
    expect((await store.inbox.stats(T0 + 80_000)).dead).toBe(1);
  });

  it("re-reads each session with events in the range once per run and re-syncs its identities", async () => {
    await event("evt-1", "inq_1", T0);
    await event("evt-1b", "inq_1", T0 + 5);
    await event("evt-2", "inq_2", T0 + 10);
    await event("evt-3", "inq_3", T0 + 100_000); // outside
    for (const row of await store.inbox.claim("w", 10, T0 + 200_000, 1000))
      await store.inbox.complete(row.id, "w", T0 + 200_000);
    await store.enqueue({ kind: SYNC, subject: "id-a", payload: null }, T0 + 20);

    const window = { since: T0, until: T0 + 50_000 };
    expect(await store.replay.replayRange(window, T0 + 300_000, "run-1", SYNC)).toEqual({
      sessions: 2,
      identities: 0, // id-a's sync is still waiting: it absorbs the replay
    });
    const rows = await store.inbox.claim("w", 10, T0 + 300_000, 1000);
    expect(rows.map((r) => [r.session_id, r.event_name]).sort()).toEqual([
      ["inq_1", "gateway.replay"],
      ["inq_2", "gateway.replay"],
    ]);
    // A second run queues the sessions again (harmless: a provider re-read), but never twice in one run.
    expect((await store.replay.replayRange(window, T0 + 400_000, "run-2", SYNC)).sessions).toBe(2);
    expect((await store.replay.replayRange(window, T0 + 400_000, "run-2", SYNC)).sessions).toBe(0);
  });
});
