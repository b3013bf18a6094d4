// `idv replay`: re-drive dead letters, or everything received in a time range; safe to run more than once.
import { randomUUID } from "node:crypto";
import { OUTBOX } from "../domain/deps.js";
import type { ReplayWindow, Store } from "../store/index.js";

export class UsageError extends Error {}

export interface ReplayRequest {
  dead: boolean;
  since?: string | undefined;
  until?: string | undefined;
}

function parseTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO 8601 date or time, got "${value}"`);
  return ms;
}

export function replayWindow(request: ReplayRequest): ReplayWindow {
  const window: ReplayWindow = {};
  const since = parseTime("since", request.since);
  const until = parseTime("until", request.until);
  if (since !== undefined) window.since = since;
  if (until !== undefined) window.until = until;
  if (since !== undefined && until !== undefined && since >= until)
    throw new UsageError("--since must be before --until");
  if (!request.dead && since === undefined)
    throw new UsageError("say what to replay: --dead (dead letters) and/or --since <time> [--until <time>]");
  return window;
}

export async function replay(store: Store, request: ReplayRequest, now: number) {
  const window = replayWindow(request);
  if (request.dead) {
    return { dead_letters: await store.replay.replayDeadLetters(window, now), window: describe(window) };
  }
  const range = await store.replay.replayRange(window, now, randomUUID(), OUTBOX.syncIdentity);
  return { range, window: describe(window) };
}

function describe(window: ReplayWindow) {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return { since: iso(window.since), until: iso(window.until) };
}
