// The overview's server time (issue 18: under 300 ms at 10,000 nodes with 90 days of history), beside pages that
// existed before it: the node table's first page and the summary, interleaved, medians and ratios; SQLite and,
// with BENCH_PG, PostgreSQL.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRoute } from '../src/fleet/server/read-routes.js';
import type { FleetStore } from '../src/fleet/store/fleet-store.js';
import { openStore } from '../src/fleet/store/open-store.js';
import { validateReport } from '../src/fleet/validate-report.js';
import { syntheticReport } from './synthetic-report.js';

const SIZES = (process.env.BENCH_NODES ?? '1000,10000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const DAY = 86_400_000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function fill(store: FleetStore, n: number, now: number): Promise<void> {
  const ingest = async (round: number, count: number) => {
    for (let i = 0; i < count; i += 64) {
      const batch: Promise<unknown>[] = [];
      for (let k = i; k < Math.min(i + 64, count); k++) {
        const v = validateReport(syntheticReport(k, round), Date.UTC(2027, 0, 1));
        if (!v.ok) throw new Error(v.reason);
        batch.push(store.ingest(v.report, now));
      }
      await Promise.all(batch);
    }
  };
  await ingest(0, n);
  // 90 days of roll-ups: the fleet changes once in between (odd nodes' readiness, every tenth node's kernel).
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  for (let d = 89; d >= 45; d--) await store.rollup(day(now - d * DAY));
  await ingest(1, Math.min(n, 5000));
  for (let d = 44; d >= 0; d--) await store.rollup(day(now - d * DAY));
}

const PAGES = {
  overview: '/api/v1/overview?days=90',
  'nodes page': '/api/v1/nodes?limit=100',
  summary: '/api/v1/summary',
  'plan top 5': '/api/v1/plan?limit=5',
};

async function measure(label: string, url: string, n: number): Promise<void> {
  const store = await openStore(url);
  const now = Date.now();
  await fill(store, n, now);
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(PAGES).map((k) => [k, []]));
  let bytes = 0;
  for (let r = 0; r < RUNS; r++)
    for (const [name, p] of Object.entries(PAGES)) {
      const t = process.hrtime.bigint();
      const res = await readRoute(store, new URL(`http://x${p}`), Date.now(), 3600_000);
      times[name]!.push(Number(process.hrtime.bigint() - t) / 1e6);
      if (res?.status !== 200) throw new Error(`${p}: ${res?.status}`);
      if (name === 'overview') bytes = String(res.body).length;
    }
  await store.close();
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(
    `${label}, ${n} nodes, 90 days: overview median ${m.overview!.toFixed(1)} ms (target < 300 ms, ${(bytes / 1024).toFixed(0)} KiB); ` +
      `nodes page ${m['nodes page']!.toFixed(1)} ms (overview ${(m.overview! / m['nodes page']!).toFixed(2)}x); ` +
      `summary ${m.summary!.toFixed(1)} ms (overview ${(m.overview! / m.summary!).toFixed(2)}x); ` +
      `plan top 5 ${m['plan top 5']!.toFixed(1)} ms (overview ${(m.overview! / m['plan top 5']!).toFixed(2)}x)`,
  );
}

for (const n of SIZES) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-overview-'));
  await measure('SQLite', `sqlite:${path.join(dir, 'fleet.db')}`, n);
  fs.rmSync(dir, { recursive: true, force: true });
  if (process.env.BENCH_PG) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: process.env.BENCH_PG });
    await c.connect();
    await c.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
    await c.end();
    await measure('PostgreSQL', process.env.BENCH_PG, n);
  }
}
