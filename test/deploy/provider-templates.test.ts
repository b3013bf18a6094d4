// The parts of the Onfido and Jumio Kratos templates that are alike: the login body, portable jsonnet, the hook block.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { jsonnetAvailable, renderJsonnet } from "../support/jsonnet.js";
import { loginCtx, NIL_UUID } from "../support/kratos-context.js";

const oryDir = fileURLToPath(new URL("../../deploy/ory", import.meta.url));
const REGISTRATION_METHODS = ["password", "oidc", "code", "passkey", "webauthn"] as const;
const LOGIN_METHODS = [...REGISTRATION_METHODS, "totp", "lookup_secret"] as const;
const IDENTITY_ID = "6f3d2a8e-41b7-4c59-9e0d-7a1b2c3d4e5f";

const PROVIDERS = [
  // Present in both go-jsonnet v0.21 (Kratos) and C++ jsonnet 0.18; length and codepoint are core builtins.
  {
    name: "onfido",
    portableStd: ["objectHas", "isObject", "isString", "length", "codepoint"],
    blocked: "declined",
  },
  { name: "jumio", portableStd: ["objectHas", "isObject", "isString"], blocked: "rejected" },
] as const;

const hasJsonnet = jsonnetAvailable();
if (!hasJsonnet) console.warn("jsonnet is not installed (Debian: apt-get install jsonnet); skipping renders");

const code = (path: string) =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("//"))
    .join("\n");

type Hook = { hook: string; config?: Record<string, unknown> };
const hooksConfig = parse(readFileSync(join(oryDir, "kratos-hooks.yaml"), "utf8")) as {
  selfservice: { flows: { registration: { after: Record<string, { hooks: Hook[] }> } } };
};

for (const { name, portableStd, blocked } of PROVIDERS) {
  const initiateTemplate = join(oryDir, `${name}-initiate.jsonnet`);
  const validateTemplate = join(oryDir, `${name}-validate.jsonnet`);

  describe(`${name}-validate.jsonnet (login.after, response.parse)`, () => {
    it.skipIf(!hasJsonnet)("sends the identity id, and the session id only when it is real", async () => {
      const session = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
      expect(await renderJsonnet(validateTemplate, loginCtx({ traits: {} }, { id: session }))).toEqual({
        kratos_identity_id: IDENTITY_ID,
        session_id: session,
      });
      for (const method of LOGIN_METHODS) {
        const ctx = loginCtx(
          { traits: { email: "ada@example.com" }, metadataPublic: { [name]: { status: blocked } } },
          { id: NIL_UUID },
          { method },
        );
        expect(await renderJsonnet(validateTemplate, ctx), method).toEqual({
          kratos_identity_id: IDENTITY_ID,
        });
      }
    });
  });

  describe(`${name} template sources`, () => {
    it("never touch metadata_admin and use only portable std functions", () => {
      for (const template of [initiateTemplate, validateTemplate]) {
        const source = code(template);
        expect(source).not.toContain("metadata_admin");
        const used = [...source.matchAll(/std\.(\w+)/g)].map((m) => m[1]);
        expect(used.length).toBeGreaterThan(0);
        for (const fn of used) expect(portableStd).toContain(fn);
      }
    });
  });

  describe(`kratos-hooks.yaml ${name} block`, () => {
    const after = hooksConfig.selfservice.flows.registration.after;
    it.each(REGISTRATION_METHODS)(
      `registration.after.%s: ${name} initiate, post-persist, before session`,
      (method) => {
        const hooks = after[method]?.hooks ?? [];
        const index = hooks.findIndex((h) => String(h.config?.url).endsWith(`/${name}/initiate`));
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).toBeLessThan(hooks.findIndex((h) => h.hook === "session"));
        const persona = hooks.find((h) => String(h.config?.url).endsWith("/persona/initiate"));
        expect(hooks[index]?.config).toEqual({
          url: `\${GATEWAY_URL}/${name}/initiate`,
          method: "POST",
          body: `file:///etc/config/kratos/${name}-initiate.jsonnet`,
          response: { ignore: true },
          auth: persona?.config?.auth,
        });
      },
    );
  });
}
