// The layers of src/ (docs/architecture.md): a folder imports only from its own layer or the ones below it, and
// the features (fleet, gate, run) do not import one another. No import is excepted: the last debt (the CLI's and
// the fleet's renderer taking the fleet's row types from fleet/store/) went with src/schema/fleet-api.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { REPO } from '../helpers/tree.js';

/** Lowest first; the folders of one layer may import one another, except the features. */
const LAYERS: readonly (readonly string[])[] = [
  ['(root)', 'schema', 'version', 'parse', 'host', 'facts'],
  ['probe', 'runtimes', 'rules', 'image', 'advisories'],
  ['collect', 'evaluate', 'snapshot'],
  ['render'],
  ['fleet', 'gate', 'run'],
  ['cli'],
];
const FEATURES = new Set(['fleet', 'gate', 'run']);

const SRC = path.join(REPO, 'src');
const layerOf = new Map(LAYERS.flatMap((l, i) => l.map((f) => [f, i] as const)));
const folderOf = (rel: string) => (rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : '(root)');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import (static, re-export, dynamic, type-only) as "from -> to", paths relative to src/. */
function importEdges(): string[] {
  const edges: string[] = [];
  const spec = /(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(spec)) {
      const target = path.join(path.dirname(file), (m[1] ?? m[2])!).replace(/\.js$/, '.ts');
      edges.push(`${path.relative(SRC, file)} -> ${path.relative(SRC, target)}`);
    }
  }
  return edges;
}

function breaks(edge: string): string | null {
  const [from, to] = edge.split(' -> ') as [string, string];
  const a = folderOf(from);
  const b = folderOf(to);
  if (a === b) return null;
  const la = layerOf.get(a);
  const lb = layerOf.get(b);
  if (la === undefined || lb === undefined) return `${la === undefined ? a : b}/ is in no layer`;
  if (lb > la) return `${a}/ (layer ${la}) imports ${b}/ (layer ${lb}) above it`;
  if (FEATURES.has(a) && FEATURES.has(b)) return `the feature ${a}/ imports the feature ${b}/`;
  return null;
}

test('every folder of src/ is in a layer', () => {
  const folders = fs
    .readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  assert.deepEqual(
    folders.filter((f) => !layerOf.has(f)),
    [],
    'add new folders to LAYERS here and to docs/architecture.md',
  );
});

test('no import goes up a layer or across features', () => {
  const edges = importEdges();
  assert.ok(edges.length > 500, `${edges.length} imports read`);
  const broken = edges.filter((e) => breaks(e) !== null).map((e) => `${e}: ${breaks(e)}`);
  assert.deepEqual(broken, []);
});

test('the rule bites: an upward import and a cross-feature import are caught', () => {
  assert.match(breaks('version/compare-loose.ts -> collect/collect-kernel.ts')!, /above it/);
  assert.match(breaks('run/launch.ts -> fleet/push.ts')!, /the feature run\/ imports the feature fleet\//);
  assert.match(breaks('render/render-fleet.ts -> fleet/store/fleet-store.ts')!, /above it/);
  assert.equal(breaks('cli/main.ts -> fleet/push.ts'), null);
  assert.equal(breaks('collect/collect-os.ts -> host/host-root.ts'), null);
});

test("check's start-up loads no schema library: TypeBox stays on the paths that validate (fleet, gate, policies)", async () => {
  // What the bundle evaluates for `check`: the static imports of the entry point and of the check command (commands
  // are loaded by dynamic import, and so are the gate's and the fleet's parts check may call).
  const entries = ['src/cli/bin.ts', 'src/cli/check-command.ts'].map((f) => path.join(REPO, f));
  const { metafile } = await build({
    entryPoints: entries,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    outdir: path.join(REPO, 'dist/no-output'),
    external: ['better-sqlite3', 'pg'],
    logLevel: 'silent',
  });
  const inputs = metafile.inputs;
  const staticClosure = (from: string[]) => {
    const seen = new Set<string>();
    const stack = from.map((f) => path.relative(REPO, f));
    while (stack.length) {
      const f = stack.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const i of inputs[f]?.imports ?? [])
        if (i.kind === 'import-statement' && !i.external) stack.push(i.path);
    }
    return [...seen];
  };
  const loaded = staticClosure(entries);
  assert.ok(loaded.includes('src/advisories/load-advisories.ts'), `${loaded.length} modules`);
  assert.deepEqual(
    loaded.filter((f) => f.includes('node_modules/typebox/')),
    [],
  );
  // The measure bites: the gate's command reaches TypeBox (it validates its check's report).
  const gate = staticClosure([path.join(REPO, 'src/cli/gate-command.ts')]);
  assert.ok(gate.some((f) => f.includes('node_modules/typebox/')));
});
