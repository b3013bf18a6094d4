// Injected effects: the clock and id generator every module receives instead of reaching for globals.
import { randomUUID } from "node:crypto";

export interface Clock {
  now(): number;
}

export interface Runtime {
  clock: Clock;
  newId(): string;
  random(): number;
}

export const systemRuntime: Runtime = {
  clock: { now: () => Date.now() },
  newId: () => randomUUID(),
  random: () => Math.random(),
};
