// The settings that point a gateway at the fakes (no vitest here: the chaos harness and benchmarks use it too).
import type { ProviderDriver } from "../contracts/driver.js";
import { DRIVERS } from "../contracts/drivers/index.js";
import type { KratosFake } from "../fakes/kratos-fake.js";

export const ORY_SECRET = "ory-webhook-secret-for-tests";
export const ORY_API_KEY = "ory_pat_test_key";
export const PUBLIC_URL = "https://idv.example.test";

/** The settings that point a gateway at the fakes, with short retry and poll timings for tests. */
export function gatewayEnv(kratos: KratosFake, drivers: Iterable<ProviderDriver>): Record<string, string> {
  const env: Record<string, string> = {
    ORY_WEBHOOK_SECRET: ORY_SECRET,
    ORY_API_KEY,
    KRATOS_ADMIN_URL: kratos.adminUrl,
    KRATOS_PUBLIC_URL: kratos.publicUrl,
    RETRY_BASE_MS: "20",
    WORKER_POLL_MS: "20",
  };
  for (const driver of drivers) Object.assign(env, driver.env());
  return env;
}

/** Starts every provider's simulator (through its contract driver). */
export async function startDrivers(): Promise<Map<string, ProviderDriver>> {
  const started = await Promise.all(Object.values(DRIVERS).map((start) => start()));
  return new Map(started.map((d) => [d.name, d]));
}
