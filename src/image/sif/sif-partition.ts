// What a SIF partition holds for the audit: its entries (squashfs, ext3), or why they cannot be listed.
import { readExtEntries } from '../ext/read-ext.js';
import { DEFAULT_LIMITS, ImageFormatError, type ImageEntry, type ReadLimits } from '../image-entry.js';
import { readSquashfsEntries } from '../squashfs/read-squashfs.js';
import type { SifInfo, SifObject } from './read-sif.js';
import { DataType } from './sif-format.js';

export const ENCRYPTED_REASON = 'encrypted partition: contents cannot be audited without the key';

export type PartitionContents =
  | { kind: 'entries'; object: SifObject; fsType: 'squashfs' | 'ext3'; entries: Generator<ImageEntry> }
  /** LUKS2-encrypted squashfs (SingularityCE/Apptainer `--encrypt`): an outcome, not an error. */
  | { kind: 'encrypted'; object: SifObject; reason: string }
  /** No listable file system: a raw or archive partition, an unknown type, or no primary partition at all. */
  | { kind: 'opaque'; object: SifObject | null; reason: string };

/**
 * The contents of one partition object. Squashfs and ext3 are read in place at the object's offset, bounded to
 * its size; nothing is extracted or mounted. Table offsets inside the partition are relative to its start.
 */
export function partitionContents(
  file: string,
  object: SifObject,
  limits: ReadLimits = DEFAULT_LIMITS,
): PartitionContents {
  if (object.dataType !== DataType.Partition)
    throw new ImageFormatError(`SIF: object ${object.id} is a ${object.type} object, not a partition`);
  const range = { offset: object.offset, length: object.size, limits };
  switch (object.fsType) {
    case 'squashfs':
      return { kind: 'entries', object, fsType: 'squashfs', entries: readSquashfsEntries(file, range) };
    case 'ext3':
      return { kind: 'entries', object, fsType: 'ext3', entries: readExtEntries(file, range) };
    case 'encrypted-squashfs':
      return { kind: 'encrypted', object, reason: ENCRYPTED_REASON };
    case 'raw':
    case 'archive':
      return { kind: 'opaque', object, reason: `${object.fsType} partition: no file system to list` };
    default:
      return {
        kind: 'opaque',
        object,
        reason: `partition of unknown file system type: its contents cannot be listed`,
      };
  }
}

/** The primary system partition's contents: what `apptainer run image.sif` would mount. */
export function primaryPartitionContents(
  file: string,
  info: SifInfo,
  limits: ReadLimits = DEFAULT_LIMITS,
): PartitionContents {
  if (info.primary) return partitionContents(file, info.primary, limits);
  const oci = info.objects.some((o) => o.dataType === DataType.OCIRootIndex);
  return {
    kind: 'opaque',
    object: null,
    reason: oci
      ? 'no primary system partition: an OCI-SIF, whose layers are OCI blobs'
      : 'no primary system partition',
  };
}
