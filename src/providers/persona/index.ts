// Persona provider: inquiries created with the Kratos identity as reference id, results re-read from the API.
import { AppError } from "../../lib/errors.js";
import { createHttpClient, type FetchLike } from "../../lib/http-client.js";
import { isPlainObject } from "../../lib/json.js";
import { type SignatureScheme, verifySignature } from "../../lib/webhook-signature.js";
import { callbackBodyError, parseJsonBody } from "../callback-body.js";
import {
  type IdvProvider,
  missingSettings,
  type ProviderFactory,
  type ProviderResult,
  type StartOffer,
} from "../provider.js";
import {
  HOSTED_FLOW_URL,
  PERSONA,
  parseSignatureHeader,
  SIGNATURE_HEADER,
  STATUS_MAP,
  STATUS_TIMESTAMP,
  UNKNOWN_STATUS,
} from "./constants.js";
import {
  type InquiryDocument,
  inquiryDocument,
  type PersonaSettings,
  webhookEnvelope,
  webhookEvent,
} from "./schemas.js";

const WHAT = "a Persona webhook event";
const ignoredEvent = (eventName: string) =>
  ({ kind: "ignored", eventName, reason: "not an inquiry event" }) as const;

export function createPersonaProvider(settings: PersonaSettings, fetchImpl?: FetchLike) {
  const http = createHttpClient({ service: "Persona API", timeoutMs: settings.timeoutMs, fetch: fetchImpl });
  const base = settings.apiBase.replace(/\/+$/, "");
  const headers = (idempotencyKey?: string): Record<string, string> => ({
    authorization: `Bearer ${settings.apiKey}`,
    "persona-version": settings.apiVersion,
    "key-inflection": "kebab",
    ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
  });

  async function call(path: string, method: "GET" | "POST", json?: unknown, idempotencyKey?: string) {
    const response = await http(`${base}${path}`, { method, headers: headers(idempotencyKey), json });
    const parsed = inquiryDocument.safeParse(response.body);
    if (!parsed.success) {
      throw new AppError(
        "upstream_unavailable",
        `Persona API answered an unexpected shape: ${parsed.error.issues[0]?.message}`,
      );
    }
    return parsed.data;
  }

  const toResult = (document: InquiryDocument) => resultOf(document, settings);

  const signature: SignatureScheme = {
    header: SIGNATURE_HEADER,
    parse: parseSignatureHeader,
    signedPrefix: (candidate) => `${candidate.timestamp}.`,
    toleranceSeconds: settings.toleranceSeconds,
  };

  const inquiryPath = (id: string) => `/inquiries/${encodeURIComponent(id)}`;

  return {
    name: PERSONA,
    metadata: { bag: "metadata_admin", key: "persona" },
    adoptsUnknownSessions: settings.acceptUnknownInquiries,

    authenticateCallback(request, nowMs) {
      return verifySignature(
        signature,
        settings.webhookSecrets,
        request.headers[SIGNATURE_HEADER],
        request.rawBody,
        nowMs,
      );
    },

    async createSession(subject, idempotencyKey) {
      const fields: Record<string, string> = {};
      if (subject.firstName) fields["name-first"] = subject.firstName;
      if (subject.lastName) fields["name-last"] = subject.lastName;
      if (subject.email) fields["email-address"] = subject.email;
      const document = await call(
        "/inquiries",
        "POST",
        {
          data: {
            attributes: {
              [templateAttribute(settings.templateId)]: settings.templateId,
              "reference-id": subject.identityId,
              ...(Object.keys(fields).length > 0 ? { fields } : {}),
            },
          },
        },
        idempotencyKey,
      );
      // The hosted link comes from /start (one-time links are single-use); the create answer's token is not kept.
      return { result: toResult(document), offer: null };
    },

    async fetchResult(sessionId) {
      return toResult(await call(inquiryPath(sessionId), "GET"));
    },

    async startOffer(current) {
      let result = current;
      let sessionToken: string | null = null;
      const wantsLink = settings.inquiryType !== "embedded";
      const wantsToken = settings.inquiryType !== "hosted";
      // An expired inquiry must be resumed before anything else; a pending one needs a session token to load.
      if (current.rawStatus === "expired" || (wantsToken && current.rawStatus === "pending")) {
        const resumed = await call(`${inquiryPath(current.sessionId)}/resume`, "POST", {});
        result = toResult(resumed);
        sessionToken = resumed.meta?.["session-token"] ?? null;
      }
      let url: string | null = null;
      if (wantsLink) {
        const linked = await call(`${inquiryPath(current.sessionId)}/generate-one-time-link`, "POST", {});
        url = linked.meta?.["one-time-link"] ?? null;
      }
      const offer: StartOffer = { url, sdkToken: wantsToken ? sessionToken : null };
      return { offer, result };
    },

    parseCallback(body) {
      const json = parseJsonBody(body);
      const event = webhookEvent.safeParse(json);
      if (!event.success) {
        // Not our shape: an event we do not act on is still acknowledged; an inquiry event is a 400.
        const name = webhookEnvelope.safeParse(json).data?.data.attributes.name;
        if (name !== undefined && !name.startsWith("inquiry.")) return ignoredEvent(name);
        throw callbackBodyError(event.error, WHAT);
      }
      const { id, attributes } = event.data.data;
      const subject = attributes.payload.data;
      if (!attributes.name.startsWith("inquiry.") || subject.type !== "inquiry")
        return ignoredEvent(attributes.name);
      return { kind: "event", dedupeKey: id, eventName: attributes.name, sessionId: subject.id };
    },

    describe(record) {
      return {
        status: record.rawStatus,
        inquiry_id: record.sessionId,
        verification_url: record.verificationUrl,
        initiated_at: new Date(record.createdAt).toISOString(),
        updated_at: new Date(record.updatedAt).toISOString(),
        decided_at: record.decidedAt === null ? null : new Date(record.decidedAt).toISOString(),
        error: record.lastError,
      };
    },
  } satisfies IdvProvider;
}

