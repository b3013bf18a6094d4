// Route handlers of the Kratos fake: identity admin API and the public whoami endpoint, as Kratos behaves.
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { KratosFake, KratosIdentity, KratosSession } from "./kratos-fake.js";
import { applyKratosPatch, KratosPatchError } from "./kratos-fake-patch.js";
import {
  type Ctx,
  identityView,
  isObject,
  type Json,
  kratosError,
  notFound,
  type Reply,
  syncAddresses,
} from "./kratos-fake-support.js";
import type { OpenApiValidator } from "./openapi-validator.js";

export type Routes = Record<string, (ctx: Ctx) => Reply>;

/** One PATCH Kratos applied, with the identity's metadata before and after it. */
export interface AppliedPatch {
  identityId: string;
  at: number;
  before: { metadata_public: unknown; metadata_admin: unknown };
  after: { metadata_public: unknown; metadata_admin: unknown };
}

export interface KratosState {
  identities: Map<string, KratosIdentity>;
  sessions: Map<string, KratosSession>;
  sessionRevocations: KratosFake["sessionRevocations"];
  /** Applied PATCHes, in order. */
  applied: AppliedPatch[];
  validator: OpenApiValidator;
  clock: () => Date;
}

export const SESSION_COOKIE = "ory_kratos_session";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Fields of Kratos' Identity struct; anything else a patch adds is dropped when Kratos unmarshals it.
const IDENTITY_FIELDS = [
  "id",
  "schema_id",
  "schema_url",
  "state",
  "state_changed_at",
  "traits",
  "verifiable_addresses",
  "recovery_addresses",
  "metadata_public",
  "metadata_admin",
  "created_at",
  "updated_at",
  "organization_id",
  "external_id",
];
const BAD_REQUEST = "The request was malformed or contained invalid parameters";

export function createAdminRoutes(state: KratosState): Routes {
  const { identities, sessions } = state;
  const iso = () => state.clock().toISOString();
  return {
    "GET /admin/identities": ({ query }) => {
      let list = [...identities.values()];
      const identifier = query.get("credentials_identifier")?.toLowerCase();
      if (identifier !== undefined) {
        list = list.filter(
          (i) => typeof i.traits.email === "string" && i.traits.email.toLowerCase() === identifier,
        );
      }
      const ids = query.getAll("ids");
      if (ids.length > 0) list = list.filter((i) => ids.includes(i.id));
      const pageSize = Number(query.get("page_size") ?? 250);
      return { status: 200, body: list.slice(0, pageSize).map((i) => identityView(i, "admin")) };
    },

    "GET /admin/identities/{id}": ({ params }) => {
      const identity = identities.get(params.id ?? "");
      return identity ? { status: 200, body: identityView(identity, "admin") } : notFound();
    },

    "DELETE /admin/identities/{id}": ({ params }) => {
      if (!identities.delete(params.id ?? "")) return notFound();
      for (const s of sessions.values()) if (s.identityId === params.id) sessions.delete(s.id);
      return { status: 204 };
    },

    "PATCH /admin/identities/{id}": ({ params, body }) => {
      const current = identities.get(params.id ?? "");
      if (!current) return notFound();
      let patched: Json;
      try {
        patched = applyKratosPatch(identityView(current, "admin") as Json, body);
      } catch (err) {
        if (!(err instanceof KratosPatchError)) throw err;
        return kratosError(400, err.message, { reason: "An error occured when applying the JSON patch" });
      }
      const next: Json = Object.fromEntries(
        IDENTITY_FIELDS.filter((k) => k in patched).map((k) => [k, patched[k]]),
      );
      Object.assign(next, { id: current.id, created_at: current.created_at, updated_at: iso() });
      if (next.state !== current.state) {
        if (next.state !== "active" && next.state !== "inactive") {
          return kratosError(400, "identity state is not valid", {
            reason: `The supplied state ('${String(next.state)}') was not valid. Valid states are ('active', 'inactive').`,
          });
        }
        next.state_changed_at = iso();
      }
      // The fake's identity schema is `{"type":"object"}` for traits; Kratos validates traits on update.
      if (!isObject(next.traits))
        return kratosError(400, BAD_REQUEST, {
          reason: "I[#/traits] S[#/properties/traits/type] expected object",
        });
      const problems = state.validator.validateSchema("identity", next);
      if (problems.length > 0) return kratosError(400, BAD_REQUEST, { reason: problems.join("; ") });
      const updated = syncAddresses(next as unknown as KratosIdentity, iso());
      identities.set(current.id, updated);
      state.applied.push({
        identityId: current.id,
        at: Date.now(),
        before: { metadata_public: current.metadata_public, metadata_admin: current.metadata_admin },
        after: { metadata_public: updated.metadata_public, metadata_admin: updated.metadata_admin },
      });
      return { status: 200, body: identityView(updated, "admin") };
    },

    "DELETE /admin/identities/{id}/sessions": ({ params }) => {
      const id = params.id ?? "";
      if (!UUID_RE.test(id))
        return kratosError(400, `uuid: incorrect UUID format in string "${id}"`, {
          debug: "could not parse UUID",
        });
      // Kratos deletes the rows and answers 404 when there were none (also for an unknown identity).
      const mine = [...sessions.values()].filter((s) => s.identityId === id);
      if (mine.length === 0) return notFound();
      for (const s of mine) sessions.delete(s.id);
      state.sessionRevocations.push({ identityId: id, sessionIds: mine.map((s) => s.id), at: Date.now() });
      return { status: 204 };
    },
  };
}

export function createPublicRoutes(state: KratosState): Routes {
  return {
    "GET /sessions/whoami": ({ headers }) => {
      const session = findSession(state.sessions, headers);
      const identity = session && state.identities.get(session.identityId);
      const live = session?.active === true && Date.parse(session.expiresAt) > state.clock().getTime();
      // Kratos' Session.IsActive also requires the identity to be active.
      if (!session || !identity || !live || identity.state !== "active") {
        return kratosError(401, "request does not have a valid authentication session", {
          id: "session_inactive",
          reason: "No active session was found in this request.",
        });
      }
      const body = {
        id: session.id,
        active: true,
        expires_at: session.expiresAt,
        authenticated_at: session.issuedAt,
        authenticator_assurance_level: "aal1",
        authentication_methods: [{ method: "password", aal: "aal1", completed_at: session.issuedAt }],
        issued_at: session.issuedAt,
        identity: identityView(identity, "public"),
        devices: [{ id: randomUUID(), ip_address: "127.0.0.1", location: "" }],
      };
      return { status: 200, body, headers: { "x-kratos-authenticated-identity-id": identity.id } };
    },
  };
}

// Kratos reads X-Session-Token, then `Authorization: Bearer`, then the cookie; a bad token does not fall back.
function findSession(
  sessions: Map<string, KratosSession>,
  headers: IncomingHttpHeaders,
): KratosSession | undefined {
  const auth = headers.authorization;
  const bearer = auth?.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : undefined;
  const header = headers["x-session-token"];
  const token = (Array.isArray(header) ? header[0] : header) ?? bearer;
  if (token !== undefined) return [...sessions.values()].find((s) => s.token === token);
  const pair = (headers.cookie ?? "")
    .split(";")
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  const value = pair?.slice(SESSION_COOKIE.length + 1);
  return value ? [...sessions.values()].find((s) => s.cookieValue === value) : undefined;
}
