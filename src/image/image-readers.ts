// Where each image format is read: the reader for a detected format, as one stream of entries.
import { finding, type ImageFinding } from './audit-entries.js';
import type { ImageFormat } from './detect-format.js';
import { ImageFormatError, type ImageEntry, type ReadLimits } from './image-entry.js';
import { openImageLayers, readLayeredImage } from './oci/layered-image.js';
import type { ShadowedEntry } from './oci/whiteouts.js';
import { readDirectoryEntries } from './read-directory.js';
import { readExtEntries } from './ext/read-ext.js';
import { readSquashfsEntries } from './squashfs/read-squashfs.js';
import { readSif } from './sif/read-sif.js';
import { primaryPartitionContents } from './sif/sif-partition.js';

export interface OpenedImage {
  entries: Iterable<ImageEntry> | AsyncIterable<ImageEntry>;
  /** Findings the reader knows before or after listing (encrypted partitions, files deleted by whiteouts). */
  findings: ImageFinding[];
  afterward?: () => ImageFinding[];
  layers?: number;
}

export async function openImageEntries(
  file: string,
  format: ImageFormat,
  limits: ReadLimits,
): Promise<OpenedImage> {
  switch (format) {
    case 'directory': {
      const gaps: string[] = [];
      return {
        entries: readDirectoryEntries(file, limits, gaps),
        findings: [],
        afterward: () => gaps.map((g) => finding('unreadable', null, g)),
      };
    }
    case 'ext':
      return { entries: readExtEntries(file, { limits }), findings: [] };
    case 'squashfs':
      return { entries: readSquashfsEntries(file, { limits }), findings: [] };
    case 'sif': {
      const info = readSif(file);
      const part = primaryPartitionContents(file, info, limits);
      const findings: ImageFinding[] = info.warnings.map((w) => finding('unreadable', null, `SIF: ${w}`));
      for (const f of findings) f.status = 'warn';
      if (info.ambiguousPrimary)
        findings.push(finding('ambiguous-sif', null, `SIF: ${info.ambiguousPrimary}`));
      if (part.kind === 'encrypted') findings.push(finding('encrypted-partition', null, part.reason));
      if (part.kind === 'opaque') findings.push(finding('unreadable', null, `SIF: ${part.reason}`));
      // Signatures are verified apart (sif/verify-sif.ts): present is not the same as valid.
      return { entries: part.kind === 'entries' ? part.entries : [], findings };
    }
    case 'tar':
    case 'gzip':
    case 'xz':
    case 'zstd':
    case 'oci-layout': {
      // A tar may be a file system, an OCI archive or a docker-save archive: the layered reader tells them apart.
      const img = await openImageLayers(file, { limits });
      const shadowed: ShadowedEntry[] = [];
      return {
        entries: readLayeredImage(img, {
          limits,
          onShadowed: (s) => shadowed.length < 10000 && shadowed.push(s),
        }),
        findings: [],
        ...(img.kind === 'tar' ? {} : { layers: img.layers.length }),
        afterward: () =>
          shadowed.map((s) => finding('deleted-in-upper-layer', s.entry.path, shadowedEvidence(s))),
      };
    }
    default:
      throw new ImageFormatError(
        `${format === 'unknown' ? 'unrecognised format' : `format ${format}`} cannot be audited`,
      );
  }
}

function shadowedEvidence(s: ShadowedEntry): string {
  const e = s.entry;
  const what =
    (e.mode & 0o4000) !== 0
      ? 'setuid '
      : (e.mode & 0o2000) !== 0
        ? 'setgid '
        : e.xattrs?.['security.capability']
          ? 'capability-carrying '
          : '';
  const how =
    s.how === 'whiteout' ? 'a whiteout' : s.how === 'opaque' ? 'an opaque directory' : 'a newer entry';
  return `${what}${e.type} of layer ${e.layer ?? '?'} (mode ${(e.mode & 0o7777).toString(8).padStart(4, '0')}, uid ${e.uid}) hidden by ${how} in layer ${s.deletedInLayer}; it is still in the image's blobs`;
}
