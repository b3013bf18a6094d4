// Reads an authenticated callback body with the provider's schema; a bad one is a 400 naming every wrong field.
import type { z } from "zod";
import { AppError } from "../lib/errors.js";

export function parseCallbackBody<S extends z.ZodType>(
  rawBody: Buffer,
  schema: S,
  what: string,
): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new AppError("invalid_request", "Body is not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((i) => ({ field: i.path.join(".") || "body", message: i.message }));
  throw new AppError(
    "invalid_request",
    `Body is not ${what}: ${details.map((d) => d.field).join(", ")}`,
    details,
  );
}
