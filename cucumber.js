// Profiles: `default` chooses the backend automatically (local where no container runtime works);
// `live` runs the same features against an existing sandbox (npm run bdd:live).
const reports = process.env.BDD_REPORTS_DIR || 'reports';

const common = {
  requireModule: ['ts-node/register/transpile-only'],
  require: ['support/world.ts', 'support/hooks.ts', 'steps/**/*.steps.ts'],
  paths: ['features/**/*.feature'],
  format: [
    process.env.CI ? 'summary' : 'progress-bar',
    `html:${reports}/cucumber-report.html`,
    `junit:${reports}/cucumber-report.xml`,
    `json:${reports}/cucumber-report.json`,
  ],
  formatOptions: { junit: { suiteName: 'erp-sandbox-bdd' } },
  strict: true,
};

module.exports = {
  default: { ...common },
  live: { ...common, worldParameters: { backend: 'live' } },
};
