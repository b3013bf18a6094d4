// One contract for every provider, on SQLite and PostgreSQL: callback authentication, dedupe, status mapping,
// ordering and retries, all through the real HTTP faces.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ProviderName } from "../../src/providers/provider.js";
import { describeEachDatabase } from "../support/databases.js";
import { eventually, type Harness, ORY_SECRET, startHarness } from "../support/harness.js";
import type { CallbackDelivery, ProviderDriver } from "./driver.js";
import { DRIVERS } from "./drivers/index.js";

for (const name of Object.keys(DRIVERS) as ProviderName[]) {
  describeEachDatabase(`provider contract: ${name}`, (kind) => {
    let h: Harness;
    let driver: ProviderDriver;
    beforeAll(async () => {
      h = await startHarness(kind);
      driver = h.drivers.get(name) as ProviderDriver;
    });
    afterAll(async () => {
      expect(h.kratos.specViolations).toEqual([]);
      await h.close();
    });

    const send = (delivery: CallbackDelivery) =>
      h.request("POST", `/${name}/callback${delivery.query ?? ""}`, {
        body: delivery.body,
        headers: delivery.headers,
      });
    const inbox = async () =>
      Number(
        (
          await h.gateway.store.db
            .selectFrom("inbox")
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const status = async (identityId: string) =>
      (await h.gateway.store.identityStatus.get(identityId))?.status;

    async function newSession(): Promise<{ identityId: string; sessionId: string }> {
      const identity = h.kratos.createIdentity({
        email: `${Math.random().toString(36).slice(2)}@example.com`,
        name: { first: "Ada", last: "Lovelace" },
      });
      const answer = await h.request("POST", `/${name}/initiate`, {
        body: {
          kratos_identity_id: identity.id,
          email: "ada@example.com",
          first_name: "Ada",
          last_name: "Lovelace",
          date_of_birth: "1990-12-10",
        },
        headers: { "x-webhook-secret": ORY_SECRET },
      });
      expect(answer.status).toBe(200);
      const sessionId = (answer.json as { session_id: string }).session_id;
      expect(sessionId).toBeTruthy();
      await h.drain();
      return { identityId: identity.id, sessionId };
    }

    it("creates one provider session per identity, however often Kratos calls", async () => {
      const before = driver.sessionCount();
      const { identityId, sessionId } = await newSession();
      const again = await h.request("POST", `/${name}/initiate`, {
        body: { kratos_identity_id: identityId, first_name: "Ada", last_name: "Lovelace" },
        headers: { "x-webhook-secret": ORY_SECRET },
      });
      expect((again.json as { session_id: string }).session_id).toBe(sessionId);
      expect(driver.sessionCount()).toBe(before + 1);
      expect((await h.validate(identityId)).status).toBe(200);
    });

    it("accepts a correctly authenticated callback and applies the provider's (re-read) result", async () => {
      const { identityId, sessionId } = await newSession();
      driver.setStatus(sessionId, driver.raw.approved);
      const answer = await send(driver.callback(sessionId));
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ received: true, outcome: "stored" });
      await h.drain();
      expect(await status(identityId)).toBe("approved");
      const idv = (h.kratos.identities.get(identityId)?.metadata_public as { idv?: unknown } | null)?.idv;
      expect(idv).toMatchObject({
        status: "approved",
        provider: name,
        start_url: expect.stringContaining(`/${name}/start`),
      });
    });

    it("rejects a tampered body and a wrong secret with 401, storing nothing", async () => {
      const { sessionId } = await newSession();
      const before = await inbox();
      expect((await send(driver.callback(sessionId, { tamper: true }))).status).toBe(401);
      expect(
        (await send(driver.callback(sessionId, { secret: "not-the-configured-secret-at-all" }))).status,
      ).toBe(401);
      expect(await inbox()).toBe(before);
    });

    it("rejects a stale timestamp where the scheme has one", async () => {
      if (!driver.hasTimestamp) {
        console.info(`${name}: its callback scheme has no timestamp; nothing can go stale`);
        return;
      }
      const { sessionId } = await newSession();
      const before = await inbox();
      expect((await send(driver.callback(sessionId, { ageSeconds: 49 * 3600 }))).status).toBe(401);
      expect(await inbox()).toBe(before);
    });

    it("deduplicates replays: the same callback twice is stored once", async () => {
      const { sessionId } = await newSession();
      driver.setStatus(sessionId, driver.raw.pending);
      const delivery = driver.callback(sessionId);
      const before = await inbox();
      expect((await send(delivery)).json).toMatchObject({ outcome: "stored" });
      expect((await send(delivery)).json).toMatchObject({ outcome: "duplicate" });
      expect(await inbox()).toBe(before + 1);
    });

    it("acknowledges and ignores events it does not handle", async () => {
      const before = await inbox();
      const answer = await send(driver.unknownEvent());
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ outcome: "ignored" });
      expect(await inbox()).toBe(before);
    });

    it("maps every provider status to the normalized one", async () => {
      for (const { raw, normalized } of driver.statuses) {
        const { identityId, sessionId } = await newSession();
        driver.setStatus(sessionId, raw);
        expect((await send(driver.callback(sessionId))).status, raw).toBe(200);
        await h.drain();
        const row = await h.gateway.store.verifications.findBySession(name, sessionId);
        expect(row?.status, raw).toBe(normalized);
        expect(await status(identityId), raw).toBe(normalized);
      }
    });

    it("never lets a late or weaker result undo a decision, but applies a newer decision", async () => {
      const { identityId, sessionId } = await newSession();
      driver.setStatus(sessionId, driver.raw.approved);
      await send(driver.callback(sessionId));
      await h.drain();
      expect(await status(identityId)).toBe("approved");
      // A stale read (the provider reporting an earlier, undecided state) is ignored.
      driver.setStatus(sessionId, driver.raw.pending);
      await send(driver.callback(sessionId));
      await h.drain();
      expect(await status(identityId)).toBe("approved");
      // A reviewer's later decline is applied, and blocks the login.
      driver.setStatus(sessionId, driver.raw.declined);
      await send(driver.callback(sessionId));
      await h.drain();
      expect(await status(identityId)).toBe("declined");
      expect((await h.validate(identityId)).status).toBe(403);
    });

    it("retries when the provider API fails while re-reading the result", async () => {
      const { identityId, sessionId } = await newSession();
      driver.setStatus(sessionId, driver.raw.approved);
      driver.failApi(2, 503);
      expect((await send(driver.callback(sessionId))).status).toBe(200);
      await h.drain(1);
      expect(await status(identityId)).not.toBe("approved");
      await eventually(async () => {
        await h.drain();
        return (await status(identityId)) === "approved";
      });
    });
  });
}
