// Reads a sandbox directory (an unpacked image) with lstat only: never follows a symlink out of it, bounded.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { capsTextToXattr } from './capabilities.js';
import {
  DEFAULT_LIMITS,
  ImageFormatError,
  type EntryType,
  type ImageEntry,
  type ReadLimits,
} from './image-entry.js';

function typeOf(st: fs.Stats): EntryType {
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'file';
}

/**
 * Node cannot read extended attributes: getfattr(1) (package attr) lists them all, without following
 * symlinks; where it is missing, getcap(8) still gives file capabilities and the gap is reported.
 */
function xattrsByPath(
  root: string,
  deadlineMs: number,
): { map: Map<string, Record<string, Buffer>>; complete: boolean } {
  const map = new Map<string, Record<string, Buffer>>();
  const getfattr = ['/usr/bin/getfattr', '/bin/getfattr'].find((p) => fs.existsSync(p));
  if (getfattr) {
    const r = spawnSync(
      getfattr,
      ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', root],
      { encoding: 'latin1', timeout: deadlineMs, maxBuffer: 256 * 1024 * 1024 },
    );
    let current: Record<string, Buffer> | null = null;
    for (const line of (r.stdout ?? '').split('\n')) {
      if (line.startsWith('# file: ')) {
        // getfattr escapes unprintable bytes of names as \ooo.
        const file = Buffer.from(
          line.slice(8).replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
          'latin1',
        ).toString('utf8');
        current = {};
        map.set('/' + path.relative(root, file), current);
      } else if (current) {
        const m = /^([^=]+)=0x([0-9a-f]*)$/.exec(line);
        if (m) current[m[1]!] = Buffer.from(m[2]!, 'hex');
      }
    }
    return { map, complete: r.status === 0 || r.status === 1 };
  }
  const getcap = ['/usr/sbin/getcap', '/sbin/getcap', '/usr/bin/getcap'].find((p) => fs.existsSync(p));
  if (getcap) {
    const r = spawnSync(getcap, ['-r', root], {
      encoding: 'utf8',
      timeout: deadlineMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    for (const line of (r.stdout ?? '').split('\n')) {
      const m = /^(\S.*?)\s+(?:= )?(cap_\S+.*)$/.exec(line.trim());
      if (m && m[1]!.startsWith(root))
        map.set('/' + path.relative(root, m[1]!), { 'security.capability': capsTextToXattr(m[2]!) });
    }
  }
  return { map, complete: false };
}

export function* readDirectoryEntries(
  root: string,
  limits: ReadLimits = DEFAULT_LIMITS,
  missingXattrs: string[] = [],
): Generator<ImageEntry> {
  const start = Date.now();
  const xattrs = xattrsByPath(root, limits.deadlineMs);
  if (!xattrs.complete)
    missingXattrs.push(
      `extended attributes other than file capabilities were not read: getfattr (package attr) is not installed`,
    );
  let count = 0;
  const stack: { dir: string; depth: number }[] = [{ dir: '', depth: 0 }];
  const rootSt = fs.lstatSync(root);
  yield { path: '/', type: 'dir', mode: rootSt.mode & 0o7777, uid: rootSt.uid, gid: rootSt.gid, size: 0 };
  while (stack.length > 0) {
    const { dir, depth } = stack.pop()!;
    if (depth > limits.maxDepth)
      throw new ImageFormatError(`directory deeper than ${limits.maxDepth} levels at ${dir}`);
    let names: string[];
    try {
      names = fs.readdirSync(path.join(root, dir)).sort();
    } catch (e) {
      throw new ImageFormatError(
        `cannot list ${dir || '/'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    for (const name of names) {
      if (++count > limits.maxEntries) throw new ImageFormatError(`more than ${limits.maxEntries} entries`);
      if (Date.now() - start > limits.deadlineMs)
        throw new ImageFormatError(`reading took longer than ${limits.deadlineMs} ms`);
      const rel = dir ? `${dir}/${name}` : name;
      const st = fs.lstatSync(path.join(root, rel));
      const p = '/' + rel;
      const type = typeOf(st);
      const e: ImageEntry = {
        path: p,
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: type === 'file' ? st.size : 0,
        nlink: st.nlink,
        inode: st.ino,
      };
      if (type === 'symlink') e.linkTarget = fs.readlinkSync(path.join(root, rel));
      if (type === 'char' || type === 'block') {
        // Linux dev_t: major in bits 8-19 and 32-43, minor in bits 0-7 and 20-31 (glibc gnu_dev_major/minor).
        e.devMajor = ((st.rdev >>> 8) & 0xfff) | (Math.floor(st.rdev / 2 ** 32) & ~0xfff);
        e.devMinor = (st.rdev & 0xff) | ((st.rdev >>> 12) & ~0xff);
      }
      const x = xattrs.map.get(p);
      if (x && Object.keys(x).length > 0) e.xattrs = x;
      yield e;
      if (type === 'dir') stack.push({ dir: rel, depth: depth + 1 });
    }
  }
}
