// Onfido provider: an applicant plus a Studio workflow run per verification, results re-read from the API.
import { createHash } from "node:crypto";
import { DECISION_STATUSES } from "../../domain/status.js";
import type { FetchLike } from "../../lib/http-client.js";
import { verifySignature } from "../../lib/webhook-signature.js";
import { parseCallbackBody } from "../callback-body.js";
import {
  type IdvProvider,
  missingSettings,
  type ProviderFactory,
  type ProviderResult,
  type StartOffer,
  type Subject,
} from "../provider.js";
import { createOnfidoApi, isDefiniteRefusal } from "./api.js";
import {
  MAX_TAG_LENGTH,
  NAME_FORBIDDEN,
  ONFIDO,
  PLACEHOLDER_NAME,
  RUN_TAG_PREFIX,
  regionalApiBase,
  SIGNATURE_SCHEME,
  STATUS_MAP,
  UNKNOWN_STATUS,
  WORKFLOW_RUN,
} from "./constants.js";
import {
  applicant,
  type OnfidoAuth,
  type OnfidoSettings,
  sdkToken,
  type WorkflowRun,
  webhookEvent,
  workflowRun,
  workflowRunList,
} from "./schemas.js";

/** How many applicants left without a confirmed run this process keeps, so a retry reuses them. */
const MAX_REMEMBERED_APPLICANTS = 1000;

export function createOnfidoProvider(settings: OnfidoSettings, fetchImpl?: FetchLike) {
  const api = createOnfidoApi(settings, fetchImpl);
  const orphans = new Map<string, string>();
  const runPath = (id: string) => `/workflow_runs/${encodeURIComponent(id)}`;

  async function findRun(tag: string): Promise<WorkflowRun | undefined> {
    const runs = await api.call(workflowRunList, `/workflow_runs?tags=${encodeURIComponent(tag)}`, "GET");
    return runs.find((run) => run.tags?.includes(tag));
  }

  async function createRun(applicantId: string, identityId: string, tag: string): Promise<WorkflowRun> {
    return api.call(workflowRun, "/workflow_runs", "POST", {
      workflow_id: settings.workflowId,
      applicant_id: applicantId,
      custom_data: { kratos_identity_id: identityId },
      // The spec's workflow run answer has no custom_data; customer_user_id comes back, so it names the identity too.
      customer_user_id: identityId,
      tags: [tag],
    });
  }

  async function createApplicant(subject: Subject): Promise<string> {
    const created = await api.call(applicant, "/applicants", "POST", {
      first_name: onfidoName(subject.firstName),
      last_name: onfidoName(subject.lastName),
      ...(subject.email ? { email: subject.email } : {}),
      ...(subject.dateOfBirth ? { dob: subject.dateOfBirth } : {}),
    });
    return created.id;
  }

  /** Creates the run; when that fails, the applicant is deleted (refused) or kept for the retry (unknown). */
  async function startRun(applicantId: string, identityId: string, tag: string, key: string) {
    try {
      return await createRun(applicantId, identityId, tag);
    } catch (error) {
      if (isDefiniteRefusal(error)) {
        // No run points at the applicant: delete it rather than leave personal data behind.
        await api.send(`/applicants/${encodeURIComponent(applicantId)}`, "DELETE").catch(() => undefined);
      } else {
        // The run may exist (the tag lookup finds it next time) or not (then this applicant is reused).
        orphans.set(key, applicantId);
        if (orphans.size > MAX_REMEMBERED_APPLICANTS) orphans.delete(orphans.keys().next().value as string);
      }
      throw error;
    }
  }

  return {
    name: ONFIDO,
    metadata: { bag: "metadata_public", key: "onfido" },
    adoptsUnknownSessions: true,

    authenticateCallback(request, nowMs) {
      return verifySignature(
        SIGNATURE_SCHEME,
        settings.webhookTokens,
        request.headers[SIGNATURE_SCHEME.header],
        request.rawBody,
        nowMs,
      );
    },

    async createSession(subject, idempotencyKey) {
      // Onfido has no idempotency keys: the run is tagged with ours, so a retry after a lost answer finds it.
      const tag = runTag(idempotencyKey);
      const existing = await findRun(tag);
      const remembered = orphans.get(idempotencyKey);
      orphans.delete(idempotencyKey);
      const run =
        existing ??
        (await startRun(
          remembered ?? (await createApplicant(subject)),
          subject.identityId,
          tag,
          idempotencyKey,
        ));
      return { result: toResult(run), offer: offerOf(run) };
    },

    async fetchResult(sessionId) {
      return toResult(await api.call(workflowRun, runPath(sessionId), "GET"));
    },

    async startOffer(current) {
      let run = await api.call(workflowRun, runPath(current.sessionId), "GET");
      const identityId = identityOf(run);
      if (run.status === "abandoned" && identityId) {
        // An abandoned run cannot be resumed: the same applicant gets a new run of the workflow.
        const tag = runTag(`after:${run.id}`);
        run = (await findRun(tag)) ?? (await createRun(run.applicant_id, identityId, tag));
      }
      // SDK tokens are short-lived: a fresh one every time the user comes back.
      const { token } = await api.call(sdkToken, "/sdk_token", "POST", { applicant_id: run.applicant_id });
      const offer: StartOffer = { url: run.link?.url ?? null, sdkToken: token };
      return { offer, result: toResult(run) };
    },

    parseCallback(body) {
      const event = parseCallbackBody(body, webhookEvent, "an Onfido webhook event");
      const { resource_type: resource, action, object } = event.payload;
      if (resource !== WORKFLOW_RUN) {
        return { kind: "ignored", eventName: action, reason: `not a workflow run event (${resource})` };
      }
      // Onfido sends no event id: the same resource, action and status is the same event.
      const dedupeKey = [resource, action, object.id, object.status ?? ""].join(":");
      return { kind: "event", dedupeKey, eventName: action, sessionId: object.id };
    },

    describe(record) {
      return {
        status: record.rawStatus,
        applicant_id: record.details.applicant_id ?? null,
        workflow_run_id: record.sessionId,
        initiated_at: new Date(record.createdAt).toISOString(),
        updated_at: new Date(record.updatedAt).toISOString(),
        decided_at: record.decidedAt === null ? null : new Date(record.decidedAt).toISOString(),
        // metadata_public is readable by the user: say that something failed, not Onfido's answer.
        error: record.lastError === null ? null : "verification could not be started yet; retrying",
      };
    },
  } satisfies IdvProvider;
}

