// A reverse proxy on loopback that spreads requests round-robin over its targets and injects faults on demand:
// error answers (with Retry-After), hangs, answers lost after the target applied the request, and slowness.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Fault =
  | { kind: "none" }
  /** Answers `status` without forwarding (a proxy, rate limiter or overloaded service). */
  | { kind: "status"; status: number; retryAfterSeconds?: number }
  /** Accepts the request and never answers: the caller's timeout fires. */
  | { kind: "hang" }
  /** Forwards the request (the target applies it) and drops the answer: the caller cannot know. */
  | { kind: "lose-answer" }
  /** Forwards after a delay. */
  | { kind: "slow"; ms: number };

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** The same URL with the proxy's origin in place of its target's. */
  rewrite(url: string): string;
  setFault(fault: Fault): void;
  setTargets(origins: readonly string[]): void;
  readonly counts: { forwarded: number; faulted: number; unreachable: number };
  close(): Promise<void>;
}

export async function startFaultProxy(targets: readonly string[]): Promise<FaultProxy> {
  let origins = [...targets];
  let next = 0;
  let fault: Fault = { kind: "none" };
  const counts = { forwarded: 0, faulted: 0, unreachable: 0 };
  const sockets = new Set<Socket>();

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, answer: boolean) {
    const origin = origins[next++ % origins.length] as string;
    counts.forwarded++;
    const upstream = httpRequest(
      `${origin}${req.url ?? "/"}`,
      { method: req.method, headers: { ...req.headers, host: new URL(origin).host } },
      (reply) => {
        if (!answer) {
          reply.resume();
          return; // the request was applied; the caller never hears of it
        }
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    upstream.on("error", () => {
      counts.unreachable++;
      if (answer && !res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("bad gateway");
      }
    });
    upstream.end(body);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const current = fault;
      switch (current.kind) {
        case "none":
          return forward(req, res, body, true);
        case "status": {
          counts.faulted++;
          const headers: Record<string, string> = { "content-type": "application/json" };
          if (current.retryAfterSeconds !== undefined)
            headers["retry-after"] = String(current.retryAfterSeconds);
          res.writeHead(current.status, headers);
          return res.end(JSON.stringify({ error: { code: current.status, message: "injected fault" } }));
        }
        case "hang":
          counts.faulted++;
          return; // the socket is destroyed by the caller's timeout or by close()
        case "lose-answer":
          counts.faulted++;
          return forward(req, res, body, false);
        case "slow":
          setTimeout(() => forward(req, res, body, true), current.ms);
          return;
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    rewrite(url) {
      const parsed = new URL(url);
      return `${origin}${parsed.pathname === "/" ? "" : parsed.pathname}${parsed.search}`;
    },
    setFault(f) {
      fault = f;
    },
    setTargets(list) {
      origins = [...list];
    },
    counts,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
