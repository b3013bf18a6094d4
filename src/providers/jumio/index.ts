// Jumio (KYX) provider: accounts created for the Kratos identity, callbacks as hints, results re-read from retrieval.
import type { z } from "zod";
import { ConfigError } from "../../config/load.js";
import { DECISION_STATUSES } from "../../domain/status.js";
import { createCidrAllowlist, invalidCidrs } from "../../lib/cidr-allowlist.js";
import { secretMatcher } from "../../lib/constant-time.js";
import { UpstreamError } from "../../lib/errors.js";
import type { FetchLike } from "../../lib/http-client.js";
import { type Clock, systemRuntime } from "../../lib/runtime.js";
import { type SignatureScheme, verifySignature } from "../../lib/webhook-signature.js";
import { parseCallbackBody } from "../callback-body.js";
import {
  type IdvProvider,
  missingSettings,
  type ProviderFactory,
  type ProviderResult,
  type StartOffer,
} from "../provider.js";
import { createJumioClient } from "./client.js";
import {
  API_SERVICE,
  CALLBACK_PATH,
  callbackUrlToken,
  defaultRetrievalBase,
  JUMIO,
  jumioState,
  parseSessionId,
  parseSignatureHeader,
  sessionIdOf,
  URL_TOKEN_QUERY,
} from "./constants.js";
import {
  type AccountAnswer,
  accountAnswer,
  callbackBody,
  type JumioSettings,
  type WorkflowDetails,
  workflowDetails,
  workflowStatus,
} from "./schemas.js";

const DECISIONS: ReadonlySet<string> = new Set(DECISION_STATUSES);

function millis(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function answerOf<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new UpstreamError(
    API_SERVICE,
    `${API_SERVICE} answered an unexpected ${what}: ${issue?.path.join(".")} ${issue?.message}`,
    false,
  );
}

