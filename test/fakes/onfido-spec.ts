// The official Onfido v3.6 OpenAPI spec, loaded once, and the checks the simulator runs with it.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { createOpenApiValidator, type OpenApiValidator } from "./openapi-validator.js";

const SPEC_URL = new URL("../../../shared/specs/onfido-v3.6-openapi.yaml", import.meta.url);

let shared: OpenApiValidator | undefined;
export const onfidoValidator = (): OpenApiValidator =>
  (shared ??= createOpenApiValidator(parse(readFileSync(SPEC_URL, "utf8")) as object));

/** Onfido's error body (OSPEC `Error`): `{"error":{"type","message","fields"}}`. */
export function onfidoError(
  type: string,
  message: string,
  fields: Record<string, unknown> = {},
): { error: { type: string; message: string; fields: Record<string, unknown> } } {
  return { error: { type, message, fields } };
}

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ["bad_request", "The request could not be understood"],
  401: ["authorization_error", "Authorization error: please re-check your credentials"],
  403: ["forbidden", "You do not have access to this resource"],
  404: ["resource_not_found", "The resource could not be found"],
  422: ["validation_error", "There was a validation error on this request"],
  429: ["rate_limit", "Rate limit exceeded"],
};

export function errorFor(status: number): ReturnType<typeof onfidoError> {
  const [type, message] = ERROR_TYPES[status] ?? ["internal_server_error", "Something went wrong"];
  return onfidoError(type, message);
}

/**
 * Problems of a webhook event against the spec. The spec's `webhook_event_payload.required` names
 * `event` and `resource_id`, which its own properties (and real events) do not have (reference §2.4),
 * so the payload's parts are checked one by one instead.
 */
export function webhookProblems(event: unknown, where: string): string[] {
  const validator = onfidoValidator();
  const payload = (event as { payload?: Record<string, unknown> }).payload ?? {};
  const label = (problems: string[]) => problems.map((p) => `${where}: ${p}`);
  return label([
    ...validator.validateSchema("webhook_event_resource_type", payload.resource_type),
    ...validator.validateSchema("webhook_event_type", payload.action),
    ...validator.validateSchema("webhook_event_payload_object", payload.object),
    ...(payload.resource === undefined
      ? []
      : validator.validateSchema("webhook_event_payload_resource", payload.resource)),
  ]);
}
