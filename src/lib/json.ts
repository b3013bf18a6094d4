// Reading JSON of unknown shape.

/** A JSON object (not null, not an array): its members can be read by name. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
