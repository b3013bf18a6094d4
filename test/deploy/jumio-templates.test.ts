// Checks deploy/ory's Jumio bodies with the real jsonnet evaluator; shared checks are in provider-templates.test.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isJsonnetCancel, JsonnetError, jsonnetAvailable, renderJsonnet } from "../support/jsonnet.js";
import { registrationCtx } from "../support/kratos-context.js";

const oryDir = fileURLToPath(new URL("../../deploy/ory", import.meta.url));
const initiateTemplate = join(oryDir, "jumio-initiate.jsonnet");
const REGISTRATION_METHODS = ["password", "oidc", "code", "passkey", "webauthn"] as const;
const IDENTITY_ID = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const FLOW_ID = "0b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d";

const hasJsonnet = jsonnetAvailable();
if (!hasJsonnet)
  console.warn("jsonnet is not installed (Debian: apt-get install jsonnet); skipping Jumio renders");

describe("jumio-initiate.jsonnet (registration.after, post-persist)", () => {
  it.skipIf(!hasJsonnet)("sends the identity id, schema and flow, and no personal data", async () => {
    const ctx = registrationCtx({
      traits: { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" }, phone: "+15555550100" },
      metadataPublic: { idv: { status: "approved" } },
    });
    const body = await renderJsonnet(initiateTemplate, ctx);
    expect(body).toEqual({ kratos_identity_id: IDENTITY_ID, schema_id: "default", flow_id: FLOW_ID });
    expect(JSON.stringify(body)).not.toMatch(/ada@|Lovelace|5555|approved/);
  });

  it.skipIf(!hasJsonnet)(
    "works for any trait schema and login method, leaving out a missing flow id",
    async () => {
      for (const [i, traits] of [
        { phone: "+15555550100" },
        {},
        { email: "" },
        { name: "Alan Turing" },
      ].entries()) {
        const method = REGISTRATION_METHODS[i % REGISTRATION_METHODS.length] ?? "password";
        expect(await renderJsonnet(initiateTemplate, registrationCtx({ traits }, { method }))).toMatchObject({
          kratos_identity_id: IDENTITY_ID,
        });
      }
      const noFlow = { ...registrationCtx({ traits: {}, schemaId: "customer" }), flow: {} };
      expect(await renderJsonnet(initiateTemplate, noFlow)).toEqual({
        kratos_identity_id: IDENTITY_ID,
        schema_id: "customer",
      });
    },
  );

  it.skipIf(!hasJsonnet)(
    "cancels the webhook for the nil UUID (pre-persist) and a missing identity",
    async () => {
      for (const ctx of [
        registrationCtx({ traits: { email: "ada@example.com" } }, { prePersist: true }),
        { flow: { id: FLOW_ID } },
      ]) {
        let error: unknown;
        try {
          await renderJsonnet(initiateTemplate, ctx);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(JsonnetError);
        expect(isJsonnetCancel(error)).toBe(true);
      }
    },
  );
});
