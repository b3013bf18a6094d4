// node:crypto as a second, independent signer and checker of BrowserID material, and the raw maths for adversarial inputs.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import type { BrowserIdAlg, KeyObject as BrowserIdKey, Keypair } from "./oracle.js";

// --- minimal DER, enough for DSA SubjectPublicKeyInfo / PKCS#8 ---------------------------------------------------------

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const hex = length.toString(16);
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
  return Buffer.concat([Buffer.from([0x80 | bytes.length]), bytes]);
}
const tlv = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
function integer(hex: string): Buffer {
  let h = hex.replace(/^0+(?=.)/, "");
  if (h.length % 2) h = `0${h}`;
  if (Number.parseInt(h.slice(0, 2), 16) & 0x80) h = `00${h}`;
  return tlv(0x02, Buffer.from(h, "hex"));
}
const DSA_OID = Buffer.from("06072a8648ce380401", "hex");

/** Reads a DER tree into nested arrays of INTEGER hex strings (other primitives become their hex). */
function readDer(buf: Buffer): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i++] ?? 0;
    let length = buf[i++] ?? 0;
    if (length & 0x80) {
      const n = length & 0x7f;
      length = Number.parseInt(buf.subarray(i, i + n).toString("hex"), 16);
      i += n;
    }
    const body = buf.subarray(i, i + length);
    i += length;
    if (tag === 0x30) out.push(readDer(body));
    else if (tag === 0x03) out.push(readDer(body.subarray(1)));
    else if (tag === 0x04) out.push(readDer(body));
    else out.push(body.toString("hex").replace(/^0+(?=.)/, ""));
  }
  return out;
}

// --- browserid keys ↔ node:crypto ----------------------------------------------------------------------------------------

const hexOfDecimal = (decimal: string) => BigInt(decimal).toString(16);
const b64urlOfHex = (hex: string) =>
  Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url");

/** A browserid-format public key (`{algorithm:"RS",n,e}` decimal or `{algorithm:"DS",y,p,q,g}` hex) for node:crypto. */
export function nodePublicKey(key: BrowserIdKey): KeyObject {
  if (key.algorithm === "RS") {
    return createPublicKey({
      key: {
        kty: "RSA",
        n: b64urlOfHex(hexOfDecimal(key.n ?? "")),
        e: b64urlOfHex(hexOfDecimal(key.e ?? "")),
      },
      format: "jwk",
    });
  }
  const params = sequence(integer(key.p ?? ""), integer(key.q ?? ""), integer(key.g ?? ""));
  const spki = sequence(
    sequence(DSA_OID, params),
    tlv(0x03, Buffer.concat([Buffer.from([0]), integer(key.y ?? "")])),
  );
  return createPublicKey({ key: spki, format: "der", type: "spki" });
}

function nodeDsaPrivateKey(secret: BrowserIdKey): KeyObject {
  const params = sequence(integer(secret.p ?? ""), integer(secret.q ?? ""), integer(secret.g ?? ""));
  const pkcs8 = sequence(integer("0"), sequence(DSA_OID, params), tlv(0x04, integer(secret.x ?? "")));
  return createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
}

export function hashOf(alg: BrowserIdAlg): "sha1" | "sha256" {
  return alg === "DS128" ? "sha1" : "sha256";
}

/** node:crypto's verdict on a JWS signed with `publicKey` (RSA signatures left-padded to the modulus size). */
export function nodeVerifyJws(jws: string, publicKey: BrowserIdKey, alg: BrowserIdAlg): boolean {
  const [header, payload, signature] = jws.split(".");
  const key = nodePublicKey(publicKey);
  let sig = Buffer.from(signature ?? "", "base64url");
  if (publicKey.algorithm === "RS") {
    const bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    if (sig.length < bytes) sig = Buffer.concat([Buffer.alloc(bytes - sig.length), sig]);
    return verify("sha256", Buffer.from(`${header}.${payload}`), key, sig);
  }
  return verify(hashOf(alg), Buffer.from(`${header}.${payload}`), { key, dsaEncoding: "ieee-p1363" }, sig);
}

export interface NodeKeypair extends Keypair {
  privateKey: KeyObject;
}

