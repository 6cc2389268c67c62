// Small helpers the collectors share: read a value file, turn read failures into evidence.
import * as fs from 'node:fs';
import type { HostRoot, ReadResult } from '../host/host-root.js';

/** A one-line reason for a failed or suspicious read, or null when the text is usable. */
export function readProblem(r: ReadResult, root: HostRoot, limitBytes: number): string | null {
  if (!r.ok) return `${root.display(r.path)}: ${r.reason}`;
  if (r.truncated) return `${root.display(r.path)}: larger than ${limitBytes} bytes, ignored`;
  if (r.binary) return `${root.display(r.path)}: binary data, ignored`;
  return null;
}

/** Reads a small single-value file such as /proc/sys/user/max_user_namespaces. */
export function readValueFile(
  root: HostRoot,
  p: string,
  maxBytes = 4096,
): { ok: true; value: string } | { ok: false; missing: boolean; reason: string } {
  const r = root.readText(p, maxBytes);
  const problem = readProblem(r, root, maxBytes);
  if (problem !== null) return { ok: false, missing: !r.ok && r.missing, reason: problem };
  return { ok: true, value: (r as { text: string }).text.trim() };
}

export function asNumberOrString(v: string): number | string {
  return /^-?\d{1,15}$/.test(v) ? Number(v) : v;
}

/**
 * Opens a regular file of the host for positioned reads (package databases, binaries): resolved inside the
 * tree, never through a final symlink there, never blocking on a FIFO. Null when it cannot be opened; a
 * descriptor the caller closes otherwise.
 */
export function openInTree(root: HostRoot, p: string): { fd: number; size: number } | null {
  const r = root.resolve(p);
  if (!r.ok) return null;
  let fd: number;
  try {
    fd = fs.openSync(
      r.real,
      fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (root.isLive ? 0 : fs.constants.O_NOFOLLOW),
    );
  } catch {
    return null;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    return null;
  }
  return { fd, size: st.size };
}
