// Test images: a planted tree of risky entries, squashfs and ext partitions of it, and a SIF writer by the spec.
//
// The writer follows sylabs/sif (pkg/sif/sif.go header, pkg/sif/descriptor.go rawDescriptor, create.go defaults:
// descriptors at 4096, capacity 48; descriptor_input.go: partitions aligned to 4096, group IDs | 0xf0000000) with
// its own offsets, so a wrong constant in the reader cannot hide behind the same wrong constant here.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImageEntry } from '../../src/image/image-entry.js';

export const SIF = {
  headerSize: 128,
  descriptorsOffset: 4096,
  descriptorSize: 585,
  // header fields
  arch: 45,
  descriptorsFree: 80,
  descriptorsTotal: 88,
  descriptorsOffsetField: 96,
  descriptorsSize: 104,
  dataOffset: 112,
  dataSize: 120,
  // descriptor fields
  dUsed: 4,
  dId: 5,
  dGroup: 9,
  dLink: 13,
  dOffset: 17,
  dSize: 25,
  dExtra: 201,
} as const;

export const DT = { partition: 0x4004, signature: 0x4005, generic: 0x4007, sbom: 0x4009 } as const;
export const FS = { squashfs: 1, ext3: 2, raw: 4, encrypted: 5 } as const;
export const PART = { system: 1, primary: 2, data: 3, overlay: 4 } as const;

export interface SifObjectSpec {
  type: number;
  data: Buffer;
  /** Object group, 1-based; none when omitted. */
  group?: number;
  link?: { group: number } | { object: number };
  name?: string;
  extra?: Buffer;
  /** Alignment of the object's offset; 4096 for partitions as sylabs/sif does, 1 otherwise. */
  align?: number;
}

export function partitionExtra(fsType: number, partType: number, arch = '02'): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt32LE(fsType, 0);
  b.writeInt32LE(partType, 4);
  b.write(arch, 8, 'latin1'); // "02\0" = amd64 (pkg/sif/arch.go)
  return b;
}

export function signatureExtra(hashType = 1, fingerprint = Buffer.alloc(20)): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt32LE(hashType, 0);
  fingerprint.copy(b, 4);
  return b;
}

/** Lays out header, descriptor table and objects; `mutate` may corrupt the bytes before they are written. */
export function writeSif(
  out: string,
  objects: SifObjectSpec[],
  opts: { capacity?: number; mutate?: (b: Buffer) => void } = {},
): Buffer {
  const capacity = opts.capacity ?? 48;
  const dataOffset = SIF.descriptorsOffset + capacity * SIF.descriptorSize;
  const parts: Buffer[] = [];
  const descs = Buffer.alloc(capacity * SIF.descriptorSize);
  let pos = dataOffset;
  objects.forEach((o, i) => {
    const align = o.align ?? (o.type === DT.partition ? 4096 : 1);
    const pad = (align - (pos % align)) % align;
    if (pad > 0) parts.push(Buffer.alloc(pad));
    pos += pad;
    const d = descs.subarray(i * SIF.descriptorSize, (i + 1) * SIF.descriptorSize);
    d.writeInt32LE(o.type, 0);
    d[SIF.dUsed] = 1;
    d.writeUInt32LE(i + 1, SIF.dId);
    d.writeUInt32LE((0xf0000000 | (o.group ?? 0)) >>> 0, SIF.dGroup);
    const link =
      o.link === undefined ? 0 : 'group' in o.link ? (0xf0000000 | o.link.group) >>> 0 : o.link.object;
    d.writeUInt32LE(link, SIF.dLink);
    d.writeBigInt64LE(BigInt(pos), SIF.dOffset);
    d.writeBigInt64LE(BigInt(o.data.length), SIF.dSize);
    d.writeBigInt64LE(BigInt(o.data.length + pad), 33);
    d.write(o.name ?? '', 73, 'utf8');
    (o.extra ?? Buffer.alloc(0)).copy(d, SIF.dExtra);
    parts.push(o.data);
    pos += o.data.length;
  });
  const h = Buffer.alloc(SIF.descriptorsOffset);
  h.write('#!/usr/bin/env run-singularity\n', 0, 'latin1');
  h.write('SIF_MAGIC\0', 32, 'latin1');
  h.write('01\0', 42, 'latin1');
  h.write('02\0', SIF.arch, 'latin1');
  h.writeBigInt64LE(BigInt(capacity - objects.length), SIF.descriptorsFree);
  h.writeBigInt64LE(BigInt(capacity), SIF.descriptorsTotal);
  h.writeBigInt64LE(BigInt(SIF.descriptorsOffset), SIF.descriptorsOffsetField);
  h.writeBigInt64LE(BigInt(capacity * SIF.descriptorSize), SIF.descriptorsSize);
  h.writeBigInt64LE(BigInt(dataOffset), SIF.dataOffset);
  h.writeBigInt64LE(BigInt(pos - dataOffset), SIF.dataSize);
  const all = Buffer.concat([h, descs, ...parts]);
  opts.mutate?.(all);
  fs.writeFileSync(out, all);
  return all;
}

