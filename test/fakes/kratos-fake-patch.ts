// Kratos' JSON Patch semantics for the fake (ory/x jsonx.ApplyJSONPatch over evanphx/json-patch v5).
import jsonPatch from "fast-json-patch";

type Json = Record<string, unknown>;

/** A patch Kratos would refuse with 400; `message` is what Kratos puts in `error.message`. */
export class KratosPatchError extends Error {
  override readonly name = "KratosPatchError";
}

// identity/handler.go passes these globs (gobwas/glob, '/' separator, matched lower-cased).
const DENIED_PATHS = [
  "/id",
  "/statechangedat",
  "/credentials",
  "/credentials/oidc/**",
  "/credentials/saml/**",
];
const deniedMatchers = DENIED_PATHS.map(
  (glob) =>
    new RegExp(
      `^${glob
        .split("**")
        .map((part) => part.split("*").map(escapeRegExp).join("[^/]*"))
        .join(".*")}$`,
    ),
);
const ALLOWED_OPS = new Set(["add", "remove", "replace"]);

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Applies a JSON Patch to a copy of `doc` the way Kratos does and returns the result:
 * only add/remove/replace; denied paths rejected; a `replace` whose last token is not an array index
 * becomes `add`; `add` creates missing (or null) parents (EnsurePathExistsOnAdd); `remove` of a missing
 * path fails. Throws KratosPatchError with Kratos' error text.
 */
export function applyKratosPatch(doc: Json, patch: unknown): Json {
  const ops = decodePatch(patch);
  for (const op of ops) {
    if (!ALLOWED_OPS.has(op.op)) throw new KratosPatchError(`unsupported operation: ${op.op}`);
    if (deniedMatchers.some((m) => m.test(op.path.toLowerCase()))) {
      throw new KratosPatchError(`patch includes denied path: ${op.path}`);
    }
    if (op.op === "replace" && !isElementAccess(op.path)) op.op = "add";
  }
  let result: unknown = structuredClone(doc);
  for (const op of ops) {
    if (op.op === "add") ensurePathExists(result, op.path);
    try {
      result = jsonPatch.applyOperation(result, op as jsonPatch.Operation, true, true, true).newDocument;
    } catch (err) {
      throw new KratosPatchError(
        `${op.op} operation does not apply: ${op.path}: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  }
  if (!isObject(result))
    throw new KratosPatchError("json: cannot unmarshal into Go value of type identity.Identity");
  return result;
}

interface DecodedOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** evanphx DecodePatch + validatePatch: every op needs a path, add/replace a value, move/copy a from. */
function decodePatch(patch: unknown): DecodedOp[] {
  if (!Array.isArray(patch))
    throw new KratosPatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  return patch.map((raw) => {
    const op: Json = isObject(raw) ? { ...raw } : {};
    const fail = (why: string) => new KratosPatchError(`invalid operation ${JSON.stringify(raw)}: ${why}`);
    const kind = typeof op.op === "string" ? op.op : "unknown";
    if ((kind === "add" || kind === "replace") && !("value" in op)) {
      throw fail("failed to decode 'value': operation, missing value field: missing value");
    }
    if ((kind === "move" || kind === "copy") && typeof op.from !== "string") {
      throw fail("failed to decode 'from': operation, missing from field: missing value");
    }
    if (!["add", "replace", "move", "copy", "remove", "test"].includes(kind))
      throw fail("unsupported operation");
    if (typeof op.path !== "string")
      throw fail("failed to decode 'path': operation missing path field: missing value");
    return { ...op, op: kind, path: op.path } as DecodedOp;
  });
}

/** ory/x isElementAccess: the last token is "-" or parses as an integer (Go strconv.Atoi). */
function isElementAccess(path: string): boolean {
  if (path === "") return false;
  const last = path.split("/").at(-1) ?? "";
  return last === "-" || /^[+-]?\d+$/.test(last);
}

/** evanphx ensurePathExists: create absent or null parents; arrays when the next token is an index. */
function ensurePathExists(doc: unknown, path: string): void {
  const parts = path.split("/").slice(1).map(decodeToken);
  let current = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] ?? "";
    const next = parts[i + 1] ?? "";
    const container = current as Json | unknown[];
    const existing = Array.isArray(container) ? container[Number(part)] : (container as Json)[part];
    if (existing === undefined || existing === null) {
      const index = Number(next);
      const created: unknown =
        next === "-" || /^\d+$/.test(next) ? new Array(Number.isFinite(index) ? index : 0).fill(null) : {};
      if (Array.isArray(container)) container[Number(part)] = created;
      else (container as Json)[part] = created;
      current = created;
    } else if (typeof existing === "object") {
      current = existing;
    } else {
      throw new KratosPatchError(`add operation does not apply: ${path}: invalid state detected`);
    }
  }
}

function decodeToken(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
