// A fixture host with the package database a real node has: its rpm-packages.json made into an RPM database with
// rpmbuild and rpm (SQLite for EL9, Berkeley DB for EL7/EL8 and SLES 12, ndb for SLES 15), once per test process.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { berkeleyDatabase, ndbDatabase, rpmDatabase, type RpmSpec } from './rpmdb.js';
import { FIXTURES } from './tree.js';

export interface RpmPackagesFile {
  format: 'sqlite' | 'bdb' | 'ndb';
  dir: string;
  packages: RpmSpec[];
}

const made = new Map<string, string>();

export function fixtureHost(name: string): string {
  const src = path.join(FIXTURES, name);
  const spec = path.join(src, 'rpm-packages.json');
  if (!fs.existsSync(spec)) return src;
  const hit = made.get(name);
  if (hit) return hit;
  const f = JSON.parse(fs.readFileSync(spec, 'utf8')) as RpmPackagesFile;
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), `ctrsafe-host-${name}-`));
  fs.cpSync(src, dst, { recursive: true });
  writeRpmDatabase(dst, f);
  made.set(name, dst);
  return dst;
}

/** Makes the host's RPM database under root in the format its release uses. */
export function writeRpmDatabase(root: string, f: RpmPackagesFile): void {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-rpmdb-'));
  rpmDatabase(scratch, f.packages);
  const sqlite = path.join(scratch, 'rpmdb.sqlite');
  const dir = path.join(root, f.dir);
  fs.mkdirSync(dir, { recursive: true });
  if (f.format === 'sqlite') fs.copyFileSync(sqlite, path.join(dir, 'rpmdb.sqlite'));
  else if (f.format === 'bdb') berkeleyDatabase(sqlite, dir, { type: 'hash' });
  else ndbDatabase(sqlite, path.join(dir, 'Packages.db'));
  fs.rmSync(scratch, { recursive: true, force: true });
}
