// Validates what the test fakes receive and answer against a provider's OpenAPI 3.0/3.1 document (Ajv).
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

type Json = Record<string, unknown>;
type FormatCheck = RegExp | ((value: string) => boolean);

export interface OperationMatch {
  pathTemplate: string;
  params: Record<string, string>;
}

export interface ParameterInput {
  query?: URLSearchParams;
  path?: Record<string, string>;
  headers?: Record<string, string | string[] | undefined>;
}

export interface OpenApiValidator {
  /** Errors of `value` against `#/components/schemas/<name>`; empty when valid. */
  validateSchema(name: string, value: unknown): string[];
  /** The spec path template (and its parameters) an actual request path belongs to, if any. */
  matchOperation(method: string, path: string): OperationMatch | undefined;
  validateParameters(method: string, pathTemplate: string, input: ParameterInput): string[];
  /** `body` is the parsed JSON body, `undefined` when the request had none. */
  validateRequestBody(method: string, pathTemplate: string, body: unknown, contentType?: string): string[];
  validateResponse(
    method: string,
    pathTemplate: string,
    status: number,
    body: unknown,
    contentType?: string,
  ): string[];
}

const SPEC_ID = "openapi-spec";
const DEFAULT_FORMATS: Record<string, FormatCheck> = {
  uuid4: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i,
};

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Builds a validator from an already-parsed OpenAPI document (JSON.parse or a YAML parser).
 * OpenAPI 3.0 specifics (`nullable`, boolean `exclusiveMinimum`) are rewritten into JSON Schema;
 * formats the spec uses but Ajv does not know are accepted unless given in `formats`.
 */
export function createOpenApiValidator(
  spec: object,
  opts: { formats?: Record<string, FormatCheck> } = {},
): OpenApiValidator {
  const version = String((spec as Json).openapi ?? "");
  const is30 = version.startsWith("3.0");
  const doc = normalize(structuredClone(spec), is30) as Json;
  const ajvOptions = { strict: false, allErrors: true, validateSchema: false, logger: false } as const;
  const ajv = is30 ? new Ajv(ajvOptions) : new Ajv2020(ajvOptions);
  addFormats.default(ajv);
  for (const [name, check] of Object.entries({ ...DEFAULT_FORMATS, ...opts.formats }))
    ajv.addFormat(name, check);
  for (const name of collectFormats(doc)) if (!ajv.formats[name]) ajv.addFormat(name, true);
  ajv.addSchema({ ...doc, $id: SPEC_ID });

  const compiled = new Map<string, ValidateFunction | string>();
  /** Validates `value`; a schema Ajv cannot compile (a broken spec) is reported, not thrown. */
  const check = (
    label: string,
    key: string,
    schema: () => ValidateFunction | undefined,
    value: unknown,
  ): string[] => {
    let fn = compiled.get(key);
    if (fn === undefined) {
      try {
        fn = schema() ?? "not found in spec";
      } catch (err) {
        fn = `spec schema does not compile: ${(err as Error).message}`;
      }
      compiled.set(key, fn);
    }
    if (typeof fn === "string") return [`${label}: ${fn}`];
    return fn(value) ? [] : (fn.errors ?? []).map((e) => `${label}: ${describe(e)}`);
  };
  const inline = (schema: unknown) => () => ajv.compile(rewriteRefs(schema) as AnySchemaObject);

  const paths = isObject(doc.paths) ? doc.paths : {};
  const operation = (method: string, template: string): Json | undefined => {
    const item = paths[template];
    const op = isObject(item) ? item[method.toLowerCase()] : undefined;
    return isObject(op) ? op : undefined;
  };
  const deref = (node: unknown): unknown => {
    let current = node;
    for (let i = 0; i < 20 && isObject(current) && typeof current.$ref === "string"; i++) {
      current = pointer(doc, current.$ref);
    }
    return current;
  };

  return {
    validateSchema(name, value) {
      const ref = `${SPEC_ID}#/components/schemas/${escapePointer(name)}`;
      return check(`schema ${name}`, ref, () => ajv.getSchema(ref), value);
    },

    matchOperation(method, path) {
      const actual = path.split("/");
      let best: (OperationMatch & { literals: number }) | undefined;
      for (const template of Object.keys(paths)) {
        if (!operation(method, template)) continue;
        const parts = template.split("/");
        if (parts.length !== actual.length) continue;
        const params: Record<string, string> = {};
        let literals = 0;
        const ok = parts.every((part, i) => {
          const value = actual[i] ?? "";
          const param = /^\{(.+)\}$/.exec(part);
          if (param?.[1]) {
            params[param[1]] = decodeURIComponent(value);
            return value !== "";
          }
          literals++;
          return part === value;
        });
        if (ok && (!best || literals > best.literals)) best = { pathTemplate: template, params, literals };
      }
      return best && { pathTemplate: best.pathTemplate, params: best.params };
    },

    validateParameters(method, template, input) {
      const label = `${method} ${template}`;
      const op = operation(method, template);
      if (!op) return [`${label}: operation not in spec`];
      const itemParams = (paths[template] as Json).parameters;
      const declared = [...asArray(itemParams), ...asArray(op.parameters)].map(deref).filter(isObject);
      const errors: string[] = [];
      for (const param of declared) {
        const name = String(param.name);
        const where = String(param.in);
        const raw = readParam(where, name, input);
        if (raw === undefined) {
          if (param.required === true && where !== "cookie")
            errors.push(`${label}: missing required ${where} parameter ${name}`);
          continue;
        }
        const schema = deref(param.schema);
        const key = `param ${label} ${where} ${name}`;
        errors.push(
          ...check(`${label} ${where} parameter ${name}`, key, inline(schema ?? {}), coerce(raw, schema)),
        );
      }
      const knownQuery = new Set(declared.filter((p) => p.in === "query").map((p) => String(p.name)));
      for (const name of new Set(input.query?.keys() ?? [])) {
        if (!knownQuery.has(name))
          errors.push(`${label}: query parameter ${name} is not declared in the spec`);
      }
      return errors;
    },

    validateRequestBody(method, template, body, contentType) {
      const label = `${method} ${template} request body`;
      const op = operation(method, template);
      if (!op) return [`${method} ${template}: operation not in spec`];
      const requestBody = deref(op.requestBody);
      if (!isObject(requestBody)) return body === undefined ? [] : [`${label}: operation takes no body`];
      if (body === undefined) return requestBody.required === true ? [`${label}: required but missing`] : [];
      return validateContent(label, requestBody.content, body, contentType);
    },

    validateResponse(method, template, status, body, contentType) {
      const label = `${method} ${template} response ${status}`;
      const op = operation(method, template);
      if (!op) return [`${method} ${template}: operation not in spec`];
      const responses = isObject(op.responses) ? op.responses : {};
      const response = deref(
        responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default,
      );
      if (!isObject(response)) return [`${label}: status not declared in the spec`];
      if (!isObject(response.content)) return body === undefined ? [] : [`${label}: spec declares no body`];
      if (body === undefined) return [`${label}: body missing`];
      return validateContent(label, response.content, body, contentType);
    },
  };

  function validateContent(label: string, content: unknown, body: unknown, contentType?: string): string[] {
    if (!isObject(content)) return [`${label}: spec declares no content`];
    const mediaType = (contentType ?? "application/json").split(";")[0]?.trim().toLowerCase() ?? "";
    const media = content[mediaType];
    if (!isObject(media))
      return [`${label}: content type ${mediaType} not in spec (${Object.keys(content).join(", ")})`];
    if (media.schema === undefined) return [];
    return check(label, `${label} ${mediaType}`, inline(media.schema), body);
  }
}

