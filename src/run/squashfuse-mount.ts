// Mounts a squashfs (or a SIF's primary squashfs partition, by offset) with squashfuse when the caller may open
// /dev/fuse: nothing is unpacked, and fusermount makes the mount nosuid and nodev for an unprivileged user.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

const which = (names: string[]) => names.find((p) => fs.existsSync(p)) ?? null;

export interface FuseTools {
  squashfuse: string;
  fusermount: string;
}

/** squashfuse and fusermount installed, and /dev/fuse openable by this user (root-only on some sites). */
export function fuseTools(): FuseTools | null {
  const squashfuse = which(['/usr/bin/squashfuse', '/usr/local/bin/squashfuse']);
  const fusermount = which(['/usr/bin/fusermount3', '/usr/bin/fusermount', '/bin/fusermount']);
  if (!squashfuse || !fusermount) return null;
  try {
    fs.closeSync(fs.openSync('/dev/fuse', fs.constants.O_RDWR));
    return { squashfuse, fusermount };
  } catch {
    return null;
  }
}

/** Mounts IMAGE (from byte OFFSET) on MNT; returns the unmount. squashfuse daemonizes once the mount is up. */
export function mountSquashfs(tools: FuseTools, image: string, offset: number, mnt: string): () => void {
  fs.mkdirSync(mnt, { recursive: true, mode: 0o700 });
  const r = spawnSync(tools.squashfuse, [...(offset ? ['-o', `offset=${offset}`] : []), image, mnt], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0)
    throw new Error(`squashfuse: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`);
  return () => {
    spawnSync(tools.fusermount, ['-u', '-z', mnt], { stdio: 'ignore', timeout: 30_000 });
  };
}
