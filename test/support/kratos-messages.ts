// What a blocked login must answer: Kratos' nested `messages` shape with the gateway's default message.
import { expect } from "vitest";

export function expectedBlockBody(status: string, reason = "identity_verification_blocked") {
  return {
    messages: [
      {
        instance_ptr: "#/",
        messages: [
          {
            id: 9000001,
            text: expect.stringContaining("not successful"),
            type: "error",
            context: { reason, status },
          },
        ],
      },
    ],
  };
}
