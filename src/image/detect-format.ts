// Tells an image's format from its content, never from its name: SIF, squashfs, ext2/3/4, tar (compressed or not), directories.
import * as fs from 'node:fs';

import type { ImageFormat } from '../schema/image-report.js';

export type { ImageFormat };

/** Magic numbers: SIF "SIF_MAGIC" at 32 (sylabs/sif sif.go), squashfs "hsqs" (0x73717368 LE), ext 0xEF53 at 1080, ustar at 257. */
export function detectFormat(file: string): { format: ImageFormat; evidence: string } {
  const st = fs.statSync(file);
  if (st.isDirectory()) {
    if (fs.existsSync(`${file}/oci-layout`) && fs.existsSync(`${file}/index.json`))
      return { format: 'oci-layout', evidence: 'directory with oci-layout and index.json' };
    return { format: 'directory', evidence: 'a directory (sandbox)' };
  }
  if (!st.isFile()) return { format: 'unknown', evidence: 'not a regular file or directory' };
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(2048);
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const b = head.subarray(0, n);
  if (n >= 42 && b.subarray(32, 41).toString('latin1') === 'SIF_MAGIC')
    return { format: 'sif', evidence: 'SIF_MAGIC at offset 32' };
  if (n >= 4 && b.readUInt32LE(0) === 0x73717368)
    return { format: 'squashfs', evidence: 'squashfs magic "hsqs" at offset 0' };
  if (n >= 1082 && b.readUInt16LE(1080) === 0xef53)
    return { format: 'ext', evidence: 'ext2/3/4 superblock magic 0xEF53 at offset 1080' };
  if (n >= 2 && b[0] === 0x1f && b[1] === 0x8b) return { format: 'gzip', evidence: 'gzip magic' };
  if (n >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    return { format: 'xz', evidence: 'xz magic' };
  if (n >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return { format: 'zstd', evidence: 'zstd magic' };
  if (n >= 3 && b.subarray(0, 3).toString('latin1') === 'BZh')
    return { format: 'bzip2', evidence: 'bzip2 magic' };
  if (n >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar')
    return { format: 'tar', evidence: 'ustar magic at offset 257' };
  return { format: 'unknown', evidence: `no known magic in the first ${n} bytes` };
}
