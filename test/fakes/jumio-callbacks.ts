// Jumio callback delivery: an unsigned JSON POST to the registered callbackUrl (optionally HMAC-signed by a proxy), retried.
import { createHmac } from "node:crypto";
import { createDeliveryLoop } from "./webhook-delivery.js";

export interface CallbackDelivery {
  sessionId: string;
  status: string;
  /** Where it was sent (the registered callbackUrl, routed to the gateway under test). */
  url: string;
  /** The raw JSON body, identical on every attempt. */
  body: string;
  headers: Record<string, string>;
  /** One entry per finished attempt. */
  attempts: { status: number | "error"; at: number }[];
  done: Promise<"delivered" | "exhausted">;
}

/** A signing proxy in front of the gateway: adds hex HMAC-SHA256(secret, rawBody) in `header`. */
export interface SigningProxy {
  secret: string;
  header?: string;
  /** Write `sha256=<hex>` rather than bare hex. */
  prefixed?: boolean;
}

export function proxySignature(proxy: SigningProxy, body: string): Record<string, string> {
  const hex = createHmac("sha256", proxy.secret).update(body).digest("hex");
  return { [proxy.header ?? "x-jumio-signature"]: proxy.prefixed ? `sha256=${hex}` : hex };
}

export interface CallbackSenderDeps {
  now: () => number;
  /** Waits before retry 1…n. Jumio documents no retry policy: this schedule is the simulator's choice. */
  retryScheduleMs: readonly number[];
  timeoutMs: number;
}

export interface CallbackSender {
  deliveries: CallbackDelivery[];
  send(delivery: Omit<CallbackDelivery, "attempts" | "done">): CallbackDelivery;
  close(): Promise<void>;
}

/** Jumio asks for "200 OK"; anything else (another 2xx included) is retried. */
const DELIVERED = 200;

export function createCallbackSender(deps: CallbackSenderDeps): CallbackSender {
  const deliveries: CallbackDelivery[] = [];
  const loop = createDeliveryLoop({ ...deps, delivered: (status) => status === DELIVERED });
  return {
    deliveries,
    send(input) {
      const delivery = loop.start<CallbackDelivery>(
        { ...input, attempts: [], done: Promise.resolve("exhausted") },
        () => ({
          url: input.url,
          headers: input.headers,
        }),
      );
      deliveries.push(delivery);
      return delivery;
    },
    close: () => loop.close(),
  };
}
