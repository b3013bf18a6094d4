// Checks deploy/ory: renders the jsonnet bodies with the real evaluator and verifies the Kratos hook snippet.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createOpenApiValidator } from "../fakes/openapi-validator.js";
import { isJsonnetCancel, JsonnetError, jsonnetAvailable, renderJsonnet } from "../support/jsonnet.js";
import { type JsonObject, loginCtx, NIL_UUID, registrationCtx } from "../support/kratos-context.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const oryDir = join(repoRoot, "deploy", "ory");
const initiateTemplate = join(oryDir, "persona-initiate.jsonnet");
const validateTemplate = join(oryDir, "persona-validate.jsonnet");
const hooksFile = join(oryDir, "kratos-hooks.yaml");
const kratosSpecFile = join(repoRoot, "..", "shared", "specs", "kratos-api.json");

const REGISTRATION_METHODS = ["password", "oidc", "code", "passkey", "webauthn"] as const;
const LOGIN_METHODS = [...REGISTRATION_METHODS, "totp", "lookup_secret"] as const;
// Present in both go-jsonnet v0.21 (Kratos) and C++ jsonnet 0.18 (checked against the binary below).
const PORTABLE_STD = ["objectHas", "isObject", "isString"];

const hasJsonnet = jsonnetAvailable();
if (!hasJsonnet) {
  console.warn(
    "jsonnet is not installed (Debian: apt-get install jsonnet); skipping template rendering tests",
  );
}

const IDENTITY_ID = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const FLOW_ID = "0b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d";

/** An envsubst placeholder as written in kratos-hooks.yaml, e.g. `${GATEWAY_URL}`. */
function envVar(name: string): string {
  return `\${${name}}`;
}

function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown, where: string): JsonObject {
  if (!isRecord(value)) throw new Error(`${where}: expected an object, got ${JSON.stringify(value)}`);
  return value;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** Template source without `//` comments, i.e. the code Kratos evaluates. */
function templateCode(path: string): string {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("//"))
    .join("\n");
}

async function renderError(template: string, ctx: unknown): Promise<unknown> {
  try {
    await renderJsonnet(template, ctx);
  } catch (error) {
    return error;
  }
  throw new Error("expected the template to fail");
}

