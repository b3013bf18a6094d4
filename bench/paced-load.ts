// Open-loop load at a fixed rate: request i is due at start + i/rate and its latency is counted from that due
// time, not from when it was sent, so a stalled server is charged for the requests it held back (no
// coordinated omission, unlike a closed-loop client that simply waits).
//
// It speaks HTTP/1.1 over raw keep-alive sockets, like autocannon: node:http's client costs ~100 µs per request
// on this host, and at 5,000 req/s its own queue, not the server, made the tail (a bare server "measured"
// p99 134 ms). Answers must carry a Content-Length (every server measured here sends one).
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

export interface PacedRequest {
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface PacedOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  durationSec: number;
  /** The next request to send (called once per request, in order). */
  next: () => PacedRequest;
  /** Classifies an answer; false counts as bad. */
  good: (status: number, body: string) => boolean;
  /** Most connections open at once; a request waits for a free one (and that wait counts). */
  maxSockets?: number;
  timeoutMs?: number;
}

export interface PacedResult {
  sent: number;
  /** Requests that ended, answered or failed; failed ones count in the percentiles with the time they took. */
  completed: number;
  seconds: number;
  /** Completed responses per second of the sending window. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  bad: number;
  errors: number;
  /** How late, at worst, the generator itself sent a request after its due time (its own timer jitter). */
  maxSendLagMs: number;
  generatorCpu: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

interface Job {
  due: number;
  bytes: Buffer;
  sentAt: number;
}

interface Connection {
  socket: Socket;
  buffer: Buffer;
  job: Job | undefined;
}

const HEAD_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

export function runPaced(options: PacedOptions): Promise<PacedResult> {
  const target = new URL(options.url);
  const host = target.hostname;
  const port = Number(target.port);
  const maxSockets = options.maxSockets ?? 256;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const total = Math.round(options.rate * options.durationSec);
  const latencies = new Float64Array(total);
  const intervalMs = 1000 / options.rate;
  const connections = new Set<Connection>();
  const idle: Connection[] = [];
  const waiting: Job[] = [];
  let sent = 0;
  let completed = 0;
  let bad = 0;
  let errors = 0;
  let maxSendLagMs = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();

  return new Promise((resolve) => {
    let settled = 0;
    const finish = () => {
      if (settled !== total) return;
      clearInterval(timer);
      for (const connection of connections) connection.socket.destroy();
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const sorted = latencies.slice(0, completed).sort();
      resolve({
        sent,
        completed,
        seconds: options.durationSec,
        rps: (completed - errors) / options.durationSec,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        maxMs: sorted[sorted.length - 1] ?? Number.NaN,
        bad,
        errors,
        maxSendLagMs,
        generatorCpu: (cpu.user + cpu.system) / 1e6 / seconds,
      });
    };
    // A failed request (refused, reset, timed out) still waited this long: leaving it out would flatter the tail.
    const ended = (job: Job, ok: boolean | "error") => {
      latencies[completed++] = performance.now() - job.due;
      if (ok === "error") errors++;
      else if (!ok) bad++;
      settled++;
      finish();
    };
    const assign = (connection: Connection, job: Job) => {
      connection.job = job;
      job.sentAt = performance.now();
      connection.socket.write(job.bytes);
    };
    const release = (connection: Connection) => {
      const next = waiting.shift();
      if (next) assign(connection, next);
      else idle.push(connection);
    };
    const drop = (connection: Connection) => {
      if (!connections.delete(connection)) return;
      const index = idle.indexOf(connection);
      if (index >= 0) idle.splice(index, 1);
      connection.socket.destroy();
      const job = connection.job;
      connection.job = undefined;
      if (job) ended(job, "error");
      // Whoever waits gets a fresh connection.
      const next = waiting.shift();
      if (next) dispatch(next);
    };
    const read = (connection: Connection) => {
      for (;;) {
        const end = connection.buffer.indexOf(HEAD_END);
        if (end < 0) return;
        const head = connection.buffer.toString("latin1", 0, end);
        const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? Number.NaN);
        const job = connection.job;
        if (!job || Number.isNaN(length)) return drop(connection);
        const bodyEnd = end + HEAD_END.length + length;
        if (connection.buffer.length < bodyEnd) return;
        const status = Number(head.slice(9, 12));
        const text = connection.buffer.toString("utf8", end + HEAD_END.length, bodyEnd);
        connection.buffer = connection.buffer.subarray(bodyEnd);
        connection.job = undefined;
        ended(job, options.good(status, text));
        release(connection);
      }
    };
    const open = (): Connection => {
      const socket = connect({ host, port, noDelay: true });
      const connection: Connection = { socket, buffer: Buffer.alloc(0), job: undefined };
      connections.add(connection);
      socket.on("data", (chunk: Buffer) => {
        connection.buffer =
          connection.buffer.length === 0 ? chunk : Buffer.concat([connection.buffer, chunk]);
        read(connection);
      });
      socket.on("error", () => drop(connection));
      socket.on("close", () => drop(connection));
      return connection;
    };
    const dispatch = (job: Job) => {
      const connection = idle.pop() ?? (connections.size < maxSockets ? open() : undefined);
      if (connection) assign(connection, job);
      else waiting.push(job); // the wait for a free connection counts: latency runs from the due time
    };
    const encode = ({ path, headers, body }: PacedRequest): Buffer => {
      const payload = typeof body === "string" ? Buffer.from(body) : body;
      let head = `POST ${path} HTTP/1.1\r\nhost: ${target.host}\r\n`;
      for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
      head += `content-length: ${payload.length}\r\n\r\n`;
      return Buffer.concat([Buffer.from(head, "latin1"), payload]);
    };
    // A 1 ms tick sends every request that has come due (about five per tick at 5,000 req/s), and times out
    // requests that waited too long for their answer.
    const timer = setInterval(() => {
      const now = performance.now();
      while (sent < total) {
        const due = started + sent * intervalMs;
        if (due > now) break;
        maxSendLagMs = Math.max(maxSendLagMs, now - due);
        sent++;
        dispatch({ due, bytes: encode(options.next()), sentAt: 0 });
      }
      for (const connection of connections)
        if (connection.job && now - connection.job.sentAt > timeoutMs) drop(connection);
    }, 1);
  });
}
