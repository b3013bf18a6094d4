// Persona webhook signing and delivery with Persona's retry rules (reference §1.4), on a compressed clock.
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

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

function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal: AbortSignal,
) {
  return new Promise<number | "error">((resolve) => {
    const send = url.startsWith("https:") ? httpsRequest : httpRequest;
    // agent: false → a fresh connection per attempt, so a stale keep-alive socket never fakes a failure.
    const req = send(url, { method: "POST", headers, agent: false, signal }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? "error"));
      res.on("error", () => resolve("error"));
    });
    const timer = setTimeout(() => req.destroy(new Error("timeout")), timeoutMs);
    req.on("error", () => resolve("error"));
    req.on("close", () => clearTimeout(timer));
    req.end(body);
  });
}

export function createWebhookSender(deps: WebhookSenderDeps): WebhookSender {
  const deliveries: Delivery[] = [];
  const running = new Set<Promise<unknown>>();
  const abort = new AbortController();
  const timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          timers.delete(entry);
          resolve();
        }, ms),
        wake: resolve,
      };
      timers.add(entry);
    });

  async function run(delivery: Delivery): Promise<"delivered" | "exhausted"> {
    const total = deps.retryScheduleMs.length + 1;
    let firstAttemptedAt: number | undefined;
    for (let attempt = 1; attempt <= total && !abort.signal.aborted; attempt++) {
      const target = deps.target();
      if (!target) return "exhausted";
      // The simulator's choice: t is recomputed per attempt ("the unix time the request was sent").
      const sentAt = deps.now();
      const t = Math.floor(sentAt / 1000);
      firstAttemptedAt ??= t;
      const headers = {
        "content-type": "application/json; charset=utf-8",
        "content-length": String(Buffer.byteLength(delivery.body)),
        "persona-signature": signPersona(delivery.body, t, target.secrets),
        "persona-webhook-attempts-made": String(attempt),
        "persona-webhook-attempts-left": String(total - attempt),
        "persona-webhook-first-attempted-at": String(firstAttemptedAt),
      };
      const status = await post(target.url, headers, delivery.body, deps.timeoutMs, abort.signal);
      if (abort.signal.aborted) return "exhausted";
      delivery.attempts.push({ status, at: sentAt });
      if (typeof status === "number" && SUCCESS.has(status)) return "delivered";
      const wait = deps.retryScheduleMs[attempt - 1];
      if (wait !== undefined) await sleep(wait);
    }
    return "exhausted";
  }

  return {
    deliveries,
    send(event) {
      const delivery: Delivery = { ...event, attempts: [], done: Promise.resolve("exhausted") };
      delivery.done = run(delivery);
      const tracked = delivery.done.finally(() => running.delete(tracked));
      running.add(tracked);
      deliveries.push(delivery);
      return delivery;
    },
    async close() {
      abort.abort();
      for (const entry of timers) {
        clearTimeout(entry.timer);
        entry.wake();
      }
      timers.clear();
      await Promise.allSettled([...running]);
    },
  };
}
