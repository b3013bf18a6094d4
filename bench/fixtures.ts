// Benchmark data: seeded login-gate rows, /validate bodies over them, and pre-signed Persona callbacks.
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
    {
      blockStatuses: new Set(defaults.LOGIN_BLOCK_STATUSES),
      failOpen: defaults.LOGIN_FAIL_OPEN,
      message: defaults.LOGIN_BLOCK_MESSAGE,
      messageId: defaults.LOGIN_BLOCK_MESSAGE_ID,
    },
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

export interface SignedCallback {
  body: Buffer;
  signature: string;
}

/** A Persona `inquiry.approved` event, signed as Persona signs: `t=<unix>,v1=<hex HMAC(secret, t + "." + body)>`. */
export function signedCallback(
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
  const v1 = createHmac("sha256", secret).update(`${t}.`).update(body).digest("hex");
  return { body, signature: `t=${t},v1=${v1}` };
}

/**
 * Signed callbacks with distinct event ids, signed before the load (`ensure`) so signing does not cost the
 * load generator. `next()` hands them out in order; past the end it wraps around when `unique` is off (the
 * baseline stores nothing), else signs fresh ones on the fly (counted in `signedLate`).
 */
export function callbackPool(secret: string, initialSize: number) {
  const tag = randomUUID().replace(/-/g, "").slice(0, 10);
  const eventId = (i: number) => `evt_${tag}${i.toString(36).padStart(8, "0")}`;
  const inquiryId = (i: number) => `inq_${tag}${(i % 20_000).toString(36).padStart(6, "0")}`;
  const signed: SignedCallback[] = [];
  let index = 0;
  const pool = {
    unique: true,
    signedLate: 0,
    /** Signs ahead until `count` callbacks are ready. */
    ensure(count: number) {
      const now = Date.now();
      for (let i = signed.length; i < count; i++)
        signed.push(signedCallback(secret, eventId(i), inquiryId(i), now));
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
      return signedCallback(secret, eventId(i), inquiryId(i), Date.now());
    },
  };
  pool.ensure(initialSize);
  return pool;
}

export type CallbackPool = ReturnType<typeof callbackPool>;
