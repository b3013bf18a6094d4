// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof DIR`): self time per function and per package.
// usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top N]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives: an npm package, our own code, or Node itself. */
function owner(url: string): string {
  if (url === "") return "(native / V8)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith("node:")) return "node core";
  const own = /\/(dist|src|bench)\/(.+)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top N]");
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

const perFunction = new Map<string, number>();
const perOwner = new Map<string, number>();
let idle = 0;
for (const [id, us] of self) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  if (frame.functionName === "(idle)") {
    idle += us;
    continue;
  }
  const key = `${frame.functionName || "(anonymous)"}  ${owner(frame.url)}:${frame.lineNumber + 1}`;
  perFunction.set(key, (perFunction.get(key) ?? 0) + us);
  const who = frame.functionName.startsWith("(") ? frame.functionName : owner(frame.url).replace(/:.*/, "");
  perOwner.set(who, (perOwner.get(who) ?? 0) + us);
}

const busy = total - idle;
const show = (title: string, entries: Map<string, number>, n: number) => {
  console.log(`\n${title} (share of busy time)`);
  for (const [key, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${key}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((100 * busy) / total).toFixed(0)}% busy`);
show("By package / file", perOwner, 25);
show("By function (self time)", perFunction, top);
