// Jumio simulator state: accounts and workflow executions, their status changes, and the documents Jumio serves.
import { randomBytes, randomUUID } from "node:crypto";

export type WorkflowStatus = "INITIATED" | "ACQUIRED" | "PROCESSED" | "SESSION_EXPIRED" | "TOKEN_EXPIRED";
export type DecisionType = "PASSED" | "WARNING" | "REJECTED" | "NOT_EXECUTED";
export const WORKFLOW_STATUSES: readonly WorkflowStatus[] = [
  "INITIATED",
  "ACQUIRED",
  "PROCESSED",
  "SESSION_EXPIRED",
  "TOKEN_EXPIRED",
];
export const DECISION_TYPES: readonly DecisionType[] = ["PASSED", "WARNING", "REJECTED", "NOT_EXECUTED"];

export interface SimDecision {
  type: DecisionType;
  label: string;
  score: number;
}

export interface SimExecution {
  id: string;
  accountId: string;
  definitionKey: number;
  status: WorkflowStatus;
  /** null while not PROCESSED, and for PROCESSED before the decision exists (the 2023 guide has none). */
  decision: SimDecision | null;
  customerInternalReference: string;
  userReference: string | null;
  callbackUrl: string | null;
  sdkToken: string;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
}

export interface SimAccount {
  id: string;
  customerInternalReference: string;
  /** Workflow execution ids, oldest first. */
  executions: string[];
}

export interface AccountRequest {
  customerInternalReference: string;
  userReference: string | null;
  callbackUrl: string | null;
  workflowKey: number;
}

// Simulator choices (Jumio documents the bands, not the labels of the top-level decision).
const DECISION_DEFAULTS: Record<DecisionType, { label: string; score: number }> = {
  PASSED: { label: "OK", score: 12 },
  WARNING: { label: "LOW_CONFIDENCE", score: 50 },
  REJECTED: { label: "MANIPULATED_DOCUMENT", score: 90 },
  NOT_EXECUTED: { label: "TECHNICAL_ERROR", score: -1 },
};

const FORBIDDEN_REFERENCE = /[<>"/;`%{}|]/;

/** Checks a POST/PUT /accounts body against Jumio's documented constraints; the problem, or the request. */
export function parseAccountRequest(body: unknown): AccountRequest | string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "body must be a JSON object";
  const b = body as Record<string, unknown>;
  const reference = b.customerInternalReference;
  if (typeof reference !== "string" || reference.length === 0 || reference.length > 100)
    return "customerInternalReference is required (1-100 characters)";
  if (FORBIDDEN_REFERENCE.test(reference)) return "customerInternalReference contains a forbidden character";
  const definition = b.workflowDefinition as Record<string, unknown> | undefined;
  if (typeof definition?.key !== "number" || !Number.isInteger(definition.key))
    return "workflowDefinition.key is required (integer)";
  const userReference = b.userReference;
  if (userReference !== undefined && (typeof userReference !== "string" || userReference.length > 100))
    return "userReference must be a string of at most 100 characters";
  const callbackUrl = b.callbackUrl;
  if (callbackUrl !== undefined) {
    const problem = typeof callbackUrl === "string" ? callbackUrlProblem(callbackUrl) : "must be a string";
    if (problem) return `callbackUrl ${problem}`;
  }
  return {
    customerInternalReference: reference,
    userReference: typeof userReference === "string" ? userReference : null,
    callbackUrl: typeof callbackUrl === "string" ? callbackUrl : null,
    workflowKey: definition.key,
  };
}

/** Jumio: HTTPS, at most 255 characters, no IP address, no port, no fragment. */
function callbackUrlProblem(value: string): string | null {
  if (value.length > 255) return "is longer than 255 characters";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a valid URL";
  }
  if (url.protocol !== "https:") return "must use https";
  if (/^[\d.]+$/.test(url.hostname) || url.hostname.startsWith("[")) return "must not be an IP address";
  if (url.port !== "") return "must not have a port";
  if (url.hash !== "") return "must not have a fragment";
  return null;
}

