// The login policy (DESIGN §4): block listed statuses, fail closed when the store cannot be read.
import type { GateRow } from "../store/index.js";

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

export function createLoginGate(
  policy: LoginPolicy,
  read: (identityId: string) => Promise<GateRow | undefined>,
) {
  // Bodies are built once: the login path only picks one.
  const blocked = new Map<string, string>();
  for (const status of policy.blockStatuses)
    blocked.set(status, kratosBlockBody(policy, "identity_verification_blocked", status));
  const unavailable = kratosBlockBody(policy, "identity_verification_unavailable", "unknown");

  return async function decide(identityId: string): Promise<GateDecision> {
    let row: GateRow | undefined;
    try {
      row = await read(identityId);
    } catch {
      if (policy.failOpen) return { allow: true, status: "unknown" };
      return { allow: false, status: "unknown", reason: "store_unavailable", body: unavailable };
    }
    const status = row?.status ?? "unverified";
    const body = blocked.get(status);
    if (body === undefined) return { allow: true, status };
    return { allow: false, status, reason: "status_blocked", body };
  };
}

export type LoginGate = ReturnType<typeof createLoginGate>;
