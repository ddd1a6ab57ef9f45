/** Figures of one measured operation: every run's milliseconds, and their median. */
export interface Measurement {
  name: string;
  scale: 'small' | 'large';
  /** What the operation is, for the results table. */
  what: string;
  runs: number[];
  median: number;
  /** Target from the issue, when there is one (milliseconds, median). */
  targetMs?: number;
  /** Which reference the ratios compare with: the canonical reset and the template clone of the same scale. */
  reference?: 'canonical' | 'template';
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `prepare` (not timed), then times `work`, `runs` times. `work` may return its own figure (for a
 * phase inside a larger call); otherwise the wall time of the call counts.
 */
export async function measure(
  runs: number,
  work: (run: number) => Promise<number | void>,
  prepare: (run: number) => Promise<void> = async () => undefined,
  after: (run: number) => Promise<void> = async () => undefined,
): Promise<number[]> {
  const figures: number[] = [];
  for (let run = 0; run < runs; run++) {
    await prepare(run);
    const started = performance.now();
    const own = await work(run);
    figures.push(typeof own === 'number' ? own : performance.now() - started);
    await after(run);
  }
  return figures;
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const ratio = (a: number, b?: number) => (b === undefined ? '' : a <= b ? `${(b / a).toFixed(b / a >= 10 ? 0 : 1)}x faster` : `${(a / b).toFixed(1)}x slower`);

/** One text table: median, spread, ratio against the canonical reset and the template clone of the same scale, target. */
export function renderTable(rows: Measurement[]): string {
  const reference = (scale: string, name: string) => rows.find((r) => r.scale === scale && r.name === name)?.median;
  const lines = rows.map((r) => {
    const canonical = reference(r.scale, 'canonical reset');
    const template = reference(r.scale, 'template clone (superuser, reference)');
    const isReference = r.name === 'canonical reset' || r.name.startsWith('template clone');
    return [
      `${r.scale}`,
      r.name,
      fmt(r.median),
      `${fmt(Math.min(...r.runs))} .. ${fmt(Math.max(...r.runs))} (n=${r.runs.length})`,
      isReference || r.name === 'seed' ? '' : ratio(r.median, canonical),
      isReference || r.name === 'seed' ? '' : ratio(r.median, template),
      r.targetMs === undefined ? '' : `${r.median <= r.targetMs ? 'met' : 'MISSED'} (<= ${fmt(r.targetMs)})`,
    ];
  });
  const header = ['fixture', 'operation', 'median', 'min .. max', 'vs canonical reset', 'vs template clone', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [row(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(row)].join('\n');
}
