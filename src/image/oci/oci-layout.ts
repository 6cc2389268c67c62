// OCI image layouts, as a directory or inside an oci-archive tar: index.json → (nested index) → manifest → layers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageFormatError } from '../image-entry.js';
import type { OuterArchive } from './archive-members.js';
import { checkBytes, digestString, parseDigest, type Digest } from './blob-digest.js';
import type { ArchiveKind, ImageLayers, ImageSelect, LayerSource } from './image-layers.js';
import { MAX_JSON_BYTES, asArray, asObject, asSize, asString, optString, parseJson } from './json-fields.js';

/** Where blobs and the layout's own files are read from. Names are fixed ("index.json") or built from checked digests. */
export interface BlobStore {
  has(name: string): Promise<boolean>;
  read(name: string, max: number, what: string): Promise<Buffer>;
  open(name: string, what: string): AsyncIterable<Buffer>;
}

// image-spec image-index.md and manifest.md media types, with Docker's schema 2 equivalents.
const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);
/** image-spec layer.md tar media types (and Docker's); squashfs (OCI-SIF) and +encrypted layers are not tar. */
const LAYER_TYPE =
  /^application\/vnd\.(?:oci\.image\.layer\.(?:nondistributable\.)?v1\.tar(?:\+gzip|\+zstd)?|docker\.image\.rootfs\.(?:foreign\.)?diff\.tar(?:\.gzip)?)$/;
/** A nested index deeper than this is not a multi-platform image but a trap. */
const MAX_INDEX_DEPTH = 4;
/** Docker refuses more than 127 layers; allow some room. */
export const MAX_LAYERS = 1024;
const REF_NAME = 'org.opencontainers.image.ref.name';

interface Descriptor {
  mediaType?: string;
  digest: Digest;
  size: number;
  annotations: Record<string, unknown>;
  platform?: Record<string, unknown>;
}

function descriptor(v: unknown, what: string): Descriptor {
  const o = asObject(v, what);
  const mediaType = optString(o.mediaType, `${what} mediaType`);
  return {
    ...(mediaType !== undefined ? { mediaType } : {}),
    digest: parseDigest(o.digest, what),
    size: asSize(o.size, `${what} size`),
    annotations: o.annotations === undefined ? {} : asObject(o.annotations, `${what} annotations`),
    ...(o.platform !== undefined ? { platform: asObject(o.platform, `${what} platform`) } : {}),
  };
}

export const blobName = (d: Digest): string => `blobs/${d.algorithm}/${d.hex}`;

async function readBlob(store: BlobStore, d: Descriptor, what: string): Promise<Buffer> {
  if (d.size > MAX_JSON_BYTES)
    throw new ImageFormatError(`${what}: ${d.size} bytes is too large for a manifest`);
  const data = await store.read(blobName(d.digest), MAX_JSON_BYTES, what);
  if (data.length !== d.size)
    throw new ImageFormatError(`${what}: ${data.length} bytes, its descriptor says ${d.size}`);
  checkBytes(data, d.digest, what);
  return data;
}

function layersOf(store: BlobStore, manifest: Record<string, unknown>, what: string): LayerSource[] {
  const list = asArray(manifest.layers, `${what} layers`);
  if (list.length > MAX_LAYERS) throw new ImageFormatError(`${what}: more than ${MAX_LAYERS} layers`);
  return list.map((v, i) => {
    const d = descriptor(v, `${what} layers[${i}]`);
    const label = `layer ${i} (${digestString(d.digest)})`;
    if (d.mediaType === undefined || !LAYER_TYPE.test(d.mediaType)) {
      throw new ImageFormatError(`${label}: media type ${d.mediaType ?? '(none)'} is not a tar layer`);
    }
    return {
      index: i,
      mediaType: d.mediaType,
      blobDigest: d.digest,
      size: d.size,
      what: label,
      open: () => store.open(blobName(d.digest), label),
    };
  });
}

