// The Grafana dashboard in contrib/ (issue 18.6): no Grafana package in Debian or npm to load it into, so it is
// type-checked against Grafana's own dashboard model (@grafana/schema, generated from Grafana's schema) and checked
// for the shape an import needs, and every metric and label its PromQL names must exist in what ctrsafe exports
// (check --format prometheus on a node, /metrics of the fleet server, with GPU and InfiniBand nodes among them); docs
// name every panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderFleetMetrics } from '../../../src/fleet/server/metrics.js';
import { openStore } from '../../../src/fleet/store/open-store.js';
import { validateReport } from '../../../src/fleet/validate-report.js';
import { fixtureReport } from '../../helpers/seed-fleet.js';
import { runMain } from '../../helpers/run-main.js';
import { FIXTURES, REPO } from '../../helpers/tree.js';
import { DEVICES_SKIP, layeredHost } from '../../helpers/layered-host.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource: { uid: string } }[];
}

const dashboard = JSON.parse(
  fs.readFileSync(path.join(REPO, 'contrib/grafana/ctrsafe-fleet.json'), 'utf8'),
) as {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};

/** Metric names and, per metric, the label names its samples carry, from Prometheus text. */
function exported(text: string, into: Map<string, Set<string>>): void {
  for (const l of text.split('\n')) {
    const m = /^([a-z_][a-z0-9_]*)(?:\{([^}]*)\})? /.exec(l);
    if (!m) continue;
    const labels = into.get(m[1]!) ?? new Set<string>();
    for (const kv of (m[2] ?? '').matchAll(/([a-z_]+)="/g)) labels.add(kv[1]!);
    into.set(m[1]!, labels);
  }
}

test('the dashboard has the shape Grafana imports: uid, schema version, a datasource variable, panels on the 24-column grid', () => {
  assert.equal(dashboard.uid, 'ctrsafe-fleet');
  assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36);
  assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const known = new Set(['row', 'stat', 'timeseries', 'bargauge', 'table']);
  for (const p of dashboard.panels) {
    assert.ok(known.has(p.type), `${p.title}: panel type ${p.type}`);
    const g = p.gridPos;
    assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `${p.title}: gridPos ${JSON.stringify(g)}`);
    if (p.type === 'row') continue;
    assert.ok(p.description && p.description.length > 20, `${p.title} says what it shows`);
    assert.equal(p.datasource?.uid, '${datasource}', `${p.title} uses the datasource variable`);
    assert.ok(p.targets?.length, `${p.title} has a query`);
    for (const t of p.targets!) assert.equal(t.datasource.uid, '${datasource}');
  }
  // No two panels overlap on the grid (Grafana would move them on import).
  const cells = new Set<string>();
  for (const p of dashboard.panels)
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++)
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
        cells.add(`${x},${y}`);
      }
});

/**
 * A node and a fleet as Prometheus scrapes them: rocky9, and (as root, where their device nodes can be made) the GPU
 * and InfiniBand fixture hosts of issue 19, whose runtimes have device readiness to export.
 */
const NODES = DEVICES_SKIP ? ['rocky9'] : ['rocky9', 'gpu-nvidia-vulnerable', 'ib-low-memlock'];

