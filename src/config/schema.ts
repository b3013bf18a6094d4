// The one schema for every setting: env var name, type, default and description (the README reference is generated from it).
import { z } from "zod";
import { STATUSES } from "../domain/status.js";
import { bool, HOST, hostList, int, list, messageId, url } from "./fields.js";

/** What the login gate can see: a normalized status, or none at all. */
export const NORMALIZED_STATUSES = ["unverified", ...STATUSES] as const;

export const configSchema = z.object({
  NODE_ENV: z
    .enum(["development", "production", "test"])
    .default("development")
    .describe("`production` refuses unsafe defaults (missing ORY_WEBHOOK_SECRET, plain-http public URL)."),
  PORT: int(3000).describe("TCP port the gateway listens on."),
  HOST: z.string().default("0.0.0.0").describe("Interface the gateway binds to."),
  LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
    .default("info")
    .describe("pino log level. Nothing is logged per request at `info` on the hot paths."),
  GATEWAY_PUBLIC_URL: url()
    .optional()
    .describe(
      "Externally reachable base URL of the gateway, used for `metadata_public.idv.start_url` and provider callback URLs. Default `http://localhost:$PORT`.",
    ),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional()
    .describe("PostgreSQL connection URL (`postgres://user:pass@host:5432/db`). Unset: embedded SQLite."),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, "must be a plain lowercase PostgreSQL identifier")
    .optional()
    .describe(
      "PostgreSQL schema holding the gateway's tables (it must exist). Unset: the server's search_path.",
    ),
  DATABASE_POOL_SIZE: int(10, 1).describe("PostgreSQL connection pool size."),
  SQLITE_PATH: z
    .string()
    .default("./data/idv-gateway.db")
    .describe("SQLite database file, used when DATABASE_URL is unset. Its folder is created if missing."),
  SQLITE_SYNCHRONOUS: z
    .enum(["NORMAL", "FULL"])
    .default("NORMAL")
    .describe(
      "SQLite `synchronous` pragma under WAL: NORMAL survives a process crash, FULL also a power loss.",
    ),
  SQLITE_WAL_AUTOCHECKPOINT_PAGES: int(1_000, 100).describe(
    "The commit that makes SQLite's write-ahead log hold this many 4 KiB pages checkpoints the log into the database file itself, on the event loop, so that the log can start over (1,000 is SQLite's own default). With the checkpoint thread on, most pages are copied by then, and that commit only copies the rest and syncs.",
  ),
  SQLITE_CHECKPOINT_INTERVAL_MS: int(50, 0).describe(
    "A worker thread with its own SQLite connection copies the write-ahead log into the database file this often (a PASSIVE checkpoint, which never blocks writers), so the commit that crosses SQLITE_WAL_AUTOCHECKPOINT_PAGES, and every request waiting on it, stalls for a shorter time (see bench/README.md). The thread takes about 11 MB. 0: no thread.",
  ),
  ORY_WEBHOOK_SECRET: z
    .string()
    .min(16, "must be at least 16 characters")
    .optional()
    .describe(
      "Shared secret Kratos sends in the `X-Webhook-Secret` header to /{provider}/initiate and /{provider}/validate. Unset: those routes answer 503 (required in production).",
    ),
  KRATOS_ADMIN_URL: url().default("http://127.0.0.1:4434").describe("Kratos admin API base URL."),
  KRATOS_PUBLIC_URL: url()
    .default("http://127.0.0.1:4433")
    .describe("Kratos public API base URL (used for `/sessions/whoami` by /{provider}/start)."),
  ORY_API_KEY: z
    .string()
    .optional()
    .describe(
      "Ory API key sent as `Authorization: Bearer` to the Kratos admin API. Unset: no header (self-hosted admin port).",
    ),
  TRUST_PROXY: list("").describe(
    "Comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed (for source allowlists). Empty: none.",
  ),
  CORS_ORIGINS: list("").describe(
    "Comma-separated origins allowed to call /{provider}/start with credentials (the JSON form). Empty: no CORS.",
  ),
  LOGIN_BLOCK_STATUSES: list("declined")
    .pipe(z.array(z.enum(NORMALIZED_STATUSES)))
    .describe(
      "Comma-separated normalized statuses that block login (`unverified` = no verification at all). E.g. `declined,failed`; for require-approved list every status but `approved`.",
    ),
  LOGIN_FAIL_OPEN: bool(false).describe(
    "When the store cannot be read during /validate: `false` blocks the login (fail closed), `true` allows it.",
  ),
  LOGIN_GATE_TIMEOUT_MS: int(2000, 1).describe(
    "PostgreSQL: how long /validate waits for an identity's status before treating the store as unavailable (then `LOGIN_FAIL_OPEN` decides). SQLite reads do not wait.",
  ),
  LOGIN_GATE_CACHE_SIZE: int(100_000, 0).describe(
    "SQLite: identity statuses /validate keeps in memory (oldest out first; 0 = read the database on every login). Exact: this process's writes update it, and another process's commits clear it from the next event-loop turn. PostgreSQL: not used.",
  ),
  LOGIN_BLOCK_MESSAGE: z
    .string()
    .default("Your identity verification was not successful. Please contact support.")
    .describe("Text Kratos shows when login is blocked."),
  LOGIN_BLOCK_MESSAGE_ID: messageId(9000001).describe(
    "Message id for the block message; outside Kratos' own catalogue so UIs show our text.",
  ),
  LOGIN_UNAVAILABLE_MESSAGE: z
    .string()
    .default("Identity verification cannot be checked right now. Please try again in a few minutes.")
    .describe(
      "Text Kratos shows when login is blocked because the gateway cannot read its store (fail closed).",
    ),
  LOGIN_UNAVAILABLE_MESSAGE_ID: messageId(9000002).describe("Message id for that text."),
  REVOKE_SESSIONS_ON_DECLINE: bool(true).describe(
    "When a verification is declined, revoke all of the identity's Kratos sessions.",
  ),
  CALLBACK_BODY_LIMIT_BYTES: int(1024 * 1024, 1).describe("Body limit for provider callbacks (→ 413)."),
  WEBHOOK_BODY_LIMIT_BYTES: int(256 * 1024, 1).describe("Body limit for Ory webhooks (→ 413)."),
  OUTBOUND_TIMEOUT_MS: int(10000, 1).describe("Timeout of each call to a provider or Kratos."),
  WORKER_ENABLED: bool(true).describe("Run the inbox/outbox worker and reconciler in this process."),
  WORKER_POLL_MS: int(200, 1).describe("How often the worker looks for due work when idle."),
  WORKER_BATCH_SIZE: int(16, 1).describe("Rows claimed per poll and queue."),
  RETRY_BASE_MS: int(1000, 1).describe("First retry delay; doubles per attempt, with jitter."),
  RETRY_MAX_MS: int(300000, 1).describe("Retry delay cap."),
  RETRY_MAX_ATTEMPTS: int(20, 1).describe("Attempts before a job becomes a dead letter."),
  CLAIM_LEASE_MS: int(30000, 1).describe(
    "How long a claim is held; work claimed by a dead process is reclaimed after it.",
  ),
  RECONCILE_AFTER_SECONDS: int(3600, 1).describe(
    "A verification left in a non-final state this long is re-read from its provider.",
  ),
  RECONCILE_INTERVAL_SECONDS: int(300, 1).describe(
    "How often the reconciler runs. One verification is re-read at most once per `RECONCILE_AFTER_SECONDS`.",
  ),
  RECONCILE_MAX_AGE_SECONDS: int(30 * 24 * 3600, 0).describe(
    "A verification on which nothing has changed for this long is no longer re-read (callbacks still apply, and any change makes it eligible again); 0 = no limit. Keeps inquiries that stay `completed` or in review for good from being re-read every hour forever.",
  ),
  DONE_JOB_RETENTION_SECONDS: int(7 * 24 * 3600, 0).describe(
    "Processed inbox and outbox rows (callback bodies, initiation requests with names and email addresses) are deleted this long after they finished, checked every `RECONCILE_INTERVAL_SECONDS`; 0 keeps them. Dead letters stay until replayed. A provider retry of an event deleted by then is taken in again and re-read, which changes nothing.",
  ),
  SHUTDOWN_TIMEOUT_MS: int(10000, 1).describe(
    "Grace period to finish claimed work on SIGTERM before releasing it.",
  ),
  METRICS_TOKEN: z
    .string()
    .optional()
    .describe("If set, `GET /metrics` requires `Authorization: Bearer <token>`."),
  PERSONA_API_KEY: z
    .string()
    .optional()
    .describe("Persona API key (`persona_sandbox_…` / `persona_production_…`)."),
  PERSONA_TEMPLATE_ID: z
    .string()
    .regex(/^(itmpl|itmplv|tmpl)_\w+$/, "must be a Persona template id (itmpl_…, itmplv_… or tmpl_…)")
    .optional()
    .describe(
      "Persona inquiry template (`itmpl_…`), template version (`itmplv_…`) or legacy template (`tmpl_…`) id.",
    ),
  PERSONA_WEBHOOK_SECRET: list("").describe(
    "Persona webhook secret(s) (`wbhsec_…`); comma-separated to accept several while you rotate.",
  ),
  PERSONA_INQUIRY_TYPE: z
    .enum(["hosted", "embedded", "hosted-embedded"])
    .default("hosted-embedded")
    .describe(
      "What /persona/start offers: `hosted` a one-time link, `embedded` inquiry id + session token for the embedded SDK, `hosted-embedded` both.",
    ),
  PERSONA_API_BASE: url().default("https://api.withpersona.com/api/v1").describe("Persona API base URL."),
  PERSONA_API_VERSION: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default("2023-01-05")
    .describe("`Persona-Version` header sent with every API call."),
  PERSONA_COMPLETED_IS_APPROVED: bool(false).describe(
    "Treat a `completed` inquiry (every required verification passed) as approved. Set it for templates without a decision workflow, where inquiries stay `completed`; leave it off when a workflow approves or declines them. A later decline still wins.",
  ),
  PERSONA_ACCEPT_UNKNOWN_INQUIRIES: bool(false).describe(
    "Also record inquiries the gateway did not create, when they come from `PERSONA_TEMPLATE_ID` and their reference id is a Kratos identity id (your app starts Persona's flow itself). Off by default: anyone who knows the template id can start an inquiry in the browser with another user's reference id.",
  ),
  PERSONA_SIGNATURE_TOLERANCE_SECONDS: int(172800, 1).describe(
    "Accepted age of a Persona-Signature timestamp (default 48 h: Persona retries for ~33 h).",
  ),
  ONFIDO_API_TOKEN: z
    .string()
    .optional()
    .describe("Onfido API token (`Authorization: Token token=…`). Or use ONFIDO_OAUTH_CLIENT_ID/SECRET."),
  ONFIDO_OAUTH_CLIENT_ID: z
    .string()
    .optional()
    .describe("Onfido OAuth2 client id (instead of ONFIDO_API_TOKEN)."),
  ONFIDO_OAUTH_CLIENT_SECRET: z.string().optional().describe("Onfido OAuth2 client secret."),
  ONFIDO_REGION: z
    .enum(["EU", "US", "CA"])
    .default("EU")
    .describe("Onfido region: selects `https://api.{eu|us|ca}.onfido.com/v3.6`."),
  ONFIDO_API_BASE: url()
    .optional()
    .describe(
      "Overrides the regional Onfido API base (e.g. `http://127.0.0.1:4010/v3.6`), for proxies and tests.",
    ),
  ONFIDO_WORKFLOW_ID: z
    .string()
    .optional()
    .describe("Onfido Studio workflow id (uuid) run for each verification."),
  ONFIDO_WEBHOOK_TOKEN: list("").describe(
    "Onfido webhook token(s) that sign `X-SHA2-Signature`; comma-separated to accept several while you rotate.",
  ),
  JUMIO_AUTH_URL: url()
    .optional()
    .describe("Jumio OAuth2 token URL, e.g. `https://auth.amer-1.jumio.ai/oauth2/token`."),
  JUMIO_API_BASE_URL: url()
    .optional()
    .describe("Jumio account API base, e.g. `https://account.amer-1.jumio.ai/api/v1`."),
  JUMIO_RETRIEVAL_BASE_URL: url()
    .optional()
    .describe(
      "Jumio retrieval API base. Default: JUMIO_API_BASE_URL with the `account.` host prefix replaced by `retrieval.`.",
    ),
  JUMIO_CLIENT_ID: z.string().optional().describe("Jumio OAuth2 client id."),
  JUMIO_CLIENT_SECRET: z.string().optional().describe("Jumio OAuth2 client secret."),
  JUMIO_WORKFLOW_KEY: int(10011, 1).describe("Jumio workflow definition key for new accounts."),
  JUMIO_USER_AGENT: z
    .string()
    .default("idv-gateway/0.1")
    .describe("User-Agent sent to Jumio (Jumio requires a meaningful one: `Company App/version`)."),
  JUMIO_CALLBACK_SECRET: z
    .string()
    .min(16, "must be at least 16 characters")
    .optional()
    .describe(
      'Jumio signs nothing: with this set, a callback must carry a hex HMAC-SHA256 of the body (signing proxy) or the URL token the gateway registers with Jumio (`/jumio/callback?token=<hex HMAC-SHA256(secret, "jumio-callback-url")>`).',
    ),
  JUMIO_CALLBACK_SIGNATURE_HEADER: z
    .string()
    .default("x-jumio-signature")
    .transform((v) => v.toLowerCase())
    .describe("Header carrying the HMAC from a signing proxy (`sha256=` prefix optional)."),
  JUMIO_CALLBACK_ALLOWLIST: list("").describe(
    "Comma-separated CIDRs Jumio callbacks may come from (Jumio publishes its callback IPs). Empty: any source.",
  ),
  VERIFY_ENABLED: bool(true).describe(
    "Serve the BrowserID Remote Verification API (`POST /verify`, `POST /`, `POST /v2`). `false`: those routes answer 404.",
  ),
  VERIFY_BODY_LIMIT_BYTES: int(10 * 1024, 1).describe(
    "Body limit of the verification routes (→ 413), as Mozilla's verifier (10 KiB).",
  ),
  START_RATE_LIMIT_PER_MINUTE: int(10).describe(
    "`GET /{provider}/start` calls allowed per identity and minute, in each gateway process (token bucket, bursts up to the same number; → 429 with Retry-After). One call can make up to four provider API calls, and providers limit the whole account (Persona: 300 a minute). `0`: no limit.",
  ),
  VERIFY_RATE_LIMIT_PER_MINUTE: int(6000).describe(
    "Verification requests allowed per client IP and minute (token bucket, bursts up to the same number; → 429): the route is public and each request costs signature checks. `0`: no limit (benchmarks). The client IP honours TRUST_PROXY.",
  ),
  VERIFY_IDV_STATUS: bool(false).describe(
    "Add `idv: {status, provider, verified_at}` to an okay answer when the email belongs to a Kratos identity (verified address, active) whose identity verification is approved — only when the certificate's issuer is authoritative for the email's domain or listed in BROWSERID_TRUSTED_ISSUERS, never for caller-sent trusted issuers.",
  ),
  VERIFY_IDV_CACHE_SECONDS: int(60).describe(
    "How long the email → Kratos identity mapping used for the `idv` member is reused (`0`: ask Kratos every time).",
  ),
  BROWSERID_FALLBACK_ISSUER: z
    .string()
    .regex(HOST, "must be a lower-case host or host:port name")
    .optional()
    .describe(
      "Issuer that may certify emails whose domain has no BrowserID support document (Mozilla used `login.persona.org`). Unset: no fallback.",
    ),
  BROWSERID_TRUSTED_ISSUERS: hostList().describe(
    "Comma-separated issuers (host or host:port) trusted to certify any email, as if authoritative for every domain.",
  ),
  BROWSERID_ALLOWED_PRIVATE_HOSTS: hostList().describe(
    "Comma-separated host or host:port entries whose support documents may be fetched from private or loopback addresses (an internal IdP). Empty: public addresses only.",
  ),
  BROWSERID_HTTP_HOSTS: hostList().describe(
    "Comma-separated host or host:port entries fetched over plain http instead of https (tests and development only; refused in production).",
  ),
  BROWSERID_INSECURE_TLS_HOSTS: hostList().describe(
    "Comma-separated host or host:port entries whose TLS certificate is not verified (Mozilla's self-signed test IdP; tests only, refused in production).",
  ),
  BROWSERID_FETCH_TIMEOUT_MS: int(5000, 1).describe(
    "Total deadline of one support-document fetch, DNS and body included.",
  ),
  BROWSERID_FETCH_MAX_BYTES: int(64 * 1024, 1).describe("Largest support document accepted."),
  BROWSERID_CACHE_TTL_SECONDS: int(600, 1).describe("How long a fetched support document is reused."),
  BROWSERID_NEGATIVE_CACHE_TTL_SECONDS: int(30).describe(
    "How long a failed support-document lookup is remembered before it is tried again.",
  ),
  BROWSERID_CLOCK_SKEW_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(300)
    .default(30)
    .describe(
      "Clock skew allowed when checking `iat`/`exp` of certificates and assertions (Mozilla allowed none).",
    ),
});

export type RawEnv = Record<string, string | undefined>;
export type Config = z.output<typeof configSchema>;
export type NormalizedStatusSetting = (typeof NORMALIZED_STATUSES)[number];
