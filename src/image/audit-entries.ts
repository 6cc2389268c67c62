// Judges image entries (pure): setuid/setgid, capabilities, xattrs, devices, permissions, owners, links, names, duplicates.
import { decodeFileCaps } from './capabilities.js';
import type { ImageEntry } from './image-entry.js';

import type { FindingKind, ImageFinding } from '../schema/image-report.js';
import { IMAGE_ENTRY_KINDS } from '../schema/report-values.js';

export type { FindingKind, ImageFinding };

/** Default severity and status of each kind before a site policy speaks (Shifter doc/security.rst, capabilities(7)). */
export const KIND_DEFAULTS: Record<
  FindingKind,
  { severity: ImageFinding['severity']; status: 'fail' | 'warn'; title: string }
> = {
  setuid: { severity: 'high', status: 'fail', title: 'setuid file' },
  setgid: { severity: 'medium', status: 'fail', title: 'setgid file' },
  'file-capability': {
    severity: 'high',
    status: 'fail',
    title: 'file with capabilities (security.capability)',
  },
  xattr: { severity: 'low', status: 'warn', title: 'extended attribute' },
  device: { severity: 'high', status: 'fail', title: 'device node' },
  'world-writable': { severity: 'medium', status: 'warn', title: 'world-writable without the sticky bit' },
  'foreign-owner': { severity: 'low', status: 'warn', title: 'owned by a user other than root' },
  'absolute-symlink': { severity: 'low', status: 'warn', title: 'absolute symlink' },
  'escaping-symlink': { severity: 'high', status: 'fail', title: 'symlink resolving outside the image root' },
  'escaping-hardlink': {
    severity: 'high',
    status: 'fail',
    title: 'hard link to a path outside the image root',
  },
  'unsafe-path': { severity: 'high', status: 'fail', title: 'archive member with ".." or an absolute path' },
  'duplicate-entry': { severity: 'medium', status: 'warn', title: 'duplicate archive member' },
  'deleted-in-upper-layer': {
    severity: 'low',
    status: 'warn',
    title: 'risky file deleted by a whiteout in an upper layer',
  },
  'image-writable': {
    severity: 'high',
    status: 'fail',
    title: 'image file writable by others than its owner',
  },
  'image-owner': { severity: 'medium', status: 'warn', title: 'image file owned by a user, not the site' },
  'unsigned-sif': { severity: 'medium', status: 'warn', title: 'SIF image without a signature' },
  // sylabs/sif pkg/integrity/verify.go: what `apptainer verify` refuses; a changed image is the strongest of them.
  'sif-signed-partially': {
    severity: 'medium',
    status: 'warn',
    title: 'SIF whose signatures do not cover every object',
  },
  'sif-untrusted-key': {
    severity: 'medium',
    status: 'warn',
    title: 'SIF signed by a key the site does not trust',
  },
  'sif-signature-invalid': {
    severity: 'high',
    status: 'fail',
    title: 'SIF changed after it was signed (a digest or signature does not match)',
  },
  'unsigned-image': {
    severity: 'medium',
    status: 'fail',
    title: 'image without a verifiable signature where the policy requires one',
  },
  'encrypted-partition': {
    severity: 'medium',
    status: 'warn',
    title: 'encrypted partition that cannot be audited',
  },
  unreadable: { severity: 'high', status: 'fail', title: 'image could not be read completely' },
  // A runtime may run any of them, and only one is audited (sylabs/sif's GetPrimaryPartition refuses to choose).
  'ambiguous-sif': {
    severity: 'high',
    status: 'fail',
    title: 'SIF with more than one primary system partition',
  },
};

export function finding(id: FindingKind, path: string | null, evidence: string): ImageFinding {
  const d = KIND_DEFAULTS[id];
  return { id, severity: d.severity, status: d.status, path, evidence };
}

const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');

/** Where a symlink's target lands, resolved lexically from its directory; null when it climbs above "/". */
function resolveLexically(linkPath: string, target: string): string | null {
  const parts = target.startsWith('/') ? [] : linkPath.split('/').filter(Boolean).slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(p);
  }
  return '/' + parts.join('/');
}

/**
 * A streaming judge: feed entries one by one, then `finish()`. Memory grows only with the paths seen
 * (for duplicate detection), not with file contents.
 */
