// Checks deploy/ory's Onfido bodies with the real jsonnet evaluator, and the Onfido block of kratos-hooks.yaml.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isJsonnetCancel, JsonnetError, jsonnetAvailable, renderJsonnet } from "../support/jsonnet.js";
import { type JsonObject, loginCtx, NIL_UUID, registrationCtx } from "../support/kratos-context.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const oryDir = join(repoRoot, "deploy", "ory");
const initiateTemplate = join(oryDir, "onfido-initiate.jsonnet");
const validateTemplate = join(oryDir, "onfido-validate.jsonnet");
const REGISTRATION_METHODS = ["password", "oidc", "code", "passkey", "webauthn"] as const;
const LOGIN_METHODS = [...REGISTRATION_METHODS, "totp", "lookup_secret"] as const;
// Present in both go-jsonnet v0.21 (Kratos) and C++ jsonnet 0.18; length and codepoint are core builtins.
const PORTABLE_STD = ["objectHas", "isObject", "isString", "length", "codepoint"];
const IDENTITY_ID = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const FLOW_ID = "0b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d";

const hasJsonnet = jsonnetAvailable();
if (!hasJsonnet)
  console.warn("jsonnet is not installed (Debian: apt-get install jsonnet); skipping Onfido renders");

const code = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("//"))
    .join("\n");

const render = (traits: JsonObject, opts: Parameters<typeof registrationCtx>[1] = {}) =>
  renderJsonnet(initiateTemplate, registrationCtx({ traits }, opts));

describe("onfido-initiate.jsonnet (registration.after, post-persist)", () => {
  it.skipIf(!hasJsonnet)(
    "sends email, names and the date of birth from a {name: {first, last}} schema",
    async () => {
      const traits = {
        email: "ada@example.com",
        name: { first: "Ada", last: "Lovelace" },
        birthdate: "1815-12-10",
      };
      expect(await render(traits)).toEqual({
        kratos_identity_id: IDENTITY_ID,
        schema_id: "default",
        email: "ada@example.com",
        first_name: "Ada",
        last_name: "Lovelace",
        date_of_birth: "1815-12-10",
        flow_id: FLOW_ID,
      });
    },
  );

  it.skipIf(!hasJsonnet)("falls back to flat first_name / last_name / date_of_birth traits", async () => {
    const traits = {
      email: "grace@example.com",
      first_name: "Grace",
      last_name: "Hopper",
      date_of_birth: "1906-12-09",
    };
    expect(await render(traits, { method: "oidc" })).toMatchObject({
      first_name: "Grace",
      last_name: "Hopper",
      date_of_birth: "1906-12-09",
    });
  });

  it.skipIf(!hasJsonnet)(
    "sends null for what a schema lacks, and never a date the gateway would refuse",
    async () => {
      expect(await render({ phone: "+15555550100" }, { method: "code" })).toEqual({
        kratos_identity_id: IDENTITY_ID,
        schema_id: "default",
        email: null,
        first_name: null,
        last_name: null,
        date_of_birth: null,
        flow_id: FLOW_ID,
      });
      for (const birthdate of [
        "10/12/1815",
        "1815-12-1",
        "1815-12-10T00:00:00Z",
        "18a5-12-10",
        "",
        18151210,
      ]) {
        expect(await render({ email: "ada@example.com", birthdate }), String(birthdate)).toMatchObject({
          date_of_birth: null,
        });
      }
      expect(await render({ name: "Alan Turing", first_name: 42 })).toMatchObject({
        first_name: null,
        last_name: null,
      });
    },
  );

  it.skipIf(!hasJsonnet)("leaves flow_id out when the flow has no id", async () => {
    const ctx = { ...registrationCtx({ traits: { email: "ada@example.com" } }), flow: {} };
    expect(Object.keys((await renderJsonnet(initiateTemplate, ctx)) as JsonObject).sort()).toEqual([
      "date_of_birth",
      "email",
      "first_name",
      "kratos_identity_id",
      "last_name",
      "schema_id",
    ]);
  });

  it.skipIf(!hasJsonnet)("cancels the webhook when Kratos sends the nil UUID (pre-persist)", async () => {
    const ctx = registrationCtx({ traits: { email: "ada@example.com" } }, { prePersist: true });
    expect(ctx.identity.id).toBe(NIL_UUID);
    const error = await renderJsonnet(initiateTemplate, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JsonnetError);
    expect(isJsonnetCancel(error)).toBe(true);
  });
});

describe("onfido-validate.jsonnet (login.after, response.parse)", () => {
  it.skipIf(!hasJsonnet)("sends the identity id, and the session id only when it is real", async () => {
    const session = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
    expect(await renderJsonnet(validateTemplate, loginCtx({ traits: {} }, { id: session }))).toEqual({
      kratos_identity_id: IDENTITY_ID,
      session_id: session,
    });
    for (const method of LOGIN_METHODS) {
      const ctx = loginCtx(
        { traits: { email: "ada@example.com" }, metadataPublic: { onfido: { status: "declined" } } },
        { id: NIL_UUID },
        { method },
      );
      expect(await renderJsonnet(validateTemplate, ctx), method).toEqual({ kratos_identity_id: IDENTITY_ID });
    }
  });
});

describe("Onfido template sources", () => {
  it("never touch metadata_admin and use only portable std functions", () => {
    for (const template of [initiateTemplate, validateTemplate]) {
      const source = code(template);
      expect(source).not.toContain("metadata_admin");
      const used = [...source.matchAll(/std\.(\w+)/g)].map((m) => m[1]);
      expect(used.length).toBeGreaterThan(0);
      for (const fn of used) expect(PORTABLE_STD).toContain(fn);
    }
  });

  it.skipIf(!hasJsonnet)("the installed evaluator has every std function the templates use", async () => {
    const probe = join(repoRoot, "test", "deploy", "fixtures", "std-probe.jsonnet");
    expect(await renderJsonnet(probe, { names: PORTABLE_STD })).toEqual(
      Object.fromEntries(PORTABLE_STD.map((fn) => [fn, true])),
    );
  });
});

describe("kratos-hooks.yaml Onfido block", () => {
  type Hook = { hook: string; config?: Record<string, unknown> };
  const config = parse(readFileSync(join(oryDir, "kratos-hooks.yaml"), "utf8")) as {
    selfservice: { flows: { registration: { after: Record<string, { hooks: Hook[] }> } } };
  };
  const after = config.selfservice.flows.registration.after;

  it.each(REGISTRATION_METHODS)(
    "registration.after.%s: onfido initiate, post-persist, before session",
    (method) => {
      const hooks = after[method]?.hooks ?? [];
      const index = hooks.findIndex((h) => String(h.config?.url).endsWith("/onfido/initiate"));
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(hooks.findIndex((h) => h.hook === "session"));
      const persona = hooks.find((h) => String(h.config?.url).endsWith("/persona/initiate"));
      expect(hooks[index]?.config).toEqual({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the YAML placeholder envsubst fills in
        url: "${GATEWAY_URL}/onfido/initiate",
        method: "POST",
        body: "file:///etc/config/kratos/onfido-initiate.jsonnet",
        response: { ignore: true },
        auth: persona?.config?.auth,
      });
    },
  );
});
