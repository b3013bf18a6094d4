// zod schemas for Persona: the settings it needs, API responses we read, and webhook events.
import { z } from "zod";

export interface PersonaSettings {
  apiKey: string;
  templateId: string;
  webhookSecrets: readonly string[];
  /** Record results of inquiries the gateway did not create (your app starts Persona's flow itself). */
  acceptUnknownInquiries: boolean;
  /** A `completed` inquiry counts as approved (templates without a decision workflow). */
  completedIsApproved: boolean;
  inquiryType: "hosted" | "embedded" | "hosted-embedded";
  apiBase: string;
  apiVersion: string;
  toleranceSeconds: number;
  timeoutMs: number;
}

const timestamp = z.string().nullish();

/** An inquiry resource as GET /inquiries/{id} answers it (kebab-case inflection, which we request). */
export const inquiryResource = z.object({
  type: z.literal("inquiry"),
  id: z.string().min(1),
  attributes: z
    .object({
      status: z.string().min(1),
      "reference-id": z.string().nullish(),
      "created-at": timestamp,
      "updated-at": timestamp,
      "started-at": timestamp,
      "completed-at": timestamp,
      "failed-at": timestamp,
      "expired-at": timestamp,
      "decisioned-at": timestamp,
      "marked-for-review-at": timestamp,
      "redacted-at": timestamp,
    })
    .passthrough(),
  /**
   * Which template the inquiry was created from, among other links. Read defensively (relatedId in index.ts):
   * Persona writes an unset link as `{data: {}}` or `{data: null}`, and an answer must never fail on them.
   */
  relationships: z.unknown(),
});
export type InquiryResource = z.infer<typeof inquiryResource>;

export const inquiryDocument = z.object({
  data: inquiryResource,
  meta: z
    .object({
      "session-token": z.string().nullish(),
      "one-time-link": z.string().nullish(),
      "one-time-link-short": z.string().nullish(),
    })
    .passthrough()
    .nullish(),
});
export type InquiryDocument = z.infer<typeof inquiryDocument>;

const eventId = z.string().regex(/^evt_[A-Za-z0-9]+$/, "must be a Persona event id (evt_…)");
const eventName = z.string().min(1).max(200);

/** A webhook event: `data.attributes.name` and `data.attributes.payload.data` (any key inflection). */
export const webhookEvent = z.object({
  data: z.object({
    type: z.literal("event"),
    id: eventId,
    attributes: z.object({
      name: eventName,
      payload: z.object({
        data: z.object({
          type: z.string().min(1),
          id: z.string().min(1).max(200),
        }),
      }),
    }),
  }),
});

/**
 * Just the event's id and name: an event that fails `webhookEvent` but is no `inquiry.*` event is acknowledged
 * and ignored (its payload is never read), not refused. A second schema, not a transform of the first: zod
 * transforms measured ~30 MB more RSS under callback load (bench/README.md).
 */
export const webhookEnvelope = z.object({
  data: z.object({ type: z.literal("event"), id: eventId, attributes: z.object({ name: eventName }) }),
});
