// Onfido webhook delivery: X-SHA2-Signature (hex HMAC-SHA256 of the raw body), retried on a compressed clock.
import { hmacHex } from "../../src/lib/webhook-signature.js";
import { createDeliveryLoop } from "./webhook-delivery.js";

export interface OnfidoDelivery {
  action: string;
  objectId: string;
  /** The raw JSON body, identical on every attempt. */
  body: string;
  attempts: { status: number | "error"; at: number }[];
  done: Promise<"delivered" | "exhausted">;
}

export interface OnfidoWebhookTarget {
  url: string;
  /** The webhook's token (Onfido has one per registered webhook). */
  token: string;
}

export interface OnfidoWebhookSender {
  deliveries: OnfidoDelivery[];
  send(event: { action: string; objectId: string; body: string }): OnfidoDelivery;
  /** Cancels pending retries and in-flight attempts; their deliveries end "exhausted". */
  close(): Promise<void>;
}

export const signOnfido = (body: string, token: string): string => hmacHex(token, body);

/** Onfido wants "a 20x within 10 s"; its retry count and schedule are not documented (simulator choice). */
export function createOnfidoWebhookSender(deps: {
  now: () => number;
  retryScheduleMs: readonly number[];
  timeoutMs: number;
  target: () => OnfidoWebhookTarget | undefined;
}): OnfidoWebhookSender {
  const deliveries: OnfidoDelivery[] = [];
  const loop = createDeliveryLoop({ ...deps, delivered: (status) => status >= 200 && status < 300 });
  return {
    deliveries,
    send(event) {
      const delivery = loop.start<OnfidoDelivery>(
        { ...event, attempts: [], done: Promise.resolve("exhausted") },
        () => {
          const target = deps.target();
          if (!target) return undefined;
          return {
            url: target.url,
            headers: {
              "content-type": "application/json",
              "x-sha2-signature": signOnfido(event.body, target.token),
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
