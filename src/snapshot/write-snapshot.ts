// Writes a snapshot tree: the files the collectors read, placeholders for what they only looked at, and a manifest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import type { HostRoot } from '../host/host-root.js';
import {
  MANIFEST_NAME,
  MANIFEST_SCHEMA,
  type ManifestFile,
  type SnapshotManifest,
} from '../host/snapshot-manifest.js';
import type { Collected } from '../collect/collect-host.js';

const MAX_COPY = 64 * 1024 * 1024;

function ensureEmptyDir(out: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      fs.mkdirSync(out, { recursive: true, mode: 0o755 });
      return;
    }
    throw new InputError(`-o ${out}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (names.length > 0)
    throw new InputError(
      `-o ${out}: directory is not empty; a snapshot is written into a new or empty directory`,
    );
}

function target(out: string, hostPath: string): string {
  const t = path.join(out, path.posix.normalize('/' + hostPath));
  if (!t.startsWith(out + path.sep))
    throw new InputError(`refusing to write outside the snapshot: ${hostPath}`);
  return t;
}

export interface SnapshotSummary {
  files: number;
  placeholders: number;
  manifestEntries: number;
}

export function writeSnapshot(
  root: HostRoot,
  collected: Collected,
  outDir: string,
  meta: { version: string; now: Date },
): SnapshotSummary {
  const out = path.resolve(outDir);
  ensureEmptyDir(out);
  const files: Record<string, ManifestFile> = {};
  let copied = 0;
  let placeholders = 0;
  const written = new Set<string>();

  const placeholder = (hostPath: string, isDir: boolean) => {
    const t = target(out, hostPath);
    if (written.has(hostPath) || fs.existsSync(t)) return;
    fs.mkdirSync(isDir ? t : path.dirname(t), { recursive: true });
    if (!isDir) fs.writeFileSync(t, '');
    written.add(hostPath);
    placeholders++;
  };

  for (const a of root.accesses()) {
    if (a.path === '/' || a.path.startsWith('/' + MANIFEST_NAME)) continue;
    if (a.kind === 'read') {
      const r = root.readBytes(a.path, MAX_COPY, false);
      if (!r.ok) continue;
      const t = target(out, a.path);
      fs.mkdirSync(path.dirname(t), { recursive: true });
      fs.writeFileSync(t, r.data);
      written.add(a.path);
      copied++;
    } else if (a.kind === 'stat') {
      let st: fs.Stats;
      try {
        st = fs.statSync(root.resolve(a.path).ok ? (root.resolve(a.path) as { real: string }).real : a.path);
      } catch {
        continue;
      }
      placeholder(a.path, st.isDirectory());
      files[a.path] = { mode: (st.mode & 0o7777).toString(8).padStart(4, '0'), uid: st.uid, gid: st.gid };
      const cap = collected.caps[a.path];
      if (typeof cap === 'string') files[a.path]!.caps = cap;
    } else {
      const l = root.list(a.path, 4096);
      if (!l.ok) continue;
      placeholder(a.path, true);
      for (const n of l.names) {
        const child = path.posix.join(a.path, n);
        let isDir = false;
        try {
          isDir = fs.statSync(path.join(root.dir, child)).isDirectory();
        } catch {
          /* a dangling entry becomes an empty file */
        }
        placeholder(child, isDir);
      }
    }
  }
  const hostname = collected.facts.get('host.hostname')?.value;
  const manifest: SnapshotManifest = {
    schema: MANIFEST_SCHEMA,
    ...(typeof hostname === 'string' ? { hostname } : {}),
    taken_at: meta.now.toISOString(),
    ctrsafe_version: meta.version,
    ...(collected.probeUser ? { probe_user: collected.probeUser } : {}),
    files,
    packages: collected.rpmPackages,
    probes: collected.probes,
    commands: collected.commands,
  };
  fs.writeFileSync(path.join(out, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o644 });
  return { files: copied, placeholders, manifestEntries: Object.keys(files).length };
}