function millis(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** The create attribute that names the template, by the kind of id (providers.md: exactly one is required). */
function templateAttribute(templateId: string) {
  if (templateId.startsWith("itmplv_")) return "inquiry-template-version-id";
  if (templateId.startsWith("tmpl_")) return "template-id";
  return "inquiry-template-id";
}

/** Whether the inquiry was created from `templateId` (a template, a legacy template or a template version). */
function fromTemplate(document: InquiryDocument, templateId: string): boolean {
  const links = document.data.relationships;
  return ["inquiry-template", "inquiry-template-version", "template"].some(
    (link) => relatedId(links, link) === templateId,
  );
}

/** The id of a JSON:API to-one relationship (`{data: {type, id}}`), if there is one. */
function relatedId(relationships: unknown, name: string): string | undefined {
  const link = isPlainObject(relationships) ? relationships[name] : undefined;
  const data = isPlainObject(link) ? link.data : undefined;
  return isPlainObject(data) && typeof data.id === "string" ? data.id : undefined;
}

/**
 * The inquiry as a ProviderResult. Its reference id names the identity only when the inquiry comes from the
 * configured template: another template in the same Persona environment belongs to another integration.
 */
function resultOf(
  document: InquiryDocument,
  { templateId, completedIsApproved }: Pick<PersonaSettings, "templateId" | "completedIsApproved">,
): ProviderResult {
  const { id, attributes } = document.data;
  const raw = attributes.status;
  const status =
    raw === "completed" && completedIsApproved ? "approved" : (STATUS_MAP[raw] ?? UNKNOWN_STATUS);
  const statusKey = STATUS_TIMESTAMP[raw.replace("-", "_")];
  const statusTime = statusKey ? millis(attributes[statusKey] as string | null | undefined) : null;
  const times = [millis(attributes["updated-at"]), statusTime, millis(attributes["created-at"])].filter(
    (t): t is number => t !== null,
  );
  const decided =
    status === "approved" || status === "declined" || status === "review" || status === "failed";
  return {
    sessionId: id,
    rawStatus: raw,
    status,
    version: times.length > 0 ? Math.max(...times) : 0,
    decidedAt: decided ? (statusTime ?? millis(attributes["updated-at"])) : null,
    identityId: fromTemplate(document, templateId) ? (attributes["reference-id"] ?? null) : null,
    verificationUrl: `${HOSTED_FLOW_URL}?inquiry-id=${encodeURIComponent(id)}`,
    details: {},
  };
}

export const configurePersona: ProviderFactory = ({ config, fetch }) => {
  const missing = missingSettings(config, [
    "PERSONA_API_KEY",
    "PERSONA_TEMPLATE_ID",
    "PERSONA_WEBHOOK_SECRET",
  ]);
  if (missing.length > 0 || !config.PERSONA_API_KEY || !config.PERSONA_TEMPLATE_ID) return { missing };
  return createPersonaProvider(
    {
      apiKey: config.PERSONA_API_KEY,
      templateId: config.PERSONA_TEMPLATE_ID,
      webhookSecrets: config.PERSONA_WEBHOOK_SECRET,
      acceptUnknownInquiries: config.PERSONA_ACCEPT_UNKNOWN_INQUIRIES,
      completedIsApproved: config.PERSONA_COMPLETED_IS_APPROVED,
      inquiryType: config.PERSONA_INQUIRY_TYPE,
      apiBase: config.PERSONA_API_BASE,
      apiVersion: config.PERSONA_API_VERSION,
      toleranceSeconds: config.PERSONA_SIGNATURE_TOLERANCE_SECONDS,
      timeoutMs: config.OUTBOUND_TIMEOUT_MS,
    },
    fetch,
  );
};
