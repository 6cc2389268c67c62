// Whiteouts and what they hide: layers are read from the top down, and each lower entry is checked against those above.
import type { ImageEntry } from '../image-entry.js';

/** An entry of a lower layer that the image's effective root does not show, kept for what it says about the image. */
export interface ShadowedEntry {
  entry: ImageEntry;
  /** The lowest layer above the entry's own that hid it. */
  deletedInLayer: number;
  /** A whiteout of it or a parent, an opaque parent directory, or a newer entry at its path (or a file at a parent's). */
  how: 'whiteout' | 'opaque' | 'replaced';
}

/** Lower-layer content worth reporting though deleted: it is still in the image's blobs for anyone to extract. */
export function carriesFindings(e: ImageEntry): boolean {
  if (e.type === 'file' && (e.mode & 0o6000) !== 0) return true;
  if (e.type === 'char' || e.type === 'block') return true;
  return e.xattrs !== undefined && 'security.capability' in e.xattrs;
}

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';

export type LayerItem =
  | { kind: 'entry' }
  | { kind: 'whiteout'; target: string }
  | { kind: 'opaque'; dir: string }
  | { kind: 'ignore' };

function split(p: string): { dir: string; base: string } {
  const i = p.lastIndexOf('/');
  return { dir: i <= 0 ? '/' : p.slice(0, i), base: p.slice(i + 1) };
}

/**
 * image-spec layer.md "Whiteouts": `.wh.<name>` deletes <name> from lower layers, `.wh..wh..opq` hides all lower
 * children of its directory; other `.wh..wh.*` names are AUFS bookkeeping and not part of the file system.
 * overlayfs-style layers mark a deleted path with a 0/0 character device (Documentation/filesystems/overlayfs.rst).
 */
export function classifyLayerEntry(e: ImageEntry): LayerItem {
  const { dir, base } = split(e.path);
  if (base === OPAQUE) return { kind: 'opaque', dir };
  if (base.startsWith(WH + WH)) return { kind: 'ignore' };
  if (base.startsWith(WH)) {
    const name = base.slice(WH.length);
    return name === ''
      ? { kind: 'ignore' }
      : { kind: 'whiteout', target: dir === '/' ? `/${name}` : `${dir}/${name}` };
  }
  if (e.type === 'char' && e.devMajor === 0 && e.devMinor === 0) return { kind: 'whiteout', target: e.path };
  return { kind: 'entry' };
}

/** overlayfs opaque directories: trusted.overlay.opaque="y" (user.overlay.opaque with the userxattr mount option). */
export function isOverlayOpaque(e: ImageEntry): boolean {
  if (e.type !== 'dir' || !e.xattrs) return false;
  const v = e.xattrs['trusted.overlay.opaque'] ?? e.xattrs['user.overlay.opaque'];
  return v !== undefined && v.toString('latin1') === 'y';
}

interface Marks {
  whiteout?: number;
  opaque?: number;
  dir?: number;
  nondir?: number;
}

/** What the layers read so far (all above the current one) do to a path. Lower layers overwrite: the lowest wins. */
export class UpperLayers {
  private readonly marks = new Map<string, Marks>();
  private pending: [string, keyof Marks][] = [];

  /** Within one layer nothing hides anything of the same layer (layer.md): marks wait for endLayer(). */
  note(p: string, what: keyof Marks): void {
    this.pending.push([p, what]);
  }

  noteEntry(e: ImageEntry): void {
    this.note(e.path, e.type === 'dir' ? 'dir' : 'nondir');
  }

  endLayer(layer: number): void {
    for (const [p, what] of this.pending) {
      let m = this.marks.get(p);
      if (!m) this.marks.set(p, (m = {}));
      m[what] = layer;
    }
    this.pending = [];
  }

  /** Whether an entry of a lower layer is hidden, by which layer and how. */
  hiddenBy(e: ImageEntry): { layer: number; how: ShadowedEntry['how'] } | undefined {
    if (this.marks.size === 0) return undefined;
    let best: { layer: number; how: ShadowedEntry['how'] } | undefined;
    const consider = (layer: number | undefined, how: ShadowedEntry['how']): void => {
      if (layer !== undefined && (!best || layer < best.layer)) best = { layer, how };
    };
    const self = this.marks.get(e.path);
    if (self) {
      consider(self.whiteout, 'whiteout');
      consider(self.nondir, 'replaced');
      consider(self.dir, 'replaced'); // directories merge, but the upper one's owner and mode are what shows
    }
    let p = e.path;
    while (p !== '/') {
      p = split(p).dir;
      const m = this.marks.get(p);
      if (!m) continue;
      consider(m.whiteout, 'whiteout');
      consider(m.opaque, 'opaque');
      consider(m.nondir, 'replaced');
    }
    return best;
  }
}
