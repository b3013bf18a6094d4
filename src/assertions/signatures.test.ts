// Signature checks on node:crypto: valid RS/DS signatures, jwcrypto's short RSA form, degenerate DSA forgeries.
import { sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dsaSignature, rawSign, sharedKeyPair } from "../../test/support/browserid.js";
import { DS128, DS256 } from "./dsa-groups.js";
import { parsePublicKey } from "./keys.js";
import { verifySignature } from "./signatures.js";

const message = "eyJhbGciOiJEUzEyOCJ9.eyJhdWQiOiJodHRwczovL3JwLmV4YW1wbGUifQ";

describe("verifySignature", () => {
  it.each(["RS128", "RS256", "DS128", "DS256"] as const)(
    "accepts a %s signature and refuses a different message",
    (alg) => {
      const pair = sharedKeyPair(alg);
      const key = parsePublicKey(pair.publicKey);
      const signature = rawSign(message, pair);
      expect(verifySignature(key, message, signature)).toBe(true);
      expect(verifySignature(key, `${message}x`, signature)).toBe(false);
    },
  );

  it("left-pads RSA signatures jwcrypto emitted without leading zero bytes", () => {
    const pair = sharedKeyPair("RS256");
    const key = parsePublicKey(pair.publicKey);
    // Find a message whose signature starts with a zero byte (about 1 in 256).
    for (let i = 0; i < 5000; i++) {
      const signature = rawSign(`${message}.${i}`, pair);
      if (signature[0] !== 0) continue;
      expect(verifySignature(key, `${message}.${i}`, signature.subarray(1))).toBe(true);
      return;
    }
    throw new Error("no signature with a leading zero byte in 5000 tries");
  });

  it("refuses RSA signatures longer than the modulus", () => {
    const pair = sharedKeyPair("RS256");
    const signature = Buffer.concat([Buffer.from([0]), rawSign(message, pair)]);
    expect(verifySignature(parsePublicKey(pair.publicKey), message, signature)).toBe(false);
  });

  it("refuses an RS256 signature whose DigestInfo says SHA-1 (jwcrypto threw 'Not Implemented')", () => {
    const pair = sharedKeyPair("RS256");
    const sha1 = sign("sha1", Buffer.from(message), pair.privateKey);
    expect(verifySignature(parsePublicKey(pair.publicKey), message, sha1)).toBe(false);
  });

  describe.each([
    ["DS128", DS128.q],
    ["DS256", DS256.q],
  ] as const)("%s degenerate signatures (Mozilla accepted (r=1, s=q) for any message)", (alg, q) => {
    const key = parsePublicKey(sharedKeyPair(alg).publicKey);
    it.each([
      ["r=1, s=q", 1n, q],
      ["r=1, s=0", 1n, 0n],
      ["r=0, s=1", 0n, 1n],
      ["r=q, s=1", q, 1n],
      ["r=q+1, s=1", q + 1n, 1n],
      ["r=1, s=q+1", 1n, q + 1n],
      ["r=0, s=0", 0n, 0n],
      ["r=1, s=1", 1n, 1n],
      ["r=q-1, s=q-1", q - 1n, q - 1n],
    ])("refuses %s", (_name, r, s) => {
      const width = alg === "DS128" ? 20 : 32;
      const raw =
        r > q || s > q
          ? Buffer.concat([bigWidth(r, width + 1), bigWidth(s, width + 1)])
          : dsaSignature(r, s, alg);
      expect(verifySignature(key, message, raw)).toBe(false);
    });
  });

  it("refuses DSA signatures of the wrong width", () => {
    const pair = sharedKeyPair("DS128");
    const key = parsePublicKey(pair.publicKey);
    const signature = rawSign(message, pair);
    expect(verifySignature(key, message, signature.subarray(1))).toBe(false);
    expect(verifySignature(key, message, Buffer.concat([signature, Buffer.from([0])]))).toBe(false);
    expect(verifySignature(key, message, Buffer.alloc(40))).toBe(false);
  });
});

function bigWidth(value: bigint, width: number): Buffer {
  return Buffer.from(value.toString(16).padStart(width * 2, "0"), "hex");
}
