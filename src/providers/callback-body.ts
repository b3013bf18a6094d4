// Reads an authenticated callback body with the provider's schema; a bad one is a 400 naming every wrong field.
import type { z } from "zod";
import { AppError } from "../lib/errors.js";
import { parseInput } from "../lib/validation.js";

export function parseCallbackBody<S extends z.ZodType>(body: string, schema: S, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new AppError("invalid_request", "Body is not valid JSON");
  }
  return parseInput(schema, json, "body", (fields) => `Body is not ${what}: ${fields}`);
}
