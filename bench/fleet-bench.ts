// Fleet store load: ingests N synthetic node reports into SQLite, then times the summary and the first node page.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openStore } from '../src/fleet/store/open-store.js';
import { validateReport } from '../src/fleet/validate-report.js';
import { syntheticReport } from './synthetic-report.js';

const N = Number(process.env.BENCH_NODES ?? 20000);

function report(i: number, round: number) {
  const raw = syntheticReport(i, round);
  const v = validateReport(raw);
  if (!v.ok) throw new Error(v.reason);
  return v.report;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-bench-'));
const store = await openStore(`sqlite:${path.join(dir, 'fleet.db')}`);
// Reports arrive concurrently at a server: 64 in flight, as the store's group commit sees them.
async function ingestAll(from: number, to: number, round: number) {
  for (let i = from; i < to; i += 64) {
    const batch: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(i + 64, to); k++) batch.push(store.ingest(report(k, round), Date.now()));
    await Promise.all(batch);
  }
}
const t0 = process.hrtime.bigint();
await ingestAll(0, N, 0);
const first = Number(process.hrtime.bigint() - t0) / 1e9;
const t1 = process.hrtime.bigint();
const M = Math.min(N, 5000);
await ingestAll(0, M, 1);
const second = Number(process.hrtime.bigint() - t1) / 1e9;
const summary: number[] = [];
const page: number[] = [];
for (let k = 0; k < 7; k++) {
  let t = process.hrtime.bigint();
  await store.summary(Date.now(), 3600_000);
  summary.push(Number(process.hrtime.bigint() - t) / 1e6);
  t = process.hrtime.bigint();
  await store.listNodes({ offset: 0, limit: 100 });
  page.push(Number(process.hrtime.bigint() - t) / 1e6);
}
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log(
  `nodes ${N}; SQLite ingest: first reports ${(N / first).toFixed(0)}/s, changed reports (transitions) ${(M / second).toFixed(0)}/s (target >= 2000/s)`,
);
console.log(
  `summary median ${median(summary).toFixed(1)} ms, first node page median ${median(page).toFixed(1)} ms (target < 200 ms)`,
);
