// The chaos workload: registrations, provider decisions delivered as callbacks (with duplicates and
// reordering, retried like providers retry), and logins — everything a real deployment sees, recorded.
import { randomUUID } from "node:crypto";
import type { NormalizedStatus } from "../../src/domain/status.js";
import type { CallbackDelivery, ProviderDriver } from "../contracts/driver.js";
import type { KratosFake } from "../fakes/kratos-fake.js";
import { ORY_SECRET } from "../support/gateway-env.js";

export interface Sent {
  /** Every POST attempt's HTTP status, or "error" for a network failure / timeout. */
  statuses: (number | "error")[];
  /** When the gateway first acknowledged it (2xx), ms; undefined if it never did. */
  ackedAt?: number;
  /** How long the acknowledged attempt took, ms. */
  ackMs?: number;
  outcome?: string;
}

export interface IdentityRun {
  identityId: string;
  provider: string;
  sessionId?: string;
  /** Raw statuses the provider moved through, in order. */
  script: string[];
  expected: NormalizedStatus;
  /** The callback about the final state (or a later duplicate of it). */
  finalSent?: Sent;
  /** When the provider moved to the final state, ms. */
  finalSetAt?: number;
  sent: Sent[];
}

export interface LoginSample {
  status: number | "error";
  ms: number;
  /** When it was answered, ms. */
  at: number;
}

export interface WorkloadOptions {
  /** The address the gateway is reached at (a replica or the round-robin proxy). */
  target: string;
  kratos: KratosFake;
  drivers: ReadonlyMap<string, ProviderDriver>;
  identities: number;
  /** New registrations per second. */
  ratePerSecond: number;
  /** Probability that a callback is sent twice / held back and sent after the next one. */
  duplicateRate: number;
  reorderRate: number;
  /** Give up retrying one request after this long (providers retry for hours; runs are short). */
  retryForMs: number;
  random?: () => number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function scriptsFor(driver: ProviderDriver): { script: string[]; expected: NormalizedStatus }[] {
  const review = driver.statuses.find((s) => s.normalized === "review")?.raw;
  const { pending, approved, declined } = driver.raw;
  const scripts = [
    { script: [pending, approved], expected: "approved" as const },
    { script: [pending, declined], expected: "declined" as const },
    { script: [pending, approved, declined], expected: "declined" as const }, // a reviewer reverses
  ];
  if (review) scripts.push({ script: [pending, review, approved], expected: "approved" });
  return scripts;
}

/** POSTs until the gateway answers 2xx (or 4xx, which providers do not retry), as providers do. */
export async function deliver(
  url: string,
  headers: Record<string, string>,
  body: string,
  retryForMs: number,
): Promise<Sent> {
  const sent: Sent = { statuses: [] };
  const deadline = Date.now() + retryForMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const started = performance.now();
      const response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(5000) });
      const text = await response.text();
      sent.statuses.push(response.status);
      if (response.status < 300) {
        sent.ackedAt = Date.now();
        sent.ackMs = performance.now() - started;
        try {
          sent.outcome = (JSON.parse(text) as { outcome?: string }).outcome;
        } catch {
          // not every route says what it did
        }
        return sent;
      }
      if (response.status < 500 && response.status !== 429) return sent;
    } catch {
      sent.statuses.push("error");
    }
    if (Date.now() > deadline) return sent;
    await sleep(Math.min(2000, 100 * 1.5 ** attempt));
  }
}

/** The final state's callback that the gateway acknowledged first (or an unacknowledged one). */
function noteFinal(run: IdentityRun, sent: Sent) {
  const current = run.finalSent?.ackedAt;
  if (!run.finalSent || (sent.ackedAt !== undefined && (current === undefined || sent.ackedAt < current)))
    run.finalSent = sent;
}

