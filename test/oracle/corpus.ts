// The differential corpus: a small BrowserID "web" (IdPs, delegations, fallback, bridges) and generated cases over it.
import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import type { FailureCategory, IssuerDocumentFetcher, Verdict } from "../../src/assertions/types.js";
import { type BrowserIdKeyPair, generateKeyPair, signJws as nodeSignJws } from "../support/browserid.js";
import {
  delegation,
  type IssuerDocument,
  type IssuerDocuments,
  type KeyObject,
  type Mozilla,
  supportDocument,
} from "./oracle.js";

export const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;

export type KeyAlg = "RS128" | "RS256" | "DS128" | "DS256";
export const KEY_ALGS: KeyAlg[] = ["RS128", "RS256", "DS128", "DS256"];

/** One key and the code that signs with it: browserid-crypto's (jwcrypto) or node:crypto's (test/support/browserid.ts). */
export interface Signer {
  alg: KeyAlg;
  publicKey: KeyObject;
  sign(payload: unknown, header?: Record<string, unknown>): Promise<string>;
}

export type SignerKind = "jwcrypto" | "node";

export async function makeSigner(kind: SignerKind, alg: KeyAlg, mozilla: Mozilla): Promise<Signer> {
  if (kind === "jwcrypto") {
    const keypair = await mozilla.generateKeypair(alg);
    return {
      alg,
      publicKey: keypair.publicKey,
      sign: (payload, header) => mozilla.signJws(payload, keypair.secretKey, header),
    };
  }
  const keypair: BrowserIdKeyPair = generateKeyPair(alg);
  return {
    alg,
    publicKey: keypair.publicKey as KeyObject,
    // jwcrypto wrote minimal-length RSA signatures; do the same so both verifiers must left-pad.
    sign: async (payload, header) =>
      nodeSignJws(payload, keypair, header ? { header, minimalRsa: true } : { minimalRsa: true }),
  };
}

/** node:crypto RSA-3072, signing with header RS256 (jwcrypto cannot even make such a key). */
function rsa3072Signer(): Signer {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const jwk = privateKey.export({ format: "jwk" });
  const dec = (b64?: string) =>
    BigInt(`0x${Buffer.from(b64 ?? "", "base64url").toString("hex")}`).toString(10);
  const keypair = { alg: "RS256", publicKey: { algorithm: "RS", n: dec(jwk.n), e: dec(jwk.e) }, privateKey };
  return {
    alg: "RS256",
    publicKey: keypair.publicKey,
    sign: async (payload, header) =>
      nodeSignJws(payload, keypair as BrowserIdKeyPair, header ? { header } : {}),
  };
}

/** Every key a world needs, for one signer kind. */
export interface World {
  kind: SignerKind;
  idp: Record<KeyAlg, Signer>;
  user: Record<KeyAlg, Signer>;
  /** A second primary (evil.example), the fallback IdP, and an identity bridge. */
  evil: Signer;
  fallback: Signer;
  bridge: Signer;
  /** A second key of the primary (rotation) and an RSA-3072 key no BrowserID alg covers. */
  spare: Signer;
  rsa3072: Signer;
}

export async function makeWorld(kind: SignerKind, mozilla: Mozilla): Promise<World> {
  const idp = {} as Record<KeyAlg, Signer>;
  const user = {} as Record<KeyAlg, Signer>;
  for (const alg of KEY_ALGS) {
    idp[alg] = await makeSigner(kind, alg, mozilla);
    user[alg] = await makeSigner(kind, alg, mozilla);
  }
  return {
    kind,
    idp,
    user,
    evil: await makeSigner(kind, "RS256", mozilla),
    fallback: await makeSigner(kind, "RS256", mozilla),
    bridge: await makeSigner(kind, "DS128", mozilla),
    spare: await makeSigner(kind, "DS256", mozilla),
    rsa3072: rsa3072Signer(),
  };
}

export const FALLBACK = "fallback.example";

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

/**
 * Who certifies whom. `signer` picks the key that signs the certificate; `fallback` whether the verifiers have one
 * configured; `serverTrusted`/`callerTrusted` the issuers trusted by configuration / by the v2 caller.
 */
interface Identity {
  email?: string | undefined;
  viaSub?: boolean;
  issuer: string;
  signer: "idp" | "evil" | "fallback" | "bridge";
  fallback?: boolean;
  serverTrusted?: string[];
  callerTrusted?: string[];
  /** Whether this identity on its own makes the verdict a failure. */
  fault: boolean;
}

