// The login gate's own header handling, over raw HTTP: header names in any case, repeated headers treated as
// Node's req.headers would treat them.
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoginGate } from "../domain/login-gate.js";
import { createMetrics } from "../lib/metrics.js";
import { createLoginGateRoute } from "./login-gate-route.js";

const SECRET = "route-test-secret-0123456789";
const ID = "7f0c7b4e-2a55-4c1e-9a4e-1f6f3a0b2c11";
const DECLINED = "0b7e4c52-9d0a-4f1e-8c3b-5a2d6e7f8a91";

/** Sends one request exactly as written (names, case, repeats) and returns the status line and body. */
function rawRequest(port: number, head: string[], body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      data += chunk;
    });
    socket.on("error", reject);
    socket.on("end", () => {
      const [headPart = "", ...rest] = data.split("\r\n\r\n");
      resolve({ status: Number(headPart.split(" ")[1]), body: rest.join("\r\n\r\n") });
    });
    const lines = [
      "POST /persona/validate HTTP/1.1",
      "Host: 127.0.0.1",
      "Connection: close",
      ...head,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
  });
}

describe("login gate route headers", () => {
  let server: Server;
  let port = 0;
  const body = JSON.stringify({ kratos_identity_id: ID });

  beforeAll(async () => {
    const gate = createLoginGate(
      {
        blockStatuses: new Set(["declined"]),
        failOpen: false,
        blocked: { id: 9000001, text: "Blocked." },
        unavailable: { id: 9000002, text: "Try again later." },
        readTimeoutMs: 1000,
      },
      (id) => (id === DECLINED ? "declined" : "approved"),
    );
    const route = createLoginGateRoute({
      providers: ["persona"],
      webhookSecret: SECRET,
      bodyLimit: 1024,
      gate,
      metrics: createMetrics(),
    });
    server = createServer((req, res) => {
      if (!route(req, res)) {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads the secret and content type whatever the case of their names", async () => {
    for (const [secretName, typeName] of [
      ["X-Webhook-Secret", "Content-Type"],
      ["x-webhook-secret", "content-type"],
      ["X-WEBHOOK-SECRET", "CONTENT-TYPE"],
    ]) {
      const answer = await rawRequest(
        port,
        [`${secretName}: ${SECRET}`, `${typeName}: application/json; charset=utf-8`],
        body,
      );
      expect(answer).toEqual({ status: 200, body: '{"allow":true}' });
    }
    const blocked = await rawRequest(
      port,
      [`X-Webhook-Secret: ${SECRET}`, "Content-Type: application/json"],
      JSON.stringify({ kratos_identity_id: DECLINED }),
    );
    expect(blocked.status).toBe(403);
    expect(JSON.parse(blocked.body).messages[0].messages[0]).toMatchObject({ id: 9000001, text: "Blocked." });
  });

  it("refuses a missing, wrong or repeated secret with 401", async () => {
    const type = "Content-Type: application/json";
    const missing = await rawRequest(port, [type], body);
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ message: "Missing X-Webhook-Secret header" });
    const wrong = await rawRequest(port, [type, "X-Webhook-Secret: nope"], body);
    expect(JSON.parse(wrong.body)).toMatchObject({ message: "Invalid X-Webhook-Secret header" });
    // Node joins a repeated custom header with ", ": the joined value is not the secret.
    const repeated = await rawRequest(
      port,
      [type, `X-Webhook-Secret: ${SECRET}`, `x-webhook-secret: ${SECRET}`],
      body,
    );
    expect(repeated.status).toBe(401);
  });

  it("judges the content type by its first occurrence, as req.headers does", async () => {
    const secret = `X-Webhook-Secret: ${SECRET}`;
    const jsonFirst = await rawRequest(
      port,
      [secret, "Content-Type: application/json", "Content-Type: text/plain"],
      body,
    );
    expect(jsonFirst.status).toBe(200);
    const textFirst = await rawRequest(
      port,
      [secret, "Content-Type: text/plain", "Content-Type: application/json"],
      body,
    );
    expect(textFirst.status).toBe(415);
    const none = await rawRequest(port, [secret], body);
    expect(none.status).toBe(415);
  });
});
