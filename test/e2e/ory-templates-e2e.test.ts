// deploy/ory templates rendered by the real jsonnet evaluator from a Kratos-shaped ctx and POSTed to the running gateway, as Kratos does.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { KratosIdentity as FakeIdentity } from "../fakes/kratos-fake.js";
import { describeEachDatabase } from "../support/databases.js";
import { type Harness, type HttpAnswer, ORY_SECRET, startHarness } from "../support/harness.js";
import { jsonnetAvailable, renderJsonnet } from "../support/jsonnet.js";
import {
  type IdentityInput,
  type JsonObject,
  loginCtx,
  NIL_UUID,
  recoveryCtx,
  registrationCtx,
} from "../support/kratos-context.js";
import { expectedBlockBody } from "../support/kratos-messages.js";

const oryDir = fileURLToPath(new URL("../../deploy/ory", import.meta.url));
const initiateTemplate = join(oryDir, "persona-initiate.jsonnet");
const validateTemplate = join(oryDir, "persona-validate.jsonnet");

const hasJsonnet = jsonnetAvailable();
if (!hasJsonnet) {
  console.warn(
    "jsonnet is not installed (Debian: apt-get install jsonnet); skipping the rendered-template end-to-end tests",
  );
}

/** The identity as Kratos puts it into a webhook ctx: the fake's real id, traits and metadata_public. */
function ctxIdentity(identity: FakeIdentity): IdentityInput {
  return {
    id: identity.id,
    schemaId: identity.schema_id,
    traits: identity.traits,
    metadataPublic: (identity.metadata_public ?? null) as JsonObject | null,
  };
}

/** What Kratos does for a web_hook action: render the body, POST it with the configured and its own headers. */
async function deliver(
  h: Harness,
  path: string,
  template: string,
  ctx: unknown,
  triggerId: string = randomUUID(),
) {
  const body = (await renderJsonnet(template, ctx)) as JsonObject;
  const answer = await h.request("POST", path, {
    body: JSON.stringify(body),
    headers: {
      "content-type": "application/json",
      "x-webhook-secret": ORY_SECRET,
      "ory-webhook-trigger-id": triggerId,
      "ory-webhook-request-id": randomUUID(),
    },
  });
  return { body, answer };
}

function registered(h: Harness, identity: FakeIdentity, triggerId?: string) {
  const ctx = registrationCtx(ctxIdentity(identity));
  // Kratos never hands metadata_admin to a webhook; metadata_public is always there (null when empty).
  expect(ctx.identity).toHaveProperty("metadata_public");
  expect(ctx.identity).not.toHaveProperty("metadata_admin");
  return deliver(h, "/persona/initiate", initiateTemplate, ctx, triggerId);
}

function loggedIn(h: Harness, identity: FakeIdentity, sessionId: string) {
  const ctx = loginCtx(ctxIdentity(identity), { id: sessionId });
  expect(ctx.identity).not.toHaveProperty("metadata_admin");
  return deliver(h, "/persona/validate", validateTemplate, ctx);
}

function recovered(h: Harness, identity: FakeIdentity) {
  const ctx = recoveryCtx(ctxIdentity(identity));
  expect(ctx).not.toHaveProperty("session");
  return deliver(h, "/persona/validate", validateTemplate, ctx);
}

function sessionIdOf(answer: HttpAnswer): string {
  return (answer.json as { session_id: string }).session_id;
}

