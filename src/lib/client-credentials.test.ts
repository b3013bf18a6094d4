// Client-credentials tokens against a real token endpoint: cached, refreshed before expiry, one request for many callers.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenSource } from "./client-credentials.js";
import { createHttpClient } from "./http-client.js";

describe("client-credentials token source", () => {
  const requests: { authorization?: string; body: string }[] = [];
  let url = "";
  let issued = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ authorization: req.headers.authorization, body });
      issued++;
      setTimeout(() => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ access_token: `token-${issued}`, expires_in: 3600, token_type: "Bearer" }));
      }, 20);
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("sends HTTP Basic + grant_type, caches, refreshes before expiry, and shares one refresh", async () => {
    let now = 0;
    const source = createTokenSource({
      service: "Test auth",
      tokenUrl: url,
      clientId: "client",
      clientSecret: "secret",
      style: "basic",
      http: createHttpClient({ service: "Test auth", timeoutMs: 2000 }),
      clock: { now: () => now },
    });
    const first = await Promise.all([source.token(), source.token(), source.token()]);
    expect(new Set(first)).toEqual(new Set(["token-1"]));
    expect(requests).toHaveLength(1);
    expect(requests[0]?.authorization).toBe(`Basic ${Buffer.from("client:secret").toString("base64")}`);
    expect(requests[0]?.body).toBe("grant_type=client_credentials");
    now = 3_550_000; // within 60 s of expiry
    expect(await source.token()).toBe("token-2");
    source.invalidate();
    expect(await source.token()).toBe("token-3");
  });

  it("puts id and secret in the form for the form style", async () => {
    requests.length = 0;
    const source = createTokenSource({
      service: "Test auth",
      tokenUrl: url,
      clientId: "id",
      clientSecret: "s3cret",
      style: "form",
      http: createHttpClient({ service: "Test auth", timeoutMs: 2000 }),
      clock: { now: () => 0 },
    });
    await source.token();
    expect(requests[0]).toEqual({ authorization: undefined, body: "client_id=id&client_secret=s3cret" });
  });
});
