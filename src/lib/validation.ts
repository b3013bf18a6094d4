// Parses input with its zod schema; a failure is a 400 (AppError "invalid_request") that names every wrong field.
import type { z } from "zod";
import { AppError } from "./errors.js";

export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = "body",
  describe: (fields: string) => string = (fields) => `Invalid ${what}: ${fields}`,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw inputError(parsed.error, what, describe);
}

/** The 400 for a failed parse: every wrong field, by its path. */
export function inputError(
  error: z.ZodError,
  what = "body",
  describe: (fields: string) => string = (fields) => `Invalid ${what}: ${fields}`,
): AppError {
  const details = error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join(".") : what,
    message: issue.message,
  }));
  return new AppError("invalid_request", describe(details.map((d) => d.field).join(", ")), details);
}
