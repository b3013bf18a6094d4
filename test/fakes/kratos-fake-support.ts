// Small pieces of the Kratos fake: error bodies (herodot shape), identity views, addresses, body reading, servers.
import { randomBytes, randomUUID } from "node:crypto";
import { type IncomingHttpHeaders, type IncomingMessage, type Server, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { KratosIdentity } from "./kratos-fake.js";

export type Json = Record<string, unknown>;

export interface Ctx {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string> | undefined;
}

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

// Default messages of ory/herodot's errors, which Kratos answers with.
const HERODOT_MESSAGES: Record<number, string> = {
  400: "The request was malformed or contained invalid parameters",
  401: "The request could not be authorized",
  403: "The requested action was forbidden",
  404: "The requested resource could not be found",
  409: "The request could not be completed due to a conflict",
  429: "The request was rate limited",
  500: "An internal server error occurred, please contact the system administrator",
  501: "This feature is not implemented",
  503: "The service is temporarily unavailable",
};

/** `{"error":{code,status,message,reason?,id?,debug?}}` — the `errorGeneric` schema. */
export function kratosError(
  code: number,
  message?: string,
  extra: { reason?: string; id?: string; debug?: string } = {},
): Reply {
  const status = STATUS_CODES[code] ?? "Unknown";
  return {
    status: code,
    body: { error: { code, status, message: message ?? HERODOT_MESSAGES[code] ?? status, ...extra } },
  };
}

/** What Kratos answers for a missing row (sqlcon.ErrNoRows). */
export const notFound = (message = "Unable to locate the resource"): Reply => kratosError(404, message);

/** Admin responses carry metadata_admin (null when unset); public ones (whoami) never do. */
export function identityView(identity: KratosIdentity, api: "admin" | "public"): Partial<KratosIdentity> {
  const view: Partial<KratosIdentity> = structuredClone(identity);
  if (api === "admin") view.metadata_admin = identity.metadata_admin ?? null;
  else delete view.metadata_admin;
  return view;
}

/**
 * Kratos derives verification and recovery addresses from the identity schema; the fake's schema has one
 * `email` trait marked for both. Addresses already on the identity with the same value are kept as they are.
 */
export function syncAddresses(identity: KratosIdentity, now: string): KratosIdentity {
  const email = typeof identity.traits.email === "string" ? identity.traits.email.toLowerCase() : undefined;
  const keep = (list: unknown[] | undefined) => list?.find((a) => isObject(a) && a.value === email);
  const verifiable = email
    ? [
        keep(identity.verifiable_addresses) ?? {
          id: randomUUID(),
          value: email,
          verified: false,
          via: "email",
          status: "pending",
          created_at: now,
          updated_at: now,
        },
      ]
    : [];
  const recovery = email
    ? [
        keep(identity.recovery_addresses) ?? {
          id: randomUUID(),
          value: email,
          via: "email",
          created_at: now,
          updated_at: now,
        },
      ]
    : [];
  return { ...identity, verifiable_addresses: verifiable, recovery_addresses: recovery };
}

/** The parsed JSON body (`undefined` when empty); a body that is not JSON comes back as text. */
export async function readBody(req: IncomingMessage): Promise<{ body: unknown; invalidJson: boolean }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return { body: undefined, invalidJson: false };
  try {
    return { body: JSON.parse(text) as unknown, invalidJson: false };
  } catch {
    return { body: text, invalidJson: true };
  }
}

// Kratos session tokens are 32 random alphanumerics (randx.AlphaNum).
export function randomAlphaNum(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join("");
}

export function listen(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

export function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
