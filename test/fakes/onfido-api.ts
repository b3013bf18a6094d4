// Onfido API routes of the simulator: plain functions over the simulator state, keyed by spec path template.
import { randomUUID } from "node:crypto";
import {
  linkCode,
  renderApplicant,
  renderRun,
  type SimApplicant,
  type SimWorkflowRun,
  sdkTokenFor,
} from "./onfido-records.js";
import { errorFor, onfidoError } from "./onfido-spec.js";

export interface Workflow {
  /** Whether runs of this workflow get a hosted link (`link.url`). */
  hostedLink: boolean;
}

export interface OnfidoState {
  applicants: Map<string, SimApplicant>;
  workflowRuns: Map<string, SimWorkflowRun>;
  workflows: Map<string, Workflow>;
}

export interface ApiDeps {
  now: () => number;
  /** `http://127.0.0.1:PORT`, for hosted links. */
  origin: string;
  tokenKey: Buffer;
}

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

/** `body` undefined = no content (204). */
export interface ApiResponse {
  status: number;
  body?: unknown;
}

/** Page size of GET /workflow_runs: not documented (simulator choice). */
const PAGE_SIZE = 20;
/** How long a deleted applicant stays restorable: not documented (simulator choice). */
const DELETE_GRACE_MS = 30 * 24 * 3600 * 1000;
const APPLICANT_FIELDS = [
  "first_name",
  "last_name",
  "email",
  "dob",
  "phone_number",
  "id_numbers",
  "address",
  "location",
];
const LINK_SETTINGS = ["completed_redirect_url", "expired_redirect_url", "expires_at", "language"];

const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
const pick = (source: Record<string, unknown>, keys: readonly string[]) =>
  Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
const invalid = (fields: Record<string, string[]>): ApiResponse => ({
  status: 422,
  body: onfidoError("validation_error", "There was a validation error on this request", fields),
});
const notFound = (): ApiResponse => ({ status: 404, body: errorFor(404) });

function liveApplicant(state: OnfidoState, id: unknown): SimApplicant | undefined {
  const applicant = typeof id === "string" ? state.applicants.get(id) : undefined;
  return applicant && applicant.deleteAtMs === null ? applicant : undefined;
}

function createApplicant(state: OnfidoState, deps: ApiDeps, req: ApiRequest): ApiResponse {
  const body = record(req.body);
  // The spec's name pattern allows "", Onfido does not (simulator choice, as the real API reports blank names).
  const blank = ["first_name", "last_name"].filter(
    (k) => typeof body[k] !== "string" || !String(body[k]).trim(),
  );
  if (blank.length > 0) return invalid(Object.fromEntries(blank.map((k) => [k, ["can't be blank"]])));
  const applicant: SimApplicant = {
    id: randomUUID(),
    fields: pick(body, APPLICANT_FIELDS),
    createdAtMs: deps.now(),
    deleteAtMs: null,
  };
  state.applicants.set(applicant.id, applicant);
  return { status: 201, body: renderApplicant(applicant) };
}

function createWorkflowRun(state: OnfidoState, deps: ApiDeps, req: ApiRequest): ApiResponse {
  const body = record(req.body);
  const workflow = typeof body.workflow_id === "string" ? state.workflows.get(body.workflow_id) : undefined;
  if (!workflow) return invalid({ workflow_id: ["workflow not found"] });
  const applicant = liveApplicant(state, body.applicant_id);
  if (!applicant) return invalid({ applicant_id: ["applicant not found"] });
  const now = deps.now();
  const run: SimWorkflowRun = {
    id: randomUUID(),
    applicantId: applicant.id,
    workflowId: body.workflow_id as string,
    status: "awaiting_input",
    customData: record(body.custom_data),
    customerUserId: typeof body.customer_user_id === "string" ? body.customer_user_id : null,
    tags: Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === "string") : [],
    linkCode: workflow.hostedLink ? linkCode() : null,
    linkSettings: pick(record(body.link), LINK_SETTINGS),
    sdkToken: "",
    createdAtMs: now,
    updatedAtMs: now,
    completedAtMs: null,
  };
  run.sdkToken = sdkTokenFor({ applicant_id: applicant.id, workflow_run_id: run.id }, now, deps.tokenKey);
  state.workflowRuns.set(run.id, run);
  return { status: 201, body: renderRun(run, deps.origin, { withToken: true }) };
}

function listWorkflowRuns(state: OnfidoState, deps: ApiDeps, { query }: ApiRequest): ApiResponse {
  const csv = (name: string) =>
    query
      .getAll(name)
      .flatMap((v) => v.split(","))
      .filter((v) => v !== "");
  const tags = csv("tags");
  const statuses = csv("status");
  const applicantId = query.get("applicant_id");
  const after = query.get("created_at_gt");
  const before = query.get("created_at_lt");
  const sortedAt = (run: SimWorkflowRun) => run.completedAtMs ?? run.createdAtMs;
  const direction = query.get("sort") === "asc" ? 1 : -1;
  const matching = [...state.workflowRuns.values()]
    .filter(
      (run) =>
        tags.every((tag) => run.tags.includes(tag)) &&
        (statuses.length === 0 || statuses.includes(run.status)) &&
        (applicantId === null || run.applicantId === applicantId) &&
        (after === null || run.createdAtMs > Date.parse(after)) &&
        (before === null || run.createdAtMs < Date.parse(before)),
    )
    .sort((a, b) => direction * (sortedAt(a) - sortedAt(b)));
  const page = Math.max(1, Number.parseInt(query.get("page") ?? "1", 10) || 1);
  const slice = matching.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
  return { status: 200, body: slice.map((run) => renderRun(run, deps.origin)) };
}

function sdkToken(state: OnfidoState, deps: ApiDeps, req: ApiRequest): ApiResponse {
  const applicant = liveApplicant(state, record(req.body).applicant_id);
  if (!applicant) return invalid({ applicant_id: ["applicant not found"] });
  return {
    status: 200,
    body: { token: sdkTokenFor({ applicant_id: applicant.id }, deps.now(), deps.tokenKey) },
  };
}

type Route = (state: OnfidoState, deps: ApiDeps, req: ApiRequest) => ApiResponse;

/** Served operations, keyed `METHOD /template` as in the spec (paths relative to `/v3.6`). */
export const ROUTES: Record<string, Route> = {
  "POST /applicants": createApplicant,
  "GET /applicants/{applicant_id}": (state, _deps, req) => {
    const applicant = liveApplicant(state, req.params.applicant_id);
    return applicant ? { status: 200, body: renderApplicant(applicant) } : notFound();
  },
  "DELETE /applicants/{applicant_id}": (state, deps, req) => {
    const applicant = liveApplicant(state, req.params.applicant_id);
    if (!applicant) return notFound();
    applicant.deleteAtMs = deps.now() + DELETE_GRACE_MS;
    return { status: 204 };
  },
  "POST /applicants/{applicant_id}/restore": (state, _deps, req) => {
    const applicant = state.applicants.get(req.params.applicant_id ?? "");
    if (!applicant || applicant.deleteAtMs === null) return notFound();
    applicant.deleteAtMs = null;
    return { status: 204 };
  },
  "POST /workflow_runs": createWorkflowRun,
  "GET /workflow_runs": listWorkflowRuns,
  "GET /workflow_runs/{workflow_run_id}": (state, deps, req) => {
    const run = state.workflowRuns.get(req.params.workflow_run_id ?? "");
    return run ? { status: 200, body: renderRun(run, deps.origin) } : notFound();
  },
  "POST /sdk_token": sdkToken,
};