const TRAIT_SHAPES: {
  name: string;
  traits: JsonObject;
  fields: Record<string, string | null>;
}[] = [
  {
    name: "email + name object",
    traits: { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" } },
    fields: { "email-address": "ada@example.com", "name-first": "Ada", "name-last": "Lovelace" },
  },
  {
    name: "email + flat first_name/last_name",
    traits: { email: "grace@example.com", first_name: "Grace", last_name: "Hopper" },
    fields: { "email-address": "grace@example.com", "name-first": "Grace", "name-last": "Hopper" },
  },
  {
    name: "phone only, no email",
    traits: { phone: "+4915112345678" },
    fields: { "email-address": null, "name-first": null, "name-last": null },
  },
  {
    name: "email + name as one string",
    traits: { email: "alan@example.com", name: "Alan Turing" },
    fields: { "email-address": "alan@example.com", "name-first": null, "name-last": null },
  },
  {
    name: "username only, empty email",
    traits: { username: "hedy", email: "" },
    fields: { "email-address": null, "name-first": null, "name-last": null },
  },
  {
    name: "name object with only a first name",
    traits: { email: "cher@example.com", name: { first: "Cher" } },
    fields: { "email-address": "cher@example.com", "name-first": "Cher", "name-last": null },
  },
];

describeEachDatabase("deploy/ory templates against the running gateway", (kind) => {
  describe.skipIf(!hasJsonnet)("rendered with the real jsonnet evaluator", () => {
    let h: Harness;
    beforeEach(async () => {
      h = await startHarness(kind);
    });
    afterEach(async () => {
      expect(h.kratos.specViolations).toEqual([]);
      expect(h.persona.specViolations).toEqual([]);
      await h.close();
    });

    it("registration.after → /persona/initiate creates the inquiry for the real identity id, once per trigger", async () => {
      const identity = h.kratos.createIdentity({
        email: "ada@example.com",
        name: { first: "Ada", last: "Lovelace" },
      });
      const trigger = randomUUID();
      const { body, answer } = await registered(h, identity, trigger);
      expect(body).toMatchObject({ kratos_identity_id: identity.id, schema_id: "default" });
      expect(answer.status).toBe(200);
      const inquiryId = sessionIdOf(answer);
      expect(inquiryId).toMatch(/^inq_/);
      expect(h.persona.inquiries.get(inquiryId)?.referenceId).toBe(identity.id);

      // Kratos retries the same trigger (new request id): the same inquiry comes back.
      const retry = await registered(h, identity, trigger);
      expect(retry.answer.status).toBe(200);
      expect(sessionIdOf(retry.answer)).toBe(inquiryId);
      expect(h.persona.inquiries.size).toBe(1);

      await h.drain();
      expect(h.kratos.identities.get(identity.id)?.metadata_admin).toMatchObject({
        persona: { inquiry_id: inquiryId, status: "created" },
      });
    });

    for (const shape of TRAIT_SHAPES) {
      it(`registration.after with ${shape.name} → 200 and an inquiry`, async () => {
        const identity = h.kratos.createIdentity(shape.traits);
        const { answer } = await registered(h, identity);
        expect(answer.status, answer.text).toBe(200);
        const inquiry = h.persona.inquiries.get(sessionIdOf(answer));
        expect(inquiry?.referenceId).toBe(identity.id);
        for (const [field, value] of Object.entries(shape.fields)) {
          expect(inquiry?.fields[field]?.value ?? null, field).toBe(value);
        }
        // And the login of that identity passes the gate.
        const session = h.kratos.createSession(identity.id);
        expect((await loggedIn(h, identity, session.id)).answer.status).toBe(200);
      });
    }

    it("login.after → /persona/validate allows a fresh identity, with or without a persisted session", async () => {
      const identity = h.kratos.createIdentity({ email: "new@example.com" });
      const session = h.kratos.createSession(identity.id);

      // Never verified: allowed.
      const fresh = await loggedIn(h, identity, session.id);
      expect(fresh.body).toEqual({ kratos_identity_id: identity.id, session_id: session.id });
      expect(fresh.answer.status).toBe(200);

      // Registered and pending; the session may not be persisted yet (nil id → left out by the template).
      expect((await registered(h, identity)).answer.status).toBe(200);
      await h.drain();
      const synced = h.kratos.identities.get(identity.id);
      if (!synced) throw new Error("identity missing");
      expect(synced.metadata_public).toMatchObject({ idv: { status: "created" } });
      const early = await loggedIn(h, synced, NIL_UUID);
      expect(early.body).toEqual({ kratos_identity_id: identity.id });
      expect(early.answer.status).toBe(200);
    });

    it("login.after → /persona/validate blocks a declined identity with Kratos' nested messages", async () => {
      const identity = h.kratos.createIdentity({ email: "mallory@example.com" });
      const { answer } = await registered(h, identity);
      const inquiryId = sessionIdOf(answer);
      const session = h.kratos.createSession(identity.id);
      expect((await loggedIn(h, identity, session.id)).answer.status).toBe(200);

      expect(await h.persona.setStatus(inquiryId, "declined")?.done).toBe("delivered");
      await h.drain();

      const synced = h.kratos.identities.get(identity.id);
      if (!synced) throw new Error("identity missing");
      const blocked = await loggedIn(h, synced, randomUUID());
      expect(blocked.answer.status).toBe(403);
      expect(blocked.answer.headers.get("content-type")).toContain("application/json");
      expect(blocked.answer.json).toEqual(expectedBlockBody("declined"));
      // The decline also ended the sessions the identity already had.
      expect(h.kratos.sessionRevocations.map((r) => r.identityId)).toEqual([identity.id]);
      // And account recovery, which signs in without login hooks, is refused the same way.
      const recovery = await recovered(h, synced);
      expect(recovery.body).toEqual({ kratos_identity_id: identity.id });
      expect(recovery.answer.status).toBe(403);
      expect(recovery.answer.json).toEqual(expectedBlockBody("declined"));
    });
  });
});
