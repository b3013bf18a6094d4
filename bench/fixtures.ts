// Benchmark data: seeded login-gate rows, /validate bodies over them, and pre-signed Persona, Onfido and Jumio callbacks.
import { createHmac, randomUUID } from "node:crypto";
import SQLite from "better-sqlite3";
import { configSchema } from "../src/config/schema.js";
import { kratosBlockBody } from "../src/domain/login-gate.js";

/** Deterministic PRNG (mulberry32), so every run draws the same mix. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Share of seeded identities per status; only `declined` blocks login with the default LOGIN_BLOCK_STATUSES.
const STATUS_MIX: readonly [string, number][] = [
  ["approved", 0.7],
  ["pending", 0.08],
  ["review", 0.06],
  ["declined", 0.1],
  ["failed", 0.04],
  ["expired", 0.02],
];

export interface SeededIdentity {
  id: string;
  status: string;
}

/** Fills identity_status of a migrated SQLite file with `count` identities of mixed statuses. */
export function seedIdentities(sqlitePath: string, count: number, random: () => number): SeededIdentity[] {
  const db = new SQLite(sqlitePath);
  try {
    const insert = db.prepare(
      `insert into identity_status (identity_id, status, provider, verification_id, decided_at, status_version, updated_at)
       values (?, ?, 'persona', ?, ?, ?, ?)`,
    );
    const identities: SeededIdentity[] = [];
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        let roll = random();
        let status = "approved";
        for (const [candidate, share] of STATUS_MIX) {
          if (roll < share) {
            status = candidate;
            break;
          }
          roll -= share;
        }
        const id = randomUUID();
        const at = now - Math.floor(random() * 90 * 86_400_000);
        const decided = status === "pending" || status === "expired" ? null : at;
        insert.run(id, status, randomUUID(), decided, at, at);
        identities.push({ id, status });
      }
    })();
    return identities;
  } finally {
    db.close();
  }
}

/** The 403 body the gateway sends for a blocked status, built the way the gateway builds it with default settings. */
export function blockBody(status: string): string {
  const defaults = configSchema.parse({});
  return kratosBlockBody(
    { id: defaults.LOGIN_BLOCK_MESSAGE_ID, text: defaults.LOGIN_BLOCK_MESSAGE },
    "identity_verification_blocked",
    status,
  );
}

export interface ValidateCase {
  body: string;
  status: 200 | 403;
  response: string;
}

/** `count` /validate bodies: seeded identities drawn at random, plus a few never-verified ones (allowed). */
export function validateCases(
  identities: readonly SeededIdentity[],
  count: number,
  random: () => number,
): ValidateCase[] {
  const blocked = new Set<string>(configSchema.parse({}).LOGIN_BLOCK_STATUSES);
  const cases: ValidateCase[] = [];
  for (let i = 0; i < count; i++) {
    const known = random() < 0.95 ? identities[Math.floor(random() * identities.length)] : undefined;
    const id = known?.id ?? randomUUID();
    const status = known?.status ?? "unverified";
    const block = blocked.has(status);
    cases.push({
      body: JSON.stringify({ kratos_identity_id: id }),
      status: block ? 403 : 200,
      response: block ? blockBody(status) : '{"allow":true}',
    });
  }
  return cases;
}

/** The callback providers the bench signs events for. */
export type CallbackProvider = "persona" | "onfido" | "jumio";

export interface SignedCallback {
  body: Buffer;
  /** The authentication header(s) the provider (or Jumio's signing proxy) sends with this body. */
  headers: Record<string, string>;
}

