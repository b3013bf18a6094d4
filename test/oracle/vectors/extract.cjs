// Regenerates the static vectors in this folder from the installed npm tarballs (run: node vectors/extract.cjs in test/oracle).
// Sources, MPL-2.0: browserid-local-verify 0.5.2 tests/regression-cases/*.js and browserid-crypto 0.9.1 test/vectors-test.js.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const out = __dirname;
const casesDir = path.join(__dirname, "..", "node_modules", "browserid-local-verify", "tests", "regression-cases");
const payloadOf = (jws) => JSON.parse(Buffer.from(jws.split(".")[1], "base64url").toString("utf8"));

for (const file of fs.readdirSync(casesDir).filter((f) => f.endsWith(".js")).sort()) {
  const c = require(path.join(casesDir, file));
  const parts = c.assertion.split("~");
  const cert = payloadOf(parts[0]);
  const assertion = payloadOf(parts[parts.length - 1]);
  const vector = {
    source: `browserid-local-verify@0.5.2 tests/regression-cases/${file} (MPL-2.0)`,
    name: c.name,
    assertion: c.assertion,
    audience: c.audience,
    // The issuer's public key, served at https://<issuer>/.well-known/browserid by the original test's mock.
    issuerPublicKey: c.pubKey,
    issuer: c.issuer,
    email: c.email ?? null,
    trustedIssuers: c.trustedIssuers ?? null,
    idpClaims: c.idpClaims ?? null,
    // Pinned clock: inside both validity windows (the original harness used new Date(NaN), skipping the time checks).
    now: assertion.exp - 60_000,
    expires: assertion.exp,
    certIssuedAt: cert.iat,
    certExpiresAt: cert.exp,
  };
  fs.writeFileSync(path.join(out, file.replace(/\.js$/, ".json")), `${JSON.stringify(vector, null, 2)}\n`);
}

// The single backed assertion of jwcrypto's own vector test: evaluate just its ASSERTIONS literal.
const src = fs.readFileSync(
  path.join(__dirname, "..", "node_modules", "browserid-crypto", "test", "vectors-test.js"),
  "utf8",
);
const literal = src.slice(src.indexOf("var ASSERTIONS = "), src.indexOf("];", src.indexOf("var ASSERTIONS = ")) + 2);
const sandbox = {};
vm.runInNewContext(`${literal}; this.ASSERTIONS = ASSERTIONS;`, sandbox);
const [first] = sandbox.ASSERTIONS;
const parts = first.assertion.split("~");
const cert = payloadOf(parts[0]);
const assertion = payloadOf(parts[parts.length - 1]);
fs.writeFileSync(
  path.join(out, "jwcrypto-vectors-test.json"),
  `${JSON.stringify(
    {
      source: "browserid-crypto@0.9.1 test/vectors-test.js ASSERTIONS[0] (MPL-2.0)",
      name: "jwcrypto test vector (ben@adida.net, root key given)",
      assertion: first.assertion,
      audience: assertion.aud,
      issuerPublicKey: first.root,
      issuer: cert.iss,
      email: cert.principal?.email ?? null,
      trustedIssuers: [cert.iss],
      idpClaims: null,
      // The test's "timeThatShouldWork": a second before the earlier of the two expiries.
      now: Math.min(cert.exp, assertion.exp) - 1000,
      expires: assertion.exp,
      certIssuedAt: cert.iat ?? null,
      certExpiresAt: cert.exp ?? null,
    },
    null,
    2,
  )}\n`,
);
