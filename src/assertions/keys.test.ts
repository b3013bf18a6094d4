// Key hygiene: the four accepted key kinds bound to their alg, and every weak or odd key refused.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { assertionFailure as failure, sharedKeyPair } from "../../test/support/browserid.js";
import { bytesToBigint } from "./der.js";
import { DS128, DS256 } from "./dsa-groups.js";
import { parsePublicKey, requireAlg } from "./keys.js";

function rsaKey(bits: number) {
  const jwk = generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ format: "jwk" });
  return {
    n: bytesToBigint(Buffer.from(jwk.n ?? "", "base64url")),
    e: bytesToBigint(Buffer.from(jwk.e ?? "", "base64url")),
    jwk,
  };
}

describe("parsePublicKey", () => {
  it.each(["RS128", "RS256", "DS128", "DS256"] as const)(
    "loads %s keys and binds them to that alg",
    (alg) => {
      const key = parsePublicKey(sharedKeyPair(alg).publicKey);
      expect(key.alg).toBe(alg);
      expect(() => requireAlg(key, alg)).not.toThrow();
      for (const other of ["RS64", "RS128", "RS256", "DS128", "DS256", "DS160", "none", "HS256"]) {
        if (other !== alg)
          expect(failure(() => requireAlg(key, other)).reason).toBe("algorithms do not match");
      }
    },
  );

  it("returns the cached KeyObject for the same serialized key", () => {
    const pub = sharedKeyPair("RS256").publicKey;
    expect(parsePublicKey({ ...pub })).toBe(parsePublicKey({ ...pub }));
  });

  it("loads the JWK-ish kty:RSA / kty:DSA forms jwcrypto also accepted", () => {
    const { jwk } = rsaKey(2048);
    expect(parsePublicKey({ kty: "RSA", n: jwk.n, e: jwk.e }).alg).toBe("RS256");
    const ds = sharedKeyPair("DS128").publicKey;
    if (ds.algorithm !== "DS") throw new Error("expected a DS key");
    const b64 = (hex: string) => Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64");
    expect(parsePublicKey({ kty: "DSA", p: b64(ds.p), q: b64(ds.q), g: b64(ds.g), y: b64(ds.y) }).alg).toBe(
      "DS128",
    );
  });

  it("refuses RS64 (RSA-512) keys", () => {
    const { n, e } = rsaKey(512);
    const error = failure(() => parsePublicKey({ algorithm: "RS", n: n.toString(), e: e.toString() }));
    expect(error.category).toBe("key");
    expect(error.reason).toMatch(/RS64/);
  });

  it("refuses RSA sizes BrowserID never had (3072, 4096)", () => {
    const { n } = rsaKey(3072);
    expect(failure(() => parsePublicKey({ algorithm: "RS", n: n.toString(), e: "65537" })).reason).toBe(
      "bad key size: 3072",
    );
    expect(
      failure(() => parsePublicKey({ algorithm: "RS", n: (2n ** 4095n + 1n).toString(), e: "65537" })).reason,
    ).toBe("bad key size: 4096");
  });

  it.each(["1", "2", "65536", "0", "-3", "3.0", " 65537", "0x10001", "4294967297"])(
    "refuses RSA e = %s",
    (e) => {
      const pub = sharedKeyPair("RS256").publicKey;
      if (pub.algorithm !== "RS") throw new Error("expected an RS key");
      expect(failure(() => parsePublicKey({ algorithm: "RS", n: pub.n, e })).category).toBe("key");
    },
  );

  it("refuses an even modulus and non-string numbers", () => {
    const pub = sharedKeyPair("RS256").publicKey;
    if (pub.algorithm !== "RS") throw new Error("expected an RS key");
    const even = (BigInt(pub.n) + 1n).toString();
    expect(failure(() => parsePublicKey({ algorithm: "RS", n: even, e: "65537" })).category).toBe("key");
    expect(failure(() => parsePublicKey({ algorithm: "RS", n: Number(pub.n), e: 65537 })).category).toBe(
      "key",
    );
  });

  it("refuses DSA groups other than the two standard ones", () => {
    const ds = sharedKeyPair("DS128").publicKey;
    if (ds.algorithm !== "DS") throw new Error("expected a DS key");
    expect(failure(() => parsePublicKey({ ...ds, g: "2" })).reason).toBe(
      "DSA parameters are not a standard BrowserID group",
    );
    expect(failure(() => parsePublicKey({ ...ds, q: DS256.q.toString(16) })).category).toBe("key");
    expect(failure(() => parsePublicKey({ ...ds, p: (DS128.p + 2n).toString(16) })).category).toBe("key");
  });

  it.each([
    ["1", "y = 1"],
    ["0", "y = 0"],
    [(DS128.p - 1n).toString(16), "y = p-1"],
    [DS128.p.toString(16), "y = p"],
    ["zz", "non-hex"],
  ])("refuses DSA y %s (%s) without crashing", (y) => {
    const ds = sharedKeyPair("DS128").publicKey;
    expect(failure(() => parsePublicKey({ ...ds, y })).category).toBe("key");
  });

  it.each([
    [null, "key"],
    ["RS", "key"],
    [[], "key"],
    [{ algorithm: "EC", x: "1" }, "algorithm"],
    [{}, "algorithm"],
    [{ algorithm: "RS" }, "key"],
    [{ algorithm: "RS", n: "9".repeat(5000), e: "65537" }, "key"],
  ])("refuses %j as %s", (value, category) => {
    expect(failure(() => parsePublicKey(value)).category).toBe(category);
  });
});
