// Rewrites the README's configuration table from support/config.ts SETTINGS, the one list of settings.
// Usage: node -r ts-node/register/transpile-only scripts/settings-table.js
const { readFileSync, writeFileSync } = require('node:fs');
const { SETTINGS } = require('../support/config');

const readme = readFileSync('README.md', 'utf8');
const header = '| setting | default | what it does |';
const start = readme.indexOf(header);
const end = readme.indexOf('\n\n', start);
const rows = Object.entries(SETTINGS).map(([name, s]) => `| \`${name}\` | ${s.default} | ${s.doc} |`);
writeFileSync('README.md', `${readme.slice(0, start)}${header}\n|---|---|---|\n${rows.join('\n')}${readme.slice(end)}`);
