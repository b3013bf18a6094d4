// Zod copies of the Persona 2023-01-05 OpenAPI schemas (../shared/specs/persona-2023-openapi.yml) the simulator checks.
//
// Why hand-copied: no YAML parser is installed, so the spec cannot be loaded at run time. Each schema
// names the spec lines it was copied from. The spec's schemas are generated from examples (readme.io):
// no property is `required` in responses, objects are open (no additionalProperties: false), and a
// property is typed wherever its example was non-null (`completed-at` is `string` on GET but `{}` on
// create). Persona documents those attributes as nullable, so copied leaf types under `attributes`
// and relationship `data` accept null; `type`, `id` and `status` do not.
import { z } from "zod";

const anyValue = z.unknown().optional();
const nStr = z.string().nullable().optional();
const nInt = z.number().int().nullable().optional();
const nNum = z.number().nullable().optional();

const resourceRef = z.looseObject({ type: z.string().optional(), id: z.string().optional() });
const toOne = z.looseObject({ data: resourceRef.nullable().optional() }).optional();
const toMany = z.looseObject({ data: z.array(resourceRef).optional() }).optional();
const fieldValue = z.looseObject({ type: nStr, value: nStr }).nullable().optional();

/** Inquiry resource: GET /inquiries/{id} 200 (spec lines 425-660), a superset of the create/resume/redact/approve ones. */
export const inquiryResource = z.looseObject({
  type: z.string().optional(),
  id: z.string().optional(),
  attributes: z
    .looseObject({
      status: z.string().optional(),
      subject: anyValue,
      "reference-id": anyValue,
      behaviours: z
        .looseObject({
          "request-spoof-attempts": nInt,
          "user-agent-spoof-attempts": nInt,
          "distraction-events": nInt,
          "hesitation-baseline": nInt,
          "hesitation-count": nInt,
          "hesitation-time": nInt,
          "shortcut-copies": nInt,
          "shortcut-pastes": nInt,
          "autofill-cancels": nInt,
          "autofill-starts": nInt,
          "devtools-open": z.boolean().nullable().optional(),
          "completion-time": nNum,
          "hesitation-percentage": nNum,
          "behavior-threat-level": nStr,
        })
        .nullable()
        .optional(),
      tags: z.array(z.string()).nullable().optional(),
      creator: nStr,
      "reviewer-comment": anyValue,
      "created-at": nStr,
      "started-at": nStr,
      "completed-at": nStr,
      "failed-at": anyValue,
      "marked-for-review-at": anyValue,
      "decisioned-at": anyValue,
      "expired-at": anyValue,
      "redacted-at": anyValue,
      "previous-step-name": nStr,
      "next-step-name": nStr,
      fields: z.looseObject({ "name-first": fieldValue, "name-last": fieldValue }).nullable().optional(),
    })
    .optional(),
  relationships: z
    .looseObject({
      account: toOne,
      template: toOne,
      reports: z.looseObject({ data: z.array(anyValue).optional() }).optional(),
      verifications: toMany,
      sessions: toMany,
    })
    .optional(),
});

/** Single-inquiry documents: GET 200 (lines 425-660), POST 201 (1956-2026), resume 200 (94-172, with meta). */
export const inquiryDocument = z.looseObject({
  data: inquiryResource.optional(),
  included: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        id: z.string().optional(),
        attributes: z.looseObject({}).optional(),
      }),
    )
    .optional(),
  meta: z.looseObject({ "session-token": z.string().optional() }).optional(),
});

/** GET /inquiries 200 (lines 2159-2254). */
export const inquiryList = z.looseObject({
  data: z.array(inquiryResource).optional(),
  links: z.looseObject({ prev: anyValue, next: z.string().nullable().optional() }).optional(),
});

/** Error body of every 404 in the spec (e.g. lines 2042-2058). */
export const errorDocument = z.looseObject({
  errors: z
    .array(z.looseObject({ status: z.number().int().optional(), title: z.string().optional() }))
    .optional(),
});

/** POST /inquiries request body (lines 1821-1908): `data` is the only required member. */
export const createInquiryRequest = z.looseObject({
  data: z.looseObject({
    attributes: z
      .looseObject({
        "template-id": z.string().optional(),
        "inquiry-template-id": z.string().optional(),
        "inquiry-template-version-id": z.string().optional(),
        "theme-id": z.string().optional(),
        "account-id": z.string().optional(),
        "reference-id": z.string().optional(),
        "redirect-uri": z.string().optional(),
        note: z.string().optional(),
        "country-code": z.string().optional(),
        fields: z
          .looseObject(
            Object.fromEntries(
              [
                "name-first",
                "name-last",
                "birthdate",
                "address-street-1",
                "address-city",
                "address-subdivision",
                "address-postal-code",
                "address-country-code",
                "phone-number",
                "email-address",
              ].map((name) => [name, z.string().optional()]),
            ),
          )
          .optional(),
      })
      .optional(),
  }),
});

/** POST /inquiries/{id}/approve and /decline request body (lines 1086-1098, 1279-1291). */
export const decisionRequest = z.looseObject({
  meta: z.looseObject({ comment: z.string().optional() }).optional(),
});

/** The spec problems of `value` as one line each, prefixed with `where`; empty when it conforms. */
export function specProblems(schema: z.ZodType, value: unknown, where: string): string[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${where}: /${issue.path.join("/")}: ${issue.message}`);
}
