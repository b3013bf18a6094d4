// The store contract: every behaviour the domain and worker rely on, run on SQLite and on real PostgreSQL.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  describeEachDatabase,
  openTestStore,
  type TestDatabase,
} from "../../test/support/databases.js";
import { DECISION_STATUSES as DECISIONS } from "../domain/status.js";

const ALL_MIGRATIONS = ["0001_initial", "0002_verification_details", "0003_queue_done_index"];

import type { OutboxRow, Store } from "./index.js";

const T0 = 1_700_000_000_000;
const LEASE = 1_000;

const storeFor = openTestStore;

describeEachDatabase("store contract", (kind) => {
  // Schema and replica scenarios exist only on PostgreSQL; SQLite has one file and one schema.
  const postgresOnly = kind === "postgres" ? it : () => {};
  let db: TestDatabase;
  let store: Store;
  const extra: Store[] = [];

  /** A second connection to the same database, as another replica would have. */
  function anotherStore(): Store {
    const other = storeFor(db);
    extra.push(other);
    return other;
  }

  beforeEach(async () => {
    db = await createTestDatabase(kind);
    store = storeFor(db);
  });

  afterEach(async () => {
    for (const other of extra.splice(0)) await other.close();
    await store.close();
    await db.drop();
  });

  async function outboxRows(): Promise<OutboxRow[]> {
    return (await store.db.selectFrom("outbox").selectAll().orderBy("id").execute()) as OutboxRow[];
  }

  async function addInbox(n: number, now = T0): Promise<void> {
    for (let i = 0; i < n; i++) {
      await store.addInboxEvent(
        {
          provider: "persona",
          dedupeKey: `evt-${i}`,
          eventName: "inquiry.approved",
          sessionId: `inq_${i}`,
          payload: "{}",
        },
        now,
      );
    }
  }

  describe("migrations", () => {
    it("apply once, then nothing is pending, also for another replica", async () => {
      expect(await store.pendingMigrations()).toEqual(ALL_MIGRATIONS);
      expect(await store.migrate()).toEqual(ALL_MIGRATIONS);
      expect(await store.pendingMigrations()).toEqual([]);
      expect(await store.migrate()).toEqual([]);
      expect(await anotherStore().pendingMigrations()).toEqual([]);
      await store.ping();
    });

    postgresOnly("migrate their own schema when another schema already has migrations", async () => {
      const neighbour = await createTestDatabase("postgres");
      const neighbourStore = storeFor(neighbour);
      try {
        await neighbourStore.migrate();
        expect(await store.pendingMigrations()).toEqual(ALL_MIGRATIONS);
        expect(await store.migrate()).toEqual(ALL_MIGRATIONS);
        expect(await store.pendingMigrations()).toEqual([]);
      } finally {
        await neighbourStore.close();
        await neighbour.drop();
      }
    });

    postgresOnly("are not disturbed by other schemas of the database being dropped meanwhile", async () => {
      const neighbours = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const neighbour = await createTestDatabase("postgres");
          const s = storeFor(neighbour);
          await s.migrate();
          await s.close();
          return neighbour;
        }),
      );
      const checks = (async () => {
        const answers: string[][] = [];
        for (let i = 0; i < 12; i++) answers.push(await store.pendingMigrations());
        return answers;
      })();
      await Promise.all([checks, ...neighbours.map((n) => n.drop())]);
      expect(new Set((await checks).flat())).toEqual(new Set(ALL_MIGRATIONS));
      expect(await store.migrate()).toEqual(ALL_MIGRATIONS);
    });

    postgresOnly("run exactly once when two replicas start at the same time", async () => {
      const other = anotherStore();
      const [a, b] = await Promise.all([store.migrate(), other.migrate()]);
      expect([...a, ...b].sort()).toEqual(ALL_MIGRATIONS);
      expect(await other.pendingMigrations()).toEqual([]);
    });
  });

  describe("with the schema migrated", () => {
    beforeEach(async () => {
      await store.migrate();
    });

    describe("verifications.open", () => {
      const base = {
        identityId: "id-1",
        provider: "persona",
        purpose: "registration",
        triggerId: null,
        now: T0,
      };

      it("returns the open verification for the same identity, provider and purpose", async () => {
        const first = await store.verifications.open({ ...base, id: "v1" });
        const second = await store.verifications.open({ ...base, id: "v2", now: T0 + 1 });
        expect(first.created).toBe(true);
        expect(second).toMatchObject({ created: false, row: { id: "v1" } });
        expect(await store.verifications.listForIdentity("id-1")).toHaveLength(1);
      });

      it("returns the verification a Kratos trigger id already created, even for a different identity", async () => {
        await store.verifications.open({ ...base, id: "v1", triggerId: "trigger-1" });
        const again = await store.verifications.open({
          ...base,
          id: "v2",
          identityId: "id-2",
          triggerId: "trigger-1",
        });
        expect(again).toMatchObject({ created: false, row: { id: "v1", identity_id: "id-1" } });
        expect(await store.verifications.findById("v2")).toBeUndefined();
      });

      it("keeps verifications without a trigger id apart (NULL trigger ids never collide)", async () => {
        const a = await store.verifications.open({ ...base, id: "v1" });
        const b = await store.verifications.open({ ...base, id: "v2", purpose: "step-up" });
        expect([a.created, b.created]).toEqual([true, true]);
      });

      it("lets a new verification open once the previous one is decided", async () => {
        await store.verifications.open({ ...base, id: "v1" });
        await store.verifications.update("v1", { status: "approved", active_key: null }, T0 + 5);
        const next = await store.verifications.open({ ...base, id: "v2", now: T0 + 10 });
        expect(next).toMatchObject({
          created: true,
          row: { id: "v2", active_key: "id-1:persona:registration" },
        });
        expect(await store.verifications.findOpen("id-1", "persona", "registration")).toMatchObject({
          id: "v2",
        });
        expect((await store.verifications.findById("v1"))?.status).toBe("approved");
      });

      it("lists stale open verifications for the reconciler, none unchanged since before the given time", async () => {
        // "old" was opened first but changed last (a user coming back): the last change counts, not the opening.
        await store.verifications.open({ ...base, id: "old", identityId: "id-old", now: T0 });
        await store.verifications.open({ ...base, id: "recent", identityId: "id-recent", now: T0 + 10 });
        await store.verifications.update(
          "recent",
          { session_id: "inq_recent", status: "completed" },
          T0 + 100,
        );
        await store.verifications.update("old", { session_id: "inq_old", status: "completed" }, T0 + 200);
        const ids = async (changedSince: number) =>
          (await store.verifications.listStale(["completed"], T0 + 1000, changedSince, 10)).map((v) => v.id);
        expect(await ids(0)).toEqual(["recent", "old"]);
        expect(await ids(T0 + 150)).toEqual(["old"]);
        expect(await ids(T0 + 201)).toEqual([]);
      });

      it("creates exactly one verification when the same registration arrives several times at once", async () => {
        const other = anotherStore();
        const results = await Promise.all(
          [0, 1, 2, 3, 4, 5].map((i) => (i % 2 ? other : store).verifications.open({ ...base, id: `v${i}` })),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.row.id)).size).toBe(1);
      });
    });

    describe("inbox", () => {
      it("stores a provider event once per (provider, dedupe key)", async () => {
        const event = {
          provider: "persona",
          dedupeKey: "evt_1",
          eventName: "inquiry.approved",
          sessionId: "inq_1",
          payload: "{}",
        };
        expect(await store.addInboxEvent(event, T0)).toBe(true);
        expect(await store.addInboxEvent({ ...event, payload: '{"again":true}' }, T0 + 1)).toBe(false);
        expect(await store.addInboxEvent({ ...event, provider: "onfido" }, T0 + 2)).toBe(true);
        const rows = await store.db.selectFrom("inbox").selectAll().orderBy("id").execute();
        expect(rows.map((r) => [r.provider, r.payload])).toEqual([
          ["persona", "{}"],
          ["onfido", "{}"],
        ]);
      });

      it("answers true exactly once when the same callback reaches two replicas at the same moment", async () => {
        const other = anotherStore();
        const event = {
          provider: "persona",
          dedupeKey: "evt_1",
          eventName: "x",
          sessionId: "inq_1",
          payload: "{}",
        };
        const answers = await Promise.all(
          [store, other, store, other, store, other].map((s) => s.addInboxEvent(event, T0)),
        );
        expect(answers.filter(Boolean)).toHaveLength(1);
        expect((await store.inbox.stats(T0)).pending).toBe(1);
      });

      it("dedupes inside a transaction too", async () => {
        const event = {
          provider: "persona",
          dedupeKey: "evt_1",
          eventName: "x",
          sessionId: "inq_1",
          payload: "{}",
        };
        const answers = await store.transaction(async (repos) => [
          await repos.addInboxEvent(event, T0),
          await repos.addInboxEvent(event, T0),
        ]);
        expect(answers).toEqual([true, false]);
      });
    });

    describe("outbox enqueue", () => {
      const job = { kind: "kratos.sync_identity", subject: "id-1", payload: null };

      it("collapses a second pending job of the same kind and subject", async () => {
        await store.enqueue(job, T0);
        await store.enqueue(job, T0 + 1);
        await store.enqueue({ ...job, kind: "kratos.revoke_sessions" }, T0 + 2);
        await store.enqueue({ ...job, subject: "id-2" }, T0 + 3);
        const rows = await outboxRows();
        expect(rows.map((r) => [r.kind, r.subject])).toEqual([
          ["kratos.sync_identity", "id-1"],
          ["kratos.revoke_sessions", "id-1"],
          ["kratos.sync_identity", "id-2"],
        ]);
      });

      it("accepts a new job while the previous one for the subject is running (its result may be stale)", async () => {
        await store.enqueue(job, T0);
        const [claimed] = await store.outbox.claim("w1", 10, T0, LEASE);
        expect(claimed?.subject).toBe("id-1");
        await store.enqueue(job, T0 + 1);
        const rows = await outboxRows();
        expect(rows.map((r) => r.state)).toEqual(["running", "pending"]);
      });
    });

    describe("queue claim", () => {
      it("does not hand out a row before its next_attempt_at", async () => {
        await store.enqueue({ kind: "k", subject: "s", payload: { a: 1 } }, T0, T0 + 5_000);
        expect(await store.outbox.claim("w1", 10, T0 + 4_999, LEASE)).toEqual([]);
        const [row] = await store.outbox.claim("w1", 10, T0 + 5_000, LEASE);
        expect(row).toMatchObject({
          state: "running",
          attempts: 1,
          locked_by: "w1",
          locked_until: T0 + 5_000 + LEASE,
          payload: '{"a":1}',
        });
      });

      it("claims at most `limit` rows, oldest due first", async () => {
        for (const [subject, at] of [
          ["c", T0 + 3],
          ["a", T0 + 1],
          ["b", T0 + 2],
        ] as const)
          await store.enqueue({ kind: "k", subject, payload: null }, T0, at);
        const first = await store.outbox.claim("w1", 2, T0 + 10, LEASE);
        expect(first.map((r) => r.subject)).toEqual(expect.arrayContaining(["a", "b"]));
        expect(first).toHaveLength(2);
        expect((await store.outbox.claim("w1", 2, T0 + 10, LEASE)).map((r) => r.subject)).toEqual(["c"]);
      });

      it("hands every row to exactly one of two concurrent claimers (two replicas)", async () => {
        const other = anotherStore();
        const n = 60;
        await addInbox(n);
        for (let i = 0; i < n; i++) await store.enqueue({ kind: "k", subject: `s${i}`, payload: null }, T0);

        async function claimAll(s: Store, worker: string) {
          const ids: number[] = [];
          for (;;) {
            const [inbox, outbox] = await Promise.all([
              s.inbox.claim(worker, 4, T0, LEASE),
              s.outbox.claim(worker, 4, T0, LEASE),
            ]);
            if (inbox.length + outbox.length === 0) return ids;
            for (const row of [...inbox, ...outbox]) {
              expect(row.locked_by).toBe(worker);
              ids.push("kind" in row ? -row.id : row.id); // outbox ids negated: one id space for both queues
            }
          }
        }
        const [a, b] = await Promise.all([claimAll(store, "w1"), claimAll(other, "w2")]);
        const all = [...a, ...b];
        expect(new Set(all).size).toBe(all.length);
        expect(all).toHaveLength(2 * n);
        const stats = await store.inbox.stats(T0);
        expect(stats).toMatchObject({ pending: 0, running: n });
        // Each row records the one claimer that got it.
        const owners = await store.db.selectFrom("inbox").select(["id", "locked_by"]).execute();
        const mine = new Set(a.filter((id) => id > 0));
        for (const row of owners) expect(row.locked_by).toBe(mine.has(row.id) ? "w1" : "w2");
      });

      it("reclaims a row whose lease expired (its worker died) and ignores the dead worker's late answer", async () => {
        await addInbox(1);
        const [first] = await store.inbox.claim("dead-worker", 10, T0, LEASE);
        expect(first?.attempts).toBe(1);
        expect(await store.inbox.claim("w2", 10, T0 + LEASE, LEASE)).toEqual([]);
        const [again] = await store.inbox.claim("w2", 10, T0 + LEASE + 1, LEASE);
        expect(again).toMatchObject({
          id: first?.id,
          attempts: 2,
          locked_by: "w2",
          locked_until: T0 + 2 * LEASE + 1,
        });

        // The presumed-dead worker wakes up: none of its writes may touch w2's claim.
        const id = first?.id ?? -1;
        await store.inbox.complete(id, "dead-worker", T0 + LEASE + 2);
        await store.inbox.retry(id, "dead-worker", "late", T0 + 10 * LEASE);
        await store.inbox.kill(id, "dead-worker", "late", T0 + LEASE + 2);
        expect(await store.inbox.release("dead-worker")).toBe(0);
        const row = await store.db
          .selectFrom("inbox")
          .selectAll()
          .where("id", "=", id)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ state: "running", locked_by: "w2", attempts: 2, last_error: null });
      });

      it("never claims an outbox row while another row of the same subject and kind is running with a live lease", async () => {
        const job = { kind: "kratos.sync_identity", subject: "id-1", payload: null };
        await store.enqueue(job, T0);
        const [running] = await store.outbox.claim("w1", 10, T0, LEASE);
        await store.enqueue(job, T0 + 1);
        await store.enqueue({ ...job, kind: "kratos.revoke_sessions" }, T0 + 1);
        await store.enqueue({ ...job, subject: "id-2" }, T0 + 1);

        const other = await anotherStore().outbox.claim("w2", 10, T0 + 2, LEASE);
        expect(other.map((r) => [r.kind, r.subject]).sort()).toEqual([
          ["kratos.revoke_sessions", "id-1"],
          ["kratos.sync_identity", "id-2"],
        ]);
        expect(await store.outbox.claim("w2", 10, T0 + LEASE, LEASE)).toEqual([]);

        await store.outbox.complete(running?.id ?? -1, "w1", T0 + 3);
        const [next] = await store.outbox.claim("w2", 10, T0 + 4, LEASE);
        expect(next).toMatchObject({ kind: "kratos.sync_identity", subject: "id-1", state: "running" });
        expect(next?.id).not.toBe(running?.id);
      });

      it("keeps one writer per subject after a crash: the expired row and its newer sibling are not both handed out", async () => {
        const job = { kind: "kratos.sync_identity", subject: "id-1", payload: null };
        await store.enqueue(job, T0);
        await store.outbox.claim("dead-worker", 10, T0, LEASE);
        await store.enqueue(job, T0 + 1);
        const now = T0 + LEASE + 1;
        const [claimed, other] = await Promise.all([
          store.outbox.claim("w2", 10, now, LEASE),
          anotherStore().outbox.claim("w3", 10, now, LEASE),
        ]);
        // The crashed row is redone first; the newer one waits for it.
        expect([...claimed, ...other].map((r) => r.attempts)).toEqual([2]);
        expect(await store.outbox.claim("w4", 10, now + 1, LEASE)).toEqual([]);
      });
    });

    describe("queue outcomes", () => {
      it("retry puts the row back to pending until next_attempt_at, keeping the error", async () => {
        await addInbox(1);
        const [row] = await store.inbox.claim("w1", 10, T0, LEASE);
        const id = row?.id ?? -1;
        await store.inbox.retry(id, "w1", "provider answered 503", T0 + 2_000);
        expect(
          await store.db.selectFrom("inbox").selectAll().where("id", "=", id).executeTakeFirst(),
        ).toMatchObject({
          state: "pending",
          next_attempt_at: T0 + 2_000,
          locked_by: null,
          locked_until: null,
          last_error: "provider answered 503",
          attempts: 1,
        });
        expect(await store.inbox.claim("w1", 10, T0 + 1_999, LEASE)).toEqual([]);
        expect(await store.inbox.claim("w2", 10, T0 + 2_000, LEASE)).toMatchObject([{ id, attempts: 2 }]);
      });

      it("retry of a running job hands over to a newer pending job of the same kind and subject", async () => {
        const job = { kind: "kratos.sync_identity", subject: "id-1", payload: { n: 1 } };
        await store.enqueue(job, T0);
        const [running] = await store.outbox.claim("w1", 10, T0, LEASE);
        await store.enqueue({ ...job, payload: { n: 2 } }, T0 + 1);
        await store.outbox.retry(running?.id ?? -1, "w1", "kratos answered 503", T0 + 2_000);
        const [old, newer] = await outboxRows();
        expect(old).toMatchObject({ state: "done", locked_by: null, last_error: "kratos answered 503" });
        // The newer job (newer payload) still runs, but no earlier than the backoff asked for.
        expect(newer).toMatchObject({ state: "pending", payload: '{"n":2}', next_attempt_at: T0 + 2_000 });
        expect(await store.outbox.claim("w2", 10, T0 + 1_999, LEASE)).toEqual([]);
        expect(await store.outbox.claim("w2", 10, T0 + 2_000, LEASE)).toMatchObject([{ id: newer?.id }]);
      });

      it("release leaves a claim to run out its lease when a newer job of its kind and subject is pending", async () => {
        const job = { kind: "kratos.sync_identity", subject: "id-1", payload: null };
        await store.enqueue(job, T0);
        await store.enqueue({ ...job, subject: "id-2" }, T0);
        await store.outbox.claim("w1", 10, T0, LEASE);
        await store.enqueue(job, T0 + 1);
        expect(await store.outbox.release("w1")).toBe(1);
        expect((await outboxRows()).map((r) => [r.subject, r.state])).toEqual([
          ["id-1", "running"],
          ["id-2", "pending"],
          ["id-1", "pending"],
        ]);
        // Once the lease is out, the old claim is redone first; the newer job waits for it.
        const claimed = await store.outbox.claim("w2", 10, T0 + LEASE + 1, LEASE);
        expect(claimed.map((r) => [r.subject, r.attempts]).sort()).toEqual([
          ["id-1", 2],
          ["id-2", 1],
        ]);
        expect(await store.outbox.claim("w3", 10, T0 + LEASE + 2, LEASE)).toEqual([]);
      });

      it("kill makes a dead letter visible in stats and listDead, and it is never claimed again", async () => {
        await addInbox(2);
        const claimed = await store.inbox.claim("w1", 10, T0, LEASE);
        const victim = claimed[0]?.id ?? -1;
        await store.inbox.kill(victim, "w1", "400 bad request", T0 + 10);
        const stats = await store.inbox.stats(T0 + 100);
        expect(stats).toEqual({ pending: 0, running: 1, dead: 1, oldestAgeMs: 100 });
        const dead = await store.inbox.listDead(10);
        expect(dead).toHaveLength(1);
        expect(dead[0]).toMatchObject({
          id: victim,
          state: "dead",
          last_error: "400 bad request",
          done_at: T0 + 10,
        });
        expect(await store.inbox.claim("w2", 10, T0 + 100 * LEASE, LEASE)).toMatchObject([
          { id: claimed[1]?.id },
        ]);
      });

      it("complete takes a row out of the queue and out of the stats", async () => {
        await addInbox(1);
        const [row] = await store.inbox.claim("w1", 10, T0, LEASE);
        await store.inbox.complete(row?.id ?? -1, "w1", T0 + 5);
        expect(await store.inbox.stats(T0 + 10)).toEqual({ pending: 0, running: 0, dead: 0, oldestAgeMs: 0 });
        expect(await store.inbox.claim("w1", 10, T0 + 100 * LEASE, LEASE)).toEqual([]);
      });

      it("release hands back only this worker's claimed rows without counting the attempt", async () => {
        await addInbox(3);
        const mine = await store.inbox.claim("w1", 2, T0, LEASE);
        const theirs = await store.inbox.claim("w2", 10, T0, LEASE);
        expect(theirs).toHaveLength(1);
        expect(await store.inbox.release("w1")).toBe(2);
        const rows = await store.db.selectFrom("inbox").selectAll().orderBy("id").execute();
        for (const row of rows) {
          if (row.id === theirs[0]?.id)
            expect(row).toMatchObject({ state: "running", locked_by: "w2", attempts: 1 });
          else
            expect(row).toMatchObject({ state: "pending", locked_by: null, locked_until: null, attempts: 0 });
        }
        // Claimable at once by another worker, as a first attempt.
        const taken = await store.inbox.claim("w3", 10, T0 + 1, LEASE);
        expect(taken.map((r) => r.id).sort()).toEqual(mine.map((r) => r.id).sort());
        expect(taken.map((r) => r.attempts)).toEqual([1, 1]);
        expect(await store.inbox.release("w1")).toBe(0);
      });

      it("stats report depth and the age of the oldest unfinished row", async () => {
        await addInbox(1, T0);
        await store.addInboxEvent(
          { provider: "persona", dedupeKey: "late", eventName: "x", sessionId: "inq", payload: "{}" },
          T0 + 500,
        );
        expect(await store.inbox.stats(T0 + 1_000)).toEqual({
          pending: 2,
          running: 0,
          dead: 0,
          oldestAgeMs: 1_000,
        });
        await store.inbox.claim("w1", 1, T0 + 1_000, LEASE);
        expect(await store.inbox.stats(T0 + 2_000)).toEqual({
          pending: 1,
          running: 1,
          dead: 0,
          oldestAgeMs: 2_000,
        });
      });
    });

    describe("identity status and the login gate", () => {
      const row = (verification: string, status: string, version: number) => ({
        identity_id: "id-1",
        status,
        provider: "persona",
        verification_id: verification,
        decided_at: status === "approved" || status === "declined" ? version : null,
        status_version: version,
        updated_at: T0,
      });

      it("keeps the newest status across verifications", async () => {
        await store.identityStatus.record(row("v1", "approved", 100), DECISIONS);
        await store.identityStatus.record(row("v2", "declined", 50), DECISIONS);
        expect(await store.identityStatus.get("id-1")).toMatchObject({
          verification_id: "v1",
          status: "approved",
        });
        await store.identityStatus.record(row("v2", "declined", 200), DECISIONS);
        expect(await store.identityStatus.get("id-1")).toMatchObject({
          verification_id: "v2",
          status: "declined",
          status_version: 200,
          decided_at: 200,
        });
      });

      it("never lets a newer, undecided verification hide another verification's decision", async () => {
        await store.identityStatus.record(row("v1", "declined", 100), DECISIONS);
        await store.identityStatus.record(row("v2", "pending", 200), DECISIONS);
        expect(await store.identityStatus.get("id-1")).toMatchObject({
          verification_id: "v1",
          status: "declined",
        });
        await store.identityStatus.record(row("v2", "approved", 300), DECISIONS);
        expect(await store.identityStatus.get("id-1")).toMatchObject({
          verification_id: "v2",
          status: "approved",
        });
      });

      it("always accepts updates of the verification it holds, even with an older version", async () => {
        await store.identityStatus.record(row("v1", "review", 100), DECISIONS);
        await store.identityStatus.record(row("v1", "approved", 90), DECISIONS);
        expect(await store.identityStatus.get("id-1")).toMatchObject({
          status: "approved",
          status_version: 90,
        });
      });

      it("is what the gate reads, and the gate sees every later change", async () => {
        expect(await store.readGate("id-1")).toBeUndefined();
        await store.identityStatus.record(row("v1", "approved", 100), DECISIONS);
        expect(await store.readGate("id-1")).toBe("approved");
        await store.identityStatus.record(row("v2", "declined", 200), DECISIONS);
        expect(await store.readGate("id-1")).toBe("declined");
        expect(await anotherStore().readGate("id-1")).toBe("declined");
        expect(await store.readGate("id-2")).toBeUndefined();
      });

      it("rolls back every write of a failed transaction", async () => {
        await expect(
          store.transaction(async (repos) => {
            await repos.identityStatus.record(row("v1", "approved", 100), DECISIONS);
            await repos.enqueue({ kind: "k", subject: "id-1", payload: null }, T0);
            throw new Error("boom");
          }),
        ).rejects.toThrow("boom");
        expect(await store.readGate("id-1")).toBeUndefined();
        expect(await outboxRows()).toEqual([]);
      });
    });
  });
});
