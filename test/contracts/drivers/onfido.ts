// Contract driver for Onfido: the simulator, X-SHA2-Signature, workflow run statuses.
import { hmacHex } from "../../../src/lib/webhook-signature.js";
import { type OnfidoSimulator, type RunStatus, startOnfidoSimulator } from "../../fakes/onfido-simulator.js";
import type { CallbackDelivery, ProviderDriver } from "../driver.js";

export const ONFIDO_TOKEN = "api_sandbox.contract-test-token";
export const ONFIDO_WEBHOOK_TOKEN = "onfido_webhook_token_for_tests";
export const ONFIDO_WORKFLOW = "7d0f4f3e-2b9a-4c61-9a57-3e2d1c0b9a88";

export interface OnfidoDriver extends ProviderDriver {
  simulator: OnfidoSimulator;
}

export async function startOnfidoDriver(): Promise<OnfidoDriver> {
  const simulator = await startOnfidoSimulator({
    apiToken: ONFIDO_TOKEN,
    workflows: { [ONFIDO_WORKFLOW]: {} },
  });
  const deliver = (body: string, opts: { secret?: string; tamper?: boolean } = {}): CallbackDelivery => ({
    headers: {
      "content-type": "application/json",
      "x-sha2-signature": hmacHex(opts.secret ?? ONFIDO_WEBHOOK_TOKEN, body),
    },
    body: opts.tamper
      ? body.replace('"resource_type":"workflow_run"', '"resource_type": "workflow_run"')
      : body,
  });
  let unknown = 0;
  return {
    name: "onfido",
    simulator,
    statuses: [
      { raw: "awaiting_input", normalized: "pending" },
      { raw: "awaiting_client_input", normalized: "pending" },
      { raw: "processing", normalized: "pending" },
      { raw: "approved", normalized: "approved" },
      { raw: "review", normalized: "review" },
      { raw: "declined", normalized: "declined" },
      { raw: "abandoned", normalized: "expired" },
      { raw: "error", normalized: "failed" },
    ],
    raw: { pending: "awaiting_input", approved: "approved", declined: "declined" },
    hasTimestamp: false,
    env: () => ({
      ONFIDO_API_TOKEN: ONFIDO_TOKEN,
      ONFIDO_WORKFLOW_ID: ONFIDO_WORKFLOW,
      ONFIDO_WEBHOOK_TOKEN: ONFIDO_WEBHOOK_TOKEN,
      ONFIDO_API_BASE: simulator.baseUrl,
    }),
    connect: (gatewayUrl) => simulator.setWebhook(`${gatewayUrl}/onfido/callback`, ONFIDO_WEBHOOK_TOKEN),
    // The simulator stamps every change a whole second after the previous one.
    setStatus: (sessionId, raw) => void simulator.setStatus(sessionId, raw as RunStatus, { emit: false }),
    // Onfido only announces finished runs; for other states the same event shape serves as a hint.
    callback: (sessionId, opts = {}) => deliver(simulator.buildEvent(sessionId), opts),
    unknownEvent: () =>
      deliver(
        JSON.stringify({
          payload: {
            resource_type: "check",
            action: "check.completed",
            object: {
              id: `check-${++unknown}-${Date.now()}`,
              status: "complete",
              completed_at_iso8601: "2026-01-01T00:00:00Z",
              href: "https://api.eu.onfido.com/v3.6/checks/check-1",
            },
          },
        }),
      ),
    failApi: (n, status) => simulator.failNext(n, status),
    sessionCount: () => simulator.workflowRuns.size,
    async close() {
      await simulator.close();
      // The contract suite cannot see the simulator: anything the gateway sent off-spec fails the run here.
      if (simulator.specViolations.length > 0)
        throw new Error(`Onfido spec violations:\n${simulator.specViolations.join("\n")}`);
    },
  };
}
