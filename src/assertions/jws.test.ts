// JWS compact parsing: strict base64url, Mozilla's reason texts, exactly one certificate.

import { describe, expect, it } from "vitest";
import { b64url, encodeJws, assertionFailure as failure } from "../../test/support/browserid.js";
import { decodeBase64url, parseBackedAssertion, parseJws } from "./jws.js";

const good = encodeJws({ alg: "RS256" }, { iss: "example.com" }, Buffer.from([1, 2, 3, 4]));

describe("decodeBase64url", () => {
  it("decodes canonical unpadded base64url", () => {
    expect(decodeBase64url(b64url(Buffer.from([0xfb, 0xff])))?.toString("hex")).toBe("fbff");
    expect(decodeBase64url("")?.length).toBe(0);
  });

  it.each([
    ["padding", `${b64url("ab")}=`],
    ["standard alphabet", "+/+/"],
    ["a foreign character inside", "AQID*BA"],
    ["an impossible length", "AAAAA"],
    ["non-zero unused bits (a second spelling of the same bytes)", "AB"],
    ["whitespace", "AQ ID"],
  ])("refuses %s", (_name, input) => {
    expect(decodeBase64url(input)).toBeUndefined();
  });
});

describe("parseJws", () => {
  it("returns alg, payload, signing input and signature bytes", () => {
    const parsed = parseJws(good);
    expect(parsed.alg).toBe("RS256");
    expect(parsed.payload).toEqual({ iss: "example.com" });
    expect(parsed.signingInput).toBe(good.split(".").slice(0, 2).join("."));
    expect([...parsed.signature]).toEqual([1, 2, 3, 4]);
  });

  it("says how many parts a JWS with the wrong count has", () => {
    expect(failure(() => parseJws("a.b")).reason).toBe("signed object must have three parts, this one has 2");
    expect(failure(() => parseJws("bogus")).reason).toBe(
      "signed object must have three parts, this one has 1",
    );
  });

  it("names the segment that is not base64url or not JSON", () => {
    const [, payload, sig] = good.split(".");
    expect(failure(() => parseJws(`*.${payload}.${sig}`)).reason).toBe(
      "header segment: Illegal base64url string!",
    );
    expect(failure(() => parseJws(`${b64url("{nope")}.${payload}.${sig}`)).reason).toBe(
      "headersegment: invalid json",
    );
    expect(failure(() => parseJws(`${b64url('{"alg":"RS256"}')}.${b64url("[1]")}.${sig}`)).category).toBe(
      "malformed",
    );
  });

  it("refuses a header without a string alg", () => {
    expect(failure(() => parseJws(encodeJws({ alg: 5 }, {}, Buffer.from([1])))).category).toBe("algorithm");
  });

  it("refuses signatures with padding or foreign characters (jwcrypto skipped them)", () => {
    expect(failure(() => parseJws(`${good}==`)).reason).toBe("malformed signature");
    const [h, p, s = ""] = good.split(".");
    expect(failure(() => parseJws(`${h}.${p}.${s.slice(0, 2)}*${s.slice(2)}`)).reason).toBe(
      "malformed signature",
    );
    expect(failure(() => parseJws(`${h}.${p}.`)).reason).toBe("malformed signature");
  });
});

describe("parseBackedAssertion", () => {
  it("splits cert~assertion", () => {
    const parsed = parseBackedAssertion(`${good}~${good}`);
    expect(parsed.certificate.alg).toBe("RS256");
    expect(parsed.assertion.alg).toBe("RS256");
  });

  it.each([
    [42, "malformed backed assertion"],
    [{ assertion: "x" }, "malformed backed assertion"],
    ["bogus", "no certificates provided"],
    ["", "no certificates provided"],
    [`${good}~${good}~${good}`, "certificate chaining is not yet allowed"],
    ["a~b", "signed object must have three parts, this one has 1"],
    ["x".repeat(20_000), "malformed backed assertion"],
  ])("refuses %j with %s", (input, reason) => {
    const error = failure(() => parseBackedAssertion(input));
    expect(error.reason).toBe(reason);
    expect(error.category).toBe("malformed");
  });
});