/** The byte offset of descriptor `index`'s field `field` (SIF.d*). */
export function descField(index: number, field: number): number {
  return SIF.descriptorsOffset + index * SIF.descriptorSize + field;
}

export function tempDir(prefix = 'ctrsafe-img-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function buildSquashfs(dir: string, out: string): void {
  execFileSync('mksquashfs', [dir, out, '-noappend', '-quiet', '-no-progress'], { stdio: 'pipe' });
}

/** mke2fs -d copies the tree, owners, modes, devices and xattrs into a new file system (misc/create_inode.c). */
export function buildExt(
  dir: string | null,
  out: string,
  sizeK: number,
  args: string[] = ['-t', 'ext3'],
): void {
  fs.rmSync(out, { force: true });
  execFileSync('mke2fs', ['-q', '-F', ...args, ...(dir ? ['-d', dir] : []), out, `${sizeK}k`], {
    stdio: 'pipe',
  });
}

/** Runs one debugfs request against an image and returns what it printed. */
export function debugfs(image: string, request: string, write = false): string {
  return execFileSync('debugfs', [...(write ? ['-w'] : []), '-R', request, image], {
    encoding: 'utf8',
    stdio: 'pipe',
  });
}

export const SLOW_TARGET = 'a/'.repeat(40) + 'slow-target'; // 91 bytes: past the 60 bytes of i_block
/**
 * posix_acl_xattr (version 2): user::rw-, user:1234:rwx, group::r--, mask::rwx, other::r--, as getxattr(2) returns
 * it: id -1 (ACL_UNDEFINED_ID) on the entries that name no user or group (fs/posix_acl.c posix_acl_to_xattr).
 */
export const ACL_USER_1234 = Buffer.from(
  '02000000' +
    '01000600ffffffff' +
    '02000700d2040000' +
    '04000400ffffffff' +
    '10000700ffffffff' +
    '20000400ffffffff',
  'hex',
);

/**
 * Plants a tree with what the audit looks for: setuid/setgid files, file capabilities, user xattrs and an ACL,
 * devices (old and new number encodings), a fifo, a world-writable directory without the sticky bit, absolute,
 * relative, escaping and slow symlinks, hard links, foreign owners, a 5 GiB sparse file, a deep chain and `many`
 * plain files.
 * Needs root (mknod, chown, setcap).
 */
