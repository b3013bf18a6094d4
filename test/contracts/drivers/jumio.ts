// Contract driver for Jumio: the simulator, callbacks authenticated by a signing proxy's HMAC header, workflow statuses.
import { hmacHex } from "../../../src/lib/webhook-signature.js";
import {
  type DecisionType,
  type JumioSimulator,
  startJumioSimulator,
  type WorkflowStatus,
} from "../../fakes/jumio-simulator.js";
import type { CallbackDelivery, ProviderDriver } from "../driver.js";

export const JUMIO_CLIENT_ID = "jumio-test-client";
export const JUMIO_CLIENT_SECRET = "jumio-test-client-secret";
export const JUMIO_CALLBACK_SECRET = "jumio-callback-secret-for-tests";
export const JUMIO_USER_AGENT = "ExampleCo IdvGatewayTests/1.0";
export const JUMIO_SIGNATURE_HEADER = "x-jumio-signature";

export interface JumioDriver extends ProviderDriver {
  simulator: JumioSimulator;
}

/** `PROCESSED:PASSED` → PROCESSED with decision PASSED; `PROCESSED` alone has no decision yet. */
export function splitRaw(raw: string): { status: WorkflowStatus; decision?: DecisionType } {
  const [status, decision] = raw.split(":");
  return { status: status as WorkflowStatus, ...(decision ? { decision: decision as DecisionType } : {}) };
}

export async function startJumioDriver(): Promise<JumioDriver> {
  const simulator = await startJumioSimulator({
    clientId: JUMIO_CLIENT_ID,
    clientSecret: JUMIO_CLIENT_SECRET,
  });
  let unknown = 0;
  const deliver = (body: string, opts: { secret?: string; tamper?: boolean } = {}): CallbackDelivery => ({
    headers: {
      "content-type": "application/json",
      [JUMIO_SIGNATURE_HEADER]: `sha256=${hmacHex(opts.secret ?? JUMIO_CALLBACK_SECRET, body)}`,
    },
    // A signing proxy signs what Jumio sent; a change on the way must not verify.
    body: opts.tamper ? body.replace('"status":"', '"status": "') : body,
  });
  return {
    name: "jumio",
    simulator,
    statuses: [
      { raw: "INITIATED", normalized: "created" },
      { raw: "ACQUIRED", normalized: "pending" },
      { raw: "PROCESSED", normalized: "completed" },
      { raw: "PROCESSED:PASSED", normalized: "approved" },
      { raw: "PROCESSED:WARNING", normalized: "review" },
      { raw: "PROCESSED:REJECTED", normalized: "declined" },
      { raw: "PROCESSED:NOT_EXECUTED", normalized: "failed" },
      { raw: "SESSION_EXPIRED", normalized: "expired" },
      { raw: "TOKEN_EXPIRED", normalized: "expired" },
    ],
    raw: { pending: "ACQUIRED", approved: "PROCESSED:PASSED", declined: "PROCESSED:REJECTED" },
    hasTimestamp: false,
    env: () => ({
      JUMIO_AUTH_URL: simulator.authUrl,
      JUMIO_API_BASE_URL: simulator.apiBaseUrl,
      JUMIO_RETRIEVAL_BASE_URL: simulator.retrievalBaseUrl,
      JUMIO_CLIENT_ID,
      JUMIO_CLIENT_SECRET,
      JUMIO_CALLBACK_SECRET,
      JUMIO_USER_AGENT,
    }),
    connect: (gatewayUrl) => simulator.routeCallbacks(gatewayUrl),
    setStatus(sessionId, raw) {
      const { status, decision } = splitRaw(raw);
      simulator.setStatus(sessionId, status, decision, { emit: false });
    },
    callback: (sessionId, opts = {}) => deliver(simulator.callbackBody(sessionId), opts),
    unknownEvent: () =>
      // A workflow this gateway does not run (another JUMIO_WORKFLOW_KEY), e.g. from a portal-wide callback URL.
      deliver(
        JSON.stringify({
          callbackSentAt: new Date().toISOString(),
          workflowExecution: {
            id: `00000000-0000-4000-8000-${String(++unknown).padStart(12, "0")}`,
            href: `${simulator.retrievalBaseUrl}/accounts/x/workflow-executions/y`,
            definitionKey: "3",
            status: "PROCESSED",
          },
          account: {
            id: "11111111-0000-4000-8000-000000000000",
            href: `${simulator.retrievalBaseUrl}/accounts/x`,
          },
        }),
      ),
    failApi: (n, status) => simulator.failNext(n, status),
    sessionCount: () => simulator.executions.size,
    close: () => simulator.close(),
  };
}
