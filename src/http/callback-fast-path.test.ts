// The callback fast path answers exactly as the Fastify route does (status, body, the headers that matter),
// and leaves to Fastify what it does not serve.
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { serveSideBySide } from "../../test/support/fast-path-server.js";
import type { EventProcessing } from "../domain/events.js";
import { AppError } from "../lib/errors.js";
import { createMetrics } from "../lib/metrics.js";
import type { CallbackRequest } from "../providers/provider.js";
import { createCallbackFastPath } from "./callback-fast-path.js";
import { registerCallbacks } from "./callbacks.js";
import { errorHandler } from "./errors.js";

/** Decides by the body's text, as a provider's signature check and parser would. */
const events = {
  async ingest(_provider: string, request: CallbackRequest) {
    const text = request.rawBody.toString("utf8");
    if (text === "unsigned") throw new AppError("unauthorized", "Invalid or missing signature");
    if (text === "store-down") throw Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    if (text === "boom") throw new Error("unexpected");
    if (text === "seen") return { outcome: "duplicate" as const };
    if (text === "other") return { outcome: "ignored" as const, eventName: "inquiry.created" };
    expect(request.headers["x-signature"]).toBe("sig");
    expect(request.sourceIp).toMatch(/127\.0\.0\.1/);
    return { outcome: "stored" as const };
  },
} as unknown as EventProcessing;

async function servers() {
  const deps = { providers: ["persona", "jumio"] as const, bodyLimit: 64, events, onStored: () => {} };
  const slow = Fastify({ logger: false });
  slow.setErrorHandler(errorHandler);
  await registerCallbacks(slow, { ...deps, metrics: createMetrics() });
  const metrics = createMetrics();
  const fastPath = createCallbackFastPath({
    ...deps,
    metrics,
    trustProxy: false,
    closing: () => false,
    logError: () => {},
  });
  return { ...(await serveSideBySide(slow, fastPath)), metrics };
}

async function call(url: string, path: string, body: string, type: string | null = "application/json") {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { ...(type ? { "content-type": type } : {}), "x-signature": "sig" },
    body: Buffer.from(body), // bytes: fetch adds no Content-Type of its own
  });
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    retryAfter: response.headers.get("retry-after"),
    body: await response.text(),
  };
}

describe("callback fast path", () => {
  it("answers as the Fastify route does: stored, duplicate, ignored, 401, 400, 413, 503, 500", async () => {
    const s = await servers();
    try {
      const cases: [string, string, string][] = [
        ["/persona/callback", "fresh", "application/json"],
        ["/persona/callback", "seen", "application/json"],
        ["/jumio/callback", "other", "text/plain"],
        ["/persona/callback", "unsigned", "application/json"],
        ["/persona/callback", "", "application/json"],
        ["/persona/callback", "x".repeat(65), "application/json"],
        ["/persona/callback", "store-down", "application/json"],
        ["/persona/callback", "boom", "application/json"],
      ];
      for (const [path, body, type] of cases) {
        const fast = await call(s.fastUrl, path, body, type);
        expect(fast, `${path} ${body.slice(0, 12)}`).toEqual(await call(s.slowUrl, path, body, type));
      }
      expect(s.fallbacks()).toBe(0);
      const counted = await s.metrics.callbacks.get();
      const count = (outcome: string) =>
        counted.values.find((v) => v.labels.provider === "persona" && v.labels.outcome === outcome)?.value;
      expect([count("stored"), count("duplicate"), count("rejected")]).toEqual([1, 1, 3]);
    } finally {
      await s.close();
    }
  });

  it("leaves a query string (Jumio's ?token=), a missing Content-Type and other routes to Fastify", async () => {
    const s = await servers();
    try {
      expect((await call(s.fastUrl, "/jumio/callback?token=t", "fresh")).status).toBe(599);
      expect((await call(s.fastUrl, "/persona/callback", "fresh", null)).status).toBe(599);
      expect((await call(s.fastUrl, "/onfido/callback", "fresh")).status).toBe(599);
      expect(s.fallbacks()).toBe(3);
    } finally {
      await s.close();
    }
  });
});
