// Onfido webhook delivery: X-SHA2-Signature (hex HMAC-SHA256 of the raw body), retried on a compressed clock.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { hmacHex } from "../../src/lib/webhook-signature.js";

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
  const running = new Set<Promise<unknown>>();
  const abort = new AbortController();
  const sleeps = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          sleeps.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      sleeps.add(entry);
    });

  const post = (url: string, headers: Record<string, string>, body: string) =>
    new Promise<number | "error">((resolve) => {
      const send = url.startsWith("https:") ? httpsRequest : httpRequest;
      const req = send(url, { method: "POST", headers, agent: false, signal: abort.signal }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? "error"));
        res.on("error", () => resolve("error"));
      });
      const timer = setTimeout(() => req.destroy(new Error("timeout")), deps.timeoutMs);
      req.on("error", () => resolve("error"));
      req.on("close", () => clearTimeout(timer));
      req.end(body);
    });

  async function run(delivery: OnfidoDelivery): Promise<"delivered" | "exhausted"> {
    for (let attempt = 0; attempt <= deps.retryScheduleMs.length && !abort.signal.aborted; attempt++) {
      const target = deps.target();
      if (!target) return "exhausted";
      const at = deps.now();
      const status = await post(
        target.url,
        {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(delivery.body)),
          "x-sha2-signature": signOnfido(delivery.body, target.token),
        },
        delivery.body,
      );
      if (abort.signal.aborted) return "exhausted";
      delivery.attempts.push({ status, at });
      if (typeof status === "number" && status >= 200 && status < 300) return "delivered";
      const wait = deps.retryScheduleMs[attempt];
      if (wait !== undefined) await sleep(wait);
    }
    return "exhausted";
  }

  return {
    deliveries,
    send(event) {
      const delivery: OnfidoDelivery = { ...event, attempts: [], done: Promise.resolve("exhausted") };
      delivery.done = run(delivery);
      const tracked = delivery.done.finally(() => running.delete(tracked));
      running.add(tracked);
      deliveries.push(delivery);
      return delivery;
    },
    async close() {
      abort.abort();
      for (const entry of sleeps) {
        clearTimeout(entry.timer);
        entry.wake();
      }
      sleeps.clear();
      await Promise.allSettled([...running]);
    },
  };
}
