// The measured routes (/{persona,onfido,jumio}/{validate,callback}): how to prepare each server, what load to
// send, and how to tell a valid run.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type autocannon from "autocannon";
import SQLite from "better-sqlite3";
import {
  type CallbackProvider,
  callbackPool,
  callbackSigner,
  prng,
  seedIdentities,
  validateCases,
} from "./fixtures.js";
import type { PacedRequest } from "./paced-load.js";
import { runNode } from "./processes.js";

export type ServerKind = "bare" | "gateway";

export interface Attempt {
  kind: ServerKind;
  /** Unique per server process started (run and retry), e.g. for its own database file. */
  key: string;
  /** Upper bound of the requests this process will get (the bare run just before it tells). */
  budget: number;
}

export type RouteKind = "validate" | "callback";

export interface Scenario {
  /** e.g. `/onfido/callback`: what the tables call the route. */
  route: string;
  provider: CallbackProvider;
  kind: RouteKind;
  /** At most this many measured runs (fewer than --runs for the secondary routes, to keep the bench short). */
  maxRuns?: number;
  /** Statuses a correct answer may have; any other response makes the run invalid. */
  goodStatuses: ReadonlySet<number>;
  /** Env for one server process; makes the gateway's database fresh when the scenario needs it. */
  prepare(attempt: Attempt): Promise<NodeJS.ProcessEnv>;
  requests(kind: ServerKind): autocannon.Request[];
  /** The next request of the paced (open-loop) run, for routes measured at a fixed rate too. */
  paced?(): PacedRequest;
  /** A few requests sent by hand before the load: exact status and bytes; throws when they differ. */
  check(kind: ServerKind, url: string): Promise<void>;
  /**
   * After the gateway stopped: a problem with what it did, or undefined. `inFlight` requests may have been
   * processed without their answer being counted (autocannon stops with requests outstanding).
   */
  verify?(attempt: Attempt, okResponses: number, inFlight: number): string | undefined;
  /** Something worth printing about the last run that does not invalidate it. */
  note?(): string | undefined;
}

export interface Setup {
  dir: string;
  gatewayEnv: NodeJS.ProcessEnv;
  oryWebhookSecret: string;
  /** The callback secret of each provider: Persona's webhook secret, ONFIDO_WEBHOOK_TOKEN, JUMIO_CALLBACK_SECRET. */
  callbackSecrets: Record<CallbackProvider, string>;
  /** JUMIO_WORKFLOW_KEY: callbacks for another workflow are ignored, not stored. */
  jumioWorkflowKey: string;
}

const CLI = "dist/cli/index.js";
const JSON_TYPE = "application/json";

async function post(url: string, headers: Record<string, string>, body: string | Buffer) {
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, text: await response.text() };
}

function expectAnswer(what: string, got: { status: number; text: string }, status: number, text: string) {
  if (got.status !== status || got.text !== text) {
    throw new Error(`${what}: expected ${status} ${text}\n  got ${got.status} ${got.text}`);
  }
}

/**
 * POST /{provider}/validate over seeded identities: mostly 200 `{"allow":true}`, the declined ones 403. One
 * scenario per provider, all over the same database and bodies (it is one login-gate handler); the providers
 * after the first get at most `secondaryRuns` runs.
 */
export async function validateScenarios(
  setup: Setup,
  identityCount: number,
  providers: readonly CallbackProvider[],
  secondaryRuns: number,
): Promise<Scenario[]> {
  const sqlitePath = join(setup.dir, "validate.db");
  const env = { ...setup.gatewayEnv, SQLITE_PATH: sqlitePath, WORKER_ENABLED: "true" };
  await runNode([CLI, "migrate"], env);
  const random = prng(20240601);
  const identities = seedIdentities(sqlitePath, identityCount, random);
  const cases = validateCases(identities, 1000, random);
  const blockedFile = join(setup.dir, "bare-blocked.json");
  const blocked: Record<string, string> = {};
  for (const c of cases) if (c.status === 403) blocked[JSON.parse(c.body).kratos_identity_id] = c.response;
  writeFileSync(blockedFile, JSON.stringify(blocked));
  const headers = { "content-type": JSON_TYPE, "x-webhook-secret": setup.oryWebhookSecret };

  return providers.map((provider, index): Scenario => {
    const route = `/${provider}/validate`;
    return {
      route,
      provider,
      kind: "validate",
      ...(index > 0 ? { maxRuns: secondaryRuns } : {}),
      goodStatuses: new Set([200, 403]),
      async prepare({ kind }) {
        return kind === "gateway"
          ? env
          : { ...setup.gatewayEnv, BARE_MODE: "validate", BARE_BLOCKED: blockedFile };
      },
      requests: () => cases.map((c) => ({ method: "POST", path: route, headers, body: c.body })),
      async check(kind, url) {
        for (const status of [200, 403]) {
          const c = cases.find((x) => x.status === status);
          if (!c) continue;
          expectAnswer(
            `${kind} ${route}`,
            await post(`${url}${route}`, headers, c.body),
            c.status,
            c.response,
          );
        }
      },
    };
  });
}