describe("persona-initiate.jsonnet (registration.after, post-persist)", () => {
  it.skipIf(!hasJsonnet)("sends email and name from a {name: {first, last}} schema", async () => {
    const ctx = registrationCtx({
      traits: { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" } },
    });
    expect(await renderJsonnet(initiateTemplate, ctx)).toEqual({
      kratos_identity_id: IDENTITY_ID,
      schema_id: "default",
      email: "ada@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
      flow_id: FLOW_ID,
    });
  });

  it.skipIf(!hasJsonnet)("falls back to flat first_name / last_name traits", async () => {
    const ctx = registrationCtx({
      schemaId: "customer",
      traits: { email: "grace@example.com", first_name: "Grace", last_name: "Hopper" },
    });
    expect(await renderJsonnet(initiateTemplate, ctx)).toEqual({
      kratos_identity_id: IDENTITY_ID,
      schema_id: "customer",
      email: "grace@example.com",
      first_name: "Grace",
      last_name: "Hopper",
      flow_id: FLOW_ID,
    });
  });

  it.skipIf(!hasJsonnet)(
    "sends null email and names for a phone-only schema instead of failing",
    async () => {
      const ctx = registrationCtx(
        { schemaId: "phone", traits: { phone: "+15555550100" } },
        { method: "code" },
      );
      expect(ctx.identity.verifiable_addresses[0]?.via).toBe("sms");
      expect(await renderJsonnet(initiateTemplate, ctx)).toEqual({
        kratos_identity_id: IDENTITY_ID,
        schema_id: "phone",
        email: null,
        first_name: null,
        last_name: null,
        flow_id: FLOW_ID,
      });
    },
  );

  it.skipIf(!hasJsonnet)(
    "does not split a plain-string name (null names unless flat traits exist)",
    async () => {
      const plain = registrationCtx({ traits: { email: "alan@example.com", name: "Alan Turing" } });
      expect(await renderJsonnet(initiateTemplate, plain)).toMatchObject({
        first_name: null,
        last_name: null,
      });

      const mixed = registrationCtx({
        traits: { email: "alan@example.com", name: "Alan Turing", first_name: "Alan" },
      });
      expect(await renderJsonnet(initiateTemplate, mixed)).toMatchObject({
        first_name: "Alan",
        last_name: null,
      });
    },
  );

  it.skipIf(!hasJsonnet)("treats a partial name object, empty and non-string traits as absent", async () => {
    const ctx = registrationCtx(
      { traits: { email: "", name: { first: "Ada" }, last_name: 42 } },
      { method: "oidc" },
    );
    expect(await renderJsonnet(initiateTemplate, ctx)).toMatchObject({
      email: null,
      first_name: "Ada",
      last_name: null,
    });
  });

  it.skipIf(!hasJsonnet)("leaves flow_id out when the flow has no id", async () => {
    const ctx = { ...registrationCtx({ traits: { email: "ada@example.com" } }), flow: {} };
    const body = record(await renderJsonnet(initiateTemplate, ctx), "body");
    expect(Object.keys(body).sort()).toEqual([
      "email",
      "first_name",
      "kratos_identity_id",
      "last_name",
      "schema_id",
    ]);
  });

  it.skipIf(!hasJsonnet)(
    "cancels the webhook when Kratos sends the nil UUID (pre-persist misconfiguration)",
    async () => {
      const ctx = registrationCtx({ traits: { email: "ada@example.com" } }, { prePersist: true });
      expect(ctx.identity.id).toBe(NIL_UUID);
      const error = await renderError(initiateTemplate, ctx);
      expect(error).toBeInstanceOf(JsonnetError);
      expect(isJsonnetCancel(error)).toBe(true);
    },
  );

  it.skipIf(!hasJsonnet)("does not read metadata_public (state lives in the gateway)", async () => {
    const ctx = registrationCtx({
      traits: { email: "ada@example.com" },
      metadataPublic: { idv: { status: "approved" } },
    });
    expect(JSON.stringify(await renderJsonnet(initiateTemplate, ctx))).not.toContain("approved");
  });
});

describe("persona-validate.jsonnet (login.after, response.parse)", () => {
  it.skipIf(!hasJsonnet)("sends the identity id and the session id", async () => {
    const ctx = loginCtx(
      { traits: { email: "ada@example.com" } },
      { id: "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6" },
    );
    expect(await renderJsonnet(validateTemplate, ctx)).toEqual({
      kratos_identity_id: IDENTITY_ID,
      session_id: "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
    });
  });

  it.skipIf(!hasJsonnet)(
    "omits a nil session id (session not persisted yet) and a missing session",
    async () => {
      const nilSession = loginCtx(
        { traits: { phone: "+15555550100" } },
        { id: NIL_UUID },
        { method: "totp" },
      );
      expect(await renderJsonnet(validateTemplate, nilSession)).toEqual({ kratos_identity_id: IDENTITY_ID });

      const noSession = registrationCtx({ traits: { email: "ada@example.com" } });
      expect(await renderJsonnet(validateTemplate, noSession)).toEqual({ kratos_identity_id: IDENTITY_ID });
    },
  );

  it.skipIf(!hasJsonnet)("works for every login method and trait schema", async () => {
    const schemas: JsonObject[] = [
      { email: "ada@example.com", name: { first: "Ada", last: "Lovelace" } },
      { email: "grace@example.com", first_name: "Grace", last_name: "Hopper" },
      { phone: "+15555550100" },
      { email: "alan@example.com", name: "Alan Turing" },
    ];
    for (const [i, traits] of schemas.entries()) {
      const method = LOGIN_METHODS[i % LOGIN_METHODS.length] ?? "password";
      const body = await renderJsonnet(validateTemplate, loginCtx({ traits }, {}, { method }));
      expect(record(body, "body").kratos_identity_id).toBe(IDENTITY_ID);
    }
  });
});

describe("template sources", () => {
  it("never touch metadata_admin (Kratos strips it from the webhook ctx)", () => {
    for (const template of [initiateTemplate, validateTemplate]) {
      expect(templateCode(template)).not.toContain("metadata_admin");
    }
  });

  it("use only std functions that exist in go-jsonnet v0.21 and C++ jsonnet 0.18", () => {
    for (const template of [initiateTemplate, validateTemplate]) {
      const used = [...templateCode(template).matchAll(/std\.(\w+)/g)].map((m) => m[1]);
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

describe("registration / login ctx builders match the Kratos contract", () => {
  it("registration ctx: real id, metadata_public present, no metadata_admin, credentials or session", () => {
    const ctx = registrationCtx({ traits: { email: "ada@example.com" } });
    expect(ctx.identity.id).not.toBe(NIL_UUID);
    expect(ctx.identity).toHaveProperty("metadata_public", null);
    expect(ctx.identity).not.toHaveProperty("metadata_admin");
    expect(ctx.identity).not.toHaveProperty("credentials");
    expect(ctx).not.toHaveProperty("session");
    expect(Object.keys(ctx).sort()).toEqual([
      "flow",
      "identity",
      "request_cookies",
      "request_headers",
      "request_method",
      "request_url",
    ]);
  });

  it("identity and session validate against the Kratos OpenAPI schemas (shared/specs/kratos-api.json)", (context) => {
    if (!existsSync(kratosSpecFile)) {
      console.warn(`${kratosSpecFile} not found; skipping the OpenAPI shape check`);
      context.skip();
    }
    const kratosApi = createOpenApiValidator(JSON.parse(readFileSync(kratosSpecFile, "utf8")) as object);
    const registration = registrationCtx({ traits: { phone: "+15555550100" } });
    const login = loginCtx({
      traits: { email: "ada@example.com" },
      metadataPublic: { idv: { status: "pending" } },
    });
    expect(kratosApi.validateSchema("identity", registration.identity)).toEqual([]);
    expect(kratosApi.validateSchema("session", login.session)).toEqual([]);
  });
});

describe("kratos-hooks.yaml", () => {
  const raw = readFileSync(hooksFile, "utf8");
  const config = record(parse(raw), "kratos-hooks.yaml");
  const flows = record(record(config.selfservice, "selfservice").flows, "selfservice.flows");
  const registrationAfter = record(record(flows.registration, "registration").after, "registration.after");
  const loginAfter = record(record(flows.login, "login").after, "login.after");
  const recoveryAfter = record(record(flows.recovery, "recovery").after, "recovery.after");
  const recoveryHooks = list(recoveryAfter.hooks, "recovery.after.hooks").map((hook, i) =>
    record(hook, `recovery.after.hooks[${i}]`),
  );

  function hooksOf(after: JsonObject, method: string, where: string): JsonObject[] {
    const hooks = list(record(after[method], `${where}.${method}`).hooks, `${where}.${method}.hooks`);
    return hooks.map((hook, i) => record(hook, `${where}.${method}.hooks[${i}]`));
  }

  function webhookConfig(hook: JsonObject): JsonObject {
    return record(hook.config, "web_hook.config");
  }

  function isWebhookTo(hook: JsonObject, path: string): boolean {
    return hook.hook === "web_hook" && String(webhookConfig(hook).url).endsWith(path);
  }

  const allWebhooks: JsonObject[] = [
    ...REGISTRATION_METHODS.flatMap((m) => hooksOf(registrationAfter, m, "registration.after")),
    ...LOGIN_METHODS.flatMap((m) => hooksOf(loginAfter, m, "login.after")),
    ...recoveryHooks,
  ].filter((hook) => hook.hook === "web_hook");

  it("has no global after.hooks lists (they silently do not run next to method-scoped hooks)", () => {
    expect(registrationAfter).not.toHaveProperty("hooks");
    expect(loginAfter).not.toHaveProperty("hooks");
  });

  it.each(REGISTRATION_METHODS)(
    "registration.after.%s: initiate web_hook before the session hook",
    (method) => {
      const hooks = hooksOf(registrationAfter, method, "registration.after");
      const initiate = hooks.findIndex((hook) => isWebhookTo(hook, "/persona/initiate"));
      const session = hooks.findIndex((hook) => hook.hook === "session");
      expect(initiate).toBeGreaterThanOrEqual(0);
      expect(session).toBe(hooks.length - 1);
      expect(initiate).toBeLessThan(session);
      for (const hook of hooks.filter((h) => h.hook === "web_hook")) {
        const config = webhookConfig(hook);
        expect(config.method).toBe("POST");
        // Post-persist: no parse / can_interrupt (those make the hook pre-persist with a nil identity id).
        expect(config.response).toEqual({ ignore: true });
        expect(config).not.toHaveProperty("can_interrupt");
      }
    },
  );

  it.each(LOGIN_METHODS)("login.after.%s: validate web_hook with response.parse", (method) => {
    const hooks = hooksOf(loginAfter, method, "login.after");
    const validate = hooks.find((hook) => isWebhookTo(hook, "/persona/validate"));
    expect(validate).toBeDefined();
    const config = webhookConfig(validate ?? {});
    expect(config.method).toBe("POST");
    expect(config.response).toEqual({ parse: true });
    expect(config).not.toHaveProperty("can_interrupt");
  });

  it("recovery.after: the same validate web_hook, since recovery signs users in without login hooks", () => {
    const login = hooksOf(loginAfter, "password", "login.after").find((h) =>
      isWebhookTo(h, "/persona/validate"),
    );
    const validate = recoveryHooks.filter((hook) => isWebhookTo(hook, "/persona/validate"));
    expect(validate).toHaveLength(1);
    expect(validate[0]).toEqual(login);
  });

  it("authenticates every web_hook with the X-Webhook-Secret header", () => {
    // At least one initiate per registration method (one per provider block) and one validate per login method.
    expect(allWebhooks.length).toBeGreaterThanOrEqual(REGISTRATION_METHODS.length + LOGIN_METHODS.length);
    for (const hook of allWebhooks) {
      expect(webhookConfig(hook).auth).toEqual({
        type: "api_key",
        config: { name: "X-Webhook-Secret", value: envVar("ORY_WEBHOOK_SECRET"), in: "header" },
      });
    }
  });

  it("references body templates that exist in deploy/ory", () => {
    const bodies = new Set(allWebhooks.map((hook) => String(webhookConfig(hook).body)));
    expect([...bodies].sort()).toEqual([
      "file:///etc/config/kratos/jumio-initiate.jsonnet",
      "file:///etc/config/kratos/onfido-initiate.jsonnet",
      "file:///etc/config/kratos/persona-initiate.jsonnet",
      "file:///etc/config/kratos/persona-validate.jsonnet",
    ]);
    for (const body of bodies) expect(existsSync(join(oryDir, basename(new URL(body).pathname)))).toBe(true);
  });

  it("has only the two placeholders the envsubst command in its header fills in", () => {
    const placeholders = new Set([...raw.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual(["GATEWAY_URL", "ORY_WEBHOOK_SECRET"]);
  });

  describe("against Kratos' config JSON schema (vendored hook definitions)", () => {
    const schema = record(
      JSON.parse(
        readFileSync(
          join(repoRoot, "test", "deploy", "fixtures", "kratos-hook-definitions.schema.json"),
          "utf8",
        ),
      ),
      "schema",
    );
    // Not strict: Kratos' schema has quirks its own (lenient) validator ignores, e.g. `require` (sic)
    // for `required` and `additionalItems` next to a non-tuple `items`.
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    ajv.addSchema(schema, "kratos");
    const validator = (definition: string) => ajv.compile({ $ref: `kratos#/definitions/${definition}` });
    const webHook = validator("selfServiceWebHook");
    const registrationMethod = validator("selfServiceAfterRegistrationMethod");
    const defaultLoginMethod = validator("selfServiceAfterDefaultLoginMethod");
    const oidcLoginMethod = validator("selfServiceAfterOIDCLoginMethod");
    // What `envsubst` produces: the schema checks `url` as a URI, which a bare placeholder is not.
    const rendered = record(
      parse(
        raw
          .replaceAll(envVar("GATEWAY_URL"), "https://idv.example.com")
          .replaceAll(envVar("ORY_WEBHOOK_SECRET"), "0f".repeat(32)),
      ),
      "rendered",
    );
    const renderedFlows = record(record(rendered.selfservice, "selfservice").flows, "flows");
    const renderedRegistration = record(record(renderedFlows.registration, "registration").after, "after");
    const renderedLogin = record(record(renderedFlows.login, "login").after, "after");

    it.each(REGISTRATION_METHODS)(
      "registration.after.%s matches selfServiceAfterRegistrationMethod",
      (method) => {
        const ok = registrationMethod(renderedRegistration[method]);
        expect(ok, ajv.errorsText(registrationMethod.errors)).toBe(true);
      },
    );

    it("recovery.after.hooks match selfServiceWebHook", () => {
      const hooks = list(
        record(record(renderedFlows.recovery, "recovery").after, "after").hooks,
        "recovery.after.hooks",
      );
      for (const hook of hooks) expect(webHook(hook), ajv.errorsText(webHook.errors)).toBe(true);
    });

    it.each(LOGIN_METHODS)("login.after.%s matches its login method definition", (method) => {
      // The vendored revision has no `passkey` key yet; newer Kratos maps it like password/webauthn.
      const validate = method === "oidc" ? oidcLoginMethod : defaultLoginMethod;
      expect(validate(renderedLogin[method]), ajv.errorsText(validate.errors)).toBe(true);
    });

    it("the schema really is enforced: parse together with ignore is rejected", () => {
      const initiate = record(hooksOf(renderedRegistration, "password", "registration.after")[0], "hook");
      const broken = {
        ...initiate,
        config: { ...webhookConfig(initiate), response: { ignore: true, parse: true } },
      };
      expect(webHook(initiate), ajv.errorsText(webHook.errors)).toBe(true);
      expect(webHook(broken)).toBe(false);
    });
  });
});
