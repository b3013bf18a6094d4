// A node:http server with one of the gateway's fast paths in front, as createApp wires them: what the fast path
// leaves alone is answered 599 and counted, so a test can tell which requests would have reached Fastify.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";

export interface FastPathServer {
  url: string;
  /** Requests the fast path returned false for. */
  fallbacks(): number;
  close(): Promise<void>;
}

export async function serveFastPath(
  handle: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<FastPathServer> {
  let fallbacks = 0;
  const server = createServer((req, res) => {
    if (handle(req, res)) return;
    fallbacks++;
    res.writeHead(599).end();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fallbacks: () => fallbacks,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

export interface SideBySide {
  /** The Fastify app's URL. */
  slowUrl: string;
  /** The fast path's URL. */
  fastUrl: string;
  fallbacks(): number;
  close(): Promise<void>;
}

/**
 * A Fastify app serving the routes and a node:http server with the fast path for them, both listening: tests
 * send both the same request and compare the answers byte for byte.
 */
export async function serveSideBySide(
  slow: FastifyInstance,
  fastPath: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<SideBySide> {
  const slowUrl = await slow.listen({ port: 0, host: "127.0.0.1" });
  const fast = await serveFastPath(fastPath);
  return {
    slowUrl,
    fastUrl: fast.url,
    fallbacks: fast.fallbacks,
    async close() {
      await slow.close();
      await fast.close();
    },
  };
}
