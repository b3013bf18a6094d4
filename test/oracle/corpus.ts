// The differential corpus: a small BrowserID "web" (IdPs, delegations, fallback, bridges) and generated cases over it.
import fc from "fast-check";
import type { FailureCategory, IssuerDocumentFetcher, Verdict } from "../../src/assertions/types.js";
import {
  AUDIENCES,
  FALLBACK,
  HOUR,
  IDENTITIES,
  type Identity,
  SHAPE_FAULT,
  SHAPES,
  type Shape,
  TAMPERS,
  type Tamper,
  TIME_VARIANTS,
  type TimeVariant,
  timeFault,
  times,
} from "./dimensions.js";
import {
  delegation,
  type IssuerDocument,
  type IssuerDocuments,
  type KeyObject,
  supportDocument,
} from "./oracle.js";
import { KEY_ALGS, type KeyAlg, NOW, type Signer, type World } from "./world.js";

export * from "./dimensions.js";
export * from "./world.js";

/** The issuer web of one case: example.com is the primary under test, signed by `idp`. */
function documentsFor(world: World, idp: Signer, shape: Shape): IssuerDocuments {
  const primary =
    shape === "issuer rotates keys (second key signs)"
      ? supportDocument(idp.publicKey, { keys: [idp.publicKey, world.spare.publicKey] })
      : shape === "issuer key in JWK form"
        ? supportDocument(jwkForm(idp.publicKey))
        : shape === "issuer publishes RSA-3072"
          ? supportDocument(world.rsa3072.publicKey)
          : shape === "issuer document disabled"
            ? { body: JSON.stringify({ disabled: true }) }
            : shape === 'issuer document disabled: "true"'
              ? { body: JSON.stringify({ disabled: "true" }) }
              : shape === "document content-type with charset"
                ? { ...supportDocument(idp.publicKey), contentType: "application/json; charset=utf-8" }
                : supportDocument(idp.publicKey);
  const docs: IssuerDocuments = {
    "example.com": primary,
    "deleg.example": delegation("example.com"),
    "urldeleg.example": delegation("https://example.com"),
    "evil.example": supportDocument(world.evil.publicKey),
    [FALLBACK]: supportDocument(world.fallback.publicKey),
    // Identity bridging (Persona's gmail/yahoo): the fallback's document for ?domain=bridged.example delegates.
    [`${FALLBACK}?domain=bridged.example`]: delegation("bridge.example"),
    "bridge.example": supportDocument(world.bridge.publicKey),
    "disabled.example": { body: JSON.stringify({ disabled: true }) },
    "cycle-a.example": delegation("cycle-b.example"),
    "cycle-b.example": delegation("cycle-a.example"),
    "redirect.example": { status: 301, contentType: "text/html", body: "" },
    "text.example": { contentType: "text/plain", body: JSON.stringify({ "public-key": idp.publicKey }) },
    "badjson.example": { body: "{not json" },
    "nokeys.example": { body: JSON.stringify({ authentication: "/a", provisioning: "/p" }) },
  };
  // hop1 → hop2 → … → hop7 → example.com: 7 delegations, over the limit of 5.
  for (let i = 1; i <= 7; i++)
    docs[`hop${i}.example`] = delegation(i === 7 ? "example.com" : `hop${i + 1}.example`);
  // near1 → … → near5 → example.com: exactly 5 delegations, within the limit.
  for (let i = 1; i <= 5; i++)
    docs[`near${i}.example`] = delegation(i === 5 ? "example.com" : `near${i + 1}.example`);
  return docs;
}

/** The same public key in the JWK-ish form jwcrypto also loads (base64url big-endian numbers). */
function jwkForm(key: KeyObject): KeyObject {
  const b64 = (hex: string) => Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url");
  if (key.algorithm === "RS") {
    return {
      kty: "RSA",
      n: b64(BigInt(key.n ?? "0").toString(16)),
      e: b64(BigInt(key.e ?? "0").toString(16)),
    };
  }
  return { kty: "DSA", y: b64(key.y ?? ""), p: b64(key.p ?? ""), q: b64(key.q ?? ""), g: b64(key.g ?? "") };
}

