// Parses /proc/self/mountinfo, /proc/mounts and /etc/fstab into one mount shape.

/** Network and parallel file systems, user-writable by design on HPC systems (and where a read waits on a server). */
export const SHARED_FS_TYPES: readonly string[] = [
  'nfs',
  'nfs4',
  'lustre',
  'gpfs',
  'beegfs',
  'cephfs',
  'ceph',
  'panfs',
  'wekafs',
  'fuse.sshfs',
  'glusterfs',
  'cifs',
  'smb3',
];

export interface Mount {
  device: string;
  mountpoint: string;
  fstype: string;
  options: string[];
}

/** /proc/mounts and fstab escape space, tab, newline and backslash as octal (getmntent(3)). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountsTable(text: string, maxEntries = 10000): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= maxEntries) break;
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const f = t.split(/\s+/);
    if (f.length < 4) continue;
    out.push({
      device: unescape(f[0]!),
      mountpoint: unescape(f[1]!),
      fstype: f[2]!,
      options: f[3]!.split(','),
    });
  }
  return out;
}

/** mountinfo(5): fields 5 (mount point) and 6 (per-mount options), then " - fstype source super-options". */
export function parseMountinfo(text: string, maxEntries = 10000): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    if (out.length >= maxEntries) break;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const a = line.slice(0, sep).split(' ');
    const b = line.slice(sep + 3).split(' ');
    if (a.length < 6 || b.length < 3) continue;
    const options = [...a[5]!.split(','), ...b[2]!.split(',')];
    out.push({
      device: unescape(b[1]!),
      mountpoint: unescape(a[4]!),
      fstype: b[0]!,
      options: [...new Set(options)],
    });
  }
  return out;
}

/** The mount that holds a path: the last mount whose mount point is the longest prefix of it. */
export function mountFor(mounts: Mount[], p: string): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) {
    const mp = m.mountpoint;
    const covers = mp === '/' || p === mp || p.startsWith(mp.endsWith('/') ? mp : mp + '/');
    if (covers && (!best || mp.length >= best.mountpoint.length)) best = m;
  }
  return best;
}

/** A systemd .mount unit's [Mount] section (systemd.mount(5)): What=, Where=, Type=, Options=. */
export function parseMountUnit(text: string): Mount | null {
  let section = '';
  const kv: Record<string, string> = {};
  for (const raw of text.split('\n').slice(0, 2000)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const m = /^(What|Where|Type|Options)\s*=\s*(.*)$/.exec(line);
    if (section === 'Mount' && m) kv[m[1]!] = m[2]!.trim();
  }
  if (!kv.Where?.startsWith('/')) return null;
  return {
    device: kv.What ?? '',
    mountpoint: kv.Where,
    fstype: kv.Type ?? '',
    // "%%" is systemd's escaped percent sign.
    options: (kv.Options ?? '').replace(/%%/g, '%').split(',').filter(Boolean),
  };
}
