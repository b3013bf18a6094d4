// /.well-known/browserid parsing: the three document kinds and each of Mozilla's error texts.
import { describe, expect, it } from "vitest";
import { sharedKeyPair, supportDocument } from "../../test/support/browserid.js";
import { AssertionError } from "./errors.js";
import { parseSupportDocument } from "./support-document.js";

function reason(body: unknown): string {
  try {
    parseSupportDocument("idp.example", typeof body === "string" ? body : JSON.stringify(body));
  } catch (error) {
    if (error instanceof AssertionError && error.category === "discovery") return error.reason;
    throw error;
  }
  throw new Error("expected a discovery failure");
}

const rs = sharedKeyPair("RS256").publicKey;
const ds = sharedKeyPair("DS128").publicKey;
const paths = { authentication: "/sign_in", provisioning: "/provision" };

describe("parseSupportDocument", () => {
  it("reads public-key and keys (signing keys only)", () => {
    const doc = parseSupportDocument("idp.example", JSON.stringify({ ...paths, "public-key": rs }));
    expect(doc.type === "supported" && doc.keys.map((key) => key.alg)).toEqual(["RS256"]);
    const rotated = parseSupportDocument(
      "idp.example",
      JSON.stringify({ ...paths, keys: [{ ...rs, use: "sig" }, { ...ds, use: "enc" }, ds] }),
    );
    expect(rotated.type === "supported" && rotated.keys.map((key) => key.alg)).toEqual(["RS256", "DS128"]);
  });

  it("recognises disabled and delegation documents, disabled first", () => {
    expect(parseSupportDocument("d", JSON.stringify({ disabled: true, authority: "x.example" }))).toEqual({
      type: "disabled",
    });
    expect(parseSupportDocument("d", JSON.stringify({ authority: "x.example" }))).toEqual({
      type: "delegation",
      authority: "x.example",
    });
    expect(parseSupportDocument("d", JSON.stringify({ disabled: false, ...supportDocument(rs) })).type).toBe(
      "supported",
    );
  });

  it.each([
    ["{nope", "declaration of support is malformed (invalid json)"],
    ["[1]", "support document must contain a json object"],
    ["42", "support document must contain a json object"],
    [{ disabled: "true" }, "disabled must be either true or false"],
    [{ disabled: 0 }, "disabled must be either true or false"],
    [{ authority: 5 }, "malformed authority"],
    [{ authority: "https://example.com" }, "the authority is not a valid hostname"],
    [
      { "public-key": rs, provisioning: "/p" },
      "support document missing required property: 'authentication'",
    ],
    [
      { "public-key": rs, authentication: "/a" },
      "support document missing required property: 'provisioning'",
    ],
    [
      { "public-key": rs, authentication: "/a", provisioning: "foo" },
      "invalid path: must start with a slash",
    ],
    [{ ...paths }, "support document missing required property 'keys' and/or 'public-key'"],
    [{ ...paths, keys: [] }, "support document missing required property 'keys' and/or 'public-key'"],
    [{ ...paths, keys: {} }, "mal-formed list of public keys in support doc"],
    [
      { ...paths, "public-key": { algorithm: "RS", e: "65537" } },
      "mal-formed public key in support doc: malformed public key: bad n",
    ],
  ])("refuses %j: %s", (body, expected) => {
    expect(reason(body)).toBe(`bad support document for 'idp.example': Error: ${expected}`);
  });

  it("refuses a document with more keys than any rotation needs", () => {
    expect(reason({ ...paths, keys: Array.from({ length: 11 }, () => rs) })).toMatch(/too many keys/);
  });
});