const hmacHex = (secret: string, ...parts: (string | Buffer)[]) => {
  const hmac = createHmac("sha256", secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest("hex");
};

/** A Persona `inquiry.approved` event, signed as Persona signs: `t=<unix>,v1=<hex HMAC(secret, t + "." + body)>`. */
export function personaCallback(
  secret: string,
  eventId: string,
  inquiryId: string,
  now: number,
): SignedCallback {
  const body = Buffer.from(
    JSON.stringify({
      data: {
        type: "event",
        id: eventId,
        attributes: {
          name: "inquiry.approved",
          "created-at": new Date(now).toISOString(),
          payload: { data: { type: "inquiry", id: inquiryId, attributes: { status: "approved" } } },
        },
      },
    }),
  );
  const t = Math.floor(now / 1000);
  return { body, headers: { "persona-signature": `t=${t},v1=${hmacHex(secret, `${t}.`, body)}` } };
}

/** An Onfido `workflow_run.completed` event (run `approved`), signed as Onfido signs: `X-SHA2-Signature: <hex HMAC(token, body)>`. */
export function onfidoCallback(secret: string, runId: string, now: number): SignedCallback {
  const body = Buffer.from(
    JSON.stringify({
      payload: {
        resource_type: "workflow_run",
        action: "workflow_run.completed",
        object: {
          id: runId,
          status: "approved",
          href: `https://api.eu.onfido.com/v3.6/workflow_runs/${runId}`,
          completed_at_iso8601: new Date(now).toISOString(),
        },
      },
    }),
  );
  return { body, headers: { "x-sha2-signature": hmacHex(secret, body) } };
}

/**
 * A Jumio callback (execution PROCESSED) for workflow `definitionKey`. Jumio signs nothing: the bench sends
 * what a signing proxy adds, `X-Jumio-Signature: <hex HMAC(JUMIO_CALLBACK_SECRET, body)>`.
 */
export function jumioCallback(
  secret: string,
  definitionKey: string,
  accountId: string,
  executionId: string,
  now: number,
): SignedCallback {
  const base = "https://retrieval.amer-1.jumio.ai/api/v1/accounts";
  const body = Buffer.from(
    JSON.stringify({
      callbackSentAt: new Date(now).toISOString(),
      workflowExecution: {
        id: executionId,
        href: `${base}/${accountId}/workflow-executions/${executionId}`,
        definitionKey,
        status: "PROCESSED",
      },
      account: { id: accountId, href: `${base}/${accountId}` },
    }),
  );
  return { body, headers: { "x-jumio-signature": hmacHex(secret, body) } };
}

/** Signs the i-th distinct event of one provider (a unique event id, run id or workflow execution id). */
export type CallbackSigner = (i: number, now: number) => SignedCallback;

/** The signer for `provider`, with ids unique to this bench process. */
export function callbackSigner(provider: CallbackProvider, secret: string, jumioWorkflowKey = "10011") {
  const tag = randomUUID().replace(/-/g, "").slice(0, 10);
  const id = (i: number, width: number) => i.toString(36).padStart(width, "0");
  const signers: Record<CallbackProvider, CallbackSigner> = {
    persona: (i, now) =>
      personaCallback(secret, `evt_${tag}${id(i, 8)}`, `inq_${tag}${id(i % 20_000, 6)}`, now),
    onfido: (i, now) => onfidoCallback(secret, `${tag}-run-${id(i, 8)}`, now),
    jumio: (i, now) =>
      jumioCallback(
        secret,
        jumioWorkflowKey,
        `${tag}-acct-${id(i % 20_000, 6)}`,
        `${tag}-wfe-${id(i, 8)}`,
        now,
      ),
  };
  return signers[provider];
}

/**
 * Signed callbacks with distinct ids, signed before the load (`ensure`) so signing does not cost the
 * load generator. `next()` hands them out in order; past the end it wraps around when `unique` is off (the
 * baseline stores nothing), else signs fresh ones on the fly (counted in `signedLate`).
 */
export function callbackPool(sign: CallbackSigner, initialSize: number) {
  const signed: SignedCallback[] = [];
  let index = 0;
  const pool = {
    unique: true,
    signedLate: 0,
    /** Signs ahead until `count` callbacks are ready. */
    ensure(count: number) {
      const now = Date.now();
      for (let i = signed.length; i < count; i++) signed.push(sign(i, now));
    },
    /** Starts handing out from the first event again (a fresh database accepts them all). */
    rewind() {
      index = 0;
      pool.signedLate = 0;
    },
    next(): SignedCallback {
      const i = index++;
      const ready = signed[pool.unique ? i : i % signed.length];
      if (ready) return ready;
      pool.signedLate++;
      return sign(i, Date.now());
    },
  };
  pool.ensure(initialSize);
  return pool;
}

export type CallbackPool = ReturnType<typeof callbackPool>;
