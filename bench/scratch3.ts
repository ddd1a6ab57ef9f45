import { startBenchEnvironment } from './environment';
import { canonicalReset } from '../support/reset/canonical-reset';
import { connect } from '../support/db/connect';
import { catalogSummarySql } from '../support/fastreset/catalog-snapshot';
import { resolveTrackingOptions } from '../support/fastreset/options';
import { writeFileSync } from 'node:fs';
(async () => {
  const env = await startBenchEnvironment('large', () => undefined);
  try {
    await canonicalReset(env.target);
    const o = resolveTrackingOptions(env.fastOptions);
    writeFileSync('/tmp/env.json', JSON.stringify({ runtime: env.runtime, su: env.superuser('erp-sandbox') }));
    const c = await connect(env.runtime);
    const time = async (label: string, sql: string) => { for (let i = 0; i < 3; i++) { const t = performance.now(); await c.query(sql); console.log(label, (performance.now() - t).toFixed(1)); } };
    await time('summary', catalogSummarySql(o));
    await time('seqs', `SELECT count(*) FROM erp_sandbox_bdd_track.bdd_track_sequences s WHERE pg_sequence_last_value(s.seq) IS DISTINCT FROM s.last_value`);
    await time('changes', `SELECT count(*) FROM erp_sandbox_bdd_track.bdd_track_changes`);
    const { rows } = await c.query(`EXPLAIN ANALYZE ${catalogSummarySql(o)}`);
    console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
    await c.end();
    if (process.env.HOLD) await new Promise((r) => setTimeout(r, Number(process.env.HOLD)));
  } finally { await env.stop(); }
})().catch((e) => { console.error(e); process.exit(1); });
