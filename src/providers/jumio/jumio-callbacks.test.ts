// Jumio callback authentication (signing-proxy HMAC, URL token, source allowlist) and callback parsing, on the raw request.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AppError } from "../../lib/errors.js";
import { hmacHex } from "../../lib/webhook-signature.js";
import type { CallbackRequest } from "../provider.js";
import { callbackUrlToken } from "./constants.js";
import { createJumioProvider } from "./index.js";
import type { JumioSettings } from "./schemas.js";

const CLIENT = { clientId: "jumio-unit", clientSecret: "jumio-unit-secret" };
const SECRET = "jumio-callback-secret-unit";
const AGENT = "ExampleCo IdvGatewayUnit/2.0";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("Jumio callback authentication", () => {
  const body = Buffer.from(fixture("callback-processed.json"));
  const p = (over: Partial<JumioSettings> = {}) =>
    createJumioProvider({
      authUrl: "https://auth.example.test/oauth2/token",
      apiBase: "https://account.example.test/api/v1",
      retrievalBase: "https://retrieval.example.test/api/v1",
      ...CLIENT,
      workflowKey: 3,
      userAgent: AGENT,
      callbackSecret: SECRET,
      signatureHeader: "x-jumio-signature",
      allowlist: [],
      publicUrl: "https://idv.example.test",
      timeoutMs: 1000,
      ...over,
    });
  const request = (over: Partial<CallbackRequest> = {}): CallbackRequest => ({
    headers: {},
    query: {},
    rawBody: body,
    sourceIp: "127.0.0.1",
    ...over,
  });
  const signed = (value: string) => request({ headers: { "x-jumio-signature": value } });
  const now = Date.now();

  it("accepts a signing proxy's hex HMAC of the raw body, bare or sha256=-prefixed", () => {
    const hex = hmacHex(SECRET, body);
    expect(p().authenticateCallback(signed(hex), now)).toEqual({ ok: true });
    expect(p().authenticateCallback(signed(`sha256=${hex.toUpperCase()}`), now)).toEqual({ ok: true });
    const custom = p({ signatureHeader: "x-proxy-signature" });
    expect(custom.authenticateCallback(request({ headers: { "x-proxy-signature": hex } }), now)).toEqual({
      ok: true,
    });
    expect(p().authenticateCallback(signed(hmacHex("another-secret-entirely", body)), now)).toEqual({
      ok: false,
      reason: "mismatch",
    });
    const tampered = {
      ...signed(hex),
      rawBody: Buffer.from(body.toString().replace("PROCESSED", "INITIATED")),
    };
    expect(p().authenticateCallback(tampered, now)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("accepts the URL token the gateway registered, compared in constant time; never the secret itself", () => {
    const token = callbackUrlToken(SECRET);
    expect(p().authenticateCallback(request({ query: { token } }), now)).toEqual({ ok: true });
    expect(p().authenticateCallback(request({ query: { token: SECRET } }), now)).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(p().authenticateCallback(request({ query: { token: `${token}0` } }), now)).toMatchObject({
      ok: false,
    });
    // Either credential suffices: a valid URL token is not undone by a stray header.
    expect(p().authenticateCallback({ ...signed("00"), query: { token } }, now)).toEqual({ ok: true });
  });

  it("refuses a callback with neither credential", () => {
    expect(p().authenticateCallback(request(), now)).toEqual({ ok: false, reason: "missing" });
    expect(p().authenticateCallback(request({ query: { token: "" } }), now)).toEqual({
      ok: false,
      reason: "missing",
    });
    expect(p().authenticateCallback(signed("sha256="), now)).toMatchObject({
      ok: false,
      reason: "malformed",
    });
  });

  it("accepts anything from anywhere with neither secret nor allowlist (the result is re-read anyway)", () => {
    expect(
      p({ callbackSecret: undefined }).authenticateCallback(request({ sourceIp: "203.0.113.9" }), now),
    ).toEqual({
      ok: true,
    });
  });

  it("checks the source against the allowlist first, IPv4-mapped IPv6 peers included", () => {
    const listed = p({ allowlist: ["127.0.0.0/8", "34.202.241.227"] });
    const token = callbackUrlToken(SECRET);
    expect(listed.authenticateCallback(request({ query: { token } }), now)).toEqual({ ok: true });
    expect(
      listed.authenticateCallback(request({ query: { token }, sourceIp: "::ffff:127.0.0.1" }), now),
    ).toEqual({
      ok: true,
    });
    expect(
      listed.authenticateCallback(request({ query: { token }, sourceIp: "34.202.241.227" }), now),
    ).toEqual({
      ok: true,
    });
    expect(listed.authenticateCallback(request({ query: { token }, sourceIp: "203.0.113.9" }), now)).toEqual({
      ok: false,
      reason: "forbidden_source",
    });
    const open = p({ allowlist: ["127.0.0.0/8"], callbackSecret: undefined });
    expect(open.authenticateCallback(request({ sourceIp: "::ffff:10.0.0.1" }), now)).toEqual({
      ok: false,
      reason: "forbidden_source",
    });
  });

  it("parses Jumio's documented callback: derived dedupe key, account/execution session id", () => {
    expect(p().parseCallback(body.toString("utf8"))).toEqual({
      kind: "event",
      dedupeKey: "22222222-xxxx-xxxx-xxxx-xxxxxxxxxxxx:PROCESSED:2021-01-21T14:55:01.917Z",
      eventName: "workflow-execution.processed",
      sessionId: "11111111-xxxx-xxxx-xxxx-xxxxxxxxxxxx/22222222-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    });
    expect(p({ workflowKey: 10011 }).parseCallback(body.toString("utf8"))).toMatchObject({ kind: "ignored" });
  });

  it("refuses other shapes with 400 naming the field", () => {
    const bad = (value: unknown) => JSON.stringify(value);
    const doc = JSON.parse(body.toString()) as Record<string, Record<string, unknown>>;
    const cases: [string, string][] = [
      ["not json", "Body is not valid JSON"],
      [
        bad({ ...doc, workflowExecution: { ...doc.workflowExecution, status: undefined } }),
        "workflowExecution.status",
      ],
      [bad({ ...doc, account: { id: "../../admin" } }), "account.id"],
      [bad({ ...doc, callbackSentAt: undefined }), "callbackSentAt"],
      [bad([]), "body"],
    ];
    for (const [raw, field] of cases) {
      let error: unknown;
      try {
        p().parseCallback(raw);
      } catch (e) {
        error = e;
      }
      expect(error, field).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("invalid_request");
      expect((error as AppError).message, field).toContain(field);
    }
  });
});
