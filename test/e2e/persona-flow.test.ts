// The whole Persona journey over real sockets: registration → inquiry → signed callback → Kratos metadata → login gate.
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEachDatabase } from "../support/databases.js";
import {
  eventually,
  type Harness,
  PERSONA_KEY,
  PERSONA_TEMPLATE,
  PUBLIC_URL,
  startHarness,
} from "../support/harness.js";
import { expectedBlockBody } from "../support/kratos-messages.js";

describeEachDatabase("Persona end to end", (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness(kind);
  });
  afterEach(async () => {
    expect(h.kratos.specViolations).toEqual([]);
    expect(h.persona.specViolations).toEqual([]);
    await h.close();
  });

  it("creates one inquiry per identity, mirrors it into Kratos, and follows the decision", async () => {
    const identity = h.kratos.createIdentity({
      email: "ada@example.com",
      name: { first: "Ada", last: "Lovelace" },
    });
    const first = await h.initiate(identity.id, { triggerId: "trigger-1" });
    expect(first.status).toBe(200);
    const body = first.json as {
      session_id: string;
      status: string;
      start_url: string;
      verification_url: string;
    };
    expect(body.session_id).toMatch(/^inq_/);
    expect(body.status).toBe("created");
    expect(body.start_url).toBe(`${PUBLIC_URL}/persona/start`);
    expect(body.verification_url).toContain(body.session_id);

    // The inquiry carries the Kratos identity as reference id.
    const inquiry = h.persona.inquiries.get(body.session_id);
    expect(inquiry?.referenceId).toBe(identity.id);

    // A Kratos retry (same trigger) and a second registration call return the same inquiry.
    const retry = await h.initiate(identity.id, { triggerId: "trigger-1" });
    const again = await h.initiate(identity.id, { triggerId: "trigger-2" });
    expect((retry.json as { session_id: string }).session_id).toBe(body.session_id);
    expect((again.json as { session_id: string }).session_id).toBe(body.session_id);
    expect(h.persona.inquiries.size).toBe(1);

    await h.drain();
    let stored = h.kratos.identities.get(identity.id);
    expect(stored?.metadata_admin).toMatchObject({
      persona: { status: "created", inquiry_id: body.session_id },
    });
    expect(stored?.metadata_public).toMatchObject({
      idv: {
        status: "created",
        provider: "persona",
        verified_at: null,
        start_url: `${PUBLIC_URL}/persona/start`,
      },
    });
    const patchesAfterInitiate = h.kratos.patchCount(identity.id);
    expect(patchesAfterInitiate).toBe(1);

    // Persona approves; the signed webhook reaches the gateway, the worker re-reads and applies it.
    const delivery = h.persona.setStatus(body.session_id, "approved");
    expect(await delivery?.done).toBe("delivered");
    await h.drain();
    stored = h.kratos.identities.get(identity.id);
    expect(stored?.metadata_admin).toMatchObject({ persona: { status: "approved" } });
    const idv = (stored?.metadata_public as { idv: { status: string; verified_at: string } } | undefined)
      ?.idv;
    if (!idv) throw new Error("metadata_public.idv missing");
    expect(idv.status).toBe("approved");
    expect(Date.parse(idv.verified_at)).not.toBeNaN();
    expect((await h.validate(identity.id)).status).toBe(200);

    // Nothing changed: replaying the work writes nothing more to Kratos.
    const patches = h.kratos.patchCount(identity.id);
    h.persona.emit(body.session_id, "inquiry.approved");
    await eventually(() => h.persona.deliveries.every((d) => d.attempts.length > 0));
    await h.drain();
    expect(h.kratos.patchCount(identity.id)).toBe(patches);
  });

  it("blocks the login of a declined identity with Kratos' message shape and revokes its sessions", async () => {
    const identity = h.kratos.createIdentity({ email: "mallory@example.com" });
    h.kratos.createSession(identity.id);
    const started = await h.initiate(identity.id);
    const inquiryId = (started.json as { session_id: string }).session_id;
    expect(await h.persona.setStatus(inquiryId, "declined")?.done).toBe("delivered");
    await h.drain();

    const answer = await h.validate(identity.id);
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual(expectedBlockBody("declined"));
    expect(h.kratos.sessionRevocations.map((r) => r.identityId)).toEqual([identity.id]);
    expect(h.kratos.identities.get(identity.id)?.metadata_admin).toMatchObject({
      persona: { status: "declined" },
    });
  });

  it("lets an identity with no verification or a pending one log in under the default policy", async () => {
    const identity = h.kratos.createIdentity({ email: "new@example.com" });
    expect((await h.validate(identity.id)).status).toBe(200);
    await h.initiate(identity.id);
    await h.drain();
    expect((await h.validate(identity.id)).status).toBe(200);
  });

  it("records an inquiry it did not create only when told to, and only from its own template", async () => {
    // Anyone who knows the (public) template id can start an inquiry in the browser with any reference id.
    const foreignInquiry = async (harness: Harness, referenceId: string, template = PERSONA_TEMPLATE) => {
      const answer = await fetch(`${harness.persona.baseUrl}/inquiries`, {
        method: "POST",
        headers: { authorization: `Bearer ${PERSONA_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          data: { attributes: { "inquiry-template-id": template, "reference-id": referenceId } },
        }),
      });
      const id = ((await answer.json()) as { data: { id: string } }).data.id;
      expect(await harness.persona.setStatus(id, "declined")?.done).toBe("delivered");
      await harness.drain();
    };
    const victim = h.kratos.createIdentity({ email: "victim@example.com" });
    h.kratos.createSession(victim.id);
    await h.initiate(victim.id);
    await h.drain();
    await foreignInquiry(h, victim.id);
    expect((await h.validate(victim.id)).status).toBe(200);
    expect(h.kratos.sessionRevocations).toEqual([]);
    expect(h.kratos.identities.get(victim.id)?.metadata_admin).toMatchObject({
      persona: { status: "created" },
    });

    const adopting = await startHarness(kind, { env: { PERSONA_ACCEPT_UNKNOWN_INQUIRIES: "true" } });
    try {
      const other = adopting.kratos.createIdentity({ email: "other-template@example.com" });
      await foreignInquiry(adopting, other.id, "itmpl_SomeoneElsesTemplate00");
      expect((await adopting.validate(other.id)).status).toBe(200);
      const user = adopting.kratos.createIdentity({ email: "own-app@example.com" });
      await foreignInquiry(adopting, user.id);
      expect((await adopting.validate(user.id)).status).toBe(403);
      expect(adopting.kratos.identities.get(user.id)?.metadata_admin).toMatchObject({
        persona: { status: "declined" },
      });
    } finally {
      await adopting.close();
    }
  });
});
