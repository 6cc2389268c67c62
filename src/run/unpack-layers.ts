// Unpacks a layered image (OCI layout, oci-archive, docker-save) into one directory, lowest layer first, with the
// image-spec's whiteouts applied and nothing written through a symlink an earlier layer left behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { openImageLayers } from '../image/oci/layered-image.js';
import { DigestingStream } from '../image/oci/blob-digest.js';
import { classifyLayerEntry } from '../image/oci/whiteouts.js';
import { StreamSource } from '../image/tar/byte-source.js';
import { decompress } from '../image/tar/compression.js';
import { readTarMembers } from '../image/tar/tar-reader.js';
import { extractSanitized } from './extract-tar.js';

/** The first component of REL (below ROOT) that is not a real directory, or null: nothing is followed. */
function firstNonDir(root: string, rel: string): string | null {
  let p = root;
  for (const part of rel.split('/').filter(Boolean)) {
    p = path.join(p, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return null; // does not exist yet: nothing to follow
    }
    if (!st.isDirectory()) return p;
  }
  return null;
}

/** Removes ROOT/REL without following a symlink on the way (a whiteout under a symlink deletes nothing). */
function removeBelow(root: string, rel: string, onlyChildren: boolean): void {
  const parent = path.dirname(rel);
  if (firstNonDir(root, parent) !== null) return;
  const target = path.join(root, rel);
  if (!target.startsWith(`${root}/`) && target !== root) return;
  if (onlyChildren) {
    if (firstNonDir(root, rel) !== null) return;
    for (const n of fs.readdirSync(target, { withFileTypes: false }) as string[])
      fs.rmSync(path.join(target, n), { recursive: true, force: true });
  } else fs.rmSync(target, { recursive: true, force: true });
}

export async function unpackLayers(image: string, dest: string): Promise<void> {
  const img = await openImageLayers(image);
  for (const [i, layer] of img.layers.entries()) {
    // Pass 1: this layer's whiteouts delete from the layers below (image-spec layer.md, "Whiteouts").
    const dirs = new Set<string>();
    // The blob and its uncompressed tar are checked against the manifest's digests here, before anything is
    // written: the cache is keyed by the index, so the bytes must be the ones the index names.
    if (img.kind !== 'tar') {
      const blob = new DigestingStream(layer.open(), layer.blobDigest, layer.what, layer.size);
      const plain = new DigestingStream(decompress(blob), layer.diffId, `${layer.what} uncompressed`);
      const pending: (() => void)[] = [];
      for await (const m of readTarMembers(new StreamSource(plain), { layer: i })) {
        const item = classifyLayerEntry(m.entry);
        if (item.kind === 'whiteout') pending.push(() => removeBelow(dest, item.target, false));
        else if (item.kind === 'opaque') pending.push(() => removeBelow(dest, item.dir, true));
        else if (m.entry.type === 'dir') dirs.add(m.entry.path);
      }
      await plain.finish();
      await blob.finish();
      for (const p of pending) p();
      // Where this layer has a directory and a lower one left a symlink or file, the directory replaces it (as
      // overlayfs shows it) before anything is written: tar would otherwise write members through the symlink
      // when they come before the directory's own entry in the stream.
      for (const d of [...dirs].sort()) {
        if (firstNonDir(dest, path.dirname(d)) !== null) continue;
        const p = path.join(dest, d);
        const st = fs.lstatSync(p, { throwIfNoEntry: false });
        if (st && !st.isDirectory()) fs.rmSync(p, { force: true });
      }
    }
    // Pass 2: the layer itself, sanitized, whiteout markers dropped, and no member written below a symlink or
    // file a lower layer left where this layer has no directory of its own.
    const refuse = (p: string): string | null => {
      const base = p.slice(p.lastIndexOf('/') + 1);
      if (img.kind !== 'tar' && base.startsWith('.wh.')) return 'whiteout marker';
      const parts = p.split('/').filter(Boolean);
      for (let k = 1; k < parts.length; k++) {
        const anc = `/${parts.slice(0, k).join('/')}`;
        const bad = firstNonDir(dest, anc);
        if (bad) return `below ${anc}, which a lower layer made a non-directory: not followed`;
      }
      return null;
    };
    await extractSanitized(Readable.from(decompress(layer.open())), dest, layer.what, { refuse });
  }
}
