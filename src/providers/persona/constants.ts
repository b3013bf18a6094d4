// Persona facts: endpoints, headers, inquiry status vocabulary and its normalized mapping.
import type { NormalizedStatus } from "../../domain/status.js";
import type { SignatureCandidate } from "../../lib/webhook-signature.js";

export const PERSONA = "persona" as const;

export const STATUS_MAP: Readonly<Record<string, NormalizedStatus>> = {
  created: "created",
  pending: "pending",
  completed: "completed",
  approved: "approved",
  needs_review: "review",
  "needs-review": "review",
  declined: "declined",
  expired: "expired",
  failed: "failed",
};

/** Persona adds statuses without notice; an unknown one is kept raw and treated as still in progress. */
export const UNKNOWN_STATUS: NormalizedStatus = "pending";

/** Which timestamp attribute dates each status (the decision time for decisions). */
export const STATUS_TIMESTAMP: Readonly<Record<string, string>> = {
  approved: "decisioned-at",
  declined: "decisioned-at",
  needs_review: "marked-for-review-at",
  failed: "failed-at",
  completed: "completed-at",
  expired: "expired-at",
  pending: "started-at",
  created: "created-at",
};

export const SIGNATURE_HEADER = "persona-signature";

/** `t=<unix>,v1=<hex>`, several space-separated pairs while a secret rotates. */
export function parseSignatureHeader(value: string): SignatureCandidate[] | null {
  const candidates: SignatureCandidate[] = [];
  for (const pair of value.split(/\s+/)) {
    if (pair === "") continue;
    let timestamp: number | undefined;
    const signatures: string[] = [];
    for (const part of pair.split(",")) {
      const eq = part.indexOf("=");
      if (eq < 0) return null;
      const key = part.slice(0, eq);
      const val = part.slice(eq + 1);
      if (key === "t") {
        if (!/^\d{1,12}$/.test(val)) return null;
        timestamp = Number(val);
      } else if (key === "v1") signatures.push(val.toLowerCase());
    }
    for (const signature of signatures)
      candidates.push(timestamp === undefined ? { signature } : { timestamp, signature });
  }
  return candidates;
}

export const HOSTED_FLOW_URL = "https://inquiry.withpersona.com/verify";
