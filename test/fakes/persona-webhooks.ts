// Persona webhook signing and delivery with Persona's retry rules (reference §1.4), on a compressed clock.
import { createHmac } from "node:crypto";
import { createDeliveryLoop } from "./webhook-delivery.js";

export interface Delivery {
  eventId: string;
  eventName: string;
  inquiryId: string;
  /** The raw JSON body, identical on every attempt. */
  body: string;
  /** One entry per finished attempt; `at` is when it was sent (ms, simulator clock). */
  attempts: { status: number | "error"; at: number }[];
  done: Promise<"delivered" | "exhausted">;
}

export interface WebhookTarget {
  url: string;
  /** secrets[0] is the current one; more than one means a rotation is in progress. */
  secrets: string[];
}

/** Persona counts only these as delivered; any other status (even 2xx) is retried. */
const SUCCESS = new Set([200, 201, 202, 204]);

/** `t=<unix>,v1=<hex>` per secret, space-separated: HMAC-SHA256(secret, `${t}.${rawBody}`). */
export function signPersona(body: string, t: number, secrets: readonly string[]): string {
  return secrets
    .map((secret) => `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`)
    .join(" ");
}

export interface WebhookSenderDeps {
  now: () => number;
  /** Waits before retry 1…n; its length is the number of retries (Persona: 7, 3 s … 117649 s). */
  retryScheduleMs: readonly number[];
  /** Per attempt; Persona gives up on an attempt after 5 s. */
  timeoutMs: number;
  /** Read at every attempt, so a URL change or secret rotation applies to pending retries too. */
  target: () => WebhookTarget | undefined;
}

export interface WebhookSender {
  deliveries: Delivery[];
  send(event: { eventId: string; eventName: string; inquiryId: string; body: string }): Delivery;
  /** Cancels pending retries and in-flight attempts; their deliveries end "exhausted". */
  close(): Promise<void>;
}

/** Persona's retry rules (5 s per attempt, up to 7 retries), with `t` recomputed per attempt (simulator choice). */
export function createWebhookSender(deps: WebhookSenderDeps): WebhookSender {
  const deliveries: Delivery[] = [];
  const loop = createDeliveryLoop({ ...deps, delivered: (status) => SUCCESS.has(status) });
  return {
    deliveries,
    send(event) {
      let firstAttemptedAt: number | undefined;
      const delivery = loop.start<Delivery>(
        { ...event, attempts: [], done: Promise.resolve("exhausted") },
        (attempt, total, sentAt) => {
          const target = deps.target();
          if (!target) return undefined;
          // "the unix time the request was sent"
          const t = Math.floor(sentAt / 1000);
          firstAttemptedAt ??= t;
          return {
            url: target.url,
            headers: {
              "content-type": "application/json; charset=utf-8",
              "persona-signature": signPersona(event.body, t, target.secrets),
              "persona-webhook-attempts-made": String(attempt),
              "persona-webhook-attempts-left": String(total - attempt),
              "persona-webhook-first-attempted-at": String(firstAttemptedAt),
            },
          };
        },
      );
      deliveries.push(delivery);
      return delivery;
    },
    close: () => loop.close(),
  };
}
