// Inclusive time of a .cpuprofile by call-stack pattern: node bench/lib/profile-inclusive.mjs <file> pattern...
// A sample counts for every pattern found in its stack (function name or url substring).
import { readFileSync } from "node:fs";
const [file, ...patterns] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, "utf8"));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const totals = new Map(patterns.map((x) => [x, 0]));
let busy = 0;
p.samples.forEach((id, i) => {
  const us = p.timeDeltas[i + 1] ?? 0;
  const leaf = byId.get(id).callFrame.functionName;
  if (leaf === "(idle)") return;
  busy += us;
  const hit = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const c = byId.get(n).callFrame;
    for (const x of patterns) if (c.url.includes(x) || c.functionName === x) hit.add(x);
  }
  for (const x of hit) totals.set(x, totals.get(x) + us);
});
console.log(`busy ${(busy / 1000).toFixed(0)} ms`);
for (const [x, us] of totals) console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${x}`);
