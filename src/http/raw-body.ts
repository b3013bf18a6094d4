// Reads a request body on the routes served ahead of Fastify (login gate, /verify): size-capped, one buffer.
import type { IncomingMessage } from "node:http";

export interface BodyHandlers {
  /** The whole body (the chunk itself when it came in one piece). */
  onBody(body: Buffer): void;
  /** The body grew past the limit; nothing more is read into memory. */
  onTooLarge(): void;
}

export function readLimitedBody(req: IncomingMessage, limit: number, handlers: BodyHandlers): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  req.on("data", (chunk: Buffer) => {
    if (done) return;
    size += chunk.length;
    if (size > limit) {
      done = true;
      handlers.onTooLarge();
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (done) return;
    done = true;
    handlers.onBody(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
  });
  req.on("error", () => {
    done = true;
  });
}
