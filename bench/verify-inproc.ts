// In-process probe: CPU µs per verification of node:crypto alone vs the verifier's verify(), same pool, one thread.
// usage: npx tsx bench/verify-inproc.ts [RS256+DS128|RS256+RS256] [seconds]
import { createPublicKey, verify } from "node:crypto";
import { createAssertionVerifier } from "../src/assertions/index.js";
import { supportDocument, type VerifyPair, verifyPool } from "./verify-fixtures.js";

const pair = (process.argv[2] ?? "RS256+DS128") as VerifyPair;
const seconds = Number(process.argv[3] ?? "3");
const AUDIENCE = "https://rp.bench.example";
const issuer = "idp.bench.example";
const pool = verifyPool({ pair, issuer, audience: AUDIENCE, size: 5000, validForMs: 3_600_000 });
const doc = supportDocument(pool);
const verifier = createAssertionVerifier(
  {
    fallbackIssuer: undefined,
    trustedIssuers: [],
    clockSkewMs: 120_000,
    cacheTtlMs: 3_600_000,
    negativeCacheTtlMs: 30_000,
    fetch: { allowedPrivateHosts: [], httpHosts: [], insecureTlsHosts: [], timeoutMs: 5000, maxBytes: 65536 },
  },
  { fetchJson: async () => ({ status: 200, contentType: "application/json", body: doc }) },
);
const issuerKey = createPublicKey(pool.pems.issuer);
const userKeys = pool.pems.users.map((pem) => createPublicKey(pem));
const raw = pool.assertions.map((backed, i) => {
  const [cert = "", assertion = ""] = backed.split("~");
  const part = (jws: string) => {
    const [h = "", p = "", s = ""] = jws.split(".");
    const alg = JSON.parse(Buffer.from(h, "base64url").toString()).alg as string;
    return {
      data: Buffer.from(`${h}.${p}`),
      sig: Buffer.from(s, "base64url"),
      hash: alg === "DS128" ? "sha1" : "sha256",
    };
  };
  const a = part(assertion);
  const user = userKeys[i % userKeys.length];
  return {
    c: part(cert),
    a,
    key: a.hash === "sha1" ? { key: user, dsaEncoding: "ieee-p1363" as const } : user,
  };
});
const bodies = pool.assertions.map((assertion) => JSON.stringify({ assertion, audience: AUDIENCE }));

function cpu() {
  const u = process.cpuUsage();
  return u.user + u.system;
}
async function time(name: string, fn: (i: number) => unknown | Promise<unknown>) {
  for (let i = 0; i < 3000; i++) await fn(i);
  const c0 = cpu();
  const until = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < until) for (let k = 0; k < 64; k++, n++) await fn(n);
  console.log(`${name.padEnd(10)} ${((cpu() - c0) / n).toFixed(1)} µs`);
}
for (let round = 0; round < 2; round++) {
  await time("raw", (i) => {
    const r = raw[i % raw.length];
    if (!r) throw new Error();
    if (
      !verify(r.c.hash, r.c.data, issuerKey, r.c.sig) ||
      !verify(r.a.hash, r.a.data, r.key as never, r.a.sig)
    )
      throw new Error("raw failed");
  });
  await time("verify()", async (i) => {
    const body = JSON.parse(bodies[i % bodies.length] as string);
    const v = await verifier.verify({ assertion: body.assertion, audience: body.audience });
    if (v.status !== "okay") throw new Error(JSON.stringify(v));
  });
}
