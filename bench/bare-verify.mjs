// The /verify ceiling of node:http itself: a bare server that does only what no verifier can skip — read the
// body, JSON.parse it, split the backed assertion, decode both signatures and check them with node:crypto
// (the same two checks as bench/raw-verify.mjs, keys imported once) — and answers a fixed okay or failure.
// No claims, no expiry, no audience, no issuer: whatever the gateway does beyond this is its own overhead.
// Env: PORT, POOL_FILE (the pool bench/verify-fixtures.ts wrote). GET answers 200 (readiness).
import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { part } from "./jws-part.mjs";

const pool = JSON.parse(readFileSync(process.env.POOL_FILE, "utf8"));
const issuerKey = createPublicKey(pool.pems.issuer);
const userKeys = pool.pems.users.map((pem) => createPublicKey(pem));
// Which user key certified each entry (the pool assigns them round-robin): a lookup, not a parse.
const entry = new Map(pool.assertions.map((backed, i) => [backed, i]));
const OKAY = '{"status":"okay"}';
const FAILURE = '{"status":"failure","reason":"bad signature"}';

function checks(backed) {
  const i = entry.get(backed);
  if (i === undefined) return false;
  const [cert, assertion] = backed.split("~");
  const c = part(cert);
  const a = part(assertion);
  const key = userKeys[i % userKeys.length];
  return (
    verify(c.hash, c.data, issuerKey, c.signature) &&
    verify(a.hash, a.data, a.dsa ? { key, dsaEncoding: "ieee-p1363" } : key, a.signature)
  );
}

function answer(response, body) {
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

const server = createServer((request, response) => {
  if (request.method === "GET") return answer(response, OKAY);
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    let ok = false;
    try {
      ok = checks(JSON.parse(Buffer.concat(chunks).toString("utf8")).assertion);
    } catch {
      ok = false;
    }
    answer(response, ok ? OKAY : FAILURE);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => server.close(() => process.exit(0)));
