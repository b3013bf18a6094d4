// Checks a shared secret sent in a header (Kratos' X-Webhook-Secret, the metrics token) in constant time.
import { secretMatcher } from "../lib/constant-time.js";
import { AppError } from "../lib/errors.js";

export function createSecretCheck(secret: string | undefined, headerName: string, settingName: string) {
  const matches = secret ? secretMatcher(secret) : undefined;
  return function check(value: string | string[] | undefined): void {
    if (!matches) throw new AppError("not_configured", `${settingName} is not set on the gateway`);
    if (typeof value !== "string" || value.length === 0)
      throw new AppError("unauthorized", `Missing ${headerName} header`);
    if (!matches(value)) throw new AppError("unauthorized", `Invalid ${headerName} header`);
  };
}