export interface CaseSpec {
  idpAlg: KeyAlg;
  userAlg: KeyAlg;
  identity: keyof typeof IDENTITIES;
  certTime: TimeVariant;
  assertionTime: TimeVariant;
  audience: number;
  tamper: Tamper;
  shape: Shape;
  /** Which character of the tampered segment changes (a fraction of its length, kept away from the ends). */
  tamperAt: number;
}

/** The plain valid case every dimension varies one at a time. */
export const BASE_CASE: CaseSpec = {
  idpAlg: "RS256",
  userAlg: "DS128",
  identity: "primary",
  certTime: "valid",
  assertionTime: "valid",
  audience: 0,
  tamper: "none",
  shape: "standard",
  tamperAt: 0.5,
};

export interface Case {
  name: string;
  spec: CaseSpec;
  assertion: string;
  audience: string;
  documents: IssuerDocuments;
  fallback: string | undefined;
  serverTrusted: string[];
  callerTrusted: string[] | undefined;
  /** At most one thing wrong: the failure category must agree too, not only okay/failure. */
  singleFault: boolean;
  /** Set when the case is on divergences.test.ts's list: Mozilla's verdict is wrong there, and we must refuse. */
  divergence: string | undefined;
}

/**
 * Combinations the generator can reach that are on the divergence list: with a trusted issuer Mozilla skips email
 * validation, answering okay with an invalid email (any string) or with none at all.
 */
