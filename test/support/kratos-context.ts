// Builders for the jsonnet `ctx` Kratos passes to registration.after / login.after web_hook templates.
//
// Shapes follow ory/kratos selfservice/hook/web_hook.go templateContext (flow, request_headers,
// request_method, request_url, request_cookies, identity, session) and Identity.MarshalJSON: the
// identity never carries `credentials` or `metadata_admin`, `metadata_public` is always present
// (null when empty), registration hooks get no `session`. See reference/ory-kratos.md §3(d).
import { Buffer } from "node:buffer";

export const NIL_UUID = "00000000-0000-0000-0000-000000000000";
const ZERO_TIME = "0001-01-01T00:00:00Z";
const PUBLIC_URL = "http://127.0.0.1:4433";
const UI_URL = "http://127.0.0.1:4455";
const CREATED_AT = "2026-07-30T09:15:02.123456Z";
const EXPIRES_AT = "2026-07-30T10:15:02.123456Z";
const SESSION_EXPIRES_AT = "2026-07-31T09:15:02.123456Z";

export type JsonObject = { [key: string]: unknown };
export type RegistrationMethod = "password" | "oidc" | "code" | "passkey" | "webauthn";
export type LoginMethod = RegistrationMethod | "totp" | "lookup_secret";

export interface VerifiableAddress {
  id: string;
  value: string;
  verified: boolean;
  via: "email" | "sms";
  status: string;
  verified_at?: string;
  created_at: string;
  updated_at: string;
}

export interface RecoveryAddress {
  id: string;
  value: string;
  via: "email" | "sms";
  created_at: string;
  updated_at: string;
}

/** An identity as Kratos marshals it into the webhook context. */
export interface KratosIdentity {
  id: string;
  schema_id: string;
  schema_url: string;
  state: "active" | "inactive";
  state_changed_at?: string;
  traits: JsonObject;
  verifiable_addresses: VerifiableAddress[];
  recovery_addresses: RecoveryAddress[];
  metadata_public: JsonObject | null;
  created_at: string;
  updated_at: string;
  organization_id: string | null;
}

export interface KratosSession {
  id: string;
  active: boolean;
  expires_at: string;
  authenticated_at: string;
  authenticator_assurance_level: "aal1" | "aal2";
  authentication_methods: { method: LoginMethod; aal: "aal1" | "aal2"; completed_at: string }[];
  issued_at: string;
  identity: KratosIdentity;
  devices: { id: string; ip_address: string; user_agent: string; location: string }[];
}

export interface KratosWebhookCtx {
  flow: JsonObject;
  request_headers: Record<string, string[]>;
  request_method: string;
  request_url: string;
  request_cookies: Record<string, string>;
  identity: KratosIdentity;
  session?: KratosSession;
}

export interface IdentityInput {
  traits: JsonObject;
  id?: string;
  schemaId?: string;
  state?: "active" | "inactive";
  metadataPublic?: JsonObject | null;
  organizationId?: string | null;
  /** Defaults to one address per `traits.email` (via email) and `traits.phone` (via sms). */
  verifiableAddresses?: VerifiableAddress[];
}

export interface SessionInput {
  id?: string;
  aal?: "aal1" | "aal2";
}

export interface FlowOptions {
  method?: LoginMethod;
  flowId?: string;
  type?: "browser" | "api";
  /**
   * Registration only: the pre-persist shape (parse:true hooks). Kratos then sends the nil UUID as
   * identity id, zero timestamps and address ids — the identity is not in the database yet.
   */
  prePersist?: boolean;
}

const DEFAULT_IDENTITY_ID = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const DEFAULT_FLOW_ID = "0b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d";
const DEFAULT_SESSION_ID = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
const ADDRESS_ID_PREFIX = "a0d4e55e-0000-4000-8000-";

function addressId(index: number, nil: boolean): string {
  return nil ? NIL_UUID : `${ADDRESS_ID_PREFIX}${String(index + 1).padStart(12, "0")}`;
}

function addressesFromTraits(
  traits: JsonObject,
  nilIds: boolean,
  at: string,
): { verifiable: VerifiableAddress[]; recovery: RecoveryAddress[] } {
  const verifiable: VerifiableAddress[] = [];
  const recovery: RecoveryAddress[] = [];
  const sources: [unknown, "email" | "sms"][] = [
    [traits.email, "email"],
    [traits.phone, "sms"],
  ];
  for (const [value, via] of sources) {
    if (typeof value !== "string") continue;
    const id = addressId(verifiable.length, nilIds);
    verifiable.push({ id, value, verified: false, via, status: "pending", created_at: at, updated_at: at });
    // Recovery addresses are separate rows with their own ids.
    const recoveryId = addressId(100 + recovery.length, nilIds);
    if (via === "email") recovery.push({ id: recoveryId, value, via, created_at: at, updated_at: at });
  }
  return { verifiable, recovery };
}

/** The `identity` object Kratos puts into the webhook context. */
export function kratosIdentity(input: IdentityInput, prePersist = false): KratosIdentity {
  const schemaId = input.schemaId ?? "default";
  const at = prePersist ? ZERO_TIME : CREATED_AT;
  const derived = addressesFromTraits(input.traits, prePersist, at);
  const identity: KratosIdentity = {
    id: prePersist ? NIL_UUID : (input.id ?? DEFAULT_IDENTITY_ID),
    schema_id: schemaId,
    schema_url: `${PUBLIC_URL}/schemas/${Buffer.from(schemaId).toString("base64url")}`,
    state: input.state ?? "active",
    traits: input.traits,
    verifiable_addresses: input.verifiableAddresses ?? derived.verifiable,
    recovery_addresses: derived.recovery,
    metadata_public: input.metadataPublic ?? null,
    created_at: at,
    updated_at: at,
    organization_id: input.organizationId ?? null,
  };
  if (!prePersist) identity.state_changed_at = CREATED_AT;
  return identity;
}

