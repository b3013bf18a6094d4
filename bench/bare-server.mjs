// The baseline: a bare node:http server that reads the body, JSON.parses it and answers the gateway's bytes.
// Env: PORT, BARE_MODE (validate | callback), BARE_BLOCKED (validate: file with {"<identity id>": "<403 body>"}).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const mode = process.env.BARE_MODE;
const port = Number(process.env.PORT);
const JSON_TYPE = "application/json; charset=utf-8";
const ALLOW = '{"allow":true}';
const STORED = '{"received":true,"outcome":"stored"}';
// The identities the gateway blocks, so both servers send the same status and bytes for every request.
const blocked = new Map(
  Object.entries(
    mode === "validate" && process.env.BARE_BLOCKED
      ? JSON.parse(readFileSync(process.env.BARE_BLOCKED, "utf8"))
      : {},
  ),
);

function answer(response, status, body) {
  response.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(body) });
  response.end(body);
}

const server = createServer((request, response) => {
  if (request.method === "GET") return answer(response, 200, '{"status":"ready"}');
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return answer(response, 400, '{"error":"invalid_request","message":"Body is not valid JSON"}');
    }
    if (mode === "callback") return answer(response, 200, STORED);
    const block = blocked.get(body?.kratos_identity_id);
    return block === undefined ? answer(response, 200, ALLOW) : answer(response, 403, block);
  });
});
// Same keep-alive as Fastify 5, so idle sockets are treated alike.
server.keepAliveTimeout = 72_000;
server.listen(port, "127.0.0.1");
process.once("SIGTERM", () => server.close(() => process.exit(0)));
