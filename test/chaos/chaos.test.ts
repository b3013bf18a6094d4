// The short chaos run in the regular suite: every fault kind, 1 replica on SQLite and 2 on PostgreSQL;
// nothing acknowledged may be lost, applied twice or end in the wrong state. `npm run chaos` is the long one.
import { describe, expect, it } from "vitest";
import { runChaos } from "./chaos.js";
import { postgresUnavailable } from "./postgres-cluster.js";
import { type ChaosReport, formatReports } from "./report.js";
import { volumeUnavailable } from "./sqlite-volume.js";

const noPostgres = postgresUnavailable();
const noVolume = volumeUnavailable();
if (noPostgres) console.warn(`skipping the PostgreSQL chaos run: ${noPostgres}`);
if (noVolume) console.warn(`chaos on SQLite runs without the disk faults: ${noVolume}`);

function expectNothingWrong(report: ChaosReport) {
  console.log(formatReports([report]));
  expect(report.problems).toEqual([]);
  expect(report).toMatchObject({ lost: 0, appliedTwice: 0, wrongFinalStatus: 0, wrongLogins: 0, crashes: 0 });
  expect(report.unacknowledged).toBe(0);
  expect(report.accepted).toBe(report.eventsSent);
  expect(report.duplicatesAbsorbed).toBeGreaterThan(0);
  // The faults really happened during the run.
  expect(report.faults.kills).toBeGreaterThan(0);
  expect(report.faults.kratosWindows).toBeGreaterThan(0);
  expect(report.faults.providerWindows).toBeGreaterThan(0);
}

describe("chaos (short)", () => {
  it("one replica on SQLite: kills, Kratos and provider outages, a full and a read-only volume", async () => {
    const report = await runChaos({
      database: "sqlite",
      replicas: 1,
      identities: 24,
      ratePerSecond: 3,
      faults: ["kill", "kratos", "provider", ...(noVolume ? [] : (["disk"] as const))],
      seed: 7,
      maxFaultMs: 60_000,
    });
    expectNothingWrong(report);
    if (!noVolume) {
      expect(report.faults.diskFull).toBeGreaterThan(0);
      expect(report.faults.diskReadOnly).toBeGreaterThan(0);
      expect(report.faults.readyDuringOutage.every((status) => status === 503)).toBe(true);
      expect(report.refused503).toBeGreaterThan(0); // refused, not acknowledged and dropped
    }
  }, 240_000);

  it.skipIf(noPostgres)(
    "two replicas sharing PostgreSQL: kills, Kratos and provider outages, PostgreSQL restarts",
    async () => {
      const report = await runChaos({
        database: "postgres",
        replicas: 2,
        identities: 36,
        ratePerSecond: 3,
        faults: ["kill", "kratos", "provider", "postgres"],
        seed: 11,
        maxFaultMs: 60_000,
      });
      expectNothingWrong(report);
      expect(report.faults.postgresRestarts).toBeGreaterThan(0);
    },
    240_000,
  );
});
