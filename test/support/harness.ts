// An end-to-end rig: the gateway on a real port, with the Kratos fake and every provider's simulator beside it.
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../src/config/load.js";
import { buildGateway, type Gateway } from "../../src/gateway.js";
import type { ProviderDriver } from "../contracts/driver.js";
import type { PersonaDriver } from "../contracts/drivers/persona.js";
import { type KratosFake, startKratosFake } from "../fakes/kratos-fake.js";
import type { PersonaSimulator } from "../fakes/persona-simulator.js";
import { createTestDatabase, type DatabaseKind, type TestDatabase } from "./databases.js";

import { gatewayEnv, ORY_API_KEY, ORY_SECRET, PUBLIC_URL, startDrivers } from "./gateway-env.js";

export { PERSONA_KEY, PERSONA_SECRET, PERSONA_TEMPLATE } from "../contracts/drivers/persona.js";
export { gatewayEnv, ORY_API_KEY, ORY_SECRET, PUBLIC_URL, startDrivers } from "./gateway-env.js";

export interface HttpAnswer {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

export interface Harness {
  url: string;
  gateway: Gateway;
  kratos: KratosFake;
  persona: PersonaSimulator;
  drivers: Map<string, ProviderDriver>;
  db: TestDatabase;
  env: Record<string, string>;
  request(
    method: string,
    path: string,
    opts?: { body?: string | object; headers?: Record<string, string> },
  ): Promise<HttpAnswer>;
  initiate(identityId: string, opts?: { triggerId?: string; body?: object }): Promise<HttpAnswer>;
  validate(identityId: string): Promise<HttpAnswer>;
  /** Runs worker rounds until there is no due work left (or `maxRounds`). */
  drain(maxRounds?: number): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  /** Start the worker's own loop (default: tests drive it with drain()). */
  worker?: boolean;
  database?: TestDatabase;
}

export async function startHarness(kind: DatabaseKind, opts: HarnessOptions = {}): Promise<Harness> {
  const db = opts.database ?? (await createTestDatabase(kind));
  const kratos = await startKratosFake({ apiKey: ORY_API_KEY });
  const drivers = await startDrivers();
  const persona = (drivers.get("persona") as PersonaDriver).simulator;
  const env: Record<string, string> = {
    ...gatewayEnv(kratos, drivers.values()),
    NODE_ENV: "test",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    GATEWAY_PUBLIC_URL: PUBLIC_URL,
    RETRY_MAX_MS: "200",
    OUTBOUND_TIMEOUT_MS: "2000",
    ...db.env,
    ...opts.env,
  };

  const gateway = await buildGateway(loadConfig(env));
  await gateway.store.migrate();
  await gateway.app.listen({ port: 0, host: "127.0.0.1" });
  const url = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
  for (const driver of drivers.values()) driver.connect(url);
  if (opts.worker) gateway.worker.start();

  async function request(
    method: string,
    path: string,
    o: { body?: string | object; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...o.headers };
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${url}${path}`, { method, headers, body, redirect: "manual" });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  return {
    url,
    gateway,
    kratos,
    persona,
    drivers,
    db,
    env,
    request,
    initiate: (identityId, o = {}) =>
      request("POST", "/persona/initiate", {
        body: o.body ?? {
          kratos_identity_id: identityId,
          email: "ada@example.com",
          first_name: "Ada",
          last_name: "Lovelace",
        },
        headers: {
          "x-webhook-secret": ORY_SECRET,
          ...(o.triggerId ? { "ory-webhook-trigger-id": o.triggerId } : {}),
        },
      }),
    validate: (identityId) =>
      request("POST", "/persona/validate", {
        body: { kratos_identity_id: identityId },
        headers: { "x-webhook-secret": ORY_SECRET },
      }),
    async drain(maxRounds = 50) {
      let total = 0;
      for (let i = 0; i < maxRounds; i++) {
        const done = await gateway.worker.runOnce();
        total += done;
        if (done === 0) break;
      }
      return total;
    },
    async close() {
      await gateway.close();
      await Promise.all([...drivers.values()].map((d) => d.close()));
      await kratos.close();
      if (!opts.database) await db.drop();
    },
  };
}

/** Polls until `check` returns a truthy value (for work done by background loops and deliveries). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
