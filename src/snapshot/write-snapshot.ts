// Writes a snapshot tree: the files the collectors read, placeholders for what they only looked at, and a manifest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import type { HostRoot } from '../host/host-root.js';
import { SafeDir } from '../host/safe-write.js';
import {
  MANIFEST_NAME,
  MANIFEST_SCHEMA,
  type ManifestFile,
  type SnapshotManifest,
} from '../host/snapshot-manifest.js';
import type { Collected } from '../collect/collect-host.js';

const MAX_COPY = 64 * 1024 * 1024;

/**
 * The snapshot directory: new (created 0755 by ctrsafe) or empty, and nobody else's to write (a user who could
 * write it could plant links for root to write through, issue 13). Everything below is written by descriptor.
 */
function openEmptyDir(outDir: string): SafeDir {
  const out = SafeDir.open(outDir, { create: 0o755 });
  if (out.list().length > 0) {
    out.close();
    throw new InputError(
      `-o ${outDir}: directory is not empty; a snapshot is written into a new or empty directory`,
    );
  }
  return out;
}

/** HOSTPATH as a name below the snapshot directory ("etc/os-release"); never above it. */
function target(hostPath: string): string {
  const rel = path.posix.normalize('/' + hostPath).replace(/^\/+/, '');
  if (rel === '' || rel.split('/').includes('..'))
    throw new InputError(`refusing to write outside the snapshot: ${hostPath}`);
  return rel;
}

/** A new file (O_EXCL|O_NOFOLLOW) in the snapshot, its parents created as ctrsafe's own directories. */
function writeNew(out: SafeDir, rel: string, data: Buffer | string): void {
  const dir = path.posix.dirname(rel);
  if (dir !== '.') fs.mkdirSync(out.at(dir), { recursive: true, mode: 0o755 });
  const fd = out.createNew(rel, 0o644);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off);
  } finally {
    fs.closeSync(fd);
  }
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
  const out = openEmptyDir(outDir);
  try {
    return fill(root, collected, out, meta);
  } finally {
    out.close();
  }
}

function fill(
  root: HostRoot,
  collected: Collected,
  out: SafeDir,
  meta: { version: string; now: Date },
): SnapshotSummary {
  const files: Record<string, ManifestFile> = {};
  let copied = 0;
  let placeholders = 0;
  const written = new Set<string>();

  const placeholder = (hostPath: string, isDir: boolean) => {
    const t = target(hostPath);
    if (written.has(hostPath) || fs.existsSync(out.at(t))) return;
    if (isDir) fs.mkdirSync(out.at(t), { recursive: true, mode: 0o755 });
    else writeNew(out, t, '');
    written.add(hostPath);
    placeholders++;
  };

  for (const a of root.accesses()) {
    if (a.path === '/' || a.path.startsWith('/' + MANIFEST_NAME)) continue;
    if (a.kind === 'read') {
      const r = root.readBytes(a.path, MAX_COPY, false);
      if (!r.ok) continue;
      // A placeholder made while listing the directory gives way to the file's copy.
      if (written.has(a.path) || fs.existsSync(out.at(target(a.path))))
        fs.rmSync(out.at(target(a.path)), { force: true });
      writeNew(out, target(a.path), r.data);
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
  out.writeFile(MANIFEST_NAME, JSON.stringify(manifest, null, 2) + '\n', 0o644);
  return { files: copied, placeholders, manifestEntries: Object.keys(files).length };
}
