// Mozilla's BrowserID libraries behind a small API: browserid-crypto as a generator, browserid-local-verify as the oracle.
// Plain CommonJS because both packages are 2013-era CommonJS; used in-process by oracle.ts, and run as a child process
// (`node mozilla.cjs` with a JSON request on stdin) for the inputs that crash or hang Mozilla's verifier.
"use strict";

const jwcrypto = require("browserid-crypto");
require("browserid-crypto/lib/algs/ds");
require("browserid-crypto/lib/algs/rs");
const utils = require("browserid-crypto/lib/utils");
const { RNG } = require("browserid-crypto/lib/rng");
const Verifier = require("browserid-local-verify");

/** Which big-number library jwcrypto picked (libs/bigint-patch.js tries the optional native `bignum` first). */
const backend = (() => {
  try {
    require("bignum");
    return "bignum";
  } catch {
    return "jsbn";
  }
})();

const rng = new RNG();

const KEY_PARAMS = {
  RS64: { algorithm: "RS", keysize: 64 },
  RS128: { algorithm: "RS", keysize: 128 },
  RS256: { algorithm: "RS", keysize: 256 },
  DS128: { algorithm: "DS", keysize: 128 },
  DS256: { algorithm: "DS", keysize: 256 },
};

function generateKeypair(alg) {
  const params = KEY_PARAMS[alg];
  if (!params) return Promise.reject(new Error(`unknown BrowserID algorithm ${alg}`));
  return new Promise((resolve, reject) => {
    jwcrypto.generateKeypair(params, (err, keypair) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      resolve({
        alg: keypair.publicKey.getAlgorithm(),
        publicKey: keypair.publicKey.toSimpleObject(),
        secretKey: keypair.secretKey.toSimpleObject(),
      });
    });
  });
}

/** Signs `b64url(header).b64url(payload)` with the key's own jwcrypto code; `header` defaults to {alg: key's alg}. */
function signJws(payload, secretKeyObject, header) {
  const secretKey = jwcrypto.loadSecretKeyFromObject(secretKeyObject);
  const head = header ?? { alg: secretKey.getAlgorithm() };
  const signingInput = `${utils.base64urlencode(JSON.stringify(head))}.${utils.base64urlencode(JSON.stringify(payload))}`;
  return new Promise((resolve) => {
    secretKey.sign(signingInput, rng, () => {}, (hexSignature) => {
      resolve(`${signingInput}.${utils.hex2b64urlencode(hexSignature)}`);
    });
  });
}

/** jwcrypto.cert.sign, exactly as Mozilla's own test IdP calls it. */
function signCertificate({ userPublicKey, principal, sub, issuer, issuedAt, expiresAt, extraClaims, issuerSecretKey }) {
  const certParams = { publicKey: jwcrypto.loadPublicKeyFromObject(userPublicKey) };
  if (principal !== undefined) certParams.principal = principal;
  if (sub !== undefined) certParams.sub = sub;
  const assertionParams = { issuer };
  if (issuedAt !== undefined) assertionParams.issuedAt = new Date(issuedAt);
  if (expiresAt !== undefined) assertionParams.expiresAt = new Date(expiresAt);
  return new Promise((resolve, reject) => {
    jwcrypto.cert.sign(
      certParams,
      assertionParams,
      extraClaims ?? null,
      jwcrypto.loadSecretKeyFromObject(issuerSecretKey),
      (err, cert) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(cert)),
    );
  });
}

/** jwcrypto.assertion.sign, as the Persona dialog did. */
function signAssertion({ audience, issuedAt, expiresAt, extraClaims, userSecretKey }) {
  const assertionParams = { audience };
  if (issuedAt !== undefined) assertionParams.issuedAt = new Date(issuedAt);
  if (expiresAt !== undefined) assertionParams.expiresAt = new Date(expiresAt);
  return new Promise((resolve, reject) => {
    jwcrypto.assertion.sign(
      extraClaims ?? {},
      assertionParams,
      jwcrypto.loadSecretKeyFromObject(userSecretKey),
      (err, assertion) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(assertion)),
    );
  });
}

function bundle(certs, assertion) {
  return jwcrypto.cert.bundle(certs, assertion);
}

/**
 * The issuer web: `documents` maps `domain` (or `domain?domain=<principal domain>` for per-principal documents,
 * looked up first) to `{status, contentType, body}`; a missing entry is a 404.
 */
function httpRequestFrom(documents, calls) {
  return (domain, path, cb) => {
    const principal = new URLSearchParams(path.split("?")[1] ?? "").get("domain") ?? "";
    calls.push(`${domain}${path}`);
    const doc = documents[`${domain}?domain=${principal}`] ?? documents[domain];
    // Answer on a later turn, as a socket would: jwcrypto's callbacks must not run inside our stack.
    setImmediate(() => {
      if (!doc) return cb(null, 404, { "content-type": "text/html" }, "not found");
      cb(null, doc.status ?? 200, { "content-type": doc.contentType ?? "application/json" }, doc.body);
    });
  };
}

/**
 * browserid-local-verify with an injected clock and issuer web. Resolves
 * {status:"okay", email?, issuer, audience, expires (ms or null), idpClaims?, userClaims?, calls}
 * or {status:"failure", reason, calls}; a synchronous throw resolves {status:"crash", error, calls}.
 */
function verify({ assertion, audience, now, documents, fallback, trustedIssuers, maxDelegations }) {
  const calls = [];
  const args = { httpRequest: httpRequestFrom(documents, calls), now: new Date(now) };
  if (fallback !== undefined) args.fallback = fallback;
  if (trustedIssuers !== undefined) args.trustedIssuers = trustedIssuers;
  if (maxDelegations !== undefined) args.maxDelegations = maxDelegations;
  return new Promise((resolve) => {
    let settled = false;
    try {
      new Verifier(args).verify({ assertion, audience }, (err, result) => {
        if (settled) return;
        settled = true;
        if (err) return resolve({ status: "failure", reason: typeof err === "string" ? err : String(err), calls });
        resolve({
          status: "okay",
          ...result,
          expires: result.expires instanceof Date && !Number.isNaN(result.expires.valueOf()) ? result.expires.valueOf() : null,
          calls,
        });
      });
    } catch (error) {
      settled = true;
      resolve({ status: "crash", error: String(error), calls });
    }
  });
}

module.exports = { backend, generateKeypair, signJws, signCertificate, signAssertion, bundle, verify };

// Child-process mode: one verify request as JSON on stdin, the verdict as JSON on stdout. An uncaught exception kills the
// process (as it killed browserid-verifier's worker); an infinite loop is the parent's timeout.
if (require.main === module) {
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    input += chunk;
  });
  process.stdin.on("end", () => {
    verify(JSON.parse(input)).then((verdict) => {
      process.stdout.write(JSON.stringify(verdict));
      process.exit(0);
    });
  });
}
