// Audience matching as browserid-local-verify 0.5.2 did it: scheme, then port (default 80/443), then host, then path.
import { domainToASCII } from "node:url";

interface Origin {
  scheme: string;
  host: string;
  port: string;
  path: string;
}

const WITH_SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/s;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII characters outside the hostname set
const HOST_STOP = /[\u0000-\u002a,/:;<=>?@[-^`{-\u007f]/;
const RP_SCHEMES = new Set(["http", "https", "app"]);

function normaliseHost(host: string): string {
  const lower = host.toLowerCase();
  // Non-ASCII names compare by their punycode form, as url.parse did.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matches anything outside ASCII
  return /[^\u0000-\u007f]/.test(lower) ? domainToASCII(lower) || lower : lower;
}

function splitOrigin(scheme: string, rest: string): Origin {
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const portMatch = /^(.*):([0-9]*)$/s.exec(authority);
  let host = portMatch ? (portMatch[1] ?? "") : authority;
  let path = end === -1 ? "" : rest.slice(end);
  // Like url.parse, a host ends at the first character no hostname may hold; the rest counts as path.
  const invalid = host.search(HOST_STOP);
  if (invalid !== -1) {
    path = host.slice(invalid) + path;
    host = host.slice(0, invalid);
  }
  // url.parse keeps a fragment out of the path (so "https://rp.example#top" has no path) but a query in it.
  const fragment = path.indexOf("#");
  if (fragment !== -1) path = path.slice(0, fragment);
  // Ports compare as the strings written, as Mozilla's did: ":0443" is not ":443".
  const explicitPort = portMatch?.[2] ?? "";
  const port = explicitPort !== "" ? explicitPort : scheme === "https" ? "443" : "80";
  return { scheme, host: normaliseHost(host), port, path };
}

/** The relying party's audience: `scheme://host[:port]`, `host:port` or `host` (no scheme ⇒ http). */
function parseGot(got: string): Origin {
  const match = WITH_SCHEME.exec(got);
  const scheme = match?.[1]?.toLowerCase();
  if (match && scheme !== undefined && RP_SCHEMES.has(scheme)) return splitOrigin(scheme, match[2] ?? "");
  return splitOrigin("http", got);
}

/** The assertion's `aud`; its path and query are ignored, and it has no scheme-less forms. */
function parseWant(want: string): Origin | undefined {
  const match = WITH_SCHEME.exec(want);
  if (!match) return undefined;
  return splitOrigin((match[1] ?? "").toLowerCase(), match[2] ?? "");
}

/** undefined when the audiences match, else the mismatch detail Mozilla reported after "audience mismatch: ". */
export function compareAudiences(want: string, got: string): string | undefined {
  const g = parseGot(got);
  const w = parseWant(want);
  if (!w || g.scheme !== w.scheme) return "scheme mismatch";
  if (g.port !== w.port) return "port mismatch";
  if (g.host === "" || g.host !== w.host) return "domain mismatch";
  if (g.path !== "" && g.path !== "/") return "has non-empty path";
  return undefined;
}
