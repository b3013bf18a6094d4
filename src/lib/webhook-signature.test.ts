// The shared HMAC verifier, configured as Persona's scheme, against the reference vector and every way to get it wrong.
import { describe, expect, it } from "vitest";
import { parseSignatureHeader, SIGNATURE_HEADER } from "../providers/persona/constants.js";
import { hmacHex, type SignatureScheme, verifySignature } from "./webhook-signature.js";

// Self-made vector from ../shared/reference/providers.md §1.4 (recomputed there with Node's crypto).
const BODY =
  '{"data":{"type":"event","id":"evt_XGuYWp7WuDzNxie5z16s7sGJ","attributes":{"name":"inquiry.approved","payload":{"data":{"type":"inquiry","id":"inq_2CVZ4HyVg7qaboXz2PUHknAn","attributes":{"status":"approved"}}},"created-at":"2019-09-09T22:46:27.598Z"}}}';
const T = 1764686826;
const NEW = "2129e20feac27885a2dadaa0921c107612f92890262e1cc96e861467d2902a80";
const OLD = "fba046377bd381cdea78ee0ecf3d9f0067e83145f6a0fbd7e40bc9eab2ea3bfd";

const persona: SignatureScheme = {
  header: SIGNATURE_HEADER,
  parse: parseSignatureHeader,
  signedPrefix: (c) => `${c.timestamp}.`,
  toleranceSeconds: 48 * 3600,
};
const at = (seconds: number) => seconds * 1000;
const verify = (
  header: string | undefined,
  secrets = ["wbhsec_test_secret"],
  body = BODY,
  now = at(T + 60),
) => verifySignature(persona, secrets, header, Buffer.from(body), now);

describe("Persona-Signature verification", () => {
  it("reproduces the reference vector", () => {
    expect(hmacHex("wbhsec_test_secret", `${T}.${BODY}`)).toBe(NEW);
    expect(hmacHex("wbhsec_old_secret", `${T}.${BODY}`)).toBe(OLD);
    expect(verify(`t=${T},v1=${NEW}`)).toEqual({ ok: true });
  });

  it("accepts a rotation header by either pair, and several configured secrets", () => {
    const rotation = `t=${T},v1=${NEW} t=${T},v1=${OLD}`;
    expect(verify(rotation)).toEqual({ ok: true });
    expect(verify(rotation, ["wbhsec_old_secret"])).toEqual({ ok: true });
    expect(verify(`t=${T},v1=${OLD}`, ["wbhsec_test_secret", "wbhsec_old_secret"])).toEqual({ ok: true });
  });

  it("rejects a tampered body, a wrong secret, a missing or malformed header, and no secret", () => {
    expect(verify(`t=${T},v1=${NEW}`, undefined, BODY.replace("approved", "declined"))).toEqual({
      ok: false,
      reason: "mismatch",
    });
    expect(verify(`t=${T},v1=${NEW}`, ["wbhsec_other"])).toEqual({ ok: false, reason: "mismatch" });
    expect(verify(`t=${T + 1},v1=${NEW}`)).toEqual({ ok: false, reason: "mismatch" });
    expect(verify(undefined)).toEqual({ ok: false, reason: "missing" });
    expect(verify("sha256=abc")).toEqual({ ok: false, reason: "malformed" });
    expect(verify(`t=${T},v1=nothex`)).toEqual({ ok: false, reason: "malformed" });
    expect(verify(`v1=${NEW}`)).toEqual({ ok: false, reason: "malformed" });
    expect(verify(`t=${T},v1=${NEW}`, [])).toEqual({ ok: false, reason: "no_secret" });
  });

  it("enforces the time window both ways", () => {
    const window = 48 * 3600;
    expect(verify(`t=${T},v1=${NEW}`, undefined, BODY, at(T + window))).toEqual({ ok: true });
    expect(verify(`t=${T},v1=${NEW}`, undefined, BODY, at(T + window + 1))).toEqual({
      ok: false,
      reason: "stale",
    });
    expect(verify(`t=${T},v1=${NEW}`, undefined, BODY, at(T - window - 1))).toEqual({
      ok: false,
      reason: "stale",
    });
  });
});
