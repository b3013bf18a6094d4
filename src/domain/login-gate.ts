// The login policy (DESIGN §4): block listed statuses, fail closed when the store cannot be read.
import type { GateReader } from "../store/index.js";

/** A message Kratos renders: its id (outside Kratos' catalogue, so UIs show our text) and the text. */
export interface KratosMessage {
  id: number;
  text: string;
}

export interface LoginPolicy {
  blockStatuses: ReadonlySet<string>;
  failOpen: boolean;
  /** Shown when the identity's status blocks the login. */
  blocked: KratosMessage;
  /** Shown when the status cannot be read and the gate fails closed: a retry may succeed. */
  unavailable: KratosMessage;
  /** How long a read that answers asynchronously (PostgreSQL) may take before the store counts as unavailable. */
  readTimeoutMs: number;
}

export type GateDecision =
  | { allow: true; status: string }
  | { allow: false; status: string; reason: "status_blocked" | "store_unavailable"; body: string };

/** Kratos' interrupt shape: nested `messages`, page-level pointer, our own message id. */
export function kratosBlockBody(message: KratosMessage, reason: string, status: string): string {
  return JSON.stringify({
    messages: [
      {
        instance_ptr: "#/",
        messages: [
          {
            id: message.id,
            text: message.text,
            type: "error",
            context: { reason, status },
          },
        ],
      },
    ],
  });
}

export function createLoginGate(policy: LoginPolicy, read: GateReader) {
  // Bodies are built once: the login path only picks one.
  const blocked = new Map<string, string>();
  for (const status of policy.blockStatuses)
    blocked.set(status, kratosBlockBody(policy.blocked, "identity_verification_blocked", status));
  const unavailable = kratosBlockBody(policy.unavailable, "identity_verification_unavailable", "unknown");

  const failed = (): GateDecision =>
    policy.failOpen
      ? { allow: true, status: "unknown" }
      : { allow: false, status: "unknown", reason: "store_unavailable", body: unavailable };
  const judge = (found: string | undefined): GateDecision => {
    const status = found ?? "unverified";
    const body = blocked.get(status);
    if (body === undefined) return { allow: true, status };
    return { allow: false, status, reason: "status_blocked", body };
  };

  /** Answers synchronously when the store does (SQLite): the login path carries no promise it need not. */
  return function decide(identityId: string): GateDecision | Promise<GateDecision> {
    let status: ReturnType<GateReader>;
    try {
      status = read(identityId);
    } catch {
      return failed();
    }
    return status instanceof Promise
      ? withinTime(status, policy.readTimeoutMs).then(judge, failed)
      : judge(status);
  };
}

/** `pending`, or a rejection once `ms` have passed: a hung connection must not hold the login past Kratos' timeout. */
function withinTime<T>(pending: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    pending.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export type LoginGate = ReturnType<typeof createLoginGate>;
