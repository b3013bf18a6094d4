// Contract driver for Persona: the simulator, Persona-Signature, inquiry statuses.
import { hmacHex } from "../../../src/lib/webhook-signature.js";
import {
  type InquiryStatus,
  type PersonaSimulator,
  startPersonaSimulator,
} from "../../fakes/persona-simulator.js";
import type { CallbackDelivery, ProviderDriver } from "../driver.js";

export const PERSONA_KEY = "persona_sandbox_test_key";
export const PERSONA_SECRET = "wbhsec_test_secret";
export const PERSONA_TEMPLATE = "itmpl_TestTemplate123456";

export interface PersonaDriver extends ProviderDriver {
  simulator: PersonaSimulator;
}

export async function startPersonaDriver(): Promise<PersonaDriver> {
  // Persona dates states to the second; each status change moves the simulator's clock on by one, so a
  // change is always later than the one before, as a reviewer's decision is in real life.
  let skewMs = 0;
  const simulator = await startPersonaSimulator({ apiKey: PERSONA_KEY, now: () => Date.now() + skewMs });
  let events = 0;
  const signedBy = (body: string, secret: string, ageSeconds = 0) => {
    const t = Math.floor(Date.now() / 1000) - ageSeconds;
    return `t=${t},v1=${hmacHex(secret, `${t}.${body}`)}`;
  };
  const deliver = (
    body: string,
    opts: { secret?: string; ageSeconds?: number; tamper?: boolean } = {},
  ): CallbackDelivery => ({
    headers: {
      "content-type": "application/json; charset=utf-8",
      "persona-signature": signedBy(body, opts.secret ?? PERSONA_SECRET, opts.ageSeconds),
    },
    body: opts.tamper ? body.replace('"type":"event"', '"type": "event"') : body,
  });
  return {
    name: "persona",
    simulator,
    statuses: [
      { raw: "created", normalized: "created" },
      { raw: "pending", normalized: "pending" },
      { raw: "completed", normalized: "completed" },
      { raw: "approved", normalized: "approved" },
      { raw: "needs_review", normalized: "review" },
      { raw: "declined", normalized: "declined" },
      { raw: "expired", normalized: "expired" },
      { raw: "failed", normalized: "failed" },
    ],
    raw: { pending: "pending", approved: "approved", declined: "declined" },
    hasTimestamp: true,
    env: () => ({
      PERSONA_API_KEY: PERSONA_KEY,
      PERSONA_TEMPLATE_ID: PERSONA_TEMPLATE,
      PERSONA_WEBHOOK_SECRET: PERSONA_SECRET,
      PERSONA_API_BASE: simulator.baseUrl,
    }),
    connect: (gatewayUrl) => simulator.setWebhook(`${gatewayUrl}/persona/callback`, [PERSONA_SECRET]),
    setStatus(sessionId, raw) {
      skewMs += 1000;
      simulator.setStatus(sessionId, raw as InquiryStatus, { emit: false });
    },
    callback(sessionId, opts = {}) {
      const status = simulator.inquiries.get(sessionId)?.status ?? "approved";
      const name = status === "needs_review" ? "inquiry.marked-for-review" : `inquiry.${status}`;
      const { body } = simulator.buildEvent(sessionId, name, {
        eventId: `evt_contract${++events}${Date.now()}`,
      });
      return deliver(body, opts);
    },
    unknownEvent: () =>
      deliver(
        JSON.stringify({
          data: {
            type: "event",
            id: `evt_unknown${++events}${Date.now()}`,
            attributes: { name: "account.tag-added", payload: { data: { type: "account", id: "act_1" } } },
          },
        }),
      ),
    failApi: (n, status) => simulator.failNext(n, status),
    sessionCount: () => simulator.inquiries.size,
    close: () => simulator.close(),
  };
}
