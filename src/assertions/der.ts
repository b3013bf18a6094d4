// Minimal DER encoding for the two DSA key structures node:crypto needs (SPKI public, PKCS#8 private).

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** Big-endian magnitude of a non-negative bigint, at least one byte. */
export function bigintToBytes(value: bigint, length = 0): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = Buffer.from(hex, "hex");
  if (bytes.length >= length) return bytes;
  return Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
}

function integer(value: bigint): Buffer {
  let bytes = bigintToBytes(value);
  // DER integers are signed: a set top bit needs a leading zero byte to stay positive.
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
// 1.2.840.10040.4.1 (id-dsa)
const DSA_OID = Buffer.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]);

export interface DsaGroupParams {
  p: bigint;
  q: bigint;
  g: bigint;
}

function dsaAlgorithm(group: DsaGroupParams): Buffer {
  return sequence(DSA_OID, sequence(integer(group.p), integer(group.q), integer(group.g)));
}

/** SubjectPublicKeyInfo for a DSA public key y in the given group. */
export function dsaPublicKeyDer(group: DsaGroupParams, y: bigint): Buffer {
  const bitString = tlv(0x03, Buffer.concat([Buffer.from([0]), integer(y)]));
  return sequence(dsaAlgorithm(group), bitString);
}

/** PKCS#8 PrivateKeyInfo for a DSA private key x in the given group (test signers). */
export function dsaPrivateKeyDer(group: DsaGroupParams, x: bigint): Buffer {
  return sequence(integer(0n), dsaAlgorithm(group), tlv(0x04, integer(x)));
}
