// The report schema's cost on the fleet's ingest path: JSON.parse, the generic bounds walk and the compiled schema
// check, per report, for the benchmarks' synthetic report (2.5 KB) and real check reports of fixture hosts
// (150-200 KB), as ratios to JSON.parse of the same bytes. BENCH_BASELINE=<older dist/src/fleet/validate-report.js>
// times that build's validator on the same reports, interleaved, for a ratio to the hand-written checks it replaces.
import * as path from 'node:path';
import { runCheck } from '../src/cli/check-command.js';
import { validateReport } from '../src/fleet/validate-report.js';
import { documentProblem } from '../src/schema/check-document.js';
import { NodeReport } from '../src/schema/node-report.js';
import { median } from './interleaved.js';
import { syntheticReport } from './synthetic-report.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const FIXTURES = path.join(new URL('..', import.meta.url).pathname, '../test/fixtures/hosts');
const baseline = process.env.BENCH_BASELINE
  ? ((await import(path.resolve(process.env.BENCH_BASELINE))) as { validateReport: typeof validateReport })
  : null;

const docs: { name: string; text: string }[] = [
  { name: 'synthetic (bench)', text: JSON.stringify(syntheticReport(1, 0)) },
];
for (const host of ['rocky9', 'debian12', 'ubuntu2204']) {
  const root = path.join(FIXTURES, host);
  const { report } = await runCheck({ root, dbDir: path.join(root, 'no-store') });
  docs.push({
    name: `check of ${host}`,
    text: JSON.stringify({ ...report, host: { ...report.host, hostname: host } }),
  });
}

/** µs per call, over `n` calls. */
function perCall(f: () => unknown, n: number): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
}

console.log(
  `report validation on the ingest path: medians of ${ROUNDS} rounds, µs per report (ratio to JSON.parse)`,
);
const head = [
  'report',
  'bytes',
  'JSON.parse',
  'schema check',
  'validateReport',
  ...(baseline ? ['baseline'] : []),
];
console.log(head.map((h, i) => (i ? h.padStart(16) : h.padEnd(22))).join(''));
for (const d of docs) {
  const parsed = JSON.parse(d.text) as unknown;
  if (documentProblem(NodeReport, parsed)) throw new Error(`${d.name} does not fit the schema`);
  const n = Math.max(20, Math.round(2_000_000 / d.text.length));
  // Interleaved: each round times every candidate once, so the machine's drift falls on all alike.
  const parse: number[] = [];
  const schema: number[] = [];
  const full: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    parse.push(perCall(() => JSON.parse(d.text), n));
    schema.push(perCall(() => documentProblem(NodeReport, parsed), n));
    full.push(perCall(() => validateReport(parsed), n));
    if (baseline) base.push(perCall(() => baseline.validateReport(parsed), n));
  }
  const p = median(parse);
  const cell = (xs: number[]) => `${median(xs).toFixed(1)} (${(median(xs) / p).toFixed(2)}x)`.padStart(16);
  console.log(
    [
      d.name.padEnd(22),
      String(d.text.length).padStart(16),
      `${p.toFixed(1)}`.padStart(16),
      cell(schema),
      cell(full),
      ...(baseline ? [cell(base)] : []),
    ].join(''),
  );
}
