// Request and response shapes of the Remote Verification API (Mozilla-compatible), and the one serializer of its answers.
import { z } from "zod";
import type { Verdict } from "../assertions/types.js";
import type { IdvMember } from "../domain/assertion-idv.js";

/** Caller-sent issuer lists are bounded: each entry may cost a support-document fetch. */
export const MAX_TRUSTED_ISSUERS = 16;

/** v1 (`POST /verify`, `POST /`): parameters from the query string first, then the body. */
export const verifyV1Request = z.object({
  assertion: z.string(),
  audience: z.string(),
  // Mozilla v1's way of naming one issuer the caller trusts (v2: trustedIssuers).
  experimental_forceIssuer: z.string().max(255).optional(),
});

/** v2 (`POST /v2`): JSON body only. */
export const verifyV2Request = z.object({
  assertion: z.string(),
  audience: z.string(),
  trustedIssuers: z
    .array(z.string().max(255), { error: "trusted issuers must be an array" })
    .max(MAX_TRUSTED_ISSUERS, `at most ${MAX_TRUSTED_ISSUERS} trusted issuers`)
    .optional(),
});

export const idvMemberSchema = z.strictObject({
  status: z.literal("approved"),
  provider: z.string(),
  verified_at: z.string().nullable(),
});

export const verifyOkayAnswer = z.strictObject({
  status: z.literal("okay"),
  email: z.string(),
  audience: z.string(),
  expires: z.number(),
  issuer: z.string(),
  idv: idvMemberSchema.optional(),
});

export const verifyFailureAnswer = z.strictObject({
  status: z.literal("failure"),
  reason: z.string(),
});

export const verifyAnswer = z.discriminatedUnion("status", [verifyOkayAnswer, verifyFailureAnswer]);
export type VerifyAnswer = z.infer<typeof verifyAnswer>;

type Okay = Extract<Verdict, { status: "okay" }>;

/**
 * The answer's JSON, field by field: nothing the verifier adds to its verdict (issuerAuthoritative, claims it
 * may grow later) reaches the caller unless it is named here and in `verifyOkayAnswer`.
 */
export function okayJson(verdict: Okay, idv: IdvMember | undefined): string {
  const answer: z.input<typeof verifyOkayAnswer> = {
    status: "okay",
    email: verdict.email,
    audience: verdict.audience,
    expires: verdict.expires,
    issuer: verdict.issuer,
  };
  if (idv) answer.idv = { status: idv.status, provider: idv.provider, verified_at: idv.verified_at };
  return JSON.stringify(answer);
}

export function failureJson(reason: string): string {
  return JSON.stringify({ status: "failure", reason } satisfies z.input<typeof verifyFailureAnswer>);
}