/** image-layout.md: oci-layout's imageLayoutVersion, then index.json; a nested index is followed to one manifest. */
export async function resolveOciLayout(
  store: BlobStore,
  kind: ArchiveKind,
  sel: ImageSelect = {},
): Promise<ImageLayers> {
  const layout = asObject(
    parseJson(await store.read('oci-layout', MAX_JSON_BYTES, 'oci-layout'), 'oci-layout'),
    'oci-layout',
  );
  const version = asString(layout.imageLayoutVersion, 'oci-layout imageLayoutVersion');
  if (!/^1\.\d+\.\d+$/.test(version))
    throw new ImageFormatError(`oci-layout: unsupported imageLayoutVersion ${version}`);
  const want = sel.platform ?? { os: 'linux', architecture: 'amd64' };
  let doc = asObject(
    parseJson(await store.read('index.json', MAX_JSON_BYTES, 'index.json'), 'index.json'),
    'index.json',
  );
  let where = 'index.json';
  let ref: string | undefined;
  for (let depth = 0; ; depth++) {
    let list = asArray(doc.manifests, `${where} manifests`).map((v, i) =>
      descriptor(v, `${where} manifests[${i}]`),
    );
    if (depth === 0 && sel.tag !== undefined) {
      list = list.filter((d) => d.annotations[REF_NAME] === sel.tag);
      if (list.length === 0) throw new ImageFormatError(`${where}: no manifest is tagged ${sel.tag}`);
    }
    const pick =
      list.length === 1
        ? list[0]
        : list.find((d) => d.platform?.os === want.os && d.platform?.architecture === want.architecture);
    if (!pick) {
      const tags = list.map((d) => d.annotations[REF_NAME]).filter((t) => typeof t === 'string');
      throw new ImageFormatError(
        `${where}: ${list.length} manifests, none for ${want.os}/${want.architecture}` +
          (tags.length ? ` (tags: ${tags.slice(0, 10).join(', ')}; choose one)` : ''),
      );
    }
    const tag = pick.annotations[REF_NAME];
    if (depth === 0 && typeof tag === 'string') ref = tag;
    const label = `manifest ${digestString(pick.digest)}`;
    const body = asObject(parseJson(await readBlob(store, pick, label), label), label);
    const isIndex =
      pick.mediaType !== undefined ? INDEX_TYPES.has(pick.mediaType) : Array.isArray(body.manifests);
    if (isIndex) {
      if (depth + 1 >= MAX_INDEX_DEPTH)
        throw new ImageFormatError(`${where}: indexes nested more than ${MAX_INDEX_DEPTH} deep`);
      doc = body;
      where = `index ${digestString(pick.digest)}`;
      continue;
    }
    if (pick.mediaType !== undefined && !MANIFEST_TYPES.has(pick.mediaType)) {
      throw new ImageFormatError(`${label}: media type ${pick.mediaType} is not an image manifest`);
    }
    return { kind, ...(ref !== undefined ? { ref } : {}), layers: layersOf(store, body, label) };
  }
}

/** An OCI layout directory; only regular files are read (a symlinked blob could lead anywhere). */
export function dirStore(dir: string): BlobStore {
  const full = (name: string): string => path.join(dir, name);
  const regular = async (name: string, what: string): Promise<fs.Stats> => {
    const st = await fs.promises.lstat(full(name)).catch(() => null);
    if (!st) throw new ImageFormatError(`${what}: ${name} is missing from ${dir}`);
    if (!st.isFile()) throw new ImageFormatError(`${what}: ${name} in ${dir} is not a regular file`);
    return st;
  };
  return {
    has: async (name) => (await fs.promises.lstat(full(name)).catch(() => null))?.isFile() ?? false,
    read: async (name, max, what) => {
      const st = await regular(name, what);
      if (st.size > max) throw new ImageFormatError(`${what}: ${name} is larger than ${max} bytes`);
      const fh = await fs.promises.open(full(name), 'r');
      try {
        const buf = Buffer.alloc(st.size);
        const { bytesRead } = await fh.read(buf, 0, st.size, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    open: (name, what) =>
      (async function* () {
        await regular(name, what);
        for await (const c of fs.createReadStream(full(name), { highWaterMark: 256 * 1024 }))
          yield c as Buffer;
      })(),
  };
}

/** The same layout inside a tar (skopeo's oci-archive:, Docker >= 25's docker save). */
export function archiveStore(a: OuterArchive): BlobStore {
  return {
    has: async (name) => a.has(name),
    read: (name, max, what) => a.readSmall(name, max, what),
    open: (name, what) => a.open(name, what),
  };
}