/** A JWT-shaped, unsigned stand-in for Jumio's SDK token (opaque to the gateway). */
function sdkToken(executionId: string, now: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims = { sub: executionId, exp: Math.floor(now / 1000) + 1800 };
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.${randomBytes(16).toString("base64url")}`;
}

export function newExecution(account: SimAccount, request: AccountRequest, now: number): SimExecution {
  const id = randomUUID();
  account.executions.push(id);
  return {
    id,
    accountId: account.id,
    definitionKey: request.workflowKey,
    status: "INITIATED",
    decision: null,
    customerInternalReference: request.customerInternalReference,
    userReference: request.userReference,
    callbackUrl: request.callbackUrl,
    sdkToken: sdkToken(id, now),
    createdAt: now,
    startedAt: null,
    completedAt: null,
  };
}

/** Moves an execution to a status, dated `stamp`; a decision only sticks to PROCESSED. */
export function applyStatus(
  execution: SimExecution,
  status: WorkflowStatus,
  decision: DecisionType | undefined,
  stamp: number,
  label?: string,
): void {
  execution.status = status;
  switch (status) {
    case "INITIATED":
      execution.startedAt = null;
      execution.completedAt = null;
      execution.decision = null;
      break;
    case "ACQUIRED":
      execution.startedAt = stamp;
      execution.completedAt = null;
      execution.decision = null;
      break;
    case "PROCESSED":
      execution.startedAt ??= stamp;
      execution.completedAt = stamp;
      execution.decision = decision
        ? { type: decision, ...DECISION_DEFAULTS[decision], ...(label ? { label } : {}) }
        : null;
      break;
    default:
      // Expired executions are NOT_EXECUTED with the expiry as label (JDOCS: score -1).
      execution.completedAt = stamp;
      execution.decision = { type: "NOT_EXECUTED", label: status, score: -1 };
  }
}

const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

export function accountAnswer(origin: string, execution: SimExecution, now: number) {
  return {
    timestamp: new Date(now).toISOString(),
    account: { id: execution.accountId },
    web: {
      href: `${origin}/web/v4/app?authorizationToken=${execution.sdkToken}&locale=en`,
    },
    sdk: { token: execution.sdkToken },
    workflowExecution: {
      id: execution.id,
      credentials: [
        {
          id: randomUUID(),
          category: "ID",
          allowedChannels: ["WEB", "API", "SDK"],
        },
      ],
    },
  };
}

export function executionHref(retrievalBase: string, execution: SimExecution): string {
  return `${retrievalBase}/accounts/${execution.accountId}/workflow-executions/${execution.id}`;
}

/** GET …/workflow-executions/{id}: JDOCS shape; personal data only once processed (the gateway never reads it). */
export function detailsDocument(execution: SimExecution) {
  const processed = execution.status === "PROCESSED" && execution.decision !== null;
  const credential = randomUUID();
  return {
    workflow: {
      id: execution.id,
      status: execution.status,
      definitionKey: String(execution.definitionKey),
      ...(execution.userReference ? { userReference: execution.userReference } : {}),
      customerInternalReference: execution.customerInternalReference,
    },
    account: { id: execution.accountId },
    createdAt: iso(execution.createdAt),
    startedAt: iso(execution.startedAt),
    completedAt: iso(execution.completedAt),
    credentials: processed ? [{ id: credential, category: "ID", parts: [{ classifier: "FRONT" }] }] : [],
    capabilities: processed
      ? {
          extraction: [
            {
              id: randomUUID(),
              credentials: [{ id: credential, category: "ID" }],
              decision: { type: "PASSED", details: { label: "OK" } },
              data: { type: "ID_CARD", issuingCountry: "USA", firstName: "ADA", lastName: "LOVELACE" },
            },
          ],
        }
      : {},
    ...(execution.decision
      ? {
          decision: {
            type: execution.decision.type,
            details: { label: execution.decision.label },
            risk: { score: execution.decision.score },
          },
        }
      : {}),
  };
}

export function statusDocument(retrievalBase: string, execution: SimExecution) {
  return {
    account: { id: execution.accountId, href: `${retrievalBase}/accounts/${execution.accountId}` },
    workflowExecution: {
      id: execution.id,
      href: executionHref(retrievalBase, execution),
      definitionKey: String(execution.definitionKey),
      status: execution.status,
    },
  };
}

/** The callback body (JGUIDE): ids, hrefs and the status; `definitionKey` is a string here. */
export function callbackDocument(retrievalBase: string, execution: SimExecution, sentAt: number) {
  return {
    callbackSentAt: new Date(sentAt).toISOString(),
    ...(execution.userReference ? { userReference: execution.userReference } : {}),
    workflowExecution: {
      id: execution.id,
      href: executionHref(retrievalBase, execution),
      definitionKey: String(execution.definitionKey),
      status: execution.status,
    },
    account: { id: execution.accountId, href: `${retrievalBase}/accounts/${execution.accountId}` },
  };
}
