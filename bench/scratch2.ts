import { startBenchEnvironment } from './environment';
import { canonicalReset } from '../support/reset/canonical-reset';
import { connect } from '../support/db/connect';
import { fastReset } from '../support/fastreset';
(async () => {
  const t0 = performance.now();
  const env = await startBenchEnvironment('large', (l) => console.log(l));
  console.log('env', Math.round(performance.now() - t0));
  try {
    for (let i = 0; i < 2; i++) { const r = await canonicalReset(env.target); console.log('canonical tracked', Math.round(r.ms)); }
    for (let i = 0; i < 2; i++) { const r = await canonicalReset(env.untrackedTarget); console.log('canonical untracked', Math.round(r.ms)); }
    await canonicalReset(env.target);
    const c = await connect(env.runtime);
    for (let i = 0; i < 5; i++) { const r = await fastReset(c, env.fastOptions); console.log('fast empty', r); }
    await c.end();
  } finally { await env.stop(); }
})().catch((e) => { console.error(e); process.exit(1); });
