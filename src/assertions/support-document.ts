// Parses /.well-known/browserid: disabled, delegation (`authority`) or supported (keys), with Mozilla's error texts.
import { isValidDomain } from "./domain.js";
import { AssertionError, fail } from "./errors.js";
import { parsePublicKey, type VerificationKey } from "./keys.js";

export type SupportDocument =
  | { type: "disabled" }
  | { type: "delegation"; authority: string }
  | { type: "supported"; keys: VerificationKey[] };

/** More keys than this is not key rotation but a way to make every verification try dozens of RSA checks. */
export const MAX_KEYS = 10;

function bad(domain: string, message: string): never {
  fail("discovery", `bad support document for '${domain}': Error: ${message}`);
}

function checkPath(
  domain: string,
  doc: Record<string, unknown>,
  name: "authentication" | "provisioning",
): void {
  const value = doc[name];
  if (typeof value !== "string") bad(domain, `support document missing required property: '${name}'`);
  if (!value.startsWith("/")) bad(domain, "invalid path: must start with a slash");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters make a path invalid
  if (value.startsWith("//") || /[\u0000-\u0020\\#]/.test(value)) bad(domain, "invalid path");
}

function loadKey(domain: string, key: unknown): VerificationKey {
  try {
    return parsePublicKey(key);
  } catch (error) {
    if (error instanceof AssertionError) bad(domain, `mal-formed public key in support doc: ${error.reason}`);
    throw error;
  }
}

export function parseSupportDocument(domain: string, body: string): SupportDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    bad(domain, "declaration of support is malformed (invalid json)");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    bad(domain, "support document must contain a json object");
  }
  const fields = doc as Record<string, unknown>;
  if (fields.disabled === true) return { type: "disabled" };
  if (fields.disabled !== undefined && fields.disabled !== false)
    bad(domain, "disabled must be either true or false");

  if (fields.authority) {
    if (typeof fields.authority !== "string") bad(domain, "malformed authority");
    if (!isValidDomain(fields.authority)) bad(domain, "the authority is not a valid hostname");
    return { type: "delegation", authority: fields.authority };
  }

  checkPath(domain, fields, "authentication");
  checkPath(domain, fields, "provisioning");
  const keys: VerificationKey[] = [];
  if (fields["public-key"]) keys.push(loadKey(domain, fields["public-key"]));
  if (fields.keys !== undefined) {
    if (!Array.isArray(fields.keys)) bad(domain, "mal-formed list of public keys in support doc");
    if (fields.keys.length > MAX_KEYS)
      bad(domain, "mal-formed list of public keys in support doc: too many keys");
    for (const key of fields.keys) {
      const use = typeof key === "object" && key !== null ? (key as Record<string, unknown>).use : undefined;
      // Only signing keys count, as in Mozilla's parser.
      if (use === undefined || use === "sig") keys.push(loadKey(domain, key));
    }
  }
  if (keys.length === 0) bad(domain, "support document missing required property 'keys' and/or 'public-key'");
  return { type: "supported", keys };
}
