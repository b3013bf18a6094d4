// Parses a request part with its zod schema; a failure is a 400 that names every wrong field.
import type { z } from "zod";
import { AppError } from "../lib/errors.js";

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = "body"): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join(".") : what,
    message: issue.message,
  }));
  const fields = details.map((d) => d.field).join(", ");
  throw new AppError("invalid_request", `Invalid ${what}: ${fields}`, details);
}