export function plantTree(opts: { many?: number; deep?: number; sparse?: boolean } = {}): string {
  const root = tempDir('ctrsafe-tree-');
  const p = (rel: string) => path.join(root, rel);
  const mk = (rel: string) => fs.mkdirSync(p(rel), { recursive: true });
  const file = (rel: string, content: string | Buffer, mode = 0o644) => {
    mk(path.dirname(rel));
    fs.writeFileSync(p(rel), content);
    fs.chmodSync(p(rel), mode);
  };
  fs.chmodSync(root, 0o755);
  file('bin/su', 'su binary\n', 0o4755);
  fs.linkSync(p('bin/su'), p('bin/su-hardlink'));
  file('usr/bin/wall', 'wall\n');
  fs.chownSync(p('usr/bin/wall'), 0, 5);
  fs.chmodSync(p('usr/bin/wall'), 0o2755); // after chown, which clears setgid
  file('usr/bin/capped', 'caps\n', 0o755);
  execFileSync('setcap', ['cap_setuid+ep', p('usr/bin/capped')]);
  file('home/user/notes.txt', 'notes\n');
  file('home/user/big-xattr', 'x\n');
  file('home/user/acl', 'acl\n');
  mk('dev');
  execFileSync('mknod', [p('dev/null'), 'c', '1', '3']);
  execFileSync('mknod', [p('dev/sda'), 'b', '8', '0']);
  execFileSync('mknod', [p('dev/wide'), 'c', '300', '70000']);
  mk('run');
  execFileSync('mkfifo', [p('run/fifo')]);
  mk('tmp_open');
  fs.chmodSync(p('tmp_open'), 0o777);
  mk('tmp');
  fs.chmodSync(p('tmp'), 0o1777);
  mk('links');
  fs.symlinkSync('/etc/shadow', p('links/abs'));
  fs.symlinkSync('../bin/su', p('links/rel'));
  fs.symlinkSync('../../../../../etc/passwd', p('links/escape'));
  fs.symlinkSync(SLOW_TARGET, p('links/slow'));
  file('owned/by-1234', 'mine\n', 0o640);
  fs.chownSync(p('owned/by-1234'), 1234, 4321);
  mk('owned/dir');
  fs.chownSync(p('owned/dir'), 1234, 4321);
  file('owned/spaced name ünï', 'utf-8 name\n');
  file('data/filled', Buffer.alloc(300 * 1024, 7)); // double-indirect blocks with 1 KiB blocks
  file('data/empty', '');
  if (opts.sparse !== false) {
    // i_size_high in use, no data blocks. mksquashfs reads every hole (10 s), so squashfs trees leave it out.
    file('data/sparse', '');
    fs.truncateSync(p('data/sparse'), 5 * 2 ** 30 + 3);
  }
  const deep = Array.from({ length: opts.deep ?? 30 }, (_, i) => `d${i}`).join('/');
  file(`deep/${deep}/leaf`, 'leaf\n');
  mk('many');
  for (let i = 0; i < (opts.many ?? 3000); i++)
    fs.writeFileSync(p(`many/f${String(i).padStart(5, '0')}`), '');
  // Node has no xattr API: Python's os.setxattr (the ACL in its getxattr form; the kernel checks it).
  execFileSync('/usr/bin/python3', [
    '-c',
    [
      'import os, sys, socket',
      'r = sys.argv[1]',
      "os.setxattr(r + '/home/user/notes.txt', 'user.comment', b'planted')",
      "os.setxattr(r + '/home/user/big-xattr', 'user.big', b'B' * 600)",
      "os.setxattr(r + '/home/user', 'user.dir', b'on a directory')",
      "socket.socket(socket.AF_UNIX).bind(r + '/run/sock')",
      `os.setxattr(r + '/home/user/acl', 'system.posix_acl_access', bytes.fromhex('${ACL_USER_1234.toString('hex')}'))`,
    ].join('\n'),
    root,
  ]);
  return root;
}

export interface TreeEntry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: number;
  linkTarget?: string;
  devMajor?: number;
  devMinor?: number;
  xattrs: Record<string, string>;
}

