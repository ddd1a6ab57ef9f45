// Checks from a cucumber JSON report that the run really used the expected backend and write path
// (no silent fallback), that no scenario failed, was undefined or pending, and that every skipped
// scenario says why.
// Usage: node scripts/check-report.js <report.json> <backend> [write-path-substring]
const { readFileSync } = require('node:fs');

const [file, backend, writePath] = process.argv.slice(2);
const report = JSON.parse(readFileSync(file, 'utf8'));
const logs = [];
const bad = [];
let scenarios = 0;
let skipped = 0;
for (const feature of report) {
  for (const element of feature.elements ?? []) {
    scenarios++;
    const steps = [...(element.before ?? []), ...(element.steps ?? []), ...(element.after ?? [])];
    const own = [];
    for (const step of steps) {
      if (['failed', 'undefined', 'pending', 'ambiguous'].includes(step.result?.status)) bad.push(`${element.name}: ${step.result.status}`);
      for (const e of step.embeddings ?? []) if (e.mime_type.includes('log')) own.push(Buffer.from(e.data, 'base64').toString('utf8'));
    }
    logs.push(...own);
    if (steps.some((s) => s.result?.status === 'skipped') && !steps.some((s) => s.result?.status === 'failed')) {
      skipped++;
      if (!own.some((l) => l.startsWith('Skipped: '))) bad.push(`${element.name}: skipped without a reason`);
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
console.log(`${file}: ${scenarios} scenarios (${skipped} skipped, each with its reason) on the ${backend} backend${writePath ? `, writes through ${writePath}` : ''}: ok`);