test('every metric and label the PromQL names exists in what ctrsafe exports', async (ctx) => {
  const names = new Map<string, Set<string>>();
  for (const fixture of NODES) {
    const root = fixture === 'rocky9' ? path.join(FIXTURES, fixture) : layeredHost(fixture);
    const node = await runMain(['check', '--root', root, '--format', 'prometheus']);
    assert.equal(node.code, 0, node.stderr);
    exported(node.stdout, names);
  }
  const store = await openStore(
    `sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-graf-')), 'f.db')}`,
  );
  try {
    for (const [i, fixture] of NODES.entries()) {
      const raw = fixtureReport(fixture);
      const v = validateReport({
        ...raw,
        report_id: `graf-${i}`,
        host: { ...(raw.host as object), hostname: `n${i}` },
      });
      assert.ok(v.ok);
      await store.ingest(v.report, Date.now());
    }
    exported(renderFleetMetrics(await store.summary(Date.now(), 86_400_000)), names);
  } finally {
    await store.close();
  }
  // Without root the per-runtime device gauges have no samples to read their labels from.
  const unseen = (m: string) => DEVICES_SKIP && /^ctrsafe_(fleet_)?accelerator_ready/.test(m);
  if (DEVICES_SKIP) ctx.diagnostic(`GPU/RDMA readiness gauges not checked: ${DEVICES_SKIP}`);
  const promqlWords = new Set([
    'by',
    'sum',
    'count',
    'topk',
    'min',
    'max',
    'time',
    'vector',
    'sort_desc',
    'or',
  ]);
  let checked = 0;
  for (const p of dashboard.panels)
    for (const t of p.targets ?? []) {
      const metrics = [...t.expr.matchAll(/\b(ctrsafe_[a-z0-9_]+)(\{[^}]*\})?/g)].filter(
        ([, m]) => !unseen(m!),
      );
      if (!metrics.length && DEVICES_SKIP) continue;
      assert.ok(metrics.length, `${p.title}: ${t.expr} names no ctrsafe metric`);
      for (const [, metric, selector] of metrics) {
        assert.ok(names.has(metric!), `${p.title}: ${metric} is not exported`);
        for (const [, label] of (selector ?? '').matchAll(/([a-z_]+)\s*=~?/g))
          assert.ok(names.get(metric!)!.has(label!), `${p.title}: ${metric} has no label ${label}`);
        checked++;
      }
      // "by (x)" groups by labels the metrics carry.
      for (const [, list] of t.expr.matchAll(/by \(([^)]*)\)/g))
        for (const label of list!.split(',').map((s) => s.trim()))
          assert.ok(
            metrics.some(([, m]) => names.get(m!)!.has(label)) || label === 'instance',
            `${p.title}: grouped by ${label}, which no metric of it carries`,
          );
      for (const w of t.expr.match(/\b[a-z_]+(?=\s*\()/g) ?? [])
        assert.ok(promqlWords.has(w), `${p.title}: ${w}(`);
    }
  assert.ok(checked >= (DEVICES_SKIP ? 12 : 16));
});

test('docs/grafana.md describes every panel by its title', () => {
  const doc = fs.readFileSync(path.join(REPO, 'docs/grafana.md'), 'utf8');
  for (const p of dashboard.panels.filter((x) => x.type !== 'row'))
    assert.ok(doc.includes(`**${p.title}**`), `docs/grafana.md lacks the panel "${p.title}"`);
});

/**
 * The dashboard text as a TypeScript object literal typed with Grafana's Dashboard: the compiler checks every key
 * (excess properties too) and every literal union (panel and variable types) against Grafana's published model.
 */
function typeCheckAsGrafanaDashboard(json: string): { ok: boolean; output: string } {
  const dir = fs.mkdtempSync(path.join(REPO, 'dist', 'grafana-check-'));
  try {
    const file = path.join(dir, 'dashboard.ts');
    fs.writeFileSync(
      file,
      `import type { Dashboard } from '@grafana/schema';\nexport const d: Dashboard = ${json};\n`,
    );
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO, 'node_modules/typescript/bin/tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        file,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the dashboard fits Grafana's own dashboard model (@grafana/schema), and a wrong one does not", () => {
  // The model without the import envelope ("__inputs", "__requires": what Grafana's export for sharing adds around it).
  const model = Object.fromEntries(
    Object.entries(
      JSON.parse(fs.readFileSync(path.join(REPO, 'contrib/grafana/ctrsafe-fleet.json'), 'utf8')) as object,
    ).filter(([k]) => !k.startsWith('__')),
  );
  const text = JSON.stringify(model, null, 2);
  const good = typeCheckAsGrafanaDashboard(text);
  assert.ok(good.ok, good.output);
  // A misspelt panel key and a variable type Grafana does not have: both caught.
  const bad = typeCheckAsGrafanaDashboard(
    text.replace('"gridPos"', '"gridPoss"').replace('"type": "datasource"', '"type": "datasourse"'),
  );
  assert.equal(bad.ok, false);
  assert.match(bad.output, /gridPoss/);
  assert.match(bad.output, /datasourse/);
});
