// Faults on the outside: Persona down at initiate, Kratos down or throttling during callbacks, lost connections to PostgreSQL.
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { describeEachDatabase, postgresUrl } from "../support/databases.js";
import { eventually, type Harness, startHarness } from "../support/harness.js";

describeEachDatabase("faults", (kind) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("Persona down during initiate: the sign-up is not broken, the error is recorded on the identity, and it is retried", async () => {
    h = await startHarness(kind);
    const identity = h.kratos.createIdentity({ email: "ada@example.com" });
    h.persona.failNext(2, 503);
    const answer = await h.initiate(identity.id);
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ session_id: null, error: expect.stringContaining("503") });

    await h.drain(1);
    const recorded = h.kratos.identities.get(identity.id)?.metadata_admin as { persona: { error: string } };
    expect(recorded.persona.error).toContain("Persona API answered 503");
    expect(h.kratos.identities.get(identity.id)?.metadata_public).toMatchObject({
      idv: { status: "created" },
    });

    // The retry goes out after its backoff; the second 503 is retried again; the third try succeeds.
    await eventually(async () => {
      await h?.drain();
      return h?.persona.inquiries.size === 1;
    });
    const inquiry = [...(h.persona.inquiries.values() ?? [])][0];
    expect(inquiry?.referenceId).toBe(identity.id);
    await h.drain();
    expect(h.kratos.identities.get(identity.id)?.metadata_admin).toMatchObject({
      persona: { inquiry_id: inquiry?.id, error: null },
    });
    // Every try carried the same Idempotency-Key, so Persona could never create two inquiries.
    const keys = new Set(
      h.persona.requests
        .filter((r) => r.method === "POST" && r.path.endsWith("/inquiries"))
        .map((r) => r.headers["idempotency-key"]),
    );
    expect(keys.size).toBe(1);
  });

  it("Kratos admin API down during a callback: the event is kept and applied once Kratos is back", async () => {
    h = await startHarness(kind);
    const harness = h;
    const identity = harness.kratos.createIdentity({ email: "ada@example.com" });
    const inquiryId = ((await harness.initiate(identity.id)).json as { session_id: string }).session_id;
    await harness.drain();
    harness.kratos.setDown(true);
    expect(await harness.persona.setStatus(inquiryId, "approved")?.done).toBe("delivered");
    await harness.drain(3);
    // The gate already knows (it reads our store), Kratos does not yet.
    expect((await harness.validate(identity.id)).status).toBe(200);
    expect(harness.kratos.identities.get(identity.id)?.metadata_admin).toMatchObject({
      persona: { status: "created" },
    });
    const stats = await harness.gateway.store.outbox.stats(Date.now());
    expect(stats.pending).toBeGreaterThan(0);

    harness.kratos.setDown(false);
    await eventually(async () => {
      await harness.drain();
      return (
        (harness.kratos.identities.get(identity.id)?.metadata_admin as { persona?: { status?: string } })
          ?.persona?.status === "approved"
      );
    });
    expect(harness.kratos.identities.get(identity.id)?.metadata_public).toMatchObject({
      idv: { status: "approved" },
    });
  });

  it("Kratos throttling (429 with Retry-After) is waited out, not dead-lettered", async () => {
    h = await startHarness(kind, { env: { RETRY_MAX_MS: "2000" } });
    const harness = h;
    const identity = harness.kratos.createIdentity();
    await harness.initiate(identity.id);
    harness.kratos.failAdmin(1, 429, { retryAfterSeconds: 1 });
    const before = Date.now();
    await harness.drain(1);
    const job = await harness.gateway.store.db
      .selectFrom("outbox")
      .selectAll()
      .where("subject", "=", identity.id)
      .executeTakeFirstOrThrow();
    expect(job.state).toBe("pending");
    expect(job.next_attempt_at - before).toBeGreaterThanOrEqual(1000);
    expect(job.last_error).toContain("429");
    await eventually(async () => {
      await harness.drain();
      return harness.kratos.patchCount(identity.id) === 1;
    }, 5000);
  });

  it("a lost callback does not strand the user: the reconciler re-reads stale verifications from Persona", async () => {
    h = await startHarness(kind, { env: { RECONCILE_AFTER_SECONDS: "1", RECONCILE_INTERVAL_SECONDS: "1" } });
    const harness = h;
    const identity = harness.kratos.createIdentity();
    const inquiryId = ((await harness.initiate(identity.id)).json as { session_id: string }).session_id;
    await harness.drain();
    harness.persona.setStatus(inquiryId, "approved", { emit: false }); // the webhook never arrives
    await harness.drain();
    expect((await harness.gateway.store.identityStatus.get(identity.id))?.status).toBe("created");
    await eventually(
      async () => {
        await harness.drain();
        return (await harness.gateway.store.identityStatus.get(identity.id))?.status === "approved";
      },
      5000,
      100,
    );
    expect(harness.kratos.identities.get(identity.id)?.metadata_public).toMatchObject({
      idv: { status: "approved" },
    });
    // A decided verification is not re-read again.
    const reads = harness.persona.requests.filter((r) => r.method === "GET").length;
    await new Promise((r) => setTimeout(r, 1200));
    await harness.drain();
    expect(harness.persona.requests.filter((r) => r.method === "GET").length).toBe(reads);
  });

  it("a dead letter after the attempt limit is visible in /metrics and idv status", async () => {
    h = await startHarness(kind, { env: { RETRY_MAX_ATTEMPTS: "2", RETRY_BASE_MS: "1", RETRY_MAX_MS: "5" } });
    const harness = h;
    const identity = harness.kratos.createIdentity();
    await harness.initiate(identity.id);
    harness.kratos.failAdmin(10, 500);
    await eventually(async () => {
      await harness.drain();
      return (await harness.gateway.store.outbox.stats(Date.now())).dead === 1;
    });
    const metrics = await harness.request("GET", "/metrics");
    expect(metrics.text).toMatch(/idv_queue_depth\{queue="outbox",state="dead"\} 1/);
    expect(metrics.text).toMatch(
      /idv_jobs_total\{queue="outbox",kind="kratos.sync_identity",outcome="dead"\} 1/,
    );
    const { identityReport } = await import("../../src/cli/status.js");
    const report = await identityReport(harness.gateway.store, identity.id, Date.now());
    expect(report.dead_letters).toEqual([
      expect.objectContaining({ queue: "outbox", kind: "kratos.sync_identity", attempts: 2 }),
    ]);
  });
});

const postgresReachable = postgresUrl() !== null;
if (!postgresReachable) console.warn('skipping "PostgreSQL connection loss": PostgreSQL not reachable');
describe.skipIf(!postgresReachable)("PostgreSQL connection loss", () => {
  it("reconnects after the server drops every connection (as on a restart)", async () => {
    const url = postgresUrl() as string;
    const appName = `idv_reconnect_${process.pid}`;
    const h = await startHarness("postgres", { env: { DATABASE_URL: `${url}?application_name=${appName}` } });
    try {
      const identity = h.kratos.createIdentity();
      await h.initiate(identity.id);
      expect((await h.validate(identity.id)).status).toBe(200);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const killed = await admin.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1",
        [appName],
      );
      await admin.end();
      expect(killed.rowCount).toBeGreaterThan(0);
      // At most the first request after the drop may see the broken connection (503, fail closed); then it recovers.
      await eventually(async () => (await h.validate(identity.id)).status === 200, 5000);
      await eventually(async () => (await h.initiate(identity.id)).status === 200, 5000);
      await h.drain();
    } finally {
      await h.close();
    }
  });
});
