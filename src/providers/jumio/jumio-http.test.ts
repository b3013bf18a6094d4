// Jumio through the running gateway: URL-token callbacks, re-read results, /jumio/start restarts, source allowlist and proxies.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JUMIO_CALLBACK_SECRET, type JumioDriver } from "../../../test/contracts/drivers/jumio.js";
import { type Harness, ORY_SECRET, startHarness } from "../../../test/support/harness.js";

interface Initiated {
  identityId: string;
  sessionId: string;
  /** The callback URL the gateway registered with Jumio: path and `?token=`. */
  callbackPath: string;
}

const simulatorOf = (h: Harness) => (h.drivers.get("jumio") as JumioDriver).simulator;

async function initiate(h: Harness): Promise<Initiated> {
  const identity = h.kratos.createIdentity({
    email: "ada@example.com",
    name: { first: "Ada", last: "Lovelace" },
  });
  const answer = await h.request("POST", "/jumio/initiate", {
    body: { kratos_identity_id: identity.id, email: "ada@example.com" },
    headers: { "x-webhook-secret": ORY_SECRET },
  });
  expect(answer.status).toBe(200);
  const sessionId = (answer.json as { session_id: string }).session_id;
  await h.drain();
  const registered = simulatorOf(h).executions.get(sessionId.split("/")[1] ?? "")?.callbackUrl ?? "";
  const url = new URL(registered);
  return { identityId: identity.id, sessionId, callbackPath: `${url.pathname}${url.search}` };
}

const jumioMetadata = (h: Harness, identityId: string) => {
  const identity = h.kratos.identities.get(identityId);
  return (identity?.metadata_public as Record<string, unknown> | null) ?? {};
};

const statusOf = async (h: Harness, identityId: string) =>
  (await h.gateway.store.identityStatus.get(identityId))?.status;

function post(h: Harness, path: string, body: string, headers: Record<string, string> = {}) {
  return h.request("POST", path, { body, headers: { "content-type": "application/json", ...headers } });
}

describe("Jumio callbacks and start through the gateway", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("sqlite");
  });
  afterAll(async () => {
    expect(h.kratos.specViolations).toEqual([]);
    expect(simulatorOf(h).specViolations).toEqual([]);
    await h.close();
  });

  it("accepts Jumio's unsigned callback by the token in the registered URL and mirrors the decision", async () => {
    const sim = simulatorOf(h);
    const { identityId, sessionId, callbackPath } = await initiate(h);
    expect(callbackPath).toMatch(/^\/jumio\/callback\?token=[0-9a-f]{64}$/);
    expect(callbackPath).not.toContain(JUMIO_CALLBACK_SECRET);

    const delivery = sim.setStatus(sessionId, "PROCESSED", "PASSED");
    expect(await delivery?.done).toBe("delivered");
    expect(delivery?.headers).not.toHaveProperty("x-jumio-signature");
    await h.drain();
    expect(await statusOf(h, identityId)).toBe("approved");
    const [accountId, executionId] = sessionId.split("/");
    const metadata = jumioMetadata(h, identityId);
    expect(metadata.jumio).toMatchObject({
      status: "passed",
      account_id: accountId,
      workflow_execution_id: executionId,
    });
    expect(metadata.idv).toMatchObject({ status: "approved", provider: "jumio" });
    const execution = sim.executions.get(executionId ?? "");
    expect(JSON.stringify(h.kratos.identities.get(identityId))).not.toContain(execution?.sdkToken);

    sim.setStatus(sessionId, "PROCESSED", "REJECTED", { emit: false });
    expect((await post(h, callbackPath, sim.callbackBody(sessionId))).status).toBe(200);
    await h.drain();
    expect(jumioMetadata(h, identityId).jumio).toMatchObject({ status: "rejected" });
    const validate = await h.request("POST", "/jumio/validate", {
      body: { kratos_identity_id: identityId },
      headers: { "x-webhook-secret": ORY_SECRET },
    });
    expect(validate.status).toBe(403);
  });

  it("refuses a callback without the token, with a wrong one, or with the secret itself (401, nothing stored)", async () => {
    const sim = simulatorOf(h);
    const { sessionId } = await initiate(h);
    const body = sim.callbackBody(sessionId);
    const token = new URL(`https://x${(await initiate(h)).callbackPath}`).searchParams.get("token");
    const queries = [
      "",
      "?token=",
      "?token=0123abcd",
      `?token=${JUMIO_CALLBACK_SECRET}`,
      `?token=${token}&token=${token}`,
    ];
    for (const query of queries) {
      const answer = await post(h, `/jumio/callback${query}`, body);
      expect(answer.status, query).toBe(401);
    }
  });

  it("always re-reads the result: a callback's claimed status never becomes the verdict", async () => {
    const sim = simulatorOf(h);
    const { identityId, sessionId, callbackPath } = await initiate(h);
    sim.setStatus(sessionId, "ACQUIRED", undefined, { emit: false });
    const forged = sim.callbackBody(sessionId).replace('"status":"ACQUIRED"', '"status":"PROCESSED"');
    const reads = () => sim.requests.filter((r) => r.path.includes("/retrieval/")).length;
    const before = reads();
    expect((await post(h, callbackPath, forged)).json).toMatchObject({ outcome: "stored" });
    await h.drain();
    expect(reads()).toBe(before + 1);
    expect(await statusOf(h, identityId)).toBe("pending");

    // And a late "ACQUIRED" callback after the decision reads the decision.
    sim.setStatus(sessionId, "PROCESSED", "WARNING", { emit: false });
    const late = sim.callbackBody(sessionId).replace('"status":"PROCESSED"', '"status":"ACQUIRED"');
    expect((await post(h, callbackPath, late)).status).toBe(200);
    await h.drain();
    expect(await statusOf(h, identityId)).toBe("review");
  });

  it("restarts a live flow from /jumio/start with a new workflow execution; the replaced one's expiry changes nothing", async () => {
    const sim = simulatorOf(h);
    const { identityId, sessionId } = await initiate(h);
    const session = h.kratos.createSession(identityId);
    const start = (accept: string, headers: Record<string, string>) =>
      h.request("GET", "/jumio/start", { headers: { accept, ...headers } });

    const json = await start("application/json", { "x-session-token": session.token });
    expect(json.status).toBe(200);
    const body = json.json as { session_id: string; url: string; sdk_token: string; status: string };
    const [accountId] = sessionId.split("/");
    expect(body.session_id).not.toBe(sessionId);
    expect(body.session_id.startsWith(`${accountId}/`)).toBe(true);
    const fresh = sim.executions.get(body.session_id.split("/")[1] ?? "");
    expect(body).toMatchObject({ status: "created", sdk_token: fresh?.sdkToken });
    expect(body.url).toContain(`authorizationToken=${fresh?.sdkToken}`);

    const browser = await start("text/html", { cookie: session.cookie });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toContain("authorizationToken=");
    await h.drain();
    const current = (await h.gateway.store.verifications.listForIdentity(identityId))[0]?.session_id ?? "";
    expect(current).not.toBe(sessionId);

    // The first execution's token expires; Jumio says so. It must not shadow the live one.
    expect(await sim.setStatus(sessionId, "TOKEN_EXPIRED")?.done).toBe("delivered");
    await h.drain();
    const rows = await h.gateway.store.verifications.listForIdentity(identityId);
    expect(rows.map((r) => [r.session_id, r.status])).toEqual([[current, "created"]]);
    const mirrored = jumioMetadata(h, identityId);
    expect(mirrored.jumio).toMatchObject({
      status: "initiated",
      workflow_execution_id: current.split("/")[1],
    });
    expect(mirrored.idv).toMatchObject({ status: "created" });

    // Should Jumio withhold details before processing, the status resource and our record suffice.
    sim.detailsOnlyWhenProcessed = true;
    try {
      const again = await start("application/json", { "x-session-token": session.token });
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ status: "created", sdk_token: expect.stringMatching(/^ey/) });
    } finally {
      sim.detailsOnlyWhenProcessed = false;
    }
    await h.drain();
    const latest = (await h.gateway.store.verifications.listForIdentity(identityId))[0]?.session_id ?? "";
    expect(latest).not.toBe(current);

    // Jumio is processing what the user sent: nothing to start, said plainly.
    sim.setStatus(latest, "ACQUIRED", undefined, { emit: false });
    const processing = await start("application/json", { "x-session-token": session.token });
    expect(processing.json).toMatchObject({ status: "pending", url: null, sdk_token: null });
    const redirect = await start("text/html", { cookie: session.cookie });
    expect(redirect.status).toBe(409);
    expect(redirect.json).toMatchObject({ message: expect.stringContaining("pending") });
  });
});