/** A name Onfido accepts: its forbidden characters dropped, the placeholder when nothing is left. */
function onfidoName(name: string | null | undefined): string {
  const cleaned = (name ?? "").replace(NAME_FORBIDDEN, "").trim();
  return cleaned === "" ? PLACEHOLDER_NAME : cleaned;
}

function runTag(key: string): string {
  const tag = `${RUN_TAG_PREFIX}${key}`;
  return tag.length <= MAX_TAG_LENGTH
    ? tag
    : `${RUN_TAG_PREFIX}${createHash("sha256").update(key).digest("hex")}`;
}

/** custom_data when Onfido returns it; else customer_user_id, trusted only on runs the gateway tagged. */
function identityOf(run: WorkflowRun): string | null {
  const fromCustomData = run.custom_data?.kratos_identity_id;
  if (typeof fromCustomData === "string" && fromCustomData !== "") return fromCustomData;
  const ours = run.tags?.some((tag) => tag.startsWith(RUN_TAG_PREFIX)) ?? false;
  return (ours && run.customer_user_id) || null;
}

function offerOf(run: WorkflowRun): StartOffer | null {
  const offer = { url: run.link?.url ?? null, sdkToken: run.sdk_token ?? null };
  return offer.url === null && offer.sdkToken === null ? null : offer;
}

function millis(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function toResult(run: WorkflowRun): ProviderResult {
  const status = STATUS_MAP[run.status] ?? UNKNOWN_STATUS;
  const updated = millis(run.updated_at) ?? millis(run.created_at);
  return {
    sessionId: run.id,
    rawStatus: run.status,
    status,
    version: updated ?? 0,
    // Onfido dates no decision separately: a decided run's last update is when it was decided.
    decidedAt: DECISION_STATUSES.includes(status) ? updated : null,
    identityId: identityOf(run),
    // link.url is a bearer link (anyone holding it can continue the run): offered by /start, never stored.
    verificationUrl: null,
    details: { applicant_id: run.applicant_id, workflow_run_id: run.id },
  };
}

function authFrom(
  token: string | undefined,
  clientId: string | undefined,
  secret: string | undefined,
): OnfidoAuth | null {
  if (token) return { kind: "token", apiToken: token };
  if (clientId && secret) return { kind: "oauth", clientId, clientSecret: secret };
  return null;
}

export const configureOnfido: ProviderFactory = ({ config, fetch, runtime }) => {
  const auth = authFrom(
    config.ONFIDO_API_TOKEN,
    config.ONFIDO_OAUTH_CLIENT_ID,
    config.ONFIDO_OAUTH_CLIENT_SECRET,
  );
  const missing = missingSettings(config, ["ONFIDO_WORKFLOW_ID", "ONFIDO_WEBHOOK_TOKEN"]);
  if (!auth) missing.unshift("ONFIDO_API_TOKEN (or ONFIDO_OAUTH_CLIENT_ID and ONFIDO_OAUTH_CLIENT_SECRET)");
  if (!auth || missing.length > 0 || !config.ONFIDO_WORKFLOW_ID) return { missing };
  return createOnfidoProvider(
    {
      auth,
      workflowId: config.ONFIDO_WORKFLOW_ID,
      webhookTokens: config.ONFIDO_WEBHOOK_TOKEN,
      apiBase: config.ONFIDO_API_BASE ?? regionalApiBase(config.ONFIDO_REGION),
      timeoutMs: config.OUTBOUND_TIMEOUT_MS,
      clock: runtime.clock,
    },
    fetch,
  );
};