/** Changes what a signed body says (the decision), so its signature no longer matches. */
const TAMPER: Record<CallbackProvider, (body: string) => string> = {
  persona: (body) => body.replace("approved", "declined"),
  onfido: (body) => body.replace('"approved"', '"declined"'),
  jumio: (body) => body.replace("PROCESSED", "INITIATED"),
};

/**
 * POST /{provider}/callback: every request a new, correctly authenticated event of that provider, committed
 * to a fresh inbox per gateway process.
 */
export async function callbackScenario(
  setup: Setup,
  provider: CallbackProvider,
  maxRuns?: number,
): Promise<Scenario> {
  const route = `/${provider}/callback`;
  const sign = callbackSigner(provider, setup.callbackSecrets[provider], setup.jumioWorkflowKey);
  const pool = callbackPool(sign, 20_000);
  const dbPath = (key: string) => join(setup.dir, `callback-${provider}-${key}.db`);
  const STORED = '{"received":true,"outcome":"stored"}';
  let checked = 0;

  return {
    route,
    provider,
    kind: "callback",
    ...(maxRuns !== undefined ? { maxRuns } : {}),
    goodStatuses: new Set([200]),
    async prepare({ kind, key, budget }) {
      pool.rewind();
      pool.unique = kind === "gateway";
      if (kind === "bare") return { ...setup.gatewayEnv, BARE_MODE: "callback" };
      pool.ensure(budget);
      const env = { ...setup.gatewayEnv, SQLITE_PATH: dbPath(key), WORKER_ENABLED: "false" };
      await runNode([CLI, "migrate"], env);
      return env;
    },
    requests: () => [
      {
        method: "POST",
        path: route,
        headers: { "content-type": JSON_TYPE },
        setupRequest: (request) => {
          const signed = pool.next();
          return { ...request, headers: { ...request.headers, ...signed.headers }, body: signed.body };
        },
      },
    ],
    paced() {
      const signed = pool.next();
      return { path: route, headers: { "content-type": JSON_TYPE, ...signed.headers }, body: signed.body };
    },
    async check(kind, url) {
      const signed = pool.next();
      const headers = { "content-type": JSON_TYPE, ...signed.headers };
      expectAnswer(`${kind} ${route}`, await post(`${url}${route}`, headers, signed.body), 200, STORED);
      checked = 1;
      if (kind === "gateway") {
        // A tampered body must be refused: proves the gateway really checks signatures under this setup.
        const tampered = Buffer.from(TAMPER[provider](signed.body.toString("utf8")));
        if (tampered.equals(signed.body)) throw new Error(`${route}: the tampering changed nothing`);
        const answer = await post(`${url}${route}`, headers, tampered);
        if (answer.status !== 401)
          throw new Error(`gateway accepted a tampered ${route}: ${answer.status} ${answer.text}`);
      }
    },
    verify({ key }, okResponses, inFlight) {
      const db = new SQLite(dbPath(key), { readonly: true });
      try {
        const row = db.prepare<[], { n: number }>("select count(*) as n from inbox").get();
        const rows = row?.n ?? 0;
        const answered = okResponses + checked;
        if (rows >= answered && rows <= answered + inFlight) return undefined;
        return `inbox holds ${rows} events but the gateway answered 200 to ${answered} (+ at most ${inFlight} in flight)`;
      } finally {
        db.close();
      }
    },
    note: () =>
      pool.signedLate > 0 ? `${pool.signedLate} callbacks were signed during the load` : undefined,
  };
}
