// What a layered image is to the readers: its layers, lowest first, each a blob to stream and the digests to check.
import type { Digest } from './blob-digest.js';

export type ArchiveKind = 'oci-layout-dir' | 'oci-archive' | 'docker-save' | 'tar';

export interface LayerSource {
  /** 0 = the lowest (base) layer. */
  index: number;
  /** As the manifest says; the compression itself is told from the blob's first bytes. */
  mediaType: string;
  /** Digest of the stored blob (OCI descriptors; Docker >= 25 blobs/ paths). */
  blobDigest?: Digest;
  /** The stored blob's size from its descriptor. */
  size?: number;
  /** Digest of the uncompressed tar (a docker-save config's rootfs.diff_ids). */
  diffId?: Digest;
  /** A plain tar image's own file: listed by seeking past member data when it is not compressed. */
  file?: string;
  /** For messages: "layer 2 (sha256:ab12...)". */
  what: string;
  open(): AsyncIterable<Buffer>;
}

export interface ImageLayers {
  kind: ArchiveKind;
  /** The tag or reference name the image was chosen by, when known. */
  ref?: string;
  layers: LayerSource[];
}

export interface ImageSelect {
  /** org.opencontainers.image.ref.name in an OCI index, a RepoTags entry in docker-save. */
  tag?: string;
  /** Which manifest of a multi-platform index: linux/amd64 unless given. */
  platform?: { os: string; architecture: string };
}
