// The login policy (DESIGN §4): block listed statuses, fail closed when the store cannot be read.
import type { GateReader } from "../store/index.js";

export interface LoginPolicy {
  blockStatuses: ReadonlySet<string>;
  failOpen: boolean;
  message: string;
  messageId: number;
}

export type GateDecision =
  | { allow: true; status: string }
  | { allow: false; status: string; reason: "status_blocked" | "store_unavailable"; body: string };

/** Kratos' interrupt shape: nested `messages`, page-level pointer, our own message id. */
export function kratosBlockBody(policy: LoginPolicy, reason: string, status: string): string {
  return JSON.stringify({
    messages: [
      {
        instance_ptr: "#/",
        messages: [
          {
            id: policy.messageId,
            text: policy.message,
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
    blocked.set(status, kratosBlockBody(policy, "identity_verification_blocked", status));
  const unavailable = kratosBlockBody(policy, "identity_verification_unavailable", "unknown");

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
    return status instanceof Promise ? status.then(judge, failed) : judge(status);
  };
}

export type LoginGate = ReturnType<typeof createLoginGate>;
