// The login policy: blocked statuses, unverified identities, and failing closed (or open) when the store is down.
import { describe, expect, it } from "vitest";
import { createLoginGate, type LoginPolicy } from "./login-gate.js";

const policy = (over: Partial<LoginPolicy> = {}): LoginPolicy => ({
  blockStatuses: new Set(["declined"]),
  failOpen: false,
  blocked: { id: 9000001, text: "Verification failed." },
  unavailable: { id: 9000002, text: "Try again later." },
  readTimeoutMs: 1000,
  ...over,
});
const statuses: Record<string, string> = { approved: "approved", declined: "declined", review: "review" };
const read = async (id: string) => statuses[id];
const broken = async () => {
  throw new Error("SQLITE_IOERR");
};

describe("login gate", () => {
  it("blocks only the configured statuses by default, and lets unverified identities in", async () => {
    const gate = createLoginGate(policy(), read);
    expect(await gate("approved")).toEqual({ allow: true, status: "approved" });
    expect(await gate("review")).toEqual({ allow: true, status: "review" });
    expect(await gate("nobody")).toEqual({ allow: true, status: "unverified" });
    const blocked = await gate("declined");
    expect(blocked.allow).toBe(false);
    if (blocked.allow) return;
    expect(JSON.parse(blocked.body)).toEqual({
      messages: [
        {
          instance_ptr: "#/",
          messages: [
            {
              id: 9000001,
              text: "Verification failed.",
              type: "error",
              context: { reason: "identity_verification_blocked", status: "declined" },
            },
          ],
        },
      ],
    });
  });

  it("can require approval by blocking everything else, including unverified", async () => {
    const gate = createLoginGate(
      policy({
        blockStatuses: new Set([
          "unverified",
          "created",
          "pending",
          "review",
          "declined",
          "failed",
          "expired",
        ]),
      }),
      read,
    );
    expect((await gate("approved")).allow).toBe(true);
    expect((await gate("review")).allow).toBe(false);
    expect((await gate("nobody")).allow).toBe(false);
  });

  it("counts a read that hangs past its time as the store being unavailable", async () => {
    const hung = () => new Promise<string | undefined>(() => {});
    expect(await createLoginGate(policy({ readTimeoutMs: 50 }), hung)("approved")).toMatchObject({
      allow: false,
      reason: "store_unavailable",
    });
    expect(await createLoginGate(policy({ readTimeoutMs: 50, failOpen: true }), hung)("approved")).toEqual({
      allow: true,
      status: "unknown",
    });
  });

  it("fails closed when the store cannot be read, or open when configured so", async () => {
    const closed = await createLoginGate(policy(), broken)("approved");
    expect(closed).toMatchObject({ allow: false, reason: "store_unavailable" });
    if (!closed.allow)
      expect(JSON.parse(closed.body).messages[0].messages[0]).toEqual({
        id: 9000002,
        text: "Try again later.",
        type: "error",
        context: { reason: "identity_verification_unavailable", status: "unknown" },
      });
    expect(await createLoginGate(policy({ failOpen: true }), broken)("approved")).toEqual({
      allow: true,
      status: "unknown",
    });
  });
});