function divergenceOf(identity: Identity, shape: Shape): string | undefined {
  const trusted = (identity.serverTrusted?.length ?? 0) > 0 || (identity.callerTrusted?.length ?? 0) > 0;
  if (trusted && shape === "email domain in upper case") return "trusted issuer, invalid email";
  if (trusted && shape === "principal is a string") return "trusted issuer, no email";
  return undefined;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Changes one character inside a segment (never the last one, whose low bits base64url may ignore). */
function flipChar(segment: string, at: number): string {
  const i = Math.min(segment.length - 2, Math.max(1, Math.floor(at * segment.length)));
  const c = segment[i] ?? "A";
  const replacement = B64URL[(B64URL.indexOf(c) + 17) % 64] ?? "A";
  return segment.slice(0, i) + replacement + segment.slice(i + 1);
}

function tamperJws(jws: string, part: 1 | 2, at: number): string {
  const parts = jws.split(".");
  parts[part] = flipChar(parts[part] ?? "", at);
  return parts.join(".");
}

const OTHER_ALG: Record<KeyAlg, KeyAlg> = { RS128: "RS256", RS256: "RS128", DS128: "DS256", DS256: "DS128" };

export async function buildCase(world: World, spec: CaseSpec): Promise<Case> {
  const identity = IDENTITIES[spec.identity] as Identity;
  const idp = world.idp[spec.idpAlg];
  const user = world.user[spec.userAlg];
  const shape = spec.shape;
  const signers = { idp, evil: world.evil, fallback: world.fallback, bridge: world.bridge };
  let certSigner = signers[identity.signer];
  if (identity.signer === "idp" && shape === "issuer rotates keys (second key signs)")
    certSigner = world.spare;
  if (identity.signer === "idp" && shape === "issuer publishes RSA-3072") certSigner = world.rsa3072;
  const email =
    identity.email === undefined
      ? undefined
      : shape === "email domain in upper case"
        ? identity.email.replace(/@(.)/, (_, c: string) => `@${c.toUpperCase()}`)
        : shape === "email domain with a port"
          ? `${identity.email}:8443`
          : identity.email;
  const [aud, rpAudience, audienceMatches] = AUDIENCES[spec.audience] as [string, string, boolean];

  const certPayload: Record<string, unknown> = {
    "public-key": user.publicKey,
    ...(email === undefined
      ? {}
      : identity.viaSub
        ? { sub: email }
        : { principal: shape === "principal is a string" ? email : { email } }),
    ...times(spec.certTime, HOUR),
    iss: identity.issuer,
    ...(shape === "extra certificate claims" ? { uuid: "u-1", "fxa-generation": 5 } : {}),
  };
  if (shape === "cert exp in seconds") certPayload.exp = Math.floor(NOW / 1000) + 3600;
  if (shape === "principal without email, email in sub" && email !== undefined) {
    certPayload.principal = { "unverified-email": "other@example.com" };
    certPayload.sub = email;
  }
  if (shape === "issuer in upper case") certPayload.iss = identity.issuer.toUpperCase();
  const assertionPayload: Record<string, unknown> = { aud, ...times(spec.assertionTime, 120_000) };
  if (shape === "assertion without aud") delete assertionPayload.aud;
  if (shape === "aud is a number") assertionPayload.aud = 443;
  const certHeader =
    spec.tamper === "cert header names another alg" ? { alg: OTHER_ALG[certSigner.alg] } : undefined;
  let cert = await certSigner.sign(certPayload, certHeader);
  if (shape === "RSA signature shorter than the modulus" && certSigner.publicKey.algorithm === "RS") {
    // About one RSA signature in 256 starts with a zero byte; jwcrypto (and the node signer here) then send it short.
    const full = Math.ceil(BigInt(certSigner.publicKey.n ?? "0").toString(16).length / 2);
    const short = () => Buffer.from(cert.split(".")[2] ?? "", "base64url").length < full;
    for (let nonce = 0; nonce < 5_000 && !short(); nonce++) {
      cert = await certSigner.sign({ ...certPayload, nonce }, certHeader);
    }
    if (!short()) throw new Error("no short RSA signature found in 5,000 tries");
  }
  let assertion = await user.sign(
    assertionPayload,
    spec.tamper === "assertion header names another alg" ? { alg: OTHER_ALG[user.alg] } : undefined,
  );
  let certs = [cert];
  switch (spec.tamper) {
    case "cert payload byte":
      cert = tamperJws(cert, 1, spec.tamperAt);
      certs = [cert];
      break;
    case "cert signature byte":
      certs = [tamperJws(cert, 2, spec.tamperAt)];
      break;
    case "assertion payload byte":
      assertion = tamperJws(assertion, 1, spec.tamperAt);
      break;
    case "assertion signature byte":
      assertion = tamperJws(assertion, 2, spec.tamperAt);
      break;
    case "two certificates":
      // A key certified by the case's issuer, certifying the user key: a valid chain both verifiers refuse.
      certs = [
        await certSigner.sign({ ...certPayload, "public-key": world.user.DS128.publicKey }),
        await world.user.DS128.sign({ ...certPayload, iss: "example.com" }),
      ];
      break;
    case "no certificate":
      certs = [];
      break;
    case "assertion cut short":
      assertion = assertion.slice(0, assertion.lastIndexOf("."));
      break;
  }
  const faults =
    (identity.fault ? 1 : 0) +
    (timeFault(spec.certTime) ? 1 : 0) +
    (timeFault(spec.assertionTime) ? 1 : 0) +
    (audienceMatches ? 0 : 1) +
    (spec.tamper === "none" ? 0 : 1) +
    (SHAPE_FAULT[shape] ? 1 : 0);
  const name = [
    `${world.kind}`,
    `${spec.idpAlg} cert / ${spec.userAlg} assertion`,
    `identity: ${spec.identity}`,
    spec.certTime === "valid" ? "" : `cert ${spec.certTime}`,
    spec.assertionTime === "valid" ? "" : `assertion ${spec.assertionTime}`,
    `aud ${JSON.stringify(aud)} vs ${JSON.stringify(rpAudience)}`,
    spec.tamper === "none" ? "" : `tamper: ${spec.tamper}@${spec.tamperAt.toFixed(2)}`,
    shape === "standard" ? "" : `shape: ${shape}`,
  ]
    .filter(Boolean)
    .join(", ");
  return {
    name,
    spec,
    assertion: [...certs, assertion].join("~"),
    audience: rpAudience,
    documents: documentsFor(world, idp, shape),
    fallback: identity.fallback ? FALLBACK : undefined,
    serverTrusted: identity.serverTrusted ?? [],
    callerTrusted: identity.callerTrusted,
    // Byte-level tampering can break several things at once (a flipped payload byte may corrupt the key or the JSON),
    // and the verifiers check in different orders, so only the verdict is compared there.
    singleFault: faults <= 1 && !spec.tamper.endsWith("byte"),
    divergence: divergenceOf(identity, shape),
  };
}

/** Mostly valid cases with one thing wrong, sometimes several. */
export function caseSpecs(): fc.Arbitrary<CaseSpec> {
  const okAudiences = AUDIENCES.flatMap(([, , ok], i) => (ok ? [i] : []));
  const identities = Object.keys(IDENTITIES);
  const valid = {
    idpAlg: fc.constantFrom(...KEY_ALGS),
    userAlg: fc.constantFrom(...KEY_ALGS),
    identity: fc.constant("primary"),
    certTime: fc.constant<TimeVariant>("valid"),
    assertionTime: fc.constant<TimeVariant>("valid"),
    audience: fc.constantFrom(...okAudiences),
    tamper: fc.constant<Tamper>("none"),
    shape: fc.constant<Shape>("standard"),
    tamperAt: fc.double({ min: 0, max: 1, noNaN: true }),
  };
  // The short-signature search signs up to thousands of times: enumerated once per signer, not sampled.
  const sampledShapes = SHAPES.filter((shape) => shape !== "RSA signature shorter than the modulus");
  return fc.oneof(
    { weight: 1, arbitrary: fc.record(valid) },
    { weight: 2, arbitrary: fc.record({ ...valid, identity: fc.constantFrom(...identities) }) },
    { weight: 1, arbitrary: fc.record({ ...valid, certTime: fc.constantFrom(...TIME_VARIANTS) }) },
    { weight: 1, arbitrary: fc.record({ ...valid, assertionTime: fc.constantFrom(...TIME_VARIANTS) }) },
    {
      weight: 2,
      arbitrary: fc.record({ ...valid, audience: fc.integer({ min: 0, max: AUDIENCES.length - 1 }) }),
    },
    { weight: 2, arbitrary: fc.record({ ...valid, tamper: fc.constantFrom(...TAMPERS) }) },
    { weight: 2, arbitrary: fc.record({ ...valid, shape: fc.constantFrom(...sampledShapes) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        ...valid,
        identity: fc.constantFrom(...identities),
        certTime: fc.constantFrom(...TIME_VARIANTS),
        assertionTime: fc.constantFrom(...TIME_VARIANTS),
        audience: fc.integer({ min: 0, max: AUDIENCES.length - 1 }),
        tamper: fc.constantFrom(...TAMPERS),
        shape: fc.constantFrom(...sampledShapes),
      }),
    },
  );
}

/** Our verifier's fetcher over the same issuer web the oracle sees. */
export function fetcherFor(documents: IssuerDocuments, calls: string[] = []): IssuerDocumentFetcher {
  return async (host, path) => {
    calls.push(`${host}${path}`);
    const principal = new URLSearchParams(path.split("?")[1] ?? "").get("domain") ?? "";
    const doc: IssuerDocument | undefined = documents[`${host}?domain=${principal}`] ?? documents[host];
    if (!doc) return { status: 404, contentType: "text/html", body: "" };
    return { status: doc.status ?? 200, contentType: doc.contentType ?? "application/json", body: doc.body };
  };
}

/** What the two verifiers are compared on. */
export type Comparable =
  | { status: "okay"; email: string | undefined; issuer: string; expires: number | null }
  | { status: "failure"; category: FailureCategory | "chain" | "unknown"; reason: string };

export function ours(verdict: Verdict): Comparable {
  return verdict.status === "okay"
    ? { status: "okay", email: verdict.email, issuer: verdict.issuer, expires: verdict.expires }
    : { status: "failure", category: verdict.category, reason: verdict.reason };
}