export function createJumioProvider(
  settings: JumioSettings,
  fetchImpl?: FetchLike,
  clock: Clock = systemRuntime.clock,
): IdvProvider {
  const call = createJumioClient(settings, clock, fetchImpl);
  const apiBase = settings.apiBase.replace(/\/+$/, "");
  const retrievalBase = settings.retrievalBase.replace(/\/+$/, "");
  const allowlist = settings.allowlist.length > 0 ? createCidrAllowlist(settings.allowlist) : undefined;
  const secret = settings.callbackSecret;
  const urlToken = secret ? callbackUrlToken(secret) : undefined;
  const urlTokenMatches = urlToken ? secretMatcher(urlToken) : undefined;
  const callbackUrl = `${settings.publicUrl.replace(/\/+$/, "")}${CALLBACK_PATH}${
    urlToken ? `?${URL_TOKEN_QUERY}=${urlToken}` : ""
  }`;
  const signature: SignatureScheme = {
    header: settings.signatureHeader,
    parse: parseSignatureHeader,
  };

  const accountRequest = (identityId: string) => ({
    customerInternalReference: identityId,
    workflowDefinition: { key: settings.workflowKey },
    callbackUrl,
  });

  function created(answer: AccountAnswer, identityId: string): { result: ProviderResult; offer: StartOffer } {
    const { rawStatus, status } = jumioState(answer.workflowExecution.status ?? "INITIATED", null);
    const accountId = answer.account.id;
    const executionId = answer.workflowExecution.id;
    return {
      result: {
        sessionId: sessionIdOf(accountId, executionId),
        rawStatus,
        status,
        version: millis(answer.timestamp) ?? clock.now(),
        decidedAt: null,
        identityId,
        // web.href carries a bearer token: handed to the user once, never stored.
        verificationUrl: null,
        details: { account_id: accountId, workflow_execution_id: executionId },
      },
      offer: { url: answer.web?.href ?? null, sdkToken: answer.sdk?.token ?? null },
    };
  }

  function fromDetails(details: WorkflowDetails, accountId: string, executionId: string): ProviderResult {
    const { rawStatus, status } = jumioState(details.workflow.status, details.decision?.type);
    const stamps = [details.createdAt, details.startedAt, details.completedAt]
      .map(millis)
      .filter((t): t is number => t !== null);
    const version = stamps.length > 0 ? Math.max(...stamps) : clock.now();
    return {
      sessionId: sessionIdOf(accountId, executionId),
      rawStatus,
      status,
      version,
      decidedAt: DECISIONS.has(status) ? (millis(details.completedAt) ?? version) : null,
      identityId: details.workflow.customerInternalReference ?? null,
      verificationUrl: null,
      details: { account_id: accountId, workflow_execution_id: executionId },
    };
  }

  async function readStatusOnly(
    path: string,
    accountId: string,
    executionId: string,
  ): Promise<ProviderResult> {
    const answer = answerOf(workflowStatus, await call("GET", `${path}/status`), "workflow status");
    const { rawStatus, status } = jumioState(answer.workflowExecution.status, null);
    // The status resource has no timestamps: it is dated by the time it was read.
    return {
      sessionId: sessionIdOf(accountId, executionId),
      rawStatus,
      status,
      version: clock.now(),
      decidedAt: null,
      identityId: null,
      verificationUrl: null,
      details: { account_id: accountId, workflow_execution_id: executionId },
    };
  }

  return {
    name: JUMIO,
    metadata: { bag: "metadata_public", key: JUMIO },
    adoptsUnknownSessions: true,

    authenticateCallback(request, nowMs) {
      if (allowlist && !allowlist.allows(request.sourceIp)) return { ok: false, reason: "forbidden_source" };
      if (!secret || !urlTokenMatches) return { ok: true };
      // Either credential suffices: a signing proxy's body HMAC, or the token of the URL we registered.
      const header = request.headers[settings.signatureHeader];
      const signed =
        header === undefined
          ? undefined
          : verifySignature(signature, [secret], header, request.rawBody, nowMs);
      if (signed?.ok) return signed;
      const token: unknown = request.query[URL_TOKEN_QUERY];
      if (token !== undefined && token !== "") {
        // `?token=a&token=b` parses to an array: never a match.
        return typeof token === "string" && urlTokenMatches(token)
          ? { ok: true }
          : { ok: false, reason: "mismatch" };
      }
      return signed ?? { ok: false, reason: "missing" };
    },

    async createSession(subject) {
      // Jumio has no idempotency key; a create whose answer is lost leaves an unused account behind.
      const body = await call("POST", `${apiBase}/accounts`, accountRequest(subject.identityId));
      return created(answerOf(accountAnswer, body, "account answer"), subject.identityId);
    },

    async fetchResult(sessionId) {
      const { accountId, executionId } = parseSessionId(sessionId);
      const path = `${retrievalBase}/accounts/${encodeURIComponent(accountId)}/workflow-executions/${encodeURIComponent(executionId)}`;
      let body: unknown;
      try {
        body = await call("GET", path);
      } catch (error) {
        // Details may not exist before the user finishes; the status resource always does.
        if (error instanceof UpstreamError && error.status === 404)
          return readStatusOnly(path, accountId, executionId);
        throw error;
      }
      const details = answerOf(workflowDetails, body, "workflow execution");
      if (details.workflow.id !== executionId || details.account.id !== accountId) {
        throw new UpstreamError(API_SERVICE, `${API_SERVICE} answered for another workflow execution`, false);
      }
      return fromDetails(details, accountId, executionId);
    },

    async startOffer(current) {
      // ACQUIRED: the user has handed everything over and Jumio is processing; nothing to hand out.
      if (current.status === "pending") return { offer: { url: null, sdkToken: null }, result: current };
      // A live execution's token cannot be read again, so the user gets a new execution on the same account.
      const { accountId } = parseSessionId(current.sessionId);
      if (!current.identityId)
        throw new UpstreamError(API_SERVICE, "Jumio workflow has no customerInternalReference", false);
      const body = await call(
        "PUT",
        `${apiBase}/accounts/${encodeURIComponent(accountId)}`,
        accountRequest(current.identityId),
      );
      return created(answerOf(accountAnswer, body, "account answer"), current.identityId);
    },

    parseCallback(body) {
      const callback = parseCallbackBody(body, callbackBody, "a Jumio callback");
      const { workflowExecution: execution, account, callbackSentAt } = callback;
      const eventName = `workflow-execution.${execution.status.toLowerCase()}`;
      if (execution.definitionKey !== String(settings.workflowKey)) {
        return {
          kind: "ignored",
          eventName,
          reason: `workflow ${execution.definitionKey} is not JUMIO_WORKFLOW_KEY`,
        };
      }
      return {
        kind: "event",
        // Jumio sends no event id. callbackSentAt keeps a later callback with the same status (a changed
        // decision) from being taken for a replay of the first.
        dedupeKey: `${execution.id}:${execution.status}:${callbackSentAt}`,
        eventName,
        sessionId: sessionIdOf(account.id, execution.id),
      };
    },

    describe(record) {
      return {
        status: record.rawStatus.toLowerCase(),
        account_id: record.details.account_id ?? null,
        workflow_execution_id: record.details.workflow_execution_id ?? null,
        initiated_at: new Date(record.createdAt).toISOString(),
        updated_at: new Date(record.updatedAt).toISOString(),
        decided_at: record.decidedAt === null ? null : new Date(record.decidedAt).toISOString(),
        error: record.lastError,
      };
    },
  } satisfies IdvProvider;
}

export const configureJumio: ProviderFactory = ({ config, fetch, runtime, publicUrl }) => {
  const missing = missingSettings(config, [
    "JUMIO_AUTH_URL",
    "JUMIO_API_BASE_URL",
    "JUMIO_CLIENT_ID",
    "JUMIO_CLIENT_SECRET",
  ]);
  const { JUMIO_AUTH_URL: authUrl, JUMIO_API_BASE_URL: apiBase } = config;
  const { JUMIO_CLIENT_ID: clientId, JUMIO_CLIENT_SECRET: clientSecret } = config;
  if (missing.length > 0 || !authUrl || !apiBase || !clientId || !clientSecret) return { missing };
  const invalid = invalidCidrs(config.JUMIO_CALLBACK_ALLOWLIST);
  if (invalid.length > 0) {
    throw new ConfigError([`JUMIO_CALLBACK_ALLOWLIST: not an IP address or CIDR: ${invalid.join(", ")}`]);
  }
  return createJumioProvider(
    {
      authUrl,
      apiBase,
      retrievalBase: config.JUMIO_RETRIEVAL_BASE_URL ?? defaultRetrievalBase(apiBase),
      clientId,
      clientSecret,
      workflowKey: config.JUMIO_WORKFLOW_KEY,
      userAgent: config.JUMIO_USER_AGENT,
      callbackSecret: config.JUMIO_CALLBACK_SECRET,
      signatureHeader: config.JUMIO_CALLBACK_SIGNATURE_HEADER,
      allowlist: config.JUMIO_CALLBACK_ALLOWLIST,
      publicUrl,
      timeoutMs: config.OUTBOUND_TIMEOUT_MS,
    },
    fetch,
    runtime.clock,
  );
};
