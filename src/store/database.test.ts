// How the SQLite handle is set up: the pragmas the durability and latency settings promise.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";

describe("SQLite handle", () => {
  const dir = mkdtempSync(join(tmpdir(), "idv-db-"));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("runs in WAL mode with the configured synchronous level and checkpoint threshold", async () => {
    const open = openDatabase({
      sqlitePath: join(dir, "a.db"),
      sqliteSynchronous: "FULL",
      sqliteWalAutocheckpoint: 20_000,
      poolSize: 1,
    });
    try {
      if (open.raw.kind !== "sqlite") throw new Error("expected SQLite");
      const pragma = (name: string) =>
        open.raw.kind === "sqlite" && open.raw.sqlite.pragma(name, { simple: true });
      expect(pragma("journal_mode")).toBe("wal");
      expect(pragma("synchronous")).toBe(2); // FULL
      expect(pragma("wal_autocheckpoint")).toBe(20_000);
    } finally {
      await open.close();
    }
  });

  it("keeps SQLite's own checkpoint threshold when none is configured", async () => {
    const open = openDatabase({ sqlitePath: join(dir, "b.db"), sqliteSynchronous: "NORMAL", poolSize: 1 });
    try {
      if (open.raw.kind !== "sqlite") throw new Error("expected SQLite");
      expect(open.raw.sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    } finally {
      await open.close();
    }
  });
});
