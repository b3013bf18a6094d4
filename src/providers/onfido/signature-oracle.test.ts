// Our X-SHA2-Signature check against the official @onfido/api WebhookEventVerifier, on Onfido's vectors and random inputs.
import { WebhookEventVerifier } from "@onfido/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hmacHex, verifySignature } from "../../lib/webhook-signature.js";
import { SIGNATURE_SCHEME } from "./constants.js";

/** The oracle: some configured token's verifier accepts (a JSON SyntaxError comes after a good signature). */
function oracleAccepts(tokens: readonly string[], body: Buffer, signature: string): boolean {
  return tokens.some((token) => {
    try {
      new WebhookEventVerifier(token).readPayload(body, signature);
      return true;
    } catch (error) {
      return error instanceof SyntaxError;
    }
  });
}

const weAccept = (tokens: readonly string[], body: Buffer, signature: string): boolean =>
  verifySignature(SIGNATURE_SCHEME, tokens, signature, body, Date.now()).ok;

/** Exactly a SHA-256 digest in hex: the only form Onfido sends, and the form both sides must agree on. */
const CANONICAL = /^[0-9a-fA-F]{64}$/;

// Official SDK test vectors (reference §2.4, ONODE test/*-webhook-event-verifier.test.ts).
const CLASSIC = {
  token: "_ABC123abc123ABC123abc123ABC123_",
  body: '{"payload":{"resource_type":"check","action":"check.completed","object":{"id":"check-123","status":"complete","completed_at_iso8601":"2020-01-01T00:00:00Z","href":"https://api.onfido.com/v3/checks/check-123"}}}',
  signature: "a0082d7481f9f0a2907583dbe1f344d6d4c0d9989df2fd804f98479f60cd760e",
};
const STUDIO = {
  token: "YKOC6mkBxi6yK2zlUIrLMvsJMFEZObP5",
  body: '{"payload":{"resource_type":"workflow_task","action":"workflow_task.started","object":{"id":"profile_1eb92","task_spec_id":"profile_1eb92","task_def_id":"profile_data","workflow_run_id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","status":"started","started_at_iso8601":"2024-07-10T12:49:09Z","href":"https://api.eu.onfido.com/v3.6/workflow_runs/bc77c6e5-753a-4580-96a6-aaed3e5a8d19/tasks/profile_1eb92"},"resource":{"created_at":"2024-07-10T12:49:09Z","id":"profile_1eb92","workflow_run_id":"bc77c6e5-753a-4580-96a6-aaed3e5a8d19","updated_at":"2024-07-10T12:49:09Z","input":{},"task_def_version":null,"task_def_id":"profile_data","output":null}}}',
  signature: "c95a5b785484f6fa1bc25f381b5595d66bf85cb442eefb06aa007802ee6a4dfa",
};