describe("Jumio callback source allowlist", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const sendFrom = async (harness: Harness, forwardedFor?: string) => {
    const sim = simulatorOf(harness);
    const { sessionId, callbackPath } = await initiate(harness);
    const headers: Record<string, string> = forwardedFor ? { "x-forwarded-for": forwardedFor } : {};
    return post(harness, callbackPath, sim.callbackBody(sessionId), headers);
  };

  it("refuses a sender outside the CIDRs, and ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    h = await startHarness("sqlite", { env: { JUMIO_CALLBACK_ALLOWLIST: "10.0.0.0/8" } });
    const direct = await sendFrom(h);
    expect(direct.status).toBe(401);
    expect(direct.json).toMatchObject({ message: expect.stringContaining("forbidden_source") });
    expect((await sendFrom(h, "10.1.2.3")).status).toBe(401);
  });

  it("believes X-Forwarded-For only from a TRUST_PROXY peer, and only its own hop", async () => {
    h = await startHarness("sqlite", {
      env: { JUMIO_CALLBACK_ALLOWLIST: "10.0.0.0/8", TRUST_PROXY: "127.0.0.1" },
    });
    expect((await sendFrom(h, "10.1.2.3")).status).toBe(200);
    expect((await sendFrom(h, "192.0.2.1")).status).toBe(401);
    // A client-supplied left-most entry does not help: the proxy's own hop is the sender.
    expect((await sendFrom(h, "10.1.2.3, 192.0.2.1")).status).toBe(401);
    expect((await sendFrom(h)).status).toBe(401);
  });

  it("accepts Jumio's own delivery from inside the CIDRs", async () => {
    h = await startHarness("sqlite", { env: { JUMIO_CALLBACK_ALLOWLIST: "127.0.0.0/8" } });
    const { identityId, sessionId } = await initiate(h);
    expect(await simulatorOf(h).setStatus(sessionId, "PROCESSED", "PASSED")?.done).toBe("delivered");
    await h.drain();
    expect(await statusOf(h, identityId)).toBe("approved");
  });
});
