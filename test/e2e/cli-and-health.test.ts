// The `idv` command and the health endpoints, as an operator meets them.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { gatewayCommand } from "../../bench/processes.js";
import { loadConfig } from "../../src/config/load.js";
import { buildGateway } from "../../src/gateway.js";
import { freePort, spawnGateway } from "../support/gateway-process.js";
import { startHarness } from "../support/harness.js";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const idv = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ["--import", "tsx", "src/cli/index.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });

describe("idv CLI", () => {
  it("migrates, then reports an identity's verifications and login-gate status", async () => {
    const h = await startHarness("sqlite");
    try {
      const identity = h.kratos.createIdentity({ email: "ada@example.com" });
      const inquiryId = ((await h.initiate(identity.id)).json as { session_id: string }).session_id;
      await h.persona.setStatus(inquiryId, "approved")?.done;
      await h.drain();
      const env = { SQLITE_PATH: h.env.SQLITE_PATH as string, LOG_LEVEL: "silent" };
      expect((await idv(["migrate"], env)).stdout).toContain("database is up to date");
      const report = JSON.parse((await idv(["status", identity.id], env)).stdout);
      expect(report).toMatchObject({
        identity_id: identity.id,
        login_gate: { status: "approved", provider: "persona" },
        verifications: [
          { provider: "persona", session_id: inquiryId, status: "approved", provider_status: "approved" },
        ],
        dead_letters: [],
      });
    } finally {
      await h.close();
    }
  });

  it("shows queue health, and replays dead letters and time ranges without applying anything twice", async () => {
    const h = await startHarness("sqlite");
    try {
      const env = { SQLITE_PATH: h.env.SQLITE_PATH as string, LOG_LEVEL: "silent" };
      const started = new Date().toISOString();
      const identity = h.kratos.createIdentity({ email: "grace@example.com" });
      const inquiryId = ((await h.initiate(identity.id)).json as { session_id: string }).session_id;
      await h.persona.setStatus(inquiryId, "approved")?.done;
      h.kratos.failAdmin(100, 400); // a permanent refusal: the Kratos write is dead-lettered at once
      await h.drain();
      h.kratos.failAdmin(0, 400);
      const patchesBefore = h.kratos.patchCount(identity.id);

      const queues = JSON.parse((await idv(["status"], env)).stdout);
      expect(queues.outbox).toMatchObject({ dead: 1, recent_dead_letters: [{ subject: identity.id }] });
      expect(queues.inbox).toMatchObject({ pending: 0, dead: 0 });

      const replayed = JSON.parse((await idv(["replay", "--dead"], env)).stdout);
      expect(replayed.dead_letters.outbox).toEqual({ revived: 1, absorbed: 0 });
      await h.drain();
      const admin = h.kratos.identities.get(identity.id)?.metadata_admin as { persona?: { status?: string } };
      expect(admin.persona?.status).toBe("approved");
      expect(h.kratos.patchCount(identity.id)).toBe(patchesBefore + 1);

      // Again, and a whole time range: provider re-reads and syncs run, Kratos is not written again.
      expect(JSON.parse((await idv(["replay", "--dead"], env)).stdout).dead_letters.outbox.revived).toBe(0);
      const range = JSON.parse((await idv(["replay", "--since", started], env)).stdout);
      expect(range.range.sessions).toBe(1);
      await h.drain();
      expect(h.kratos.patchCount(identity.id)).toBe(patchesBefore + 1);
      expect(JSON.parse((await idv(["status"], env)).stdout).inbox).toMatchObject({ pending: 0, dead: 0 });

      const usage = await idv(["replay"], env).catch((e: { code: number; stderr: string }) => e);
      expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining("--dead") });
    } finally {
      await h.close();
    }
  });

  it("starts from `npm start` with the node flags of the `idv` command's shebang (the memory figures rely on them)", () => {
    // The flags as the bench reads them to start the gateway.
    const cli = join(ROOT, "src/cli/index.ts");
    const flags = gatewayCommand(cli).slice(0, -1).join(" ");
    expect(flags).toMatch(/--max-semi-space-size=\d+/);
    const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(scripts.start).toBe(`node ${flags} dist/cli/index.js serve`);
  });

  it("stops with a message naming every invalid variable", async () => {
    const failure = await idv(["migrate"], { PORT: "x", SQLITE_SYNCHRONOUS: "OFF" }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/PORT[\s\S]*SQLITE_SYNCHRONOUS/);
  });

  it("serves with no provider configured and says which providers are disabled and why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "idv-cli-"));
    const gateway = await spawnGateway(
      { SQLITE_PATH: join(dir, "idv.db"), LOG_LEVEL: "info" },
      await freePort(),
    );
    try {
      const ready = await (await fetch(`${gateway.url}/ready`)).json();
      expect(ready).toMatchObject({
        status: "ready",
        providers: expect.arrayContaining([{ name: "persona", enabled: false, reason: expect.any(String) }]),
      });
      expect(gateway.output()).toContain(
        "persona disabled: PERSONA_API_KEY, PERSONA_TEMPLATE_ID, PERSONA_WEBHOOK_SECRET not set",
      );
      expect(gateway.output()).toContain(
        "onfido disabled: ONFIDO_API_TOKEN (or ONFIDO_OAUTH_CLIENT_ID and ONFIDO_OAUTH_CLIENT_SECRET), ONFIDO_WORKFLOW_ID, ONFIDO_WEBHOOK_TOKEN not set",
      );
      expect(gateway.output()).toContain("ORY_WEBHOOK_SECRET is not set");
      expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    } finally {
      await gateway.kill("SIGTERM");
    }
  });
});

describe("health", () => {
  it("/ready is 503 while the database is unreachable, and callbacks are refused with 503, not lost", async () => {
    const port = await freePort(); // nothing listens there
    const gateway = await buildGateway(
      loadConfig({
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/none`,
        LOG_LEVEL: "silent",
        ORY_WEBHOOK_SECRET: "a-webhook-secret-for-tests",
      }),
    );
    try {
      expect((await gateway.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
      const ready = await gateway.app.inject({ method: "GET", url: "/ready" });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ status: "not_ready", reason: "database unreachable" });
      const initiate = await gateway.app.inject({
        method: "POST",
        url: "/persona/initiate",
        headers: { "content-type": "application/json", "x-webhook-secret": "a-webhook-secret-for-tests" },
        payload: { kratos_identity_id: "5f1c2b9e-8a4d-4e1f-9c3b-2a7d6e8f0a1b" },
      });
      expect(initiate.statusCode).toBe(503);
      expect(initiate.headers["retry-after"]).toBe("5");
    } finally {
      await gateway.close();
    }
  });

  it("/ready is 503 until migrations are applied, /health is 200 throughout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "idv-health-"));
    const gateway = await buildGateway(loadConfig({ SQLITE_PATH: join(dir, "idv.db"), LOG_LEVEL: "silent" }));
    try {
      expect((await gateway.app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
      const before = await gateway.app.inject({ method: "GET", url: "/ready" });
      expect(before.statusCode).toBe(503);
      expect(before.json()).toMatchObject({
        status: "not_ready",
        reason: expect.stringContaining("0001_initial"),
      });
      await gateway.store.migrate();
      expect((await gateway.app.inject({ method: "GET", url: "/ready" })).statusCode).toBe(200);
    } finally {
      await gateway.close();
    }
  });
});