export const IDENTITIES: Record<string, Identity> = {
  primary: { email: "alice@example.com", issuer: "example.com", signer: "idp", fault: false },
  "email in sub": {
    email: "sub@example.com",
    viaSub: true,
    issuer: "example.com",
    signer: "idp",
    fault: false,
  },
  "delegated domain": { email: "carol@deleg.example", issuer: "example.com", signer: "idp", fault: false },
  "5 delegations": { email: "n@near1.example", issuer: "example.com", signer: "idp", fault: false },
  "fallback for a domain without document": {
    email: "bob@nodoc.example",
    issuer: FALLBACK,
    signer: "fallback",
    fallback: true,
    fault: false,
  },
  "fallback for a domain with a bad document": {
    email: "bob@badjson.example",
    issuer: FALLBACK,
    signer: "fallback",
    fallback: true,
    fault: false,
  },
  "bridged by the fallback's per-principal document": {
    email: "dan@bridged.example",
    issuer: "bridge.example",
    signer: "bridge",
    fallback: true,
    fault: false,
  },
  "server-trusted issuer": {
    email: "alice@example.com",
    issuer: "evil.example",
    signer: "evil",
    serverTrusted: ["evil.example"],
    fault: false,
  },
  "caller-trusted issuer (v2)": {
    email: "alice@example.com",
    issuer: "evil.example",
    signer: "evil",
    callerTrusted: ["evil.example"],
    fault: false,
  },
  "no fallback configured": { email: "bob@nodoc.example", issuer: FALLBACK, signer: "fallback", fault: true },
  "other primary certifies": {
    email: "alice@example.com",
    issuer: "evil.example",
    signer: "evil",
    fault: true,
  },
  "fallback certifies a primary's user": {
    email: "alice@example.com",
    issuer: FALLBACK,
    signer: "fallback",
    fallback: true,
    fault: true,
  },
  "email domain over the delegation limit": {
    email: "x@hop1.example",
    issuer: "example.com",
    signer: "idp",
    fault: true,
  },
  "email domain in a delegation cycle": {
    email: "x@cycle-a.example",
    issuer: "example.com",
    signer: "idp",
    fault: true,
  },
  "no email": { issuer: "example.com", signer: "idp", fault: true },
  "email domain delegates to a URL": {
    email: "x@urldeleg.example",
    issuer: "example.com",
    signer: "idp",
    fault: true,
  },
  "email with two @": { email: "a@b.example@example.com", issuer: "example.com", signer: "idp", fault: true },
  "email with newline": { email: "a\n@example.com", issuer: "example.com", signer: "idp", fault: true },
  "issuer without document": {
    email: "x@nodoc2.example",
    issuer: "nodoc2.example",
    signer: "idp",
    fault: true,
  },
  "issuer redirects": { email: "x@redirect.example", issuer: "redirect.example", signer: "idp", fault: true },
  "issuer serves text/plain": { email: "x@text.example", issuer: "text.example", signer: "idp", fault: true },
  "issuer serves bad JSON": {
    email: "x@badjson.example",
    issuer: "badjson.example",
    signer: "idp",
    fault: true,
  },
  "issuer document without keys": {
    email: "x@nokeys.example",
    issuer: "nokeys.example",
    signer: "idp",
    fault: true,
  },
  "issuer in a delegation cycle": {
    email: "x@cycle-a.example",
    issuer: "cycle-a.example",
    signer: "idp",
    fault: true,
  },
  "issuer over the delegation limit": {
    email: "x@hop1.example",
    issuer: "hop1.example",
    signer: "idp",
    fault: true,
  },
};

/** [assertion aud, RP audience, matches?] — reference §1.7 and its edges. */
export const AUDIENCES: [string, string, boolean][] = [
  ["https://rp.example", "https://rp.example", true],
  ["http://rp.example:8080", "rp.example:8080", true],
  ["http://rp.example:8080", "http://rp.example:8080/", true],
  ["http://rp.example:8080", "HTTP://RP.EXAMPLE:8080", true],
  ["http://rp.example:8080", "http://rp.example", false],
  ["http://rp.example:8080", "rp.example", false],
  ["http://rp.example:8080", "https://rp.example:8080", false],
  ["http://rp.example:8080", "http://rp.example:8080/path", false],
  ["http://rp.example:8080", "http://other.example:8080", false],
  ["https://rp.example", "https://rp.example:443", true],
  ["https://rp.example", "rp.example:443", false],
  ["http://example.com", "incorrect.com", false],
  ["http://example.com", "ftp://example.com", false],
  ["http://example.com", "example.com::80", false],
  ["http://example.com", "example.com", true],
  ["http://example.com", "example.com:80", true],
  ["app://browser.gaiamobile.org", "app://browser.gaiamobile.org:80", true],
  ["https://rp.example/login?next=1", "https://rp.example", true],
  ["https://RP.Example", "https://rp.example", true],
  ["https://rp.example", "https://rp.example/?q", false],
  ["https://rp.example", "https://rp.example#top", true],
  ["https://rp.example", "https://rp.example:0443", false],
  ["https://rp.example:8443", "https://rp.example:8443", true],
  ["https://xn--bcher-kva.example", "https://bücher.example", true],
];