export class EntryAuditor {
  readonly findings: ImageFinding[] = [];
  private readonly seen = new Set<string>();
  private readonly imageUsers: Set<number> | null;
  count = 0;

  constructor(opts: { imageUids?: Iterable<number> } = {}) {
    this.imageUsers = opts.imageUids ? new Set(opts.imageUids) : null;
  }

  add(e: ImageEntry): void {
    this.count++;
    // Findings about a device node carry its numbers, which the baseline profile judges by (image-profile.ts).
    const device =
      e.type === 'char' || e.type === 'block'
        ? { device: { type: e.type, major: e.devMajor ?? null, minor: e.devMinor ?? null } }
        : {};
    const f = (id: FindingKind, evidence: string) =>
      this.findings.push({ ...finding(id, e.path, evidence), ...device });
    if (e.rawName !== undefined) {
      const clean = e.rawName.replace(/^\.\//, '');
      if (clean.startsWith('/') || clean.split('/').includes('..'))
        f('unsafe-path', `stored as "${e.rawName.slice(0, 200)}"`);
    }
    if (this.seen.has(e.path) && e.layer === undefined)
      f('duplicate-entry', `"${e.path}" appears more than once`);
    this.seen.add(e.path);
    const regularish = e.type === 'file' || e.type === 'hardlink';
    if ((e.mode & 0o4000) !== 0 && regularish)
      f('setuid', `mode ${octal(e.mode)}, owner uid ${e.uid}${e.uid === 0 ? ' (root)' : ''}`);
    if ((e.mode & 0o2000) !== 0 && regularish) f('setgid', `mode ${octal(e.mode)}, group gid ${e.gid}`);
    for (const [name, value] of Object.entries(e.xattrs ?? {})) {
      if (name === 'security.capability') {
        const caps = decodeFileCaps(value);
        f(
          'file-capability',
          caps
            ? `security.capability: ${caps.text}${caps.rootid !== undefined ? ` (rootid ${caps.rootid})` : ''}`
            : `security.capability with an undecodable value (${value.length} bytes)`,
        );
      } else f('xattr', `${name} (${value.length} bytes)`);
    }
    if (e.type === 'char' || e.type === 'block')
      f('device', `${e.type} device ${e.devMajor ?? '?'}:${e.devMinor ?? '?'}`);
    if ((e.mode & 0o002) !== 0 && e.type !== 'symlink' && !(e.type === 'dir' && (e.mode & 0o1000) !== 0))
      f(
        'world-writable',
        `mode ${octal(e.mode)} on a ${e.type}${e.type === 'dir' ? ' without the sticky bit' : ''}`,
      );
    if (e.uid !== 0 || e.gid !== 0) {
      const known = this.imageUsers ? this.imageUsers.has(e.uid) : false;
      if (!known)
        f(
          'foreign-owner',
          `uid ${e.uid}, gid ${e.gid}${this.imageUsers ? ' (not root, not a user of the image)' : ''}`,
        );
    }
    if (e.type === 'symlink' && e.linkTarget !== undefined) {
      if (e.linkTarget.startsWith('/')) f('absolute-symlink', `-> ${e.linkTarget.slice(0, 300)}`);
      else if (resolveLexically(e.path, e.linkTarget) === null)
        f('escaping-symlink', `-> ${e.linkTarget.slice(0, 300)} climbs above the image root`);
    }
    if (e.type === 'hardlink' && e.linkTarget !== undefined) {
      // A hard link names another member from the archive root (readers give it as an image path, "/usr/bin/x");
      // a stored target that climbs above the root ("../../etc/shadow") links to a host file on extraction.
      if (!e.linkTarget.startsWith('/') && resolveLexically('/', e.linkTarget) === null)
        f('escaping-hardlink', `links to "${e.linkTarget.slice(0, 300)}"`);
    }
  }

  /** One pass entry per kind that was checked and found nothing, so a report shows what was looked at. */
  passes(checked: FindingKind[]): ImageFinding[] {
    const found = new Set(this.findings.map((x) => x.id));
    return checked
      .filter((k) => !found.has(k))
      .map((k) => ({
        ...finding(k, null, `no ${KIND_DEFAULTS[k].title} in ${this.count} entries`),
        status: 'pass' as const,
        severity: 'info' as const,
      }));
  }
}

export const ENTRY_KINDS: FindingKind[] = [...IMAGE_ENTRY_KINDS];
