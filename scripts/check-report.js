// Checks from a cucumber JSON report that the run really used the expected backend and write path
// (no silent fallback), and that no scenario failed, was undefined or pending.
// Usage: node scripts/check-report.js <report.json> <backend> [write-path-substring]
const { readFileSync } = require('node:fs');

const [file, backend, writePath] = process.argv.slice(2);
const report = JSON.parse(readFileSync(file, 'utf8'));
const logs = [];
const bad = [];
let scenarios = 0;
for (const feature of report) {
  for (const element of feature.elements ?? []) {
    scenarios++;
    for (const step of [...(element.before ?? []), ...(element.steps ?? []), ...(element.after ?? [])]) {
      if (['failed', 'undefined', 'pending', 'ambiguous'].includes(step.result?.status)) bad.push(`${element.name}: ${step.result.status}`);
      for (const e of step.embeddings ?? []) if (e.mime_type.includes('log')) logs.push(Buffer.from(e.data, 'base64').toString('utf8'));
    }
  }
}
const problems = [...bad];
if (!scenarios) problems.push('the report holds no scenario');
if (!logs.some((l) => l.startsWith(`backend: ${backend} `))) problems.push(`no scenario ran on the ${backend} backend`);
if (logs.some((l) => /^backend: /.test(l) && !l.startsWith(`backend: ${backend} `))) problems.push(`some scenarios ran on another backend than ${backend}`);
if (writePath && !logs.some((l) => l.includes(writePath))) problems.push(`no scenario reports the write path "${writePath}"`);
if (problems.length) {
  console.error(`${file}: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`${file}: ${scenarios} scenarios on the ${backend} backend${writePath ? `, writes through ${writePath}` : ''}: ok`);
