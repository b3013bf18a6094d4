// Jumio callback delivery: an unsigned JSON POST to the registered callbackUrl (optionally HMAC-signed by a proxy), retried.
import { createHmac } from "node:crypto";

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
  const running = new Set<Promise<unknown>>();
  const abort = new AbortController();

  const waiting = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      waiting.add(wake);
    });

  async function attempt(delivery: CallbackDelivery): Promise<number | "error"> {
    try {
      const response = await fetch(delivery.url, {
        method: "POST",
        headers: delivery.headers,
        body: delivery.body,
        redirect: "manual",
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(deps.timeoutMs)]),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return "error";
    }
  }

  async function run(delivery: CallbackDelivery): Promise<"delivered" | "exhausted"> {
    for (let i = 0; i <= deps.retryScheduleMs.length && !abort.signal.aborted; i++) {
      const at = deps.now();
      const status = await attempt(delivery);
      if (abort.signal.aborted) return "exhausted";
      delivery.attempts.push({ status, at });
      if (status === DELIVERED) return "delivered";
      const wait = deps.retryScheduleMs[i];
      if (wait !== undefined) await sleep(wait);
    }
    return "exhausted";
  }

  return {
    deliveries,
    send(input) {
      const delivery: CallbackDelivery = { ...input, attempts: [], done: Promise.resolve("exhausted") };
      delivery.done = run(delivery);
      const tracked = delivery.done.finally(() => running.delete(tracked));
      running.add(tracked);
      deliveries.push(delivery);
      return delivery;
    },
    async close() {
      abort.abort();
      for (const wake of [...waiting]) wake();
      await Promise.allSettled([...running]);
    },
  };
}
