// Times the advisory database load and the matching per host: `check --root` on each fixture host against a
// baseline build (interleaved medians), and in process the load, index and match with the shipped distribution
// data and with synthetic data sets of 20,000 and 200,000 rows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildDistroIndex } from '../src/advisories/distro-index.js';
import type { DistroFix, DistroFixSource } from '../src/advisories/distro-fix.js';
import { hostReleases } from '../src/advisories/host-releases.js';
import { loadBuiltinAdvisories } from '../src/advisories/load-advisories.js';
import { collectHost } from '../src/collect/collect-host.js';
import { buildVulnerabilities } from '../src/evaluate/build-vulnerabilities.js';
import { HostRoot } from '../src/host/host-root.js';
import { fixtureHost } from '../test/helpers/fixture-host.js';
import { medianMs, runInterleaved, type Cmd } from './interleaved.js';

const runs = Number(process.env.BENCH_RUNS ?? 11);
const here = path.dirname(new URL(import.meta.url).pathname);
const bin = path.join(here, '../bundle/ctrsafe.cjs');
const baseline = process.env.BASELINE ?? '/work/main/dist/bundle/ctrsafe.cjs';
const HOSTS = (process.env.BENCH_HOSTS ?? 'rocky8,rocky9,debian12,ubuntu2204,sles15sp3').split(',');

/** `size` rows over every CVE of the database, 41 releases and 5 source packages each. */
function synthetic(cves: string[], size: number): DistroFixSource {
  const ecos = [
    ...['7', '8', '9', '10'].flatMap((m) => [
      `AlmaLinux:${m}`,
      `Rocky Linux:${m}`,
      `Red Hat:enterprise_linux:${m}`,
    ]),
    ...['8.4', '8.6', '8.8', '9.0', '9.2', '9.4'].flatMap((s) => [
      `Red Hat:rhel_eus:${s}`,
      `Red Hat:rhel_e4s:${s}`,
    ]),
    ...['10', '11', '12', '13'].map((d) => `Debian:${d}`),
    ...['18.04', '20.04', '22.04', '24.04'].flatMap((u) => [`Ubuntu:${u}:LTS`, `Ubuntu:Pro:${u}:LTS`]),
    ...['12 SP5', '15 SP3', '15 SP4', '15 SP5', '15 SP6'].map((s) => `SUSE:Linux Enterprise Server ${s}`),
  ];
  const pkgs = ['kernel', 'linux', 'runc', 'podman', 'crun'];
  const fixes: DistroFix[] = [];
  for (let i = 0; fixes.length < size; i++)
    for (const eco of ecos)
      for (const p of pkgs)
        fixes.push({
          cve: cves[i % cves.length]!,
          ecosystem: eco,
          package: `${p}${i >= cves.length ? `-${i}` : ''}`,
          status: 'fixed',
          fixed: `1.${i}-1`,
        });
  return {
    schema: 'ctrsafe.distro-fixes/1',
    id: 'synthetic',
    publisher: 'bench',
    repository: 'bench',
    revision: '0',
    date: '2026-01-01',
    license: 'none',
    fixes,
  };
}

const cmds: Cmd[] = [];
for (const h of HOSTS) {
  const root = fixtureHost(h);
  cmds.push({
    name: `new ${h}`,
    argv: [process.execPath, bin, 'check', '--root', root, '--format', 'json', '--db', '/nonexistent'],
  });
  if (fs.existsSync(baseline))
    cmds.push({
      name: `old ${h}`,
      argv: [process.execPath, baseline, 'check', '--root', root, '--format', 'json', '--db', '/nonexistent'],
    });
}
if (!fs.existsSync(baseline)) console.log(`no baseline build at ${baseline} (BASELINE=path/to/ctrsafe.cjs)`);
const medians = runInterleaved(cmds, runs);
console.log('\ncheck --root per host, median ms (new / old):');
for (const h of HOSTS) {
  const n = medians.get(`new ${h}`)!;
  const o = medians.get(`old ${h}`);
  console.log(
    `  ${h.padEnd(12)} ${n.toFixed(0).padStart(5)}${o ? ` / ${o.toFixed(0).padStart(5)}  ratio ${(n / o).toFixed(2)}` : ''}`,
  );
}

console.log('\nin process, median ms:');
const load = medianMs(() => loadBuiltinAdvisories(), 15);
const db = loadBuiltinAdvisories();
console.log(
  `  load the built-in database (${db.advisories.length} records, ${db.distro.reduce((s, d) => s + d.fixes.length, 0)} distribution rows): ${load.toFixed(1)}`,
);
const cves = [
  ...new Set(db.advisories.flatMap((a) => [a.id, ...a.aliases]).filter((x) => x.startsWith('CVE-'))),
];
// A full extract of the database's CVEs over some 40 releases is of the order of 10,000-20,000 rows.
const mid = synthetic(cves, 20_000);
const big = synthetic(cves, 200_000);
for (const h of HOSTS) {
  const root = HostRoot.open(fixtureHost(h));
  const collected = await collectHost({ root });
  const facts = collected.facts;
  const os = [
    String(facts.get('os.id')?.value ?? ''),
    String(facts.get('os.version_id')?.value ?? ''),
  ] as const;
  const shipped = medianMs(() => buildVulnerabilities(db.advisories, facts, db.distro), 15);
  const withMid = medianMs(() => buildVulnerabilities(db.advisories, facts, [...db.distro, mid]), 11);
  const withBig = medianMs(() => buildVulnerabilities(db.advisories, facts, [...db.distro, big]), 7);
  const index = medianMs(() => buildDistroIndex([big], db.advisories, hostReleases(os[0], os[1], null)), 7);
  console.log(
    `  ${h.padEnd(12)} match: shipped data ${shipped.toFixed(1)}, +20,000 rows ${withMid.toFixed(1)}, +200,000 rows ${withBig.toFixed(1)} (indexing ${index.toFixed(1)})`,
  );
}
