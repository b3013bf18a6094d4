// Onfido end to end over real sockets: Kratos initiate, signed webhooks, the login gate and GET /onfido/start.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { OnfidoDriver } from "../contracts/drivers/onfido.js";
import type { OnfidoSimulator } from "../fakes/onfido-simulator.js";
import { describeEachDatabase } from "../support/databases.js";
import { type Harness, ORY_SECRET, startHarness } from "../support/harness.js";
import { jsonnetAvailable, renderJsonnet } from "../support/jsonnet.js";
import { registrationCtx } from "../support/kratos-context.js";

const initiateTemplate = join(
  fileURLToPath(new URL("../../deploy/ory", import.meta.url)),
  "onfido-initiate.jsonnet",
);
const TRAITS = {
  email: "ada@example.com",
  name: { first: "Ada", last: "Lovelace" },
  birthdate: "1815-12-10",
};

interface Answer {
  session_id: string;
  status: string;
  url: string | null;
  sdk_token: string | null;
}

describeEachDatabase("Onfido end to end", (kind) => {
  let h: Harness;
  let sim: OnfidoSimulator;
  beforeEach(async () => {
    h = await startHarness(kind);
    sim = (h.drivers.get("onfido") as OnfidoDriver).simulator;
  });
  afterEach(async () => {
    expect(h.kratos.specViolations).toEqual([]);
    expect(sim.specViolations).toEqual([]);
    await h.close();
  });

  /** What Kratos sends after a registration: the rendered template when jsonnet is installed. */
  async function initiate(identityId: string, triggerId = randomUUID()) {
    const body = jsonnetAvailable()
      ? await renderJsonnet(initiateTemplate, registrationCtx({ id: identityId, traits: TRAITS }))
      : {
          kratos_identity_id: identityId,
          email: TRAITS.email,
          first_name: "Ada",
          last_name: "Lovelace",
          date_of_birth: TRAITS.birthdate,
        };
    const answer = await h.request("POST", "/onfido/initiate", {
      body: body as object,
      headers: { "x-webhook-secret": ORY_SECRET, "ory-webhook-trigger-id": triggerId },
    });
    expect(answer.status).toBe(200);
    return answer.json as Answer;
  }
  const onfidoMetadata = (identityId: string) =>
    (h.kratos.identities.get(identityId)?.metadata_public as Record<
      string,
      Record<string, unknown>
    > | null) ?? {};
  const validate = (identityId: string) =>
    h.request("POST", "/onfido/validate", {
      body: { kratos_identity_id: identityId },
      headers: { "x-webhook-secret": ORY_SECRET },
    });
  /** Waits for the simulator's signed webhook to reach the gateway, then runs the worker. */
  async function delivered(delivery: ReturnType<OnfidoSimulator["setStatus"]>) {
    expect(await delivery?.done).toBe("delivered");
    await h.drain();
  }

  it("initiate creates one applicant and run per trigger, answers the SDK token and link, mirrors ids but no token", async () => {
    const identity = h.kratos.createIdentity(TRAITS);
    const trigger = randomUUID();
    const answer = await initiate(identity.id, trigger);
    const run = sim.workflowRuns.get(answer.session_id);
    expect(run?.customerUserId).toBe(identity.id);
    expect(answer).toMatchObject({
      status: "pending",
      url: expect.stringContaining("/l/"),
      sdk_token: run?.sdkToken,
    });
    expect(sim.applicants.get(run?.applicantId ?? "")?.fields).toEqual({
      first_name: "Ada",
      last_name: "Lovelace",
      email: "ada@example.com",
      dob: "1815-12-10",
    });
    const again = await initiate(identity.id, trigger);
    expect(again.session_id).toBe(answer.session_id);
    expect(sim.runsFor(identity.id)).toHaveLength(1);
    expect(sim.applicants.size).toBe(1);

    await h.drain();
    const metadata = onfidoMetadata(identity.id);
    expect(metadata.onfido).toMatchObject({
      status: "awaiting_input",
      applicant_id: run?.applicantId,
      workflow_run_id: answer.session_id,
      error: null,
    });
    expect(metadata.idv).toMatchObject({ status: "pending", provider: "onfido" });
    expect(JSON.stringify(h.kratos.identities.get(identity.id))).not.toContain(run?.sdkToken);
  });

  it("signed webhooks drive the decision: review, then a reviewer's decline blocks the login", async () => {
    const identity = h.kratos.createIdentity(TRAITS);
    const { session_id: runId } = await initiate(identity.id);
    await delivered(sim.setStatus(runId, "review"));
    expect(onfidoMetadata(identity.id).onfido).toMatchObject({ status: "review" });
    expect((await validate(identity.id)).status).toBe(200);

    await delivered(sim.review(runId, "declined"));
    expect(onfidoMetadata(identity.id).onfido).toMatchObject({
      status: "declined",
      decided_at: expect.any(String),
    });
    expect(onfidoMetadata(identity.id).idv).toMatchObject({ status: "declined", provider: "onfido" });
    expect((await validate(identity.id)).status).toBe(403);
  });

  it("a replayed or forged callback cannot set a verdict: the run is re-read from Onfido", async () => {
    const identity = h.kratos.createIdentity(TRAITS);
    const { session_id: runId } = await initiate(identity.id);
    const forged = sim.buildEvent(runId).replace('"status":"awaiting_input"', '"status":"approved"');
    const answer = await h.request("POST", "/onfido/callback", {
      body: forged,
      headers: { "content-type": "application/json", "x-sha2-signature": sim.sign(forged) },
    });
    expect(answer.json).toMatchObject({ outcome: "stored" });
    await h.drain();
    expect((await h.gateway.store.identityStatus.get(identity.id))?.status).toBe("pending");
  });

  it("GET /onfido/start hands out a fresh SDK token and the hosted link, and a new run after abandonment", async () => {
    const identity = h.kratos.createIdentity(TRAITS);
    const session = h.kratos.createSession(identity.id);
    const { session_id: runId, url } = await initiate(identity.id);
    const start = (accept: string) =>
      h.request("GET", "/onfido/start", { headers: { accept, "x-session-token": session.token } });

    const first = (await start("application/json")).json as Answer & { provider: string };
    const second = (await start("application/json")).json as Answer;
    expect(first).toMatchObject({
      provider: "onfido",
      session_id: runId,
      url,
      sdk_token: expect.stringMatching(/^ey/),
    });
    expect(second.sdk_token).not.toBe(first.sdk_token);
    const browser = await start("text/html");
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe(url);

    sim.setStatus(runId, "abandoned", { emit: false });
    const restarted = (await start("application/json")).json as Answer;
    expect(restarted.session_id).not.toBe(runId);
    expect(restarted.status).toBe("pending");
    expect(sim.runsFor(identity.id)).toHaveLength(2);
    await h.drain();
    expect(onfidoMetadata(identity.id).onfido).toMatchObject({ workflow_run_id: restarted.session_id });
  });
});
