// A gateway process killed (SIGKILL) right after acknowledging a callback applies the event after restart.
import { afterEach, beforeEach, expect, it } from "vitest";
import { type PersonaDriver, startPersonaDriver } from "../contracts/drivers/persona.js";
import { type KratosFake, startKratosFake } from "../fakes/kratos-fake.js";
import type { PersonaSimulator } from "../fakes/persona-simulator.js";
import { createTestDatabase, describeEachDatabase, type TestDatabase } from "../support/databases.js";
import { freePort, type GatewayProcess, spawnGateway } from "../support/gateway-process.js";
import { eventually, gatewayEnv, ORY_API_KEY, ORY_SECRET } from "../support/harness.js";

describeEachDatabase("crash recovery", (kind) => {
  let kratos: KratosFake;
  let driver: PersonaDriver;
  let persona: PersonaSimulator;
  let db: TestDatabase;
  let running: GatewayProcess | undefined;
  beforeEach(async () => {
    kratos = await startKratosFake({ apiKey: ORY_API_KEY });
    driver = await startPersonaDriver();
    persona = driver.simulator;
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await running?.kill("SIGKILL");
    await persona.close();
    await kratos.close();
    await db.drop();
  });

  it("applies an acknowledged callback after the process was killed before working on it", async () => {
    const port = await freePort();
    const env = { ...db.env, ...gatewayEnv(kratos, [driver]) };
    // First life: the worker is off, so nothing acknowledged can have been applied before the kill.
    running = await spawnGateway({ ...env, WORKER_ENABLED: "false" }, port);
    driver.connect(running.url);
    const identity = kratos.createIdentity({ email: "ada@example.com" });
    const initiated = await fetch(`${running.url}/persona/initiate`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-webhook-secret": ORY_SECRET },
      body: JSON.stringify({ kratos_identity_id: identity.id }),
    });
    expect(initiated.status).toBe(200);
    const { session_id: inquiryId } = (await initiated.json()) as { session_id: string };
    const delivery = persona.setStatus(inquiryId, "declined");
    expect(await delivery?.done).toBe("delivered");
    expect(delivery?.attempts.map((a) => a.status)).toEqual([200]);
    expect(await running.kill("SIGKILL")).toBeNull();
    expect(kratos.patchCount(identity.id)).toBe(0);

    // Second life: the stored event is applied; Kratos gets the decision and the sessions are revoked.
    running = await spawnGateway(env, port);
    await eventually(
      () =>
        (kratos.identities.get(identity.id)?.metadata_admin as { persona?: { status?: string } })?.persona
          ?.status === "declined",
      15_000,
    );
    const validate = await fetch(`${running.url}/persona/validate`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-webhook-secret": ORY_SECRET },
      body: JSON.stringify({ kratos_identity_id: identity.id }),
    });
    expect(validate.status).toBe(403);
    expect(persona.deliveries).toHaveLength(1);
  });

  it("finishes or hands back claimed work on SIGTERM and exits 0", async () => {
    const port = await freePort();
    running = await spawnGateway({ ...db.env, LOG_LEVEL: "info" }, port);
    expect(await running.kill("SIGTERM")).toBe(0);
    expect(running.output()).toContain("shutting down");
    running = undefined;
  });
});
