// The checkpoint thread: the log reaches the database file without the writer checkpointing, the thread
// stops with the store, and a failing checkpoint is reported once and its recovery too.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { startCheckpointer } from "./checkpointer.js";
import { openDatabase } from "./database.js";

const dir = mkdtempSync(join(tmpdir(), "idv-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(condition: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Writes ~2 MB through the store's own handle, in commits too small to reach the writer's threshold. */
async function openAndWrite(name: string, intervalMs: number) {
  const path = join(dir, name);
  const open = openDatabase({
    sqlitePath: path,
    sqliteSynchronous: "NORMAL",
    // Far above what is written: only the thread can move the log into the database file.
    sqliteWalAutocheckpoint: 100_000,
    sqliteCheckpointIntervalMs: intervalMs,
    poolSize: 1,
  });
  if (open.raw.kind !== "sqlite") throw new Error("expected SQLite");
  await sql`create table t (id integer primary key, body text)`.execute(open.db);
  const sqlite = open.raw.sqlite;
  const insert = sqlite.prepare("insert into t (body) values (?)");
  for (let i = 0; i < 100; i++) sqlite.transaction(() => insert.run("x".repeat(20_000)))();
  return { open, path };
}

describe("SQLite checkpoint thread", () => {
  it("copies committed pages into the database file while the writer never checkpoints", async () => {
    const without = await openAndWrite("inline.db", 0);
    const withThread = await openAndWrite("thread.db", 20);
    try {
      await until(() => statSync(withThread.path).size > 1_500_000, "the thread's checkpoint grew the file");
      // Without the thread, the same writes stay in the log.
      expect(statSync(without.path).size).toBeLessThan(100_000);
      expect(statSync(`${without.path}-wal`).size).toBeGreaterThan(1_500_000);
    } finally {
      await without.open.close();
      await withThread.open.close();
    }
  });

  it("stops with the store, leaving the writer's close the last one (which removes the log)", async () => {
    const { open, path } = await openAndWrite("close.db", 20);
    await until(() => statSync(path).size > 1_500_000, "the thread checkpointed");
    await open.close();
    // A connection still open in the thread would have kept the log.
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("reports a checkpoint that fails once, retries, and reports its recovery", async () => {
    const path = join(dir, "later.db");
    const failures: string[] = [];
    let recovered = 0;
    const checkpointer = startCheckpointer({
      path,
      synchronous: "NORMAL",
      intervalMs: 10,
      onFailure: (message) => failures.push(message),
      onRecovery: () => recovered++,
    });
    try {
      await until(() => failures.length > 0, "the missing file was reported");
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/SQLITE_CANTOPEN/);
      const db = new SQLite(path);
      db.pragma("journal_mode = WAL");
      db.close();
      await until(() => recovered === 1, "the recovery was reported");
      expect(failures).toHaveLength(1);
    } finally {
      await checkpointer.close();
    }
  });
});