function uiNodes(kind: "registration" | "login", method: LoginMethod): JsonObject[] {
  const input = (name: string, type: string, group: string, value?: string): JsonObject => ({
    type: "input",
    group,
    attributes: {
      name,
      type,
      ...(value === undefined ? {} : { value }),
      required: true,
      disabled: false,
      node_type: "input",
    },
    messages: [],
    meta: {},
  });
  const identifier = kind === "registration" ? "traits.email" : "identifier";
  return [
    input("csrf_token", "hidden", "default", "kM3x0eZ4y5QmX1pJ8vW2sT7rA9cB6dE0fG3hI5jK8lN="),
    input(identifier, "text", "default"),
    input("password", "password", "password"),
    input("method", "submit", method, method),
  ];
}

function flowObject(kind: "registration" | "login", options: FlowOptions): JsonObject {
  const id = options.flowId ?? DEFAULT_FLOW_ID;
  const method = options.method ?? "password";
  const type = options.type ?? "browser";
  const base: JsonObject = {
    id,
    organization_id: null,
    type,
    expires_at: EXPIRES_AT,
    issued_at: CREATED_AT,
    request_url: `${PUBLIC_URL}/self-service/${kind}/${type}?return_to=${encodeURIComponent(`${UI_URL}/`)}`,
    return_to: `${UI_URL}/`,
    active: method,
    ui: {
      action: `${PUBLIC_URL}/self-service/${kind}?flow=${id}`,
      method: "POST",
      nodes: uiNodes(kind, method),
    },
    state: "choose_method",
  };
  if (kind === "login") {
    return { ...base, created_at: CREATED_AT, updated_at: CREATED_AT, refresh: false, requested_aal: "aal1" };
  }
  return base;
}

function requestParts(kind: "registration" | "login" | "recovery", flowId: string) {
  return {
    request_headers: {
      Accept: ["application/json"],
      "Accept-Language": ["en-US,en;q=0.9"],
      "Content-Type": ["application/json"],
      Origin: [UI_URL],
      "User-Agent": [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0 Safari/537.36",
      ],
    },
    request_method: "POST",
    request_url: `${PUBLIC_URL}/self-service/${kind}?flow=${flowId}`,
    // Kratos forwards every cookie, unfiltered.
    request_cookies: {
      csrf_token_806060ca5bf70dff3caa0e5c860002aade9d470a5a4dce73bcfa7ba10778f481:
        "Gf1PqK2c0sVh7yRzX3oQ9uWmB5tE8aJ4",
    },
  };
}

/** The ctx of a post-persist registration.after web_hook (or the pre-persist one with `prePersist`). */
export function registrationCtx(identity: IdentityInput, options: FlowOptions = {}): KratosWebhookCtx {
  const flow = flowObject("registration", options);
  return {
    flow,
    ...requestParts("registration", String(flow.id)),
    identity: kratosIdentity(identity, options.prePersist ?? false),
  };
}

/**
 * The ctx of a recovery.after web_hook (WebHook.ExecutePostRecoveryHook): the flow, the request and the
 * recovered identity; no session. Current Kratos runs it before the recovery session is stored.
 */
export function recoveryCtx(identity: IdentityInput, options: { flowId?: string } = {}): KratosWebhookCtx {
  const id = options.flowId ?? DEFAULT_FLOW_ID;
  const kratos = kratosIdentity(identity);
  const flow: JsonObject = {
    id,
    type: "browser",
    expires_at: EXPIRES_AT,
    issued_at: CREATED_AT,
    request_url: `${PUBLIC_URL}/self-service/recovery/browser`,
    return_to: `${UI_URL}/`,
    active: "code",
    ui: { action: `${PUBLIC_URL}/self-service/recovery?flow=${id}`, method: "POST", nodes: [] },
    state: "passed_challenge",
    recovered_identity_id: kratos.id,
  };
  return { flow, ...requestParts("recovery", id), identity: kratos };
}

/** The ctx of a login.after web_hook: identity plus the (declassified, not yet persisted) session. */
export function loginCtx(
  identity: IdentityInput,
  session: SessionInput = {},
  options: FlowOptions = {},
): KratosWebhookCtx {
  const flow = flowObject("login", options);
  const kratos = kratosIdentity(identity);
  const method = options.method ?? "password";
  const aal = session.aal ?? (method === "totp" || method === "lookup_secret" ? "aal2" : "aal1");
  return {
    flow,
    ...requestParts("login", String(flow.id)),
    identity: kratos,
    session: {
      id: session.id ?? DEFAULT_SESSION_ID,
      active: true,
      expires_at: SESSION_EXPIRES_AT,
      authenticated_at: CREATED_AT,
      authenticator_assurance_level: aal,
      // A second factor (totp, lookup_secret) completes an aal2 session started with a first factor.
      authentication_methods:
        aal === "aal2" && method !== "password"
          ? [
              { method: "password", aal: "aal1", completed_at: CREATED_AT },
              { method, aal, completed_at: CREATED_AT },
            ]
          : [{ method, aal, completed_at: CREATED_AT }],
      issued_at: CREATED_AT,
      identity: kratos,
      devices: [
        {
          id: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
          ip_address: "203.0.113.7",
          user_agent: "Mozilla/5.0 (X11; Linux x86_64)",
          location: "Berlin, DE",
        },
      ],
    },
  };
}
