// A real HTTP server on port 0 serving /.well-known/browserid per Host, with knobs for the failure modes discovery must survive.
//
//   const idp = await startBrowserIdIdp();
//   idp.host()                  → "127.0.0.1:<port>" (a domain that needs no resolver)
//   idp.host("example.test")    → "example.test:<port>" (point the fetcher's resolver at 127.0.0.1 to use it)
//   idp.serve(host, behaviour)  → what GET /.well-known/browserid answers for that Host (unknown hosts: 404);
//                                 pass a function of the request for per-principal (?domain=) documents, as bridges do
//   idp.requests                → every request seen: { host, path, domain (the ?domain= value) }
//   await idp.close()
// Behaviour: { document } JSON body, or { body } raw text; plus status, contentType, location (redirect),
// delayMs (before headers), hugeBytes (stream that many bytes of JSON-looking junk), trickleMs (one byte per tick).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface IdpBehaviour {
  document?: unknown;
  body?: string;
  status?: number;
  contentType?: string;
  location?: string;
  delayMs?: number;
  hugeBytes?: number;
  trickleMs?: number;
}

export interface IdpRequest {
  host: string;
  path: string;
  domain: string | null;
}

export interface BrowserIdIdp {
  port: number;
  host(name?: string): string;
  serve(host: string, behaviour: IdpBehaviour | ((request: IdpRequest) => IdpBehaviour)): void;
  forget(host: string): void;
  requests: IdpRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answer(res: ServerResponse, behaviour: IdpBehaviour): Promise<void> {
  if (behaviour.delayMs) await sleep(behaviour.delayMs);
  const headers: Record<string, string> = { "content-type": behaviour.contentType ?? "application/json" };
  if (behaviour.location) headers.location = behaviour.location;
  res.writeHead(behaviour.status ?? (behaviour.location ? 302 : 200), headers);
  if (behaviour.hugeBytes) {
    const chunk = Buffer.alloc(64 * 1024, " ");
    for (let sent = 0; sent < behaviour.hugeBytes && !res.destroyed; sent += chunk.length) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
    }
    res.end();
    return;
  }
  const body = behaviour.body ?? (behaviour.document === undefined ? "" : JSON.stringify(behaviour.document));
  if (behaviour.trickleMs) {
    for (const char of body) {
      if (res.destroyed) return;
      res.write(char);
      await sleep(behaviour.trickleMs);
    }
    res.end();
    return;
  }
  res.end(body);
}

export async function startBrowserIdIdp(): Promise<BrowserIdIdp> {
  const behaviours = new Map<string, IdpBehaviour | ((request: IdpRequest) => IdpBehaviour)>();
  const requests: IdpRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? "").toLowerCase();
    const url = new URL(req.url ?? "/", "http://placeholder");
    const request: IdpRequest = { host, path: url.pathname, domain: url.searchParams.get("domain") };
    requests.push(request);
    const configured = behaviours.get(host);
    const behaviour = typeof configured === "function" ? configured(request) : configured;
    if (url.pathname !== "/.well-known/browserid" || !behaviour) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    answer(res, behaviour).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    host: (name = "127.0.0.1") => `${name}:${port}`,
    serve: (host, behaviour) => behaviours.set(host.toLowerCase(), behaviour),
    forget: (host) => behaviours.delete(host.toLowerCase()),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
