// Times `ctrsafe db update` on export-sized inputs built in scratch (an osv.dev-style all.zip of 60,000 records, a
// zip64 one of 70,000, a Debian-tracker-style JSON of ~60 MB) against unzip and jq reading the same bytes, and the
// database load a check pays (built-in records, distribution data, an imported store). Medians of interleaved runs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBuiltinAdvisories, loadDatabase } from '../src/advisories/load-advisories.js';
import { DISTRO_FIX_JSON, ADVISORY_JSON } from '../src/advisories/database.generated.js';
import { writeZip, type ZipMemberSpec } from '../test/helpers/write-zip.js';
import { medianMs, peakMb, runInterleaved, type Cmd } from './interleaved.js';

const runs = Number(process.env.BENCH_RUNS ?? 5);
const here = path.dirname(new URL(import.meta.url).pathname);
const bin = path.join(here, '../bundle/ctrsafe.cjs');
const scratch = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'ctrsafe-dbbench-'));

/** A deterministic stream of plausible records: most for other packages, some for the kernels and runtimes kept. */
function* records(n: number, prefix: string): Generator<ZipMemberSpec> {
  const pkgs = [
    'openssl',
    'curl',
    'glibc',
    'linux',
    'runc',
    'nginx',
    'python3.11',
    'podman',
    'systemd',
    'libxml2',
  ];
  // Seven-digit ids no real CVE of these years has: a synthetic id that collides with a shipped record or row makes
  // the dry run refuse (it would change shipped data), and the benchmark would time the refusal.
  for (let i = 0; i < n; i++) {
    const pkg = pkgs[i % pkgs.length]!;
    const cve = `CVE-20${20 + (i % 6)}-${9000000 + i}`;
    const rec = {
      schema_version: '1.6.0',
      id: `${prefix}-${cve}`,
      upstream: [cve],
      published: '2025-03-01T00:00:00Z',
      modified: '2026-10-01T00:00:00Z',
      summary: `${pkg}: synthetic flaw ${i}`,
      details: 'A synthetic record of the size and shape of a distribution OSV record. '.repeat(8),
      affected: ['11', '12', '13'].map((rel) => ({
        package: { ecosystem: `Debian:${rel}`, name: pkg },
        ranges: [
          { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: `${1 + (i % 9)}.${i % 17}-${rel}` }] },
        ],
      })),
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H' }],
      references: [{ type: 'ADVISORY', url: `https://security-tracker.debian.org/tracker/${cve}` }],
    };
    yield { name: `${prefix}-${cve}.json`, data: Buffer.from(JSON.stringify(rec)) };
  }
}

function tracker(n: number): string {
  const out: Record<string, Record<string, unknown>> = {};
  const pkgs = ['linux', 'openssl', 'runc', 'curl', 'glibc', 'podman', 'nginx', 'firefox-esr'];
  for (let i = 0; i < n; i++) {
    const pkg = pkgs[i % pkgs.length]!;
    (out[pkg] ??= {})[`CVE-20${20 + (i % 6)}-${9500000 + i}`] = {
      description: 'synthetic tracker entry of the usual size',
      scope: 'local',
      releases: Object.fromEntries(
        ['bullseye', 'bookworm', 'trixie', 'sid'].map((r) => [
          r,
          {
            status: 'resolved',
            repositories: { [r]: '1.0-1' },
            fixed_version: `1.${i % 40}-1`,
            urgency: 'not yet assigned',
          },
        ]),
      ),
    };
  }
  return JSON.stringify(out);
}

const allZip = path.join(scratch, 'all.zip');
const zip64 = path.join(scratch, 'all64.zip');
const trackerJson = path.join(scratch, 'tracker.json');
writeZip(allZip, records(60_000, 'DEBIAN'));
writeZip(zip64, records(70_000, 'ZIPSIXTYFOUR'));
fs.writeFileSync(trackerJson, tracker(240_000));
const mb = (f: string) => (fs.statSync(f).size / 1048576).toFixed(1);
console.log(
  `scratch ${scratch}: all.zip ${mb(allZip)} MB (60,000 records), all64.zip ${mb(zip64)} MB (70,000 records, zip64), tracker.json ${mb(trackerJson)} MB`,
);

const db = path.join(scratch, 'db');
fs.mkdirSync(db, { mode: 0o755 });
const ctrsafe = (from: string): Cmd => ({
  name: `ctrsafe db update ${path.basename(from)} --dry-run`,
  argv: [process.execPath, bin, 'db', 'update', '--from', from, '--db', db, '--dry-run'],
});
console.log('\n-- osv.dev-style zip export');
runInterleaved(
  [
    ctrsafe(allZip),
    {
      name: 'unzip -p all.zip >/dev/null',
      argv: ['/bin/sh', '-c', `/usr/bin/unzip -p ${allZip} >/dev/null`],
    },
    { name: 'unzip -l all.zip', argv: ['/bin/sh', '-c', `/usr/bin/unzip -l ${allZip} >/dev/null`] },
  ],
  runs,
);
console.log('\n-- zip64 export (70,000 entries)');
runInterleaved(
  [
    ctrsafe(zip64),
    {
      name: 'unzip -p all64.zip >/dev/null',
      argv: ['/bin/sh', '-c', `/usr/bin/unzip -p ${zip64} >/dev/null`],
    },
  ],
  runs,
);
console.log('\n-- Debian tracker JSON');
runInterleaved(
  [
    ctrsafe(trackerJson),
    {
      name: 'jq length tracker.json',
      argv: ['/bin/sh', '-c', `/usr/bin/jq length ${trackerJson} >/dev/null`],
    },
  ],
  runs,
);

const write: Cmd = {
  name: 'db update all.zip (writing the store)',
  argv: [process.execPath, bin, 'db', 'update', '--from', allZip, '--db', db],
};
const t0 = process.hrtime.bigint();
console.log(
  `\n${write.name}: peak ${peakMb(write)?.toFixed(1) ?? '-'} MB, ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`,
);

// What a check pays to load the database: the built-in records and distribution data, and the imported store.
const builtin = medianMs(() => loadBuiltinAdvisories(), 30);
const withStore = medianMs(() => loadDatabase(db), 10);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const keep = loadBuiltinAdvisories();
gc?.();
const heap1 = process.memoryUsage().heapUsed;
const rows = keep.distro.reduce((n, s) => n + s.fixes.length, 0);
console.log(`\n-- database load (per check)`);
console.log(
  `built-in: ${keep.advisories.length} records, ${keep.distro.length} distribution sources, ${rows} rows`,
);
console.log(
  `embedded JSON: records ${(ADVISORY_JSON.length / 1024).toFixed(0)} KiB, distribution data ${(DISTRO_FIX_JSON.length / 1024).toFixed(0)} KiB`,
);
console.log(
  `loadBuiltinAdvisories median ${builtin.toFixed(2)} ms; heap held ${gc ? ((heap1 - heap0) / 1048576).toFixed(1) + ' MB' : '(run with --expose-gc)'}`,
);
console.log(`loadDatabase with the imported store median ${withStore.toFixed(2)} ms`);
fs.rmSync(scratch, { recursive: true, force: true });