function readParam(where: string, name: string, input: ParameterInput): string[] | undefined {
  if (where === "query") {
    const values = input.query?.getAll(name) ?? [];
    return values.length > 0 ? values : undefined;
  }
  if (where === "path") return input.path?.[name] === undefined ? undefined : [input.path[name]];
  if (where === "header") {
    const value = input.headers?.[name.toLowerCase()];
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value : [value];
  }
  return undefined;
}

/** Turns query/path/header strings into the JSON types their schema declares. */
function coerce(values: string[], schema: unknown): unknown {
  const s = isObject(schema) ? schema : {};
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes("array")) return values.map((v) => coerceScalar(v, s.items));
  return coerceScalar(values[0] ?? "", s);
}

function coerceScalar(value: string, schema: unknown): unknown {
  const s = isObject(schema) ? schema : {};
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (
    (types.includes("integer") || types.includes("number")) &&
    value.trim() !== "" &&
    !Number.isNaN(Number(value))
  ) {
    return Number(value);
  }
  if (types.includes("boolean") && (value === "true" || value === "false")) return value === "true";
  return value;
}

/** OpenAPI 3.0 → JSON Schema: `nullable`, boolean exclusive bounds. */
function normalize(node: unknown, is30: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => normalize(n, is30));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = normalize(v, is30);
  // Some published specs leave a schema map empty (`properties:` → null), which Ajv refuses.
  for (const k of ["properties", "patternProperties", "definitions", "$defs"])
    if (out[k] === null) delete out[k];
  if (!is30) return out;
  for (const [bound, limit] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    if (typeof out[bound] !== "boolean") continue;
    if (out[bound] === true && typeof out[limit] === "number") {
      out[bound] = out[limit];
      delete out[limit];
    } else delete out[bound];
  }
  if (out.nullable !== true) return out;
  delete out.nullable;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  if ("$ref" in out || "allOf" in out || "oneOf" in out || "anyOf" in out)
    return { anyOf: [out, { type: "null" }] };
  return out;
}

function collectFormats(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const n of node) collectFormats(n, found);
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === "format" && typeof v === "string") found.add(v);
      else collectFormats(v, found);
    }
  }
  return found;
}

/** Local refs (`#/components/...`) of a schema compiled on its own point into the registered spec. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#") ? `${SPEC_ID}${v}` : rewriteRefs(v);
  }
  return out;
}

function pointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let current = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
    current = isObject(current) || Array.isArray(current) ? (current as Json)[key] : undefined;
  }
  return current;
}

const escapePointer = (s: string): string =>
  encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"));
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function describe(e: ErrorObject): string {
  const where = e.instancePath === "" ? "(root)" : e.instancePath;
  const extra = e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : "";
  const allowed = e.keyword === "enum" ? ` (${JSON.stringify(e.params.allowedValues)})` : "";
  return `${where} ${e.message ?? e.keyword}${extra}${allowed}`;
}
