// Checks the OpenAPI validator the fakes share: 3.0 nullable handling, operations, parameters, bodies, 3.1 documents.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createOpenApiValidator } from "./openapi-validator.js";

const kratosSpec = JSON.parse(
  readFileSync(new URL("../../../shared/specs/kratos-api.json", import.meta.url), "utf8"),
) as object;
const kratos = createOpenApiValidator(kratosSpec);
const identity = {
  id: "6f1c1b8e-3c1a-4d7e-9a55-2b1e8c7d6a01",
  schema_id: "default",
  schema_url: "http://127.0.0.1/schemas/ZGVmYXVsdA",
  traits: {},
  metadata_public: null,
  metadata_admin: null,
  organization_id: null,
};

describe("createOpenApiValidator on the Kratos spec (OpenAPI 3.0)", () => {
  it("accepts nullable fields as null and reports real mismatches with their location", () => {
    expect(kratos.validateSchema("identity", identity)).toEqual([]);
    const errors = kratos.validateSchema("identity", { ...identity, id: "nope", state: "banned" });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining("/id must match format"),
        expect.stringContaining("/state must be equal to one of"),
      ]),
    );
    expect(kratos.validateSchema("noSuchSchema", {})).toEqual(["schema noSuchSchema: not found in spec"]);
  });

  it("matches paths to the most specific template", () => {
    expect(kratos.matchOperation("GET", "/admin/identities/abc")).toEqual({
      pathTemplate: "/admin/identities/{id}",
      params: { id: "abc" },
    });
    expect(kratos.matchOperation("DELETE", "/admin/identities/abc/sessions")?.pathTemplate).toBe(
      "/admin/identities/{id}/sessions",
    );
    expect(kratos.matchOperation("POST", "/sessions/whoami")).toBeUndefined();
  });

  it("checks request bodies, their content type, and responses per status", () => {
    const ops = [{ op: "add", path: "/x", value: 1 }];
    expect(kratos.validateRequestBody("PATCH", "/admin/identities/{id}", ops, "application/json")).toEqual(
      [],
    );
    expect(kratos.validateRequestBody("PATCH", "/admin/identities/{id}", [{ op: "add" }])).toEqual([
      "PATCH /admin/identities/{id} request body: /0 must have required property 'path'",
    ]);
    expect(kratos.validateRequestBody("PATCH", "/admin/identities/{id}", ops, "text/plain")[0]).toContain(
      "content type text/plain not in spec",
    );
    expect(kratos.validateResponse("GET", "/admin/identities/{id}", 200, identity)).toEqual([]);
    expect(kratos.validateResponse("GET", "/sessions/whoami", 200, { id: "x" })[0]).toContain(
      "/id must match format",
    );
    expect(kratos.validateResponse("GET", "/sessions/whoami", 401, { error: { code: 401 } })[0]).toContain(
      "message",
    );
    expect(
      kratos.validateResponse("DELETE", "/admin/identities/{id}/sessions", 204, { unexpected: true })[0],
    ).toContain("declares no body");
  });

  it("coerces and checks parameters and flags undeclared query parameters", () => {
    const check = (query: string) =>
      kratos.validateParameters("GET", "/admin/identities", { query: new URLSearchParams(query) });
    expect(check("page_size=10&ids=a&ids=b")).toEqual([]);
    expect(check("page_size=1000")[0]).toContain("page_size");
    expect(check("page_size=ten")[0]).toContain("must be integer");
    expect(check("search=x")).toEqual([
      "GET /admin/identities: query parameter search is not declared in the spec",
    ]);
  });
});

describe("createOpenApiValidator on an OpenAPI 3.1 document", () => {
  const spec = {
    openapi: "3.1.0",
    paths: {
      "/things/{id}": {
        post: {
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: "#/components/schemas/thing" } } },
          },
          responses: {
            "2XX": {
              description: "ok",
              content: { "application/json": { schema: { $ref: "#/components/schemas/thing" } } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        thing: {
          type: "object",
          required: ["name"],
          properties: {
            name: { type: ["string", "null"] },
            kind: { const: "thing" },
            day: { type: "string", format: "date" },
          },
        },
      },
    },
  };
  const v = createOpenApiValidator(spec);

  it("uses JSON Schema 2020-12 semantics and status ranges", () => {
    expect(
      v.validateRequestBody("POST", "/things/{id}", { name: null, kind: "thing", day: "2026-01-02" }),
    ).toEqual([]);
    expect(v.validateRequestBody("POST", "/things/{id}", undefined)).toEqual([
      "POST /things/{id} request body: required but missing",
    ]);
    expect(v.validateResponse("POST", "/things/{id}", 201, { name: "a", kind: "other" })[0]).toContain(
      "/kind must be equal to constant",
    );
    expect(v.validateResponse("POST", "/things/{id}", 404, {})).toEqual([
      "POST /things/{id} response 404: status not declared in the spec",
    ]);
  });
});
