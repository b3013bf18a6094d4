// Which Kratos metadata the gateway owns, and the JSON Patch that brings an identity up to date (none if unchanged).
import { isDeepStrictEqual } from "node:util";
import type { JsonPatchOp, KratosIdentity } from "./kratos-admin.js";

export interface DesiredMetadata {
  /** e.g. { bag: "metadata_admin", key: "persona", value: {...} } */
  entries: { bag: "metadata_admin" | "metadata_public"; key: string; value: unknown }[];
}

/** `add` operations (they create missing parents in Kratos) for each owned key whose value differs. */
export function metadataPatch(identity: KratosIdentity, desired: DesiredMetadata): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  for (const entry of desired.entries) {
    const bag = identity[entry.bag];
    const current = bag && typeof bag === "object" ? (bag as Record<string, unknown>)[entry.key] : undefined;
    if (!isDeepStrictEqual(current, entry.value)) {
      ops.push({ op: "add", path: `/${entry.bag}/${escapePointer(entry.key)}`, value: entry.value });
    }
  }
  return ops;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}
