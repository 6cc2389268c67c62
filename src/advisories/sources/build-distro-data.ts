// The distribution data builder (`npm run build:distro-data -- <command>`): extracts and converts the
// distributions' published records into advisories/distro/*.json, and CISA KEV into the reviewed records.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serializeWithRows } from '../distro-fix.js';
import { openInputTree } from './input-tree.js';
import { kevExtract, parseKevCatalog, stampKnownExploited, cvesOfRecord, type KevExtract } from './kev.js';

export const USAGE = `Usage: build-distro-data kev --from KEV_DATA   (a cisagov/kev-data checkout or mirror)
       build-distro-data build [--alma DIR] [--rocky DIR]   (offline: inputs + mirrors -> advisories/distro)
Paths are relative to the repository; --repo DIR names another checkout.`;

export interface BuilderPaths {
  repo: string;
  advisories: string;
  distro: string;
  inputs: string;
}

export function builderPaths(repo: string): BuilderPaths {
  return {
    repo,
    advisories: path.join(repo, 'advisories'),
    distro: path.join(repo, 'advisories/distro'),
    inputs: path.join(repo, 'scripts/distro-data/inputs'),
  };
}

/** The reviewed records as parsed JSON, by file name (sorted). */
export function readReviewedRecords(dir: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const n of fs.readdirSync(dir).filter((x) => x.endsWith('.json')).sort())
    out.set(n, JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as Record<string, unknown>);
  return out;
}

/** Every CVE a reviewed record names: the builder keeps distribution rows for these only. */
export function reviewedCves(dir: string): Set<string> {
  const s = new Set<string>();
  for (const r of readReviewedRecords(dir).values()) for (const c of cvesOfRecord(r)) s.add(c);
  return s;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** kev: refreshes inputs/kev.json from a kev-data copy and stamps known_exploited on the reviewed records. */
export function runKev(paths: BuilderPaths, from: string, log: (s: string) => void): KevExtract {
  const tree = openInputTree(from);
  const raw = JSON.parse(tree.read('known_exploited_vulnerabilities.json').toString('utf8')) as unknown;
  const extract = kevExtract(parseKevCatalog(raw), reviewedCves(paths.advisories), {
    repository: 'cisagov/kev-data',
    revision: tree.revision,
  });
  fs.mkdirSync(paths.inputs, { recursive: true });
  const { entries, ...meta } = extract;
  fs.writeFileSync(path.join(paths.inputs, 'kev.json'), serializeWithRows(meta, 'entries', entries));
  const dates = new Map(extract.entries.map(([cve, date]) => [cve, date]));
  let changed = 0;
  for (const [name, rec] of readReviewedRecords(paths.advisories))
    if (stampKnownExploited(rec, dates)) {
      fs.writeFileSync(path.join(paths.advisories, name), json(rec));
      changed++;
    }
  log(`kev: catalogue ${extract.catalogVersion} (${tree.revision.slice(0, 12)}): ${extract.entries.length} entries kept, ${changed} records stamped`);
  return extract;
}

export function main(argv: string[], log: (s: string) => void = (s) => process.stdout.write(s + '\n')): number {
  const [cmd, ...rest] = argv;
  const opt = (name: string): string | undefined => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const paths = builderPaths(path.resolve(opt('repo') ?? process.cwd()));
  if (cmd === 'kev') {
    const from = opt('from');
    if (!from) throw new Error('kev needs --from KEV_DATA');
    runKev(paths, from, log);
    return 0;
  }
  log(USAGE);
  return cmd === undefined || cmd === '--help' ? 0 : 2;
}
