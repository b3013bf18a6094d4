// The kinds of setting the config schema is made of: env strings read as booleans, lists, numbers, hosts, URLs.
import { z } from "zod";

export const bool = (def: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .default(def ? "true" : "false")
    .transform((v) => v === "true" || v === "1" || v === "yes");

export const list = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );

export const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** A Kratos UI message id of our own: outside Kratos' catalogue, so UIs show our text rather than theirs. */
export const messageId = (def: number) =>
  int(def, 1).refine(
    (v) => v < 1000000 || v > 5000003,
    "must lie outside Kratos' message catalogue (1000000-5000003)",
  );

// `host` or `host:port`, lower-case: how BrowserID names issuers and how the issuer fetcher matches hosts.
export const HOST =
  /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/;
export const hostList = (def = "") =>
  list(def).pipe(z.array(z.string().regex(HOST, "entries must be lower-case host or host:port names")));
export const url = () => z.url({ protocol: /^https?$/ });
