// The effective root of a layered image (OCI layout, oci-archive, docker-save), whiteouts applied, without extracting.
import * as fs from 'node:fs';
import { DEFAULT_LIMITS, ImageFormatError, type ImageEntry, type ReadLimits } from '../image-entry.js';
import { StreamSource } from '../tar/byte-source.js';
import { ByteBudget, decompress } from '../tar/compression.js';
import { readTarFileEntries } from '../tar/read-tar-file.js';
import { newReadBudget, readTarEntries, readTarMembers } from '../tar/tar-reader.js';
import { OuterArchive } from './archive-members.js';
import { DigestingStream } from './blob-digest.js';
import { resolveDockerSave } from './docker-save.js';
import type { ArchiveKind, ImageLayers, ImageSelect } from './image-layers.js';
import { archiveStore, dirStore, resolveOciLayout } from './oci-layout.js';
import {
  UpperLayers,
  carriesFindings,
  classifyLayerEntry,
  isOverlayOpaque,
  type ShadowedEntry,
} from './whiteouts.js';

export interface LayeredReadOptions extends ImageSelect {
  limits?: ReadLimits;
  /** Decompressed bytes for the whole image (see DEFAULT_MAX_DECOMPRESSED_BYTES). */
  maxDecompressedBytes?: number;
  /** Called for each lower-layer entry hidden by an upper layer that `shadowedFilter` keeps (carriesFindings). */
  onShadowed?: (s: ShadowedEntry) => void;
  shadowedFilter?: (e: ImageEntry) => boolean;
}

/** What a path holds, from its content: an OCI layout directory, an oci-archive, a docker-save tar or a plain tar. */
export async function detectArchiveKind(file: string, opts: LayeredReadOptions = {}): Promise<ArchiveKind> {
  const st = await fs.promises.stat(file);
  if (st.isDirectory()) {
    if (await dirStore(file).has('oci-layout')) return 'oci-layout-dir';
    throw new ImageFormatError(`${file}: a directory without an oci-layout file is not an OCI image layout`);
  }
  return (await indexArchive(file, opts)).kind;
}

async function indexArchive(
  file: string,
  opts: LayeredReadOptions,
): Promise<{ kind: ArchiveKind; archive: OuterArchive }> {
  const archive = await OuterArchive.open(file, {
    limits: opts.limits ?? DEFAULT_LIMITS,
    ...(opts.maxDecompressedBytes !== undefined ? { maxDecompressedBytes: opts.maxDecompressedBytes } : {}),
    stopOnForeign: true,
  });
  let kind: ArchiveKind = 'tar';
  if (archive.imageLike) {
    // Docker >= 25 writes an OCI layout and manifest.json together: the layout's digests make it the better source.
    if (archive.has('oci-layout') && archive.has('index.json')) kind = 'oci-archive';
    else if (archive.has('manifest.json')) kind = 'docker-save';
  }
  return { kind, archive };
}

/** The layers of an image file or directory, lowest first; a plain tar is one layer without whiteout semantics. */
export async function openImageLayers(file: string, opts: LayeredReadOptions = {}): Promise<ImageLayers> {
  const st = await fs.promises.stat(file);
  if (st.isDirectory()) {
    const store = dirStore(file);
    if (!(await store.has('oci-layout'))) {
      throw new ImageFormatError(
        `${file}: a directory without an oci-layout file is not an OCI image layout`,
      );
    }
    return resolveOciLayout(store, 'oci-layout-dir', opts);
  }
  const { kind, archive } = await indexArchive(file, opts);
  if (kind === 'oci-archive') return resolveOciLayout(archiveStore(archive), kind, opts);
  if (kind === 'docker-save') return resolveDockerSave(archive, opts);
  return {
    kind: 'tar',
    layers: [
      {
        index: 0,
        mediaType: 'application/x-tar',
        what: file,
        file,
        open: () => fs.createReadStream(file) as AsyncIterable<Buffer>,
      },
    ],
  };
}

/**
 * Entries of the image's effective root, each with its layer. Layers are read from the top down so an entry can be
 * judged as it is read: what upper layers deleted or replaced goes to onShadowed instead. Blob digests (and
 * docker-save diff_ids) are checked at the end of each layer; a mismatch ends the read with an ImageFormatError.
 * Duplicate members within one layer are all yielded, as the tar holds them (later wins on extraction).
 */
export async function* readLayeredImage(
  image: string | ImageLayers,
  opts: LayeredReadOptions = {},
): AsyncGenerator<ImageEntry> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const img = typeof image === 'string' ? await openImageLayers(image, opts) : image;
  const readBudget = newReadBudget(limits);
  const bytes = new ByteBudget(opts.maxDecompressedBytes);
  if (img.kind === 'tar') {
    // A file system tar (docker export, a rootfs tarball): its ".wh." names are plain files, shown as they are.
    const only = img.layers[0]!;
    yield* only.file !== undefined
      ? readTarFileEntries(only.file, { limits, budget: readBudget, bytes })
      : readTarEntries(decompress(only.open(), { budget: bytes, deadlineAt: readBudget.deadlineAt }), {
          limits,
          budget: readBudget,
        });
    return;
  }
  const keep = opts.shadowedFilter ?? carriesFindings;
  const upper = new UpperLayers();
  for (let i = img.layers.length - 1; i >= 0; i--) {
    const layer = img.layers[i]!;
    const blob = new DigestingStream(layer.open(), layer.blobDigest, layer.what, layer.size);
    const plain = new DigestingStream(
      decompress(blob, { budget: bytes, deadlineAt: readBudget.deadlineAt }),
      layer.diffId,
      `${layer.what} uncompressed`,
    );
    const src = new StreamSource(plain);
    let verified = false;
    try {
      for await (const m of readTarMembers(src, { limits, layer: i, budget: readBudget })) {
        const e = m.entry;
        const item = classifyLayerEntry(e);
        if (item.kind === 'ignore') continue;
        if (item.kind === 'whiteout') {
          if (i > 0) upper.note(item.target, 'whiteout');
          continue;
        }
        if (item.kind === 'opaque') {
          if (i > 0) upper.note(item.dir, 'opaque');
          continue;
        }
        if (i > 0) {
          upper.noteEntry(e);
          if (isOverlayOpaque(e)) upper.note(e.path, 'opaque');
        }
        const hidden = upper.hiddenBy(e);
        if (hidden) {
          if (opts.onShadowed && keep(e))
            opts.onShadowed({ entry: e, deletedInLayer: hidden.layer, how: hidden.how });
          continue;
        }
        yield e;
      }
      await plain.finish();
      await blob.finish();
      verified = true;
    } finally {
      if (!verified) {
        await plain.abort().catch(() => undefined);
        await blob.abort().catch(() => undefined);
      }
      await src.close();
    }
    upper.endLayer(i);
  }
}
