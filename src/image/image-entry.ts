// The one shape every image reader yields: a file system entry with the metadata the audit judges.

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface ImageEntry {
  /** Absolute, normalised path inside the image ("/usr/bin/su"); "/" is the root. */
  path: string;
  /**
   * The name exactly as the archive stored it, when it differs from `path` (tar: "../etc/passwd",
   * "/etc/shadow", "./bin/"): the audit flags escaping names from it.
   */
  rawName?: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Symlink target as stored, or for a hard link the path of the entry it links to. */
  linkTarget?: string;
  /** Extended attributes by full name ("security.capability", "user.foo"), raw bytes. */
  xattrs?: Record<string, Buffer>;
  devMajor?: number;
  devMinor?: number;
  /** Layered images: which layer (0 = lowest) the entry came from. */
  layer?: number;
  /** Number of directory entries that share this inode (squashfs, ext3): > 1 for hard links. */
  nlink?: number;
  /** Reader-specific inode identity, so hard links across paths can be told apart from copies. */
  inode?: number;
}

/** Bounds every reader honours; exceeding one ends the read with an ImageFormatError. */
export interface ReadLimits {
  /** Entries (inodes, tar members) at most. */
  maxEntries: number;
  /** Bytes of decompressed metadata at most (squashfs metadata, tar headers, PAX records). */
  maxMetadataBytes: number;
  /** Directory depth at most. */
  maxDepth: number;
  /** Path length at most. */
  maxPathBytes: number;
  /** Bytes one xattr value may have. */
  maxXattrBytes: number;
  /** Wall-clock deadline in ms for one image. */
  deadlineMs: number;
}

export const DEFAULT_LIMITS: ReadLimits = {
  maxEntries: 5_000_000,
  maxMetadataBytes: 1024 * 1024 * 1024,
  maxDepth: 256,
  maxPathBytes: 4096,
  maxXattrBytes: 64 * 1024,
  deadlineMs: 10 * 60 * 1000,
};

/** A malformed or hostile image: the audit turns it into an error finding with this one-line message. */
export class ImageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFormatError';
  }
}

/** Normalises an archive name to an absolute path inside the image; ".." never climbs above "/". */
export function normalizeImagePath(name: string): string {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}
