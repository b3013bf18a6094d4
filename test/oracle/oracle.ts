// Typed access to Mozilla's BrowserID libraries (mozilla.cjs): loads them if test/oracle is installed, runs risky inputs in a child.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { FailureCategory } from "../../src/assertions/types.js";

export type BrowserIdAlg = "RS64" | "RS128" | "RS256" | "DS128" | "DS256";

/** Keys in the browserid JSON form jwcrypto reads and writes (decimal RSA, lower-case hex DSA). */
export type KeyObject = Record<string, string>;

export interface Keypair {
  alg: BrowserIdAlg;
  publicKey: KeyObject;
  secretKey: KeyObject;
}

export interface IssuerDocument {
  status?: number;
  contentType?: string;
  body: string;
}

/** `domain` or `domain?domain=<principal domain>` (per-principal documents, looked up first) → the answer; else 404. */
export type IssuerDocuments = Record<string, IssuerDocument>;

export interface MozillaVerifyRequest {
  assertion: string;
  audience: string;
  now: number;
  documents: IssuerDocuments;
  fallback?: string;
  trustedIssuers?: string[];
  maxDelegations?: number;
}

export type MozillaVerdict =
  | {
      status: "okay";
      email?: string;
      issuer: string;
      /** The assertion's `aud` (the HTTP layer echoes the RP's string instead). */
      audience: string;
      /** Milliseconds, or null where the assertion had no usable `exp` (Mozilla then answers `expires: 0`). */
      expires: number | null;
      idpClaims?: Record<string, unknown>;
      userClaims?: Record<string, unknown>;
      calls: string[];
    }
  | { status: "failure"; reason: string; calls: string[] }
  /** Thrown out of the verifier (in-process), or the child process died (an uncaught exception killed Mozilla's worker). */
  | { status: "crash"; error: string; calls?: string[] }
  /** The child process was still running at the deadline (jsbn's infinite loop on DSA s=0). */
  | { status: "hang" };

export interface CertificateRequest {
  userPublicKey: KeyObject;
  principal?: unknown;
  sub?: string;
  issuer: string;
  issuedAt?: number;
  expiresAt?: number;
  extraClaims?: Record<string, unknown>;
  issuerSecretKey: KeyObject;
}

export interface AssertionRequest {
  audience: string;
  issuedAt?: number;
  expiresAt?: number;
  extraClaims?: Record<string, unknown>;
  userSecretKey: KeyObject;
}

export interface Mozilla {
  /** `bignum` (native OpenSSL BN, as browserid-verifier ran in production) or `jsbn` (pure JS fallback). */
  backend: "bignum" | "jsbn";
  generateKeypair(alg: BrowserIdAlg): Promise<Keypair>;
  /** JWS compact with jwcrypto's encoder; `header` overrides `{alg: <key's alg>}` (the signature is still real). */
  signJws(payload: unknown, secretKey: KeyObject, header?: Record<string, unknown>): Promise<string>;
  signCertificate(request: CertificateRequest): Promise<string>;
  signAssertion(request: AssertionRequest): Promise<string>;
  bundle(certs: string[], assertion: string): string;
  /** browserid-local-verify in this process. Only for inputs that cannot crash it (see verifyIsolated). */
  verify(request: MozillaVerifyRequest): Promise<MozillaVerdict>;
}

const here = fileURLToPath(new URL(".", import.meta.url));
const script = fileURLToPath(new URL("./mozilla.cjs", import.meta.url));

export type LoadedOracle = { mozilla: Mozilla } | { unavailable: string };

let loaded: LoadedOracle | undefined;

/** Loads the oracle once; when test/oracle was not installed, says why so the suites can skip with that reason. */
export function loadMozilla(): LoadedOracle {
  if (loaded) return loaded;
  try {
    const require = createRequire(script);
    loaded = { mozilla: require(script) as Mozilla };
  } catch (error) {
    loaded = {
      unavailable:
        `browserid-crypto/browserid-local-verify not installed in ${here} ` +
        `(bash scripts/test-prerequisites.sh installs them): ${String(error).split("\n")[0]}`,
    };
  }
  return loaded;
}

/**
 * browserid-local-verify in a child process, for the inputs that throw out of it asynchronously (killing the process, as
 * it killed browserid-verifier's worker) or loop forever. The child is killed at the deadline.
 */
export function verifyIsolated(request: MozillaVerifyRequest, timeoutMs = 5_000): Promise<MozillaVerdict> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { cwd: here, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ status: "hang" });
      if (code === 0 && stdout) return resolve(JSON.parse(stdout) as MozillaVerdict);
      const thrown =
        stderr.split("\n").find((line) => /^\w*Error\b/.test(line)) ?? stderr.trim().split("\n").pop();
      resolve({ status: "crash", error: `exit ${code}: ${thrown ?? ""}` });
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/**
 * Mozilla's reason strings (reference §1.10) sorted into our failure categories. Only meaningful for inputs with a single
 * fault: Mozilla fetches the issuer document before checking anything else, so on multi-fault inputs the first reported
 * fault depends on the verifier's order.
 */
export function categoryOfMozillaReason(reason: string): FailureCategory | "chain" | "unknown" {
  // First match wins: a bad key inside a support document is a discovery failure, as Mozilla reports it.
  const rules: [RegExp, FailureCategory | "chain"][] = [
    [/^certificate chaining is not yet allowed/, "chain"],
    [/^audience mismatch/, "audience"],
    [/^untrusted issuer/, "issuer"],
    [/^untrusted assertion, doesn't contain an email/, "email"],
    [/^(expired|issued later than verification date)$/, "expired"],
    [/^invalid signature$/, "signature"],
    [/^algorithms do not match$/, "algorithm"],
    [/^no such algorithm/, "algorithm"],
    [
      /is not a browserid primary|^timeout trying to load|^bad support document|^Circular reference|^Too many hops|^invalid domain|^no public keys found|^unhandled error while parsing/,
      "discovery",
    ],
    [/bad key size|Cannot read properties of null/, "key"],
    // An issuer whose own document says {disabled:true} has no keys: jwcrypto reads .getAlgorithm of undefined.
    [/Cannot read properties of undefined \(reading 'getAlgorithm'\)/, "discovery"],
    [
      /^(no certificates provided|malformed backed assertion|malformed signature|signed object must have three parts|certs must be an array)|segment: |segment: invalid json/,
      "malformed",
    ],
  ];
  for (const [pattern, category] of rules) if (pattern.test(reason)) return category;
  return "unknown";
}

/** A support document that publishes `publicKey` (what a primary IdP serves at /.well-known/browserid). */
export function supportDocument(publicKey: KeyObject, extra: Record<string, unknown> = {}): IssuerDocument {
  return {
    body: JSON.stringify({
      "public-key": publicKey,
      authentication: "/sign_in",
      provisioning: "/provision",
      ...extra,
    }),
  };
}

/** A document delegating authority to `authority`. */
export function delegation(authority: string): IssuerDocument {
  return { body: JSON.stringify({ authority }) };
}
