// The /verify benchmark's own parts: its assertions pass the gateway's verifier (so the bench measures successes),
// the paced sender charges a stalled server for the requests it held back, and `--only` routes to the right parts.
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runPaced } from "../../bench/paced-load.js";
import { supportDocument, VERIFY_PAIRS, verifyPool } from "../../bench/verify-fixtures.js";
import { verifySelection } from "../../bench/verify-options.js";
import { createAssertionVerifier } from "../../src/assertions/index.js";

const AUDIENCE = "https://rp.bench.example";

function verifierFor(document: string) {
  return createAssertionVerifier(
    {
      fallbackIssuer: undefined,
      trustedIssuers: [],
      clockSkewMs: 30_000,
      cacheTtlMs: 600_000,
      negativeCacheTtlMs: 1_000,
      fetch: { allowedPrivateHosts: [], httpHosts: [], timeoutMs: 1_000, maxBytes: 65_536 },
    },
    { fetchJson: async () => ({ status: 200, contentType: "application/json", body: document }) },
  );
}

describe("verifyPool", () => {
  for (const pair of VERIFY_PAIRS) {
    it(`signs ${pair} backed assertions the gateway's verifier accepts, every signature distinct`, async () => {
      const pool = verifyPool({
        pair,
        issuer: "idp.bench.example",
        audience: AUDIENCE,
        size: 6,
        validForMs: 60_000,
      });
      const verifier = verifierFor(supportDocument(pool));
      for (const [i, assertion] of pool.assertions.entries()) {
        expect(await verifier.verify({ assertion, audience: AUDIENCE })).toMatchObject({
          status: "okay",
          email: `user${i}@idp.bench.example`,
          issuer: "idp.bench.example",
          issuerAuthoritative: true,
        });
      }
      const signatures = pool.assertions.flatMap((a) => a.split("~").map((jws) => jws.split(".")[2]));
      expect(new Set(signatures).size).toBe(2 * pool.assertions.length);
      // The certificate of one entry with the assertion of another: a different user key signed it.
      const [cert] = (pool.assertions[0] as string).split("~");
      const [, otherAssertion] = (pool.assertions[1] as string).split("~");
      const mixed = await verifier.verify({ assertion: `${cert}~${otherAssertion}`, audience: AUDIENCE });
      expect(mixed.status).toBe("failure");
    });
  }
});

describe("runPaced", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  /** Serves `handler` on loopback and sends it `count` paced requests over one second. */
  async function pace(handler: RequestListener, count: number, good = (_s: number, _b: string) => true) {
    server = createServer(handler);
    await new Promise<void>((done) => server?.listen(0, "127.0.0.1", done));
    const { port } = server.address() as AddressInfo;
    return runPaced({
      url: `http://127.0.0.1:${port}`,
      rate: count,
      durationSec: 1,
      next: () => ({ path: "/verify", headers: { "content-type": "application/json" }, body: "{}" }),
      good,
    });
  }

  it("counts latency from each request's due time, so a server that stalls is charged for the queue", async () => {
    const opened = Date.now();
    // Holds every answer until 300 ms after it started, then answers at once (with a Content-Length, which
    // the generator needs, as every measured server sends).
    const body = '{"status":"okay"}';
    const result = await pace(
      (req, res) => {
        req.resume();
        const wait = Math.max(0, opened + 300 - Date.now());
        setTimeout(
          () =>
            res
              .writeHead(200, {
                "content-type": "application/json",
                "content-length": Buffer.byteLength(body),
              })
              .end(body),
          wait,
        );
      },
      200,
      (status, text) => status === 200 && text.includes("okay"),
    );
    expect(result).toMatchObject({ sent: 200, completed: 200, bad: 0, errors: 0 });
    // The first requests were due at ~0 ms and answered at ~300 ms; later ones were answered promptly.
    expect(result.maxMs).toBeGreaterThan(250);
    expect(result.p50Ms).toBeLessThan(100);
  });

  it("counts an answer it cannot frame (no Content-Length) as an error instead of waiting for it", async () => {
    const result = await pace((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"okay"}'); // chunked
    }, 50);
    expect(result).toMatchObject({ sent: 50, completed: 50, errors: 50 });
  });
});

describe("verifySelection", () => {
  it("runs everything without --only, and splits verify from the other routes", () => {
    expect(verifySelection(undefined)).toEqual({ verify: true, others: undefined });
    expect(verifySelection("verify")).toEqual({ verify: true, others: null });
    expect(verifySelection("callback,verify")).toEqual({ verify: true, others: "callback" });
    expect(verifySelection("persona/validate")).toEqual({ verify: false, others: "persona/validate" });
  });
});
