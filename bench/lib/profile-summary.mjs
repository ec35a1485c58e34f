// Self time by function (and by file) of a .cpuprofile: node bench/lib/profile-summary.mjs <file> [top]
import { readFileSync } from "node:fs";
const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 15);
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const counts = new Map();
for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
const deltas = profile.timeDeltas;
const selfUs = new Map();
for (const [index, id] of profile.samples.entries()) selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[index + 1] ?? 0));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const shorten = (url) =>
  url
    .replace(/^file:\/\//, "")
    .replace(/.*node_modules\//, "~/")
    .replace(/.*\/work\/main\//, "");
const byFn = new Map();
const byFile = new Map();
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  const where = callFrame.url ? `${shorten(callFrame.url)}:${callFrame.lineNumber + 1}` : "(native)";
  const key = `${callFrame.functionName || "(anonymous)"}  ${where}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const fileKey = callFrame.url ? shorten(callFrame.url).replace(/^(~\/(@[^/]+\/)?[^/]+).*/, "$1") : `(${callFrame.functionName})`;
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
}
const print = (title, map) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
};
print("self time by function", byFn);
print("self time by file/package", byFile);
