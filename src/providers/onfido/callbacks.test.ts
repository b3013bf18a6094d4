// Onfido callbacks on the real fixture: X-SHA2-Signature with rotation, and which events are acted on.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AppError } from "../../lib/errors.js";
import { hmacHex } from "../../lib/webhook-signature.js";
import { createOnfidoProvider } from "./index.js";
import type { OnfidoSettings } from "./schemas.js";

const WEBHOOK_TOKEN = "_ABC123abc123ABC123abc123ABC123_";
const FIXTURE = readFileSync(new URL("./fixtures/workflow-run-completed.json", import.meta.url));

describe("Onfido callbacks", () => {
  const settings = (over: Partial<OnfidoSettings> = {}): OnfidoSettings => ({
    auth: { kind: "token", apiToken: "unused" },
    workflowId: "0c7a5b8e-1d2f-4a3b-8c9d-e0f1a2b3c4d5",
    webhookTokens: [WEBHOOK_TOKEN],
    apiBase: "http://127.0.0.1:1/v3.6",
    timeoutMs: 100,
    ...over,
  });

  it("authenticates X-SHA2-Signature with any configured token, and nothing else", () => {
    const provider = createOnfidoProvider(settings({ webhookTokens: ["old-token", WEBHOOK_TOKEN] }));
    const check = (signature: string | undefined, body = FIXTURE) =>
      provider.authenticateCallback(
        { headers: { "x-sha2-signature": signature }, query: {}, rawBody: body, sourceIp: "127.0.0.1" },
        0,
      );
    const good = hmacHex(WEBHOOK_TOKEN, FIXTURE);
    expect(check(good)).toEqual({ ok: true });
    expect(check(hmacHex("old-token", FIXTURE))).toEqual({ ok: true });
    expect(check(good.toUpperCase())).toEqual({ ok: true });
    expect(check(good, Buffer.concat([FIXTURE, Buffer.from(" ")]))).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(check(hmacHex("another-token", FIXTURE))).toEqual({ ok: false, reason: "mismatch" });
    expect(check(undefined)).toEqual({ ok: false, reason: "missing" });
    expect(check(`sha256=${good}`)).toEqual({ ok: false, reason: "malformed" });
    expect(check(good.slice(2))).toEqual({ ok: false, reason: "malformed" });
    const unconfigured = createOnfidoProvider(settings({ webhookTokens: [] }));
    expect(
      unconfigured.authenticateCallback(
        { headers: { "x-sha2-signature": good }, query: {}, rawBody: FIXTURE, sourceIp: "127.0.0.1" },
        0,
      ),
    ).toEqual({ ok: false, reason: "no_secret" });
  });

  it("parses workflow run events with a derived dedupe key and ignores everything else", () => {
    const provider = createOnfidoProvider(settings());
    expect(provider.parseCallback(FIXTURE.toString("utf8"))).toEqual({
      kind: "event",
      dedupeKey: "workflow_run:workflow_run.completed:bc77c6e5-753a-4580-96a6-aaed3e5a8d19:approved",
      eventName: "workflow_run.completed",
      sessionId: "bc77c6e5-753a-4580-96a6-aaed3e5a8d19",
    });
    const event = (resourceType: string, action: string) =>
      JSON.stringify({
        payload: { resource_type: resourceType, action, object: { id: "x-1", status: "complete" } },
      });
    expect(provider.parseCallback(event("check", "check.completed"))).toMatchObject({ kind: "ignored" });
    expect(provider.parseCallback(event("workflow_task", "workflow_task.completed"))).toMatchObject({
      kind: "ignored",
    });
    expect(() => provider.parseCallback("not json")).toThrow(AppError);
    expect(() => provider.parseCallback('{"payload":{"resource_type":"workflow_run"}}')).toThrow(AppError);
  });
});