/** RSA keys made by node:crypto, in both the browserid public form and jwcrypto's secret form (n, e, d decimal). */
export function nodeRsaKeypair(bits: 1024 | 2048, publicExponent = 65537): NodeKeypair {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: bits, publicExponent });
  const jwk = privateKey.export({ format: "jwk" });
  const dec = (b64: string | undefined) =>
    BigInt(`0x${Buffer.from(b64 ?? "", "base64url").toString("hex")}`).toString(10);
  return {
    alg: bits === 2048 ? "RS256" : "RS128",
    publicKey: { algorithm: "RS", n: dec(jwk.n), e: dec(jwk.e) },
    secretKey: { algorithm: "RS", n: dec(jwk.n), e: dec(jwk.e), d: dec(jwk.d) },
    privateKey,
  };
}

/** DSA keys in a FRESH group made by node:crypto (not one of the two standard BrowserID groups). */
export function nodeDsaKeypairInOwnGroup(bits: 1024 | 2048): NodeKeypair {
  const { privateKey } = generateKeyPairSync("dsa", {
    modulusLength: bits,
    divisorLength: bits === 1024 ? 160 : 256,
  });
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  const [[, [, [p, q, g]], [x]]] = readDer(der) as [[string, [string, [string, string, string]], [string]]];
  const y = modPow(BigInt(`0x${g}`), BigInt(`0x${x}`), BigInt(`0x${p}`)).toString(16);
  return {
    alg: bits === 1024 ? "DS128" : "DS256",
    publicKey: { algorithm: "DS", y, p, q, g },
    secretKey: { algorithm: "DS", x, p, q, g },
    privateKey,
  };
}

/** node:crypto's key for a jwcrypto-generated DSA secret key (for signing with OpenSSL under the standard groups). */
export function nodeKeypairFromDsa(keypair: Keypair): NodeKeypair {
  return { ...keypair, privateKey: nodeDsaPrivateKey(keypair.secretKey) };
}

/** A JWS signed by node:crypto: header `{alg}` unless given, P1363 DSA signatures, minimal-length never trimmed. */
export function nodeSignJws(
  payload: unknown,
  keypair: NodeKeypair,
  header: Record<string, unknown> = { alg: keypair.alg },
) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const sig =
    keypair.publicKey.algorithm === "RS"
      ? sign("sha256", Buffer.from(input), keypair.privateKey)
      : sign(hashOf(keypair.alg), Buffer.from(input), { key: keypair.privateKey, dsaEncoding: "ieee-p1363" });
  return `${input}.${sig.toString("base64url")}`;
}

export const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

// --- raw maths for inputs no honest signer produces -----------------------------------------------------------------------

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

const DIGEST_INFO: Record<"sha1" | "sha256", string> = {
  sha1: "3021300906052b0e03021a05000414",
  sha256: "3031300d060960864801650304020105000420",
};

/** EMSA-PKCS1-v1_5 encoding of `message` for a modulus of `bytes` bytes, with the DigestInfo of `hash`. */
export function pkcs1Encoded(message: string, hash: "sha1" | "sha256", bytes: number): bigint {
  const t = DIGEST_INFO[hash] + createHash(hash).update(message).digest("hex");
  const ps = "ff".repeat(bytes - 3 - t.length / 2);
  return BigInt(`0x0001${ps}00${t}`);
}

/** A JWS whose RSA signature is computed by hand: `EM^d mod n`, with any DigestInfo. */
export function rawRsaJws(
  payload: unknown,
  secret: BrowserIdKey,
  hash: "sha1" | "sha256",
  header: Record<string, unknown>,
) {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const n = BigInt(secret.n ?? "0");
  const bytes = Math.ceil(n.toString(16).length / 2);
  const s = modPow(pkcs1Encoded(input, hash, bytes), BigInt(secret.d ?? "0"), n);
  return `${input}.${b64urlOfHex(s.toString(16).padStart(bytes * 2, "0"))}`;
}

/** Replaces a JWS's signature with raw bytes. */
export function withSignature(jws: string, signature: Buffer): string {
  const [header, payload] = jws.split(".");
  return `${header}.${payload}.${signature.toString("base64url")}`;
}

/** DSA signature `(r, s)` in jwcrypto's layout (each half left-padded to the size of q). */
export function dsaSignature(r: bigint, s: bigint, q: string): Buffer {
  const width = Math.ceil(BigInt(`0x${q}`).toString(16).length / 2);
  return Buffer.from(
    r.toString(16).padStart(width * 2, "0") + s.toString(16).padStart(width * 2, "0"),
    "hex",
  );
}
