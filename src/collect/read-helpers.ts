// Small helpers the collectors share: read a value file, turn read failures into evidence.
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
 * Opens a regular file of the host for positioned reads (package databases, binaries): HostRoot's descriptor walk,
 * never a FIFO or device. Null when it cannot be opened; a descriptor the caller closes otherwise.
 */
export function openInTree(root: HostRoot, p: string): { fd: number; size: number } | null {
  const o = root.openRegular(p);
  return o.ok ? { fd: o.fd, size: o.size } : null;
}
