// Checks deploy/ory's Onfido bodies with the real jsonnet evaluator; shared checks are in provider-templates.test.ts.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isJsonnetCancel, JsonnetError, jsonnetAvailable, renderJsonnet } from "../support/jsonnet.js";
import { type JsonObject, NIL_UUID, registrationCtx } from "../support/kratos-context.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const oryDir = join(repoRoot, "deploy", "ory");
const initiateTemplate = join(oryDir, "onfido-initiate.jsonnet");
// Present in both go-jsonnet v0.21 (Kratos) and C++ jsonnet 0.18; length and codepoint are core builtins.
const PORTABLE_STD = ["objectHas", "isObject", "isString", "length", "codepoint"];
const IDENTITY_ID = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";
const FLOW_ID = "0b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d";

const hasJsonnet = jsonnetAvailable();
if (!hasJsonnet)
  console.warn("jsonnet is not installed (Debian: apt-get install jsonnet); skipping Onfido renders");

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

describe("Onfido template sources", () => {
  it.skipIf(!hasJsonnet)("the installed evaluator has every std function the templates use", async () => {
    const probe = join(repoRoot, "test", "deploy", "fixtures", "std-probe.jsonnet");
    expect(await renderJsonnet(probe, { names: PORTABLE_STD })).toEqual(
      Object.fromEntries(PORTABLE_STD.map((fn) => [fn, true])),
    );
  });
});
