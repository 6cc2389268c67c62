// The metadata file at the top of a host tree: what a copied tree cannot carry (modes, owners, capabilities, probe results).
import type { ProbeResult } from '../facts/probe-result.js';

export const MANIFEST_NAME = '.ctrsafe-snapshot.json';
export const MANIFEST_SCHEMA = 'ctrsafe.snapshot/1';
const MAX_ENTRIES = 20000;

export interface ManifestFile {
  /** Four-digit octal permission string, e.g. "4755". */
  mode: string;
  uid: number;
  gid: number;
  /** getcap text form ("cap_setuid=ep"); absent when the file has none. */
  caps?: string;
}

export interface CommandRecord {
  argv: string[];
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface SnapshotManifest {
  schema: string;
  hostname?: string;
  taken_at?: string;
  ctrsafe_version?: string;
  probe_user?: string;
  files: Record<string, ManifestFile>;
  packages: Record<string, string>;
  probes: Record<string, ProbeResult>;
  commands: Record<string, CommandRecord>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates parsed JSON into a manifest; returns a one-line problem instead of throwing. */
export function parseManifest(
  raw: unknown,
): { ok: true; manifest: SnapshotManifest } | { ok: false; reason: string } {
  if (!isRecord(raw)) return { ok: false, reason: 'not a JSON object' };
  if (raw.schema !== MANIFEST_SCHEMA) return { ok: false, reason: `schema is not "${MANIFEST_SCHEMA}"` };
  const files: Record<string, ManifestFile> = {};
  const rawFiles = raw.files ?? {};
  if (!isRecord(rawFiles)) return { ok: false, reason: '"files" is not an object' };
  const entries = Object.entries(rawFiles);
  if (entries.length > MAX_ENTRIES)
    return { ok: false, reason: `"files" has more than ${MAX_ENTRIES} entries` };
  for (const [path, f] of entries) {
    if (!path.startsWith('/'))
      return { ok: false, reason: `files key "${path.slice(0, 80)}" is not absolute` };
    if (!isRecord(f) || typeof f.mode !== 'string' || !/^[0-7]{3,4}$/.test(f.mode))
      return { ok: false, reason: `files["${path.slice(0, 80)}"].mode is not an octal string` };
    if (!Number.isInteger(f.uid) || !Number.isInteger(f.gid))
      return { ok: false, reason: `files["${path.slice(0, 80)}"] needs integer uid and gid` };
    if (f.caps !== undefined && typeof f.caps !== 'string')
      return { ok: false, reason: `files["${path.slice(0, 80)}"].caps is not a string` };
    files[path] = { mode: f.mode.padStart(4, '0'), uid: f.uid as number, gid: f.gid as number };
    if (typeof f.caps === 'string') files[path]!.caps = f.caps;
  }
  const packages: Record<string, string> = {};
  if (raw.packages !== undefined) {
    if (!isRecord(raw.packages)) return { ok: false, reason: '"packages" is not an object' };
    for (const [name, version] of Object.entries(raw.packages)) {
      if (typeof version !== 'string')
        return { ok: false, reason: `packages["${name.slice(0, 80)}"] is not a string` };
      packages[name] = version;
    }
  }
  const probes: Record<string, ProbeResult> = {};
  if (raw.probes !== undefined) {
    if (!isRecord(raw.probes)) return { ok: false, reason: '"probes" is not an object' };
    for (const [id, p] of Object.entries(raw.probes)) {
      if (!isRecord(p) || typeof p.ran !== 'boolean' || !isRecord(p.values))
        return { ok: false, reason: `probes["${id.slice(0, 80)}"] is malformed` };
      probes[id] = p as unknown as ProbeResult;
    }
  }
  const commands: Record<string, CommandRecord> = {};
  if (raw.commands !== undefined) {
    if (!isRecord(raw.commands)) return { ok: false, reason: '"commands" is not an object' };
    for (const [key, c] of Object.entries(raw.commands)) {
      if (!isRecord(c) || typeof c.stdout !== 'string' || !Array.isArray(c.argv))
        return { ok: false, reason: `commands["${key.slice(0, 80)}"] is malformed` };
      commands[key] = c as unknown as CommandRecord;
    }
  }
  const manifest: SnapshotManifest = { schema: MANIFEST_SCHEMA, files, packages, probes, commands };
  if (typeof raw.hostname === 'string') manifest.hostname = raw.hostname;
  if (typeof raw.taken_at === 'string') manifest.taken_at = raw.taken_at;
  if (typeof raw.ctrsafe_version === 'string') manifest.ctrsafe_version = raw.ctrsafe_version;
  if (typeof raw.probe_user === 'string') manifest.probe_user = raw.probe_user;
  return { ok: true, manifest };
}
