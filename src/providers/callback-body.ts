// Reads an authenticated callback body with the provider's schema; a bad one is a 400 naming every wrong field.
import type { z } from "zod";
import { AppError } from "../lib/errors.js";
import { inputError, parseInput } from "../lib/validation.js";

export function parseCallbackBody<S extends z.ZodType>(body: string, schema: S, what: string): z.output<S> {
  return parseInput(schema, parseJsonBody(body), "body", describe(what));
}

const describe = (what: string) => (fields: string) => `Body is not ${what}: ${fields}`;

/** The 400 for a body that failed the provider's schema, naming every wrong field. */
export function callbackBodyError(error: z.ZodError, what: string): AppError {
  return inputError(error, "body", describe(what));
}

/** The body as JSON, or a 400 saying it is not. */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new AppError("invalid_request", "Body is not valid JSON");
  }
}