export type TimeVariant =
  | "valid"
  | "expired"
  | "expired long ago"
  | "exp = now"
  | "iat = now"
  | "iat in the future";
export const TIME_VARIANTS: TimeVariant[] = [
  "valid",
  "expired",
  "expired long ago",
  "exp = now",
  "iat = now",
  "iat in the future",
];
const timeFault = (variant: TimeVariant) =>
  variant === "expired" || variant === "expired long ago" || variant === "iat in the future";

function times(variant: TimeVariant, lifetime: number): { iat?: number; exp: number } {
  switch (variant) {
    case "valid":
      return { iat: NOW - 1_000, exp: NOW + lifetime };
    case "expired":
      return { iat: NOW - lifetime, exp: NOW - 1 };
    case "expired long ago":
      return { iat: NOW - 2 * lifetime - 600_000, exp: NOW - 600_000 };
    case "exp = now":
      return { iat: NOW - lifetime, exp: NOW };
    case "iat = now":
      return { iat: NOW, exp: NOW + lifetime };
    case "iat in the future":
      return { iat: NOW + 1, exp: NOW + lifetime };
  }
}

export type Tamper =
  | "none"
  | "cert payload byte"
  | "cert signature byte"
  | "assertion payload byte"
  | "assertion signature byte"
  | "cert header names another alg"
  | "assertion header names another alg"
  | "two certificates"
  | "no certificate"
  | "assertion cut short";
export const TAMPERS: Tamper[] = [
  "none",
  "cert payload byte",
  "cert signature byte",
  "assertion payload byte",
  "assertion signature byte",
  "cert header names another alg",
  "assertion header names another alg",
  "two certificates",
  "no certificate",
  "assertion cut short",
];

/** Certificate, assertion and issuer-document shapes from reference §3.2 (one at a time). */
export type Shape =
  | "standard"
  | "cert exp in seconds"
  | "principal is a string"
  | "email domain in upper case"
  | "email domain with a port"
  | "extra certificate claims"
  | "assertion without aud"
  | "issuer rotates keys (second key signs)"
  | "issuer key in JWK form"
  | "issuer publishes RSA-3072"
  | "issuer document disabled"
  | "RSA signature shorter than the modulus"
  | "principal without email, email in sub"
  | "aud is a number"
  | "issuer in upper case"
  | "extra header fields"
  | "document content-type with charset"
  | 'issuer document disabled: "true"';
export const SHAPES: Shape[] = [
  "standard",
  "cert exp in seconds",
  "principal is a string",
  "email domain in upper case",
  "email domain with a port",
  "extra certificate claims",
  "assertion without aud",
  "issuer rotates keys (second key signs)",
  "issuer key in JWK form",
  "issuer publishes RSA-3072",
  "issuer document disabled",
  "RSA signature shorter than the modulus",
  "principal without email, email in sub",
  "aud is a number",
  "issuer in upper case",
  "extra header fields",
  "document content-type with charset",
  'issuer document disabled: "true"',
];
const SHAPE_FAULT: Record<Shape, boolean> = {
  standard: false,
  "cert exp in seconds": true,
  "principal is a string": true,
  "email domain in upper case": true,
  "email domain with a port": true,
  "extra certificate claims": false,
  "assertion without aud": true,
  "issuer rotates keys (second key signs)": false,
  "issuer key in JWK form": false,
  "issuer publishes RSA-3072": true,
  "issuer document disabled": true,
  "RSA signature shorter than the modulus": false,
  "principal without email, email in sub": false,
  "aud is a number": true,
  "issuer in upper case": true,
  "extra header fields": false,
  "document content-type with charset": false,
  'issuer document disabled: "true"': true,
};

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
