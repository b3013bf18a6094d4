// Claim rules: required ms exp, iat not in the future, the skew exactly, where the email comes from, pubkey refused.
import { describe, expect, it } from "vitest";
import { assertionFailure as failure, sharedKeyPair } from "../../test/support/browserid.js";
import { certificateClaims, checkTimes } from "./claims.js";

const now = 1_800_000_000_000;
const skew = 30_000;

describe("checkTimes", () => {
  it("returns exp when it is in the future and iat is not", () => {
    expect(checkTimes({ exp: now + 1, iat: now }, "assertion", now, skew)).toBe(now + 1);
  });

  it("tolerates exactly the configured skew and no more", () => {
    expect(checkTimes({ exp: now - skew }, "assertion", now, skew)).toBe(now - skew);
    expect(failure(() => checkTimes({ exp: now - skew - 1 }, "assertion", now, skew)).reason).toBe("expired");
    expect(checkTimes({ exp: now + 60_000, iat: now + skew }, "assertion", now, skew)).toBe(now + 60_000);
    expect(failure(() => checkTimes({ exp: now + 60_000, iat: now + skew + 1 }, "a", now, skew)).reason).toBe(
      "issued later than verification date",
    );
  });

  it("requires exp (Mozilla treated a missing, zero or garbage exp as never expiring)", () => {
    expect(failure(() => checkTimes({}, "assertion", now, skew)).category).toBe("malformed");
    expect(failure(() => checkTimes({ exp: "garbage" }, "assertion", now, skew)).category).toBe("malformed");
    expect(failure(() => checkTimes({ exp: String(now + 1000) }, "assertion", now, skew)).category).toBe(
      "malformed",
    );
    expect(failure(() => checkTimes({ exp: 0 }, "assertion", now, skew)).reason).toBe("expired");
    expect(failure(() => checkTimes({ exp: Number.NaN }, "assertion", now, skew)).category).toBe("malformed");
  });

  it("reads times as milliseconds: an exp in seconds has long expired", () => {
    expect(
      failure(() => checkTimes({ exp: Math.floor(now / 1000) + 3600 }, "certificate", now, skew)).reason,
    ).toBe("expired");
  });
});

describe("certificateClaims", () => {
  const publicKey = sharedKeyPair("DS128").publicKey;

  it("takes the email from principal.email, else from sub", () => {
    expect(
      certificateClaims({ iss: "example.com", "public-key": publicKey, principal: { email: "a@x.example" } })
        .email,
    ).toBe("a@x.example");
    expect(
      certificateClaims({ iss: "example.com", "public-key": publicKey, sub: "s@x.example" }).emailDomain,
    ).toBe("x.example");
    expect(
      certificateClaims({ iss: "example.com", "public-key": publicKey, principal: "a@x.example" }).email,
    ).toBe(undefined);
  });

  it("refuses a certificate using pubkey instead of public-key (Mozilla's worker crashed on it)", () => {
    expect(failure(() => certificateClaims({ iss: "example.com", pubkey: publicKey })).category).toBe(
      "malformed",
    );
  });

  it("refuses an issuer that is not a domain before anything is fetched", () => {
    expect(
      failure(() => certificateClaims({ iss: "https://evil.example/x", "public-key": publicKey })).category,
    ).toBe("issuer");
    expect(failure(() => certificateClaims({ "public-key": publicKey })).category).toBe("malformed");
  });
});
