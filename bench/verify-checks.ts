// The /verify part's checks by hand before any load: the gateway and the bare server verify entry 0 and refuse
// it once a signature character changed.
import type { VerifyPool } from "./verify-fixtures.js";

export const AUDIENCE = "https://rp.bench.example";
export const JSON_TYPE = "application/json";

export const okay = (status: number, body: string) => status === 200 && body.includes('"status":"okay"');

async function post(url: string, body: string) {
  const response = await fetch(`${url}/verify`, {
    method: "POST",
    headers: { "content-type": JSON_TYPE },
    body,
  });
  return { status: response.status, text: await response.text() };
}

/** Before the load: one entry verifies with the expected claims, and a changed assertion signature fails. */
export async function check(url: string, pool: VerifyPool): Promise<void> {
  const assertion = pool.assertions[0] as string;
  const good = await post(url, JSON.stringify({ assertion, audience: AUDIENCE }));
  const verdict = JSON.parse(good.text) as Record<string, unknown>;
  if (
    good.status !== 200 ||
    verdict.status !== "okay" ||
    verdict.email !== `user0@${pool.issuer}` ||
    verdict.audience !== AUDIENCE ||
    verdict.issuer !== pool.issuer
  )
    throw new Error(
      `gateway POST /verify: expected okay for user0@${pool.issuer}, got ${good.status} ${good.text}`,
    );
  // Flip one character of the assertion's signature: proves both signatures are really checked under this setup.
  const last = assertion.length - 2;
  const flipped = `${assertion.slice(0, last)}${assertion[last] === "A" ? "B" : "A"}${assertion.slice(last + 1)}`;
  const bad = await post(url, JSON.stringify({ assertion: flipped, audience: AUDIENCE }));
  if (bad.status !== 200 || !bad.text.includes('"status":"failure"'))
    throw new Error(`gateway accepted a forged assertion signature: ${bad.status} ${bad.text}`);
}

/** The bare server answers okay for entry 0 and failure once its assertion signature changed. */
export async function checkBare(url: string, pool: VerifyPool): Promise<void> {
  const assertion = pool.assertions[0] as string;
  const good = await post(url, JSON.stringify({ assertion, audience: AUDIENCE }));
  const last = assertion.length - 2;
  const flipped = `${assertion.slice(0, last)}${assertion[last] === "A" ? "B" : "A"}${assertion.slice(last + 1)}`;
  const bad = await post(url, JSON.stringify({ assertion: flipped, audience: AUDIENCE }));
  if (!okay(good.status, good.text) || bad.text.includes('"status":"okay"'))
    throw new Error(`bare /verify server: got ${good.status} ${good.text} and ${bad.status} ${bad.text}`);
}