const token = fc.string({ minLength: 1, maxLength: 40 });
const body = fc.oneof(
  fc.json().map((text) => Buffer.from(text)),
  fc.uint8Array({ minLength: 0, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
);
const hexDigit = fc.constantFrom(..."0123456789abcdefABCDEF");

/** A header value derived from a real signature the way a forger, a proxy or a bug would change it. */
type Mutation =
  | { kind: "exact" | "uppercase" | "tampered-body" | "truncated" | "padded" | "junk-suffix" }
  | { kind: "flip-digit"; at: number; digit: string }
  | { kind: "random-hex"; hex: string }
  | { kind: "random-text"; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  ...(["exact", "uppercase", "tampered-body", "truncated", "padded", "junk-suffix"] as const).map((kind) =>
    fc.constant({ kind }),
  ),
  fc.record({ kind: fc.constant("flip-digit" as const), at: fc.nat({ max: 63 }), digit: hexDigit }),
  fc.record({
    kind: fc.constant("random-hex" as const),
    hex: fc.string({ unit: hexDigit, minLength: 64, maxLength: 64 }),
  }),
  fc.record({ kind: fc.constant("random-text" as const), text: fc.string({ maxLength: 80 }) }),
);

function header(signer: string, raw: Buffer, m: Mutation): string {
  const good = hmacHex(signer, raw);
  switch (m.kind) {
    case "exact":
      return good;
    case "uppercase":
      return good.toUpperCase();
    case "tampered-body":
      return hmacHex(signer, Buffer.concat([raw, Buffer.from(" ")]));
    case "truncated":
      return good.slice(0, 62);
    case "padded":
      return `${good}0`;
    case "junk-suffix":
      return `${good}zz`;
    case "flip-digit":
      return `${good.slice(0, m.at)}${m.digit}${good.slice(m.at + 1)}`;
    case "random-hex":
      return m.hex;
    case "random-text":
      return m.text;
  }
}

describe("X-SHA2-Signature against the official @onfido/api verifier", () => {
  it("both accept Onfido's own vectors and reject the invalid control", () => {
    for (const v of [CLASSIC, STUDIO]) {
      expect(oracleAccepts([v.token], Buffer.from(v.body), v.signature)).toBe(true);
      expect(weAccept([v.token], Buffer.from(v.body), v.signature)).toBe(true);
      expect(hmacHex(v.token, v.body)).toBe(v.signature);
    }
    const control = `b${CLASSIC.signature.slice(1)}`;
    expect(oracleAccepts([CLASSIC.token], Buffer.from(CLASSIC.body), control)).toBe(false);
    expect(weAccept([CLASSIC.token], Buffer.from(CLASSIC.body), control)).toBe(false);
  });

  it("agrees on every digest-shaped signature: what it accepts we accept, what it rejects we reject", () => {
    const seen = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(
        fc.array(token, { minLength: 1, maxLength: 3 }),
        token,
        fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
        body,
        mutation,
        (configured, stranger, signWithConfigured, raw, m) => {
          const signer = signWithConfigured ? (configured[0] as string) : stranger;
          const value = header(signer, raw, m);
          const theirs = oracleAccepts(configured, raw, value);
          const ours = weAccept(configured, raw, value);
          // Never looser than the oracle, whatever the header holds.
          if (ours) expect(theirs).toBe(true);
          if (CANONICAL.test(value)) expect(ours).toBe(theirs);
          seen[ours ? "accepted" : "rejected"]++;
        },
      ),
      { numRuns: 1000 },
    );
    // Both outcomes really were exercised.
    expect(seen.accepted).toBeGreaterThan(50);
    expect(seen.rejected).toBeGreaterThan(50);
  });

  it("accepts the good signature with any configured token (rotation), rejects wrong tokens and tampered bodies", () => {
    fc.assert(
      fc.property(fc.uniqueArray(token, { minLength: 2, maxLength: 4 }), body, (tokens, raw) => {
        for (const t of tokens) {
          const good = hmacHex(t, raw);
          expect(oracleAccepts(tokens, raw, good)).toBe(true);
          expect(weAccept(tokens, raw, good)).toBe(true);
          const others = tokens.filter((o) => o !== t);
          expect(oracleAccepts(others, raw, good)).toBe(weAccept(others, raw, good));
          const tampered = Buffer.concat([raw, Buffer.from("\n")]);
          expect(oracleAccepts(tokens, tampered, good)).toBe(false);
          expect(weAccept(tokens, tampered, good)).toBe(false);
        }
      }),
    );
  });

  it("is deliberately stricter on non-digest headers the SDK's lenient hex decoding lets through", () => {
    // Buffer.from(hex, "hex") stops at the first non-hex pair, so the SDK accepts these; we refuse them.
    const raw = Buffer.from(CLASSIC.body);
    for (const value of [`${CLASSIC.signature}zz`, `${CLASSIC.signature}0`, `${CLASSIC.signature}\u00e9`]) {
      expect(oracleAccepts([CLASSIC.token], raw, value), value).toBe(true);
      expect(weAccept([CLASSIC.token], raw, value), value).toBe(false);
    }
  });
});