/** What the planted tree holds, by image path ("/" first), with xattrs as hex (read by Python, not followed). */
export function snapshotTree(root: string): Map<string, TreeEntry> {
  const xattrJson = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      [
        'import os, sys, json',
        'r = sys.argv[1]; out = {}',
        'for d, dirs, files in os.walk(r):',
        '  for n in [d] + [os.path.join(d, x) for x in dirs + files]:',
        '    rel = "/" + os.path.relpath(n, r) if n != r else "/"',
        '    out[rel] = {k: os.getxattr(n, k, follow_symlinks=False).hex() for k in os.listxattr(n, follow_symlinks=False)}',
        'print(json.dumps(out))',
      ].join('\n'),
      root,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const xattrs = JSON.parse(xattrJson) as Record<string, Record<string, string>>;
  const out = new Map<string, TreeEntry>();
  const walk = (rel: string) => {
    const st = fs.lstatSync(path.join(root, rel));
    const type = st.isDirectory()
      ? 'dir'
      : st.isSymbolicLink()
        ? 'symlink'
        : st.isCharacterDevice()
          ? 'char'
          : st.isBlockDevice()
            ? 'block'
            : st.isFIFO()
              ? 'fifo'
              : st.isSocket()
                ? 'socket'
                : 'file';
    const ipath = rel === '' ? '/' : rel;
    const e: TreeEntry = {
      path: ipath,
      type,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      size: type === 'file' ? st.size : 0,
      nlink: st.nlink,
      ino: st.ino,
      xattrs: xattrs[ipath] ?? {},
    };
    if (type === 'symlink') e.linkTarget = fs.readlinkSync(path.join(root, rel));
    if (type === 'char' || type === 'block') {
      e.devMajor = Math.floor(st.rdev / 256) & 0xfff;
      e.devMinor = (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & 0xfff00);
    }
    out.set(ipath, e);
    if (type === 'dir') for (const n of fs.readdirSync(path.join(root, rel)).sort()) walk(`${rel}/${n}`);
  };
  walk('');
  return out;
}

function hexXattrs(e: ImageEntry): Record<string, string> {
  return Object.fromEntries(Object.entries(e.xattrs ?? {}).map(([k, v]) => [k, v.toString('hex')]));
}

/** Every planted path with its type, mode, owners, size, target, device and xattrs; nothing else but lost+found. */
export function assertSameAsTree(
  entries: ImageEntry[],
  expected: Map<string, TreeEntry>,
  opts: { nlinkOptional?: boolean } = {},
): void {
  const got = new Map(entries.map((e) => [e.path, e]));
  assert.equal(got.size, entries.length, 'each path once');
  assert.equal(entries[0]!.path, '/', 'the root comes first');
  for (const p of got.keys()) assert.ok(expected.has(p) || p.startsWith('/lost+found'), `unexpected ${p}`);
  for (const [p, t] of expected) {
    const e = got.get(p);
    assert.ok(e, `missing ${p}`);
    const pick = (x: Partial<TreeEntry> | ImageEntry) => ({
      type: x.type,
      mode: x.mode,
      uid: x.uid,
      gid: x.gid,
      size: x.type === 'file' ? x.size : undefined, // readers differ on directory and symlink sizes
      linkTarget: x.linkTarget,
      devMajor: x.devMajor,
      devMinor: x.devMinor,
    });
    assert.deepEqual(pick(e), pick(t), p);
    assert.deepEqual(hexXattrs(e), t.xattrs, `${p} xattrs`);
    // Squashfs basic inodes store no link count (squashfs-tools-ng doc/format.adoc): 1 is implied.
    if (t.type !== 'dir' && !(opts.nlinkOptional && e.nlink === undefined))
      assert.equal(e.nlink, t.nlink, `${p} links`);
  }
  assert.equal(got.get('/bin/su')!.inode, got.get('/bin/su-hardlink')!.inode, 'hard links share an inode');
  assert.notEqual(got.get('/bin/su')!.inode, got.get('/usr/bin/wall')!.inode);
}
