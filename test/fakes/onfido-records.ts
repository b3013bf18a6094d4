// The Onfido simulator's records: applicants and workflow runs, their status changes, and their JSON as the API renders it.
import { createHmac, randomBytes, randomUUID } from "node:crypto";

export const RUN_STATUSES = [
  "awaiting_input",
  "awaiting_client_input",
  "processing",
  "approved",
  "declined",
  "review",
  "abandoned",
  "error",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses that end a run and send `workflow_run.completed` (reference §2.3). */
export const TERMINAL: ReadonlySet<RunStatus> = new Set([
  "approved",
  "declined",
  "review",
  "abandoned",
  "error",
]);

export interface SimApplicant {
  id: string;
  fields: Record<string, unknown>;
  createdAtMs: number;
  deleteAtMs: number | null;
}

export interface SimWorkflowRun {
  id: string;
  applicantId: string;
  workflowId: string;
  status: RunStatus;
  customData: Record<string, unknown>;
  customerUserId: string | null;
  tags: string[];
  /** Hosted-link code (`/l/<code>`), null when the workflow has no link. */
  linkCode: string | null;
  linkSettings: Record<string, unknown>;
  /** The token issued with the run; only the create answer carries it (simulator choice). */
  sdkToken: string;
  createdAtMs: number;
  updatedAtMs: number;
  completedAtMs: number | null;
}

/** Onfido timestamps have whole seconds and a `Z` (`2022-06-28T15:39:42Z`). */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The next `updated_at`: now, but always a whole second after the previous one. */
export function nextStamp(previousMs: number, nowMs: number): number {
  return Math.max(Math.floor(nowMs / 1000) * 1000, Math.floor(previousMs / 1000) * 1000 + 1000);
}

/**
 * A JWT-shaped SDK token (Onfido's are JWTs; their claims are not documented). Signed with a key
 * private to the simulator; nobody verifies it. Lifetime 90 minutes (simulator choice).
 */
export function sdkTokenFor(subject: Record<string, string>, nowMs: number, key: Buffer): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const iat = Math.floor(nowMs / 1000);
  const head = `${part({ alg: "HS256", typ: "JWT" })}.${part({ ...subject, iat, exp: iat + 5400, uuid: randomUUID() })}`;
  return `${head}.${createHmac("sha256", key).update(head).digest("base64url")}`;
}

export const linkCode = () => randomBytes(12).toString("base64url");

export function applyStatus(run: SimWorkflowRun, status: RunStatus, nowMs: number): void {
  run.status = status;
  run.updatedAtMs = nextStamp(run.updatedAtMs, nowMs);
  run.completedAtMs = TERMINAL.has(status) ? run.updatedAtMs : null;
}

const defined = (entries: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));

export function renderApplicant(applicant: SimApplicant): Record<string, unknown> {
  return defined({
    ...applicant.fields,
    id: applicant.id,
    created_at: isoSeconds(applicant.createdAtMs),
    delete_at: applicant.deleteAtMs === null ? undefined : isoSeconds(applicant.deleteAtMs),
    href: `/v3.6/applicants/${applicant.id}`,
    sandbox: true,
  });
}

/**
 * A workflow run as the API answers it. The spec types `output` and `error` as non-nullable objects,
 * so they are left out when there is nothing to say; custom_data is not part of the spec's answer.
 */
export function renderRun(
  run: SimWorkflowRun,
  origin: string,
  opts: { withToken?: boolean } = {},
): Record<string, unknown> {
  const decided = run.status === "approved" || run.status === "declined" || run.status === "review";
  return defined({
    id: run.id,
    applicant_id: run.applicantId,
    workflow_id: run.workflowId,
    workflow_version_id: 1,
    dashboard_url: `https://dashboard.onfido.com/results/${run.id}`,
    status: run.status,
    output: decided ? { decision: run.status } : undefined,
    reasons: decided ? [`simulated_${run.status}`] : [],
    error:
      run.status === "error"
        ? { type: "simulated_error", message: "The simulator failed this run" }
        : undefined,
    sdk_token: opts.withToken ? run.sdkToken : null,
    link:
      run.linkCode === null
        ? undefined
        : {
            url: `${origin}/l/${run.linkCode}`,
            completed_redirect_url: null,
            expired_redirect_url: null,
            expires_at: null,
            language: null,
            ...run.linkSettings,
          },
    tags: run.tags,
    customer_user_id: run.customerUserId ?? undefined,
    created_at: isoSeconds(run.createdAtMs),
    updated_at: isoSeconds(run.updatedAtMs),
  });
}
