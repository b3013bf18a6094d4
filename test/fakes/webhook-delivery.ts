// The simulators' one webhook delivery loop: POST, record the attempt, retry on the provider's schedule, cancel on close.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export type DeliveryOutcome = "delivered" | "exhausted";

export interface DeliveryRecord {
  /** The raw JSON body, identical on every attempt. */
  body: string;
  /** One entry per finished attempt; `at` is when it was sent (ms, simulator clock). */
  attempts: { status: number | "error"; at: number }[];
  done: Promise<DeliveryOutcome>;
}

/** Where and how one attempt is sent; undefined stops the delivery (no target any more). */
export type AttemptPlan = (
  attempt: number,
  total: number,
  sentAt: number,
) => { url: string; headers: Record<string, string> } | undefined;

export interface DeliveryLoopOptions {
  now: () => number;
  /** Waits before retry 1…n; its length is the number of retries. */
  retryScheduleMs: readonly number[];
  /** Per attempt. */
  timeoutMs: number;
  /** What the provider counts as delivered. */
  delivered: (status: number) => boolean;
}

export function createDeliveryLoop(options: DeliveryLoopOptions) {
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

  const post = (url: string, headers: Record<string, string>, body: string) =>
    new Promise<number | "error">((resolve) => {
      const send = url.startsWith("https:") ? httpsRequest : httpRequest;
      // agent: false → a fresh connection per attempt, so a stale keep-alive socket never fakes a failure.
      const req = send(url, { method: "POST", headers, agent: false, signal: abort.signal }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? "error"));
        res.on("error", () => resolve("error"));
      });
      const timer = setTimeout(() => req.destroy(new Error("timeout")), options.timeoutMs);
      req.on("error", () => resolve("error"));
      req.on("close", () => clearTimeout(timer));
      req.end(body);
    });

  async function run(delivery: DeliveryRecord, plan: AttemptPlan): Promise<DeliveryOutcome> {
    const total = options.retryScheduleMs.length + 1;
    for (let attempt = 1; attempt <= total && !abort.signal.aborted; attempt++) {
      const sentAt = options.now();
      const target = plan(attempt, total, sentAt);
      if (!target) return "exhausted";
      const headers = { "content-length": String(Buffer.byteLength(delivery.body)), ...target.headers };
      const status = await post(target.url, headers, delivery.body);
      if (abort.signal.aborted) return "exhausted";
      delivery.attempts.push({ status, at: sentAt });
      if (typeof status === "number" && options.delivered(status)) return "delivered";
      const wait = options.retryScheduleMs[attempt - 1];
      if (wait !== undefined) await sleep(wait);
    }
    return "exhausted";
  }

  return {
    /** Starts delivering; `delivery.done` settles with the outcome. */
    start<D extends DeliveryRecord>(delivery: D, plan: AttemptPlan): D {
      delivery.done = run(delivery, plan);
      const tracked = delivery.done.finally(() => running.delete(tracked));
      running.add(tracked);
      return delivery;
    },
    /** Cancels pending retries and in-flight attempts; their deliveries end "exhausted". */
    async close() {
      abort.abort();
      for (const wake of [...waiting]) wake();
      await Promise.allSettled([...running]);
    },
  };
}
