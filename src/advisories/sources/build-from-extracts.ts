// Builder steps for sources read one record at a time (too large to take whole): the kept extracts as sources.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DistroFixSource } from '../distro-fix.js';
import { minimizeFixes } from './merge-fixes.js';
import { fixesFromRedHatExtract, type RedHatExtract } from './redhat-security-data.js';

export function readJsonFiles<T>(dir: string): T[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as T);
}

export const readRedHatExtracts = (dir: string) => readJsonFiles<RedHatExtract>(dir);

/** The revision of a set of per-record extracts: a digest of the records' repository paths and commits. */
export function extractsRevision(sources: { repository: string; path: string; commit: string }[]): string {
  const h = createHash('sha256');
  for (const s of [...sources].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(`${s.repository} ${s.path} ${s.commit}\n`);
  return `sha256:${h.digest('hex')} of ${sources.length} records (scripts/distro-data/inputs)`;
}

export function buildRedHat(extracts: readonly RedHatExtract[], keep: ReadonlySet<string>): DistroFixSource {
  const mine = extracts.filter((x) => keep.has(x.cve));
  const fixes = minimizeFixes(mine.flatMap(fixesFromRedHatExtract));
  return {
    schema: 'ctrsafe.distro-fixes/1',
    id: 'redhat-security-data',
    publisher: 'Red Hat Product Security (Security Data API, per CVE)',
    repository: 'https://github.com/aquasecurity/vuln-list-redhat (api/YYYY/CVE-*.json, one record at a time)',
    revision: extractsRevision(mine.map((x) => x.source)),
    date: fixes.reduce((d, f) => (f.date && f.date > d ? f.date : d), '1970-01-01'),
    license: 'CC-BY-4.0',
    fixes,
  };
}
