// Pooled connections: Kratos (Go's HTTP client) keeps its connection to the gateway open between logins,
// so one left idle longer than Node's 5 s default must still carry the next login, and the other routes.
import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ORY_SECRET, startHarness } from "../support/harness.js";

interface Answer {
  status: number;
  body: string;
  socket: Socket;
  reused: boolean;
}

function post(agent: Agent, url: string, path: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      {
        agent,
        method: "POST",
        headers: { "content-type": "application/json", "x-webhook-secret": ORY_SECRET },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            socket: req.socket as Socket,
            reused: req.reusedSocket,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("keep-alive", () => {
  it("keeps an idle connection open past Node's 5 s default, for the login gate and the Fastify routes", async () => {
    const h = await startHarness("sqlite");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const login = JSON.stringify({ kratos_identity_id: "7f0c7b4e-2a55-4c1e-9a4e-1f6f3a0b2c11" });
      const first = await post(agent, h.url, "/persona/validate", login);
      expect(first).toMatchObject({ status: 200, body: '{"allow":true}', reused: false });
      let closedByServer = false;
      first.socket.once("close", () => {
        closedByServer = true;
      });

      // Node closes an idle connection about 1 s after keepAliveTimeout (5 s by default): wait past both.
      await sleep(7_000);
      expect(closedByServer).toBe(false);

      const second = await post(agent, h.url, "/persona/validate", login);
      expect(second).toMatchObject({ status: 200, body: '{"allow":true}', reused: true });
      expect(second.socket).toBe(first.socket);
      // A route behind Fastify on the same connection.
      const initiate = await post(agent, h.url, "/persona/initiate", "{}");
      expect(initiate).toMatchObject({ status: 400, reused: true });
      expect(initiate.socket).toBe(first.socket);
    } finally {
      agent.destroy();
      await h.close();
    }
  }, 20_000);
});
