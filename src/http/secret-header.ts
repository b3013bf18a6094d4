// Checks a shared secret sent in a header (Kratos' X-Webhook-Secret, the metrics token) in constant time.
import { createHash, timingSafeEqual } from "node:crypto";
import { AppError } from "../lib/errors.js";

export function createSecretCheck(secret: string | undefined, headerName: string, settingName: string) {
  // Comparing digests keeps the comparison constant-time and independent of the length.
  const expected = secret ? createHash("sha256").update(secret).digest() : undefined;
  return function check(value: string | string[] | undefined): void {
    if (!expected) throw new AppError("not_configured", `${settingName} is not set on the gateway`);
    if (typeof value !== "string" || value.length === 0)
      throw new AppError("unauthorized", `Missing ${headerName} header`);
    const actual = createHash("sha256").update(value).digest();
    if (!timingSafeEqual(actual, expected))
      throw new AppError("unauthorized", `Invalid ${headerName} header`);
  };
}
