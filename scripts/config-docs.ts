// Regenerates (with --write) or checks the configuration reference in README.md.
import { readFileSync, writeFileSync } from "node:fs";
import { replaceConfigReference } from "../src/config/reference.js";

const path = new URL("../README.md", import.meta.url);
const current = readFileSync(path, "utf8");
const next = replaceConfigReference(current);
if (process.argv.includes("--write")) {
  writeFileSync(path, next);
  console.log("README.md configuration reference updated");
} else if (next !== current) {
  console.error("README.md configuration reference is out of date: run `npm run docs:config`");
  process.exit(1);
}
