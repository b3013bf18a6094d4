// A node:http server with one of the gateway's fast paths in front, as createApp wires them: what the fast path
// leaves alone is answered 599 and counted, so a test can tell which requests would have reached Fastify.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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

/** The loopback URL of a listening server (a Fastify app's `app.server`, say). */
export function loopbackUrl(server: { address(): unknown }): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
