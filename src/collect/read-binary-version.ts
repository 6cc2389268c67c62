// Reads a runtime's version from its binary without running it (Go build information), bounded.
import * as fs from 'node:fs';
import type { HostRoot } from '../host/host-root.js';
import { goProgramVersion, readGoBuildInfo } from '../parse/go-buildinfo.js';
import { fdAccess } from '../parse/random-access.js';
import { openInTree } from './read-helpers.js';

/** Section headers and the build information section are all that is read: a few KiB of a 40 MiB binary. */
const MAX_READ = 4 * 1024 * 1024;

export function readBinaryVersion(root: HostRoot, bin: string): { version: string; evidence: string } | null {
  const f = openInTree(root, bin);
  if (!f) return null;
  try {
    const info = readGoBuildInfo(fdAccess(f.fd, f.size, MAX_READ));
    const v = info ? goProgramVersion(info) : null;
    return v
      ? { version: v.version, evidence: `${root.display(bin)}: Go build information (${v.how})` }
      : null;
  } catch {
    return null; // not ELF, truncated, or malformed: the version stays unread, and the next source is tried
  } finally {
    fs.closeSync(f.fd);
  }
}
