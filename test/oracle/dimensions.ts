// The dimensions of the differential corpus: who certifies whom, audiences, times, tampering, shapes.
import { NOW } from "./world.js";

export const FALLBACK = "fallback.example";
export const HOUR = 3_600_000;

/**
 * Who certifies whom. `signer` picks the key that signs the certificate; `fallback` whether the verifiers have one
 * configured; `serverTrusted`/`callerTrusted` the issuers trusted by configuration / by the v2 caller.
 */
export interface Identity {
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
export const timeFault = (variant: TimeVariant) =>
  variant === "expired" || variant === "expired long ago" || variant === "iat in the future";

export function times(variant: TimeVariant, lifetime: number): { iat?: number; exp: number } {
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
export const SHAPE_FAULT: Record<Shape, boolean> = {
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
