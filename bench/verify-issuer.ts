// The BrowserID issuer the /verify benchmark's gateway fetches: its support document on loopback, over https.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export interface Issuer {
  server: Server;
  port: number;
  /** The CA file the gateway must trust (NODE_EXTRA_CA_CERTS), or undefined when served over plain http. */
  caFile: string | undefined;
  serve(doc: string): void;
}

/**
 * A self-signed certificate for 127.0.0.1 made with the openssl CLI, so the gateway fetches the issuer over https
 * as in production (BROWSERID_HTTP_HOSTS is refused there); undefined when openssl is missing.
 */
function selfSignedCertificate(dir: string): { key: string; cert: string; file: string } | undefined {
  const keyFile = join(dir, "issuer-key.pem");
  const certFile = join(dir, "issuer-cert.pem");
  const made = spawnSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"],
      ...["-keyout", keyFile, "-out", certFile, "-subj", "/CN=127.0.0.1"],
      ...["-addext", "subjectAltName=IP:127.0.0.1"],
    ],
    { encoding: "utf8" },
  );
  if (made.status !== 0) return undefined;
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), file: certFile };
}

/** Serves the issuer's support document on loopback; the gateway fetches it once, then uses its cache. */
export async function startIssuer(dir: string): Promise<Issuer> {
  let document = "{}";
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith("/.well-known/browserid")) {
      res.writeHead(200, { "content-type": "application/json" }).end(document);
    } else res.writeHead(404).end();
  };
  const tls = selfSignedCertificate(dir);
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createServer(handler);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    caFile: tls?.file,
    serve: (doc) => {
      document = doc;
    },
  };
}
