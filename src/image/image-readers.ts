// Where each image format is read: the reader for a detected format, as one stream of entries.
import { finding, type ImageFinding } from './audit-entries.js';
import type { ImageFormat } from './detect-format.js';
import { ImageFormatError, type ImageEntry, type ReadLimits } from './image-entry.js';
import { readDirectoryEntries } from './read-directory.js';

export interface OpenedImage {
  entries: Iterable<ImageEntry> | AsyncIterable<ImageEntry>;
  /** Findings the reader knows before or after listing (encrypted partitions, files deleted by whiteouts). */
  findings: ImageFinding[];
  afterward?: () => ImageFinding[];
  layers?: number;
  /** SIF only: whether a signature object exists. */
  signed?: boolean | null;
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
    default:
      throw new ImageFormatError(
        `${format === 'unknown' ? 'unrecognised format' : `format ${format}`} cannot be audited`,
      );
  }
}