export function createWorkload(options: WorkloadOptions) {
  const random = options.random ?? Math.random;
  const providers = [...options.drivers.values()];
  const runs: IdentityRun[] = [];
  const logins: LoginSample[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let stopLogins = false;

  const track = <T>(promise: Promise<T>): Promise<T> => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  };

  const sendCallback = (run: IdentityRun, delivery: CallbackDelivery) =>
    track(
      deliver(
        `${options.target}/${run.provider}/callback${delivery.query ?? ""}`,
        delivery.headers,
        delivery.body,
        options.retryForMs,
      ).then((sent) => {
        run.sent.push(sent);
        return sent;
      }),
    );

  /** Kratos' registration webhook, retried with its trigger id until the provider session exists. */
  async function register(run: IdentityRun): Promise<boolean> {
    const headers = {
      "content-type": "application/json",
      "x-webhook-secret": ORY_SECRET,
      "ory-webhook-trigger-id": randomUUID(),
    };
    const body = JSON.stringify({
      kratos_identity_id: run.identityId,
      email: `${run.identityId}@example.com`,
    });
    const deadline = Date.now() + options.retryForMs;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const answer = await fetch(`${options.target}/${run.provider}/initiate`, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(5000),
      }).then(
        async (r) => ({
          status: r.status,
          json: (await r.json().catch(() => ({}))) as { session_id?: string },
        }),
        () => undefined,
      );
      if (answer?.status === 200 && answer.json.session_id) {
        run.sessionId = answer.json.session_id;
        return true;
      }
      // 202: the gateway is still creating the provider session; 5xx / no answer: it is down. Ask again.
      await sleep(Math.min(2000, 100 * 1.5 ** attempt));
    }
    return false;
  }

  /** Lifecycles that ended (their registration gave up, or every step was delivered). */
  const ended = new Set<IdentityRun>();

  async function lifecycle(run: IdentityRun, driver: ProviderDriver) {
    try {
      await playScript(run, driver);
    } finally {
      ended.add(run);
    }
  }

  async function playScript(run: IdentityRun, driver: ProviderDriver) {
    if (!(await register(run)) || !run.sessionId) return;
    const sessionId = run.sessionId;
    let held: CallbackDelivery | undefined;
    for (const [index, raw] of run.script.entries()) {
      await sleep(50 + random() * 250);
      driver.setStatus(sessionId, raw);
      const delivery = driver.callback(sessionId);
      const last = index === run.script.length - 1;
      if (last) run.finalSetAt = Date.now();
      const sending = sendCallback(run, delivery);
      if (last) void sending.then((sent) => noteFinal(run, sent));
      if (held) {
        void sendCallback(run, held); // an older event arriving after a newer one
        held = undefined;
      }
      if (random() < options.duplicateRate) {
        const copy = sendCallback(run, delivery);
        if (last) void copy.then((sent) => noteFinal(run, sent));
      }
      if (!last && random() < options.reorderRate) held = delivery;
      await sending;
    }
  }

  async function loginLoop() {
    while (!stopLogins) {
      const ready = runs.filter((r) => r.sessionId);
      const run = ready[Math.floor(random() * ready.length)];
      if (run) {
        const started = performance.now();
        const status = await fetch(`${options.target}/${run.provider}/validate`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-webhook-secret": ORY_SECRET },
          body: JSON.stringify({ kratos_identity_id: run.identityId }),
          signal: AbortSignal.timeout(5000),
        }).then(
          async (r) => {
            await r.arrayBuffer();
            return r.status;
          },
          () => "error" as const,
        );
        logins.push({ status, ms: performance.now() - started, at: Date.now() });
      }
      await sleep(20);
    }
  }

  return {
    runs,
    logins,
    /** True once every identity is registered and its final state's callback has been sent at least once. */
    finalsSent: () =>
      runs.length === options.identities && runs.every((r) => r.finalSetAt !== undefined || ended.has(r)),
    /** Registers every identity at the configured rate and plays its script; resolves when all were delivered. */
    async run(): Promise<void> {
      const logging = loginLoop();
      const lifecycles: Promise<void>[] = [];
      for (let i = 0; i < options.identities; i++) {
        const driver = providers[i % providers.length] as ProviderDriver;
        const scripts = scriptsFor(driver);
        const chosen = scripts[Math.floor(random() * scripts.length)] ?? scripts[0];
        if (!chosen) throw new Error("no script");
        const identity = options.kratos.createIdentity({ email: `user${i}@example.com` });
        const run: IdentityRun = {
          identityId: identity.id,
          provider: driver.name,
          script: chosen.script,
          expected: chosen.expected,
          sent: [],
        };
        runs.push(run);
        lifecycles.push(lifecycle(run, driver));
        await sleep(1000 / options.ratePerSecond);
      }
      await Promise.all(lifecycles);
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      stopLogins = true;
      await logging;
    },
  };
}

export type Workload = ReturnType<typeof createWorkload>;
