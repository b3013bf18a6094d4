// Checks deploy/ory's Jumio bodies with the real jsonnet evaluator, and the Jumio block of kratos-hooks.yaml.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isJsonnetCancel, JsonnetError, jsonnetAvailable, renderJsonnet } from "../support/jsonnet.js";
import { loginCtx, NIL_UUID, registrationCtx } from "../support/kratos-context.js";

const oryDir = fileURLToPath(new URL("../../deploy/ory", import.meta.url));
const initiateTemplate = join(oryDir, "jumio-initiate.jsonnet");
const validateTemplate = join(oryDir, "jumio-validate.jsonnet");
const REGISTRATION_METHODS = ["password", "oidc", "code", "passkey", "webauthn"] as const;
const LOGIN_METHODS = [...REGISTRATION_METHODS, "totp", "lookup_secret"] as const;
const PORTABLE_STD = ["objectHas", "isObject", "isString"];
const IDENTITY_ID = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const FLOW_ID = "0b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d";

const hasJsonnet = jsonnetAvailable();
if (!hasJsonnet)
  console.warn("jsonnet is not installed (Debian: apt-get install jsonnet); skipping Jumio renders");

const code = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("//"))
    .join("\n");

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

describe("jumio-validate.jsonnet (login.after, response.parse)", () => {
  it.skipIf(!hasJsonnet)("sends the identity id and a real session id only", async () => {
    const session = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
    expect(await renderJsonnet(validateTemplate, loginCtx({ traits: {} }, { id: session }))).toEqual({
      kratos_identity_id: IDENTITY_ID,
      session_id: session,
    });
    for (const method of LOGIN_METHODS) {
      const ctx = loginCtx(
        { traits: { email: "ada@example.com" }, metadataPublic: { jumio: { status: "rejected" } } },
        { id: NIL_UUID },
        { method },
      );
      expect(await renderJsonnet(validateTemplate, ctx), method).toEqual({ kratos_identity_id: IDENTITY_ID });
    }
  });
});

describe("Jumio template sources", () => {
  it("never touch metadata_admin and use only portable std functions", () => {
    for (const template of [initiateTemplate, validateTemplate]) {
      const source = code(template);
      expect(source).not.toContain("metadata_admin");
      const used = [...source.matchAll(/std\.(\w+)/g)].map((m) => m[1]);
      expect(used.length).toBeGreaterThan(0);
      for (const fn of used) expect(PORTABLE_STD).toContain(fn);
    }
  });
});

describe("kratos-hooks.yaml Jumio block", () => {
  type Hook = { hook: string; config?: Record<string, unknown> };
  const config = parse(readFileSync(join(oryDir, "kratos-hooks.yaml"), "utf8")) as {
    selfservice: { flows: { registration: { after: Record<string, { hooks: Hook[] }> } } };
  };
  const after = config.selfservice.flows.registration.after;

  it.each(REGISTRATION_METHODS)(
    "registration.after.%s: jumio initiate, post-persist, before session",
    (method) => {
      const hooks = after[method]?.hooks ?? [];
      const index = hooks.findIndex((h) => String(h.config?.url).endsWith("/jumio/initiate"));
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(hooks.findIndex((h) => h.hook === "session"));
      const jumio = hooks[index];
      const persona = hooks.find((h) => String(h.config?.url).endsWith("/persona/initiate"));
      expect(jumio?.config).toEqual({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the YAML placeholder envsubst fills in
        url: "${GATEWAY_URL}/jumio/initiate",
        method: "POST",
        body: "file:///etc/config/kratos/jumio-initiate.jsonnet",
        response: { ignore: true },
        auth: persona?.config?.auth,
      });
    },
  );
});
