// Signature checks with node:crypto only: RSA PKCS#1 v1.5 SHA-256, DSA over BrowserID's raw r||s encoding.
import { verify } from "node:crypto";
import type { VerificationKey } from "./keys.js";

function isZero(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

/**
 * True only for a valid signature. Out-of-range DSA components are refused before OpenSSL sees them: Mozilla's
 * DSA accepted (r=1, s=q) for any message, so the range is checked here explicitly as well.
 */
export function verifySignature(key: VerificationKey, signed: string | Buffer, signature: Buffer): boolean {
  const data = typeof signed === "string" ? Buffer.from(signed, "latin1") : signed;
  try {
    if (key.kind === "rsa") {
      if (signature.length > key.modulusBytes) return false;
      // jwcrypto emitted minimal-length integers; OpenSSL wants exactly the modulus length.
      const padded =
        signature.length === key.modulusBytes
          ? signature
          : Buffer.concat([Buffer.alloc(key.modulusBytes - signature.length), signature]);
      return verify("sha256", data, key.keyObject, padded);
    }
    const width = key.group.componentBytes;
    if (signature.length !== 2 * width) return false;
    const r = signature.subarray(0, width);
    const s = signature.subarray(width);
    if (isZero(r) || isZero(s) || Buffer.compare(r, key.qBytes) >= 0 || Buffer.compare(s, key.qBytes) >= 0) {
      return false;
    }
    return verify(key.group.hash, data, { key: key.keyObject, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}
