// Fills a fleet store with real reports of the fixture hosts under many node names, as a cluster would send them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FleetStore } from '../../src/fleet/store/fleet-store.js';
import { validateReport } from '../../src/fleet/validate-report.js';
import { layeredHost } from './layered-host.js';
import { runCli } from './run-cli.js';
import { FIXTURES } from './tree.js';

const cache = new Map<string, string>();

/**
 * `ctrsafe check --root FIXTURE --format json`, run once per fixture; a layered fixture (a GPU or InfiniBand node)
 * is checked in its scratch tree, which needs DEVICES_SKIP to be false.
 */
export function fixtureReport(fixture: string): Record<string, unknown> {
  let out = cache.get(fixture);
  if (!out) {
    const dir = path.join(FIXTURES, fixture);
    const root = fs.existsSync(path.join(dir, 'layer.json')) ? layeredHost(fixture) : dir;
    const r = runCli(['check', '--root', root, '--format', 'json']);
    if (!r.stdout.startsWith('{')) throw new Error(`check of ${fixture} failed: ${r.stderr}`);
    out = r.stdout;
    cache.set(fixture, out);
  }
  return JSON.parse(out) as Record<string, unknown>;
}

let seq = 0;

/** One node's report from a fixture, renamed; `edit` may change it before it is validated and stored. */
export async function ingestAs(
  store: FleetStore,
  hostname: string,
  fixture: string,
  opts: { generatedAt: number; receivedAt: number; edit?: (r: Record<string, unknown>) => void },
): Promise<void> {
  const r = fixtureReport(fixture);
  r.report_id = `seed-${++seq}-${hostname.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 40)}`;
  r.generated_at = new Date(opts.generatedAt).toISOString();
  (r.host as { hostname: string }).hostname = hostname;
  opts.edit?.(r);
  const v = validateReport(r);
  if (!v.ok) throw new Error(`${hostname}: ${v.reason}`);
  await store.ingest(v.report, opts.receivedAt);
}

/** Nodes named prefix001.. from one fixture each: [prefix, count, fixture]. */
export async function seedFleet(
  store: FleetStore,
  groups: [string, number, string][],
  now: number,
): Promise<number> {
  let n = 0;
  for (const [prefix, count, fixture] of groups)
    for (let i = 1; i <= count; i++, n++)
      await ingestAs(store, `${prefix}${String(i).padStart(3, '0')}`, fixture, {
        generatedAt: now - 3600_000 + n,
        receivedAt: now - 3600_000 + n,
      });
  return n;
}
