// Daily roll-ups of the fleet counters (issue 18.3): the trend charts read these, never a scan of the reports.
import type { SqlDriver } from './sql-driver.js';

/**
 * What a day keeps: nodes, nodes with an affected or critical-failing state, nodes per affected severity, each
 * runtime's verdicts, nodes per kernel release, and per advisory the nodes it affects (status "affected" only).
 */
const KEPT = ['nodes', 'vulnerable_nodes', 'critical_nodes', 'severity_nodes', 'verdict', 'kernel'];
const KEPT_SQL = `(metric IN (${KEPT.map((m) => `'${m}'`).join(', ')}) OR (metric = 'vuln' AND k2 = 'affected'))`;

/** Roll-ups older than this many days are dropped at each roll-up: a year and a month of trend. */
export const ROLLUP_KEEP_DAYS = 400;

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Makes `day`'s roll-up equal the counters now, inside the caller's transaction: rows upserted, rows whose counter
 * is gone deleted. Idempotent, and safe when two servers on one PostgreSQL roll up the same day at once (no
 * delete-then-insert race on the primary key).
 */
export async function rollUp(tx: SqlDriver, day: string): Promise<void> {
  await tx.run(
    `INSERT INTO daily_counts (day, metric, k1, k2, n) SELECT ?, metric, k1, k2, n FROM fleet_counts WHERE n > 0 AND ${KEPT_SQL}
     ON CONFLICT (day, metric, k1, k2) DO UPDATE SET n = excluded.n`,
    [day],
  );
  await tx.run(
    `DELETE FROM daily_counts WHERE day = ? AND NOT EXISTS (SELECT 1 FROM fleet_counts c WHERE c.metric = daily_counts.metric
       AND c.k1 = daily_counts.k1 AND c.k2 = daily_counts.k2 AND c.n > 0)`,
    [day],
  );
  const oldest = utcDay(Date.parse(`${day}T00:00:00Z`) - ROLLUP_KEEP_DAYS * 86_400_000);
  await tx.run('DELETE FROM daily_counts WHERE day < ?', [oldest]);
}

export interface Trend {
  /** Every day of the window, oldest first (UTC dates). */
  days: string[];
  /** Per series, one value per day; null before the first roll-up (no data, not zero). */
  nodes: (number | null)[];
  vulnerable_nodes: (number | null)[];
  severity_nodes: Record<string, (number | null)[]>;
  /** Per runtime and verdict. */
  verdicts: Record<string, Record<string, (number | null)[]>>;
}

/**
 * The last `days` days up to `today` from the roll-ups. A day without a roll-up of its own carries the one before:
 * the counters only move when reports arrive, so a day without reports kept the state of the day before.
 */
export async function readTrend(db: SqlDriver, today: string, days: number): Promise<Trend> {
  const end = Date.parse(`${today}T00:00:00Z`);
  const all = Array.from({ length: days }, (_, i) => utcDay(end - (days - 1 - i) * 86_400_000));
  const from = all[0]!;
  const seed = (
    await db.all<{ d: string | null }>('SELECT MAX(day) AS d FROM daily_counts WHERE day < ?', [from])
  )[0]?.d;
  const rows = await db.all<{ day: string; metric: string; k1: string; k2: string; n: unknown }>(
    `SELECT day, metric, k1, k2, n FROM daily_counts WHERE day >= ? AND day <= ?
       AND metric IN ('nodes', 'vulnerable_nodes', 'severity_nodes', 'verdict') ORDER BY day`,
    [seed ?? from, today],
  );
  const byDay = new Map<string, typeof rows>();
  for (const r of rows) byDay.set(r.day, [...(byDay.get(r.day) ?? []), r]);
  const t: Trend = { days: all, nodes: [], vulnerable_nodes: [], severity_nodes: {}, verdicts: {} };
  const series = (into: Record<string, (number | null)[]>, k: string) => (into[k] ??= all.map(() => null));
  const known = [...byDay.keys()].sort();
  let at = -1;
  all.forEach((day, i) => {
    while (at + 1 < known.length && known[at + 1]! <= day) at++;
    const src = at >= 0 ? byDay.get(known[at]!)! : null;
    t.nodes.push(src ? 0 : null);
    t.vulnerable_nodes.push(src ? 0 : null);
    for (const r of src ?? []) {
      const n = Number(r.n);
      if (r.metric === 'nodes') t.nodes[i] = n;
      else if (r.metric === 'vulnerable_nodes') t.vulnerable_nodes[i] = n;
      else if (r.metric === 'severity_nodes') series(t.severity_nodes, r.k1)[i] = n;
      else if (r.metric === 'verdict') series((t.verdicts[r.k1] ??= {}), r.k2)[i] = n;
    }
  });
  // A series that exists on some days is zero, not unknown, on the days with a roll-up that lacks it.
  const fill = (s: (number | null)[]) => s.forEach((v, i) => v === null && t.nodes[i] !== null && (s[i] = 0));
  Object.values(t.severity_nodes).forEach(fill);
  for (const rt of Object.values(t.verdicts)) Object.values(rt).forEach(fill);
  return t;
}

/** One kept counter over the window (an advisory's affected nodes, a kernel's nodes), from the roll-ups alone. */
export async function readSeries(
  db: SqlDriver,
  metric: 'vuln' | 'kernel' | 'verdict' | 'severity_nodes',
  k1: string,
  today: string,
  days: number,
): Promise<{ day: string; n: number }[]> {
  const from = utcDay(Date.parse(`${today}T00:00:00Z`) - (days - 1) * 86_400_000);
  const rows = await db.all<{ day: string; n: unknown }>(
    `SELECT day, SUM(n) AS n FROM daily_counts WHERE metric = ? AND k1 = ? AND day >= ? AND day <= ?${metric === 'vuln' ? " AND k2 = 'affected'" : ''}
     GROUP BY day ORDER BY day`,
    [metric, k1, from, today],
  );
  return rows.map((r) => ({ day: r.day, n: Number(r.n) }));
}
