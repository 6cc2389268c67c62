// A fixture host laid over another (test/fixtures/hosts/<name>/layer.json names the base): the base's tree and
// package database, the layer's files and packages on top, and its device nodes made with mknod in the scratch copy.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeRpmDatabase, type RpmPackagesFile } from './fixture-host.js';
import type { RpmSpec } from './rpmdb.js';
import { FIXTURES } from './tree.js';

interface DeviceSpec {
  path: string;
  major: number;
  minor: number;
  mode: string;
  uid: number;
  gid: number;
}

interface Layer {
  base: string;
  /** Packages added to the base's rpm-packages.json before its database is made. */
  rpm_packages?: RpmSpec[];
  /** A file of the layer whose dpkg stanzas are appended to the base's /var/lib/dpkg/status. */
  dpkg_status_append?: string;
  /** Character devices; git cannot hold them, so the test makes them (root only). */
  devices?: DeviceSpec[];
  /** Paths of the base the layer takes away (a package the layer's host does not have). */
  remove?: string[];
  /** Owners and modes of the layer's files, merged into the base's snapshot manifest. */
  modes?: Record<string, { mode: string; uid: number; gid: number }>;
}

const LAYER_FILES = new Set(['layer.json', 'README.md']);
const canMknod = process.getuid?.() === 0;
/** Why a layered host's device nodes cannot be made here, or null when they can. */
export const DEVICES_SKIP: string | false = canMknod
  ? false
  : 'device nodes are made with mknod, which needs root (the CI suite runs as root)';

const made = new Map<string, string>();

/** The chain of fixtures from the bottom host up to name, with each one's layer (null for the bottom). */
function chain(name: string): { dir: string; layer: Layer | null }[] {
  const out: { dir: string; layer: Layer | null }[] = [];
  for (let n: string | null = name, i = 0; n !== null && i < 8; i++) {
    const dir = path.join(FIXTURES, n);
    const lf = path.join(dir, 'layer.json');
    const layer = fs.existsSync(lf) ? (JSON.parse(fs.readFileSync(lf, 'utf8')) as Layer) : null;
    out.unshift({ dir, layer });
    n = layer?.base ?? null;
  }
  return out;
}

/** The layered host as a scratch tree; a layer with devices needs DEVICES_SKIP to be false. */
export function layeredHost(name: string): string {
  const hit = made.get(name);
  if (hit) return hit;
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), `ctrsafe-layer-${name}-`));
  const layers = chain(name);
  // A later layer's package of the same name replaces the earlier one (an upgrade).
  const rpms = new Map<string, RpmSpec>();
  let rpmFormat: RpmPackagesFile | null = null;
  const modes: Record<string, { mode: string; uid: number; gid: number }> = {};
  const devices: DeviceSpec[] = [];
  for (const { dir, layer } of layers) {
    fs.cpSync(dir, dst, { recursive: true, filter: (s) => !LAYER_FILES.has(path.relative(dir, s)) });
    const rpmSpec = path.join(dir, 'rpm-packages.json');
    if (fs.existsSync(rpmSpec)) {
      const spec = JSON.parse(fs.readFileSync(rpmSpec, 'utf8')) as RpmPackagesFile;
      rpmFormat = spec;
      for (const p of spec.packages) rpms.set(p.name, p);
      fs.rmSync(path.join(dst, 'rpm-packages.json'));
    }
    if (!layer) continue;
    for (const p of layer.rpm_packages ?? []) rpms.set(p.name, p);
    for (const p of layer.remove ?? []) fs.rmSync(path.join(dst, p), { force: true, recursive: true });
    if (layer.dpkg_status_append) {
      fs.appendFileSync(
        path.join(dst, 'var/lib/dpkg/status'),
        fs.readFileSync(path.join(dir, layer.dpkg_status_append)),
      );
      fs.rmSync(path.join(dst, layer.dpkg_status_append));
    }
    Object.assign(modes, layer.modes ?? {});
    devices.push(...(layer.devices ?? []));
  }
  if (rpmFormat) writeRpmDatabase(dst, { ...rpmFormat, packages: [...rpms.values()] });
  const manifestPath = path.join(dst, '.ctrsafe-snapshot.json');
  const manifest = fs.existsSync(manifestPath)
    ? (JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { files: Record<string, unknown> })
    : null;
  for (const [p, m] of Object.entries(modes)) {
    if (manifest) manifest.files[p] = m;
    else fs.chmodSync(path.join(dst, p), parseInt(m.mode, 8));
  }
  for (const d of devices) {
    if (!canMknod) throw new Error(`${name}: ${String(DEVICES_SKIP)}`);
    const p = path.join(dst, d.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.rmSync(p, { force: true });
    execFileSync('mknod', ['-m', d.mode, p, 'c', String(d.major), String(d.minor)]);
    fs.chownSync(p, d.uid, d.gid);
    if (manifest) manifest.files[d.path] = { mode: d.mode, uid: d.uid, gid: d.gid };
  }
  if (manifest) fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  made.set(name, dst);
  return dst;
}

/** A scratch copy of a layered host (cp -a keeps its device nodes), changed by edit. */
export function variant(name: string, edit: (root: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ctrsafe-variant-${name}-`));
  execFileSync('cp', ['-a', `${layeredHost(name)}/.`, dir]);
  edit(dir);
  return dir;
}
