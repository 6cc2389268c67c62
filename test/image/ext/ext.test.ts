// The ext reader lists mke2fs -d images exactly as the planted tree, and ends corrupt ones with ImageFormatError.
import { cpuMark, cpuMsSince } from '../../helpers/cpu-time.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readExtEntries } from '../../../src/image/ext/read-ext.js';
import {
  DEFAULT_LIMITS,
  ImageFormatError,
  type ImageEntry,
  type ReadLimits,
} from '../../../src/image/image-entry.js';
import {
  ACL_USER_1234,
  assertSameAsTree,
  buildExt,
  debugfs,
  plantTree,
  SLOW_TARGET,
  snapshotTree,
  tempDir,
  type TreeEntry,
} from '../../helpers/write-sif.js';

const isRoot = process.getuid?.() === 0;
const hasTools = ['mke2fs', 'debugfs', 'e2fsck', 'setcap'].every((t) =>
  ['/usr/sbin', '/sbin', '/usr/bin'].some((d) => fs.existsSync(path.join(d, t))),
);
// CI installs e2fsprogs and libcap2-bin and runs as root (scripts/test.sh): there nothing may skip.
const skip = (!isRoot || !hasTools) && !process.env.CI ? 'needs root, e2fsprogs and libcap2-bin' : false;

const work = skip ? '' : tempDir('ctrsafe-ext-');
let planted: { root: string; tree: Map<string, TreeEntry> } | null = null;
function tree(): { root: string; tree: Map<string, TreeEntry> } {
  if (!planted) {
    const root = plantTree();
    planted = { root, tree: snapshotTree(root) };
  }
  return planted;
}
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
  if (planted) fs.rmSync(planted.root, { recursive: true, force: true });
});

function list(file: string, opts: Parameters<typeof readExtEntries>[1] = {}): ImageEntry[] {
  return [...readExtEntries(file, opts)];
}

/** The planted tree's highlights, checked by value so a wrong snapshot cannot agree with a wrong reader. */
function assertHighlights(entries: ImageEntry[]): void {
  const by = new Map(entries.map((e) => [e.path, e]));
  assert.equal(by.get('/bin/su')!.mode, 0o4755);
  assert.equal(by.get('/usr/bin/wall')!.mode, 0o2755);
  assert.equal(by.get('/usr/bin/wall')!.gid, 5);
  assert.equal(by.get('/usr/bin/capped')!.xattrs!['security.capability']!.readUInt32LE(0), 0x02000001); // VFS_CAP_REVISION_2, effective
  assert.equal(by.get('/home/user/notes.txt')!.xattrs!['user.comment']!.toString(), 'planted');
  assert.equal(by.get('/home/user/big-xattr')!.xattrs!['user.big']!.length, 600);
  assert.deepEqual(by.get('/home/user/acl')!.xattrs!['system.posix_acl_access'], ACL_USER_1234);
  assert.deepEqual(
    [by.get('/dev/null')!.type, by.get('/dev/null')!.devMajor, by.get('/dev/null')!.devMinor],
    ['char', 1, 3],
  );
  assert.deepEqual(
    [by.get('/dev/sda')!.type, by.get('/dev/sda')!.devMajor, by.get('/dev/sda')!.devMinor],
    ['block', 8, 0],
  );
  assert.deepEqual([by.get('/dev/wide')!.devMajor, by.get('/dev/wide')!.devMinor], [300, 70000]);
  assert.equal(by.get('/run/fifo')!.type, 'fifo');
  assert.equal(by.get('/tmp_open')!.mode, 0o777);
  assert.equal(by.get('/tmp')!.mode, 0o1777);
  assert.equal(by.get('/links/abs')!.linkTarget, '/etc/shadow');
  assert.equal(by.get('/links/escape')!.linkTarget, '../../../../../etc/passwd');
  assert.equal(by.get('/links/slow')!.linkTarget, SLOW_TARGET);
  assert.deepEqual([by.get('/owned/by-1234')!.uid, by.get('/owned/by-1234')!.gid], [1234, 4321]);
  assert.equal(by.get('/data/filled')!.size, 300 * 1024);
  assert.equal(by.get('/data/sparse')!.size, 5 * 2 ** 30 + 3);
  assert.equal(by.get('/run/sock')!.type, 'socket');
  assert.ok(by.has('/owned/spaced name ünï'));
  assert.equal(entries.filter((e) => e.path.startsWith('/many/')).length, 3000);
  assert.ok(entries.some((e) => e.path.endsWith('/d29/leaf')));
}

function image(name: string, args: string[], sizeK = 32768): string {
  const out = path.join(work, name);
  buildExt(tree().root, out, sizeK, args);
  return out;
}

function expectFormatError(fn: () => unknown, re: RegExp): void {
  const t0 = cpuMark();
  assert.throws(
    fn,
    (e: unknown) => e instanceof ImageFormatError && re.test(e.message) && !e.message.includes('\n'),
  );
  assert.ok(cpuMsSince(t0) < 5000, 'fails quickly');
}

test('ext3 (4 KiB blocks, 256-byte inodes) lists exactly the planted tree', { skip }, () => {
  const entries = list(image('ext3.img', ['-t', 'ext3']));
  assertSameAsTree(entries, tree().tree);
  assertHighlights(entries);
});

test(
  'ext3 with 1 KiB blocks and 128-byte inodes: indirect blocks, xattr blocks only, first data block 1',
  { skip },
  () => {
    const img = image('ext3-1k.img', ['-t', 'ext3', '-b', '1024', '-I', '128']);
    assert.match(
      debugfs(img, 'stat /many'),
      /BLOCKS:[\s\S]*\(IND\)/,
      'the big directory needs an indirect block',
    );
    const entries = list(img);
    assertSameAsTree(entries, tree().tree);
    assertHighlights(entries);
  },
);

test('ext2 without filetype and dir_index, and revision 0, list the same tree', { skip }, () => {
  assertSameAsTree(list(image('ext2.img', ['-t', 'ext2', '-O', '^filetype,^dir_index'])), tree().tree);
  // Revision 0 has no xattrs at all (ext_attr is a feature): compare everything else.
  const rev0 = list(image('ext2-r0.img', ['-t', 'ext2', '-r', '0']));
  const noX = new Map([...tree().tree].map(([k, v]) => [k, { ...v, xattrs: {} }]));
  assertSameAsTree(rev0, noX);
});

test(
  'ext4 (extents, 64bit, metadata_csum, flex_bg), also after e2fsck -D indexes its directories',
  { skip },
  () => {
    const img = image('ext4.img', ['-t', 'ext4']);
    assertSameAsTree(list(img), tree().tree);
    execFileSync('e2fsck', ['-fyD', img], { stdio: 'pipe' });
    assert.match(debugfs(img, 'stat /many'), /Flags: 0x81000/, 'htree (INDEX_FL) and extents');
    const entries = list(img);
    assertSameAsTree(entries, tree().tree);
    assertHighlights(entries);
  },
);

test('ext4 with meta_bg and 64 small groups finds every group descriptor block', { skip }, () => {
  const img = image('ext4-metabg.img', [
    '-t',
    'ext4',
    '-b',
    '1024',
    '-g',
    '256',
    '-O',
    'meta_bg,^resize_inode,64bit',
  ]);
  assert.match(debugfs(img, 'stats'), /meta_bg/);
  assertSameAsTree(list(img), tree().tree);
});

test('ext4 xattr values stored in an EA inode are read', { skip }, () => {
  const img = image('ext4-ea.img', ['-t', 'ext4', '-O', 'ea_inode']);
  const value = Buffer.alloc(1024, 0);
  for (let i = 0; i < value.length; i++) value[i] = (i * 7) & 0xff;
  fs.writeFileSync(path.join(work, 'ea-value'), value);
  debugfs(img, `ea_set -f ${path.join(work, 'ea-value')} /data/empty user.huge`, true);
  const e = list(img).find((x) => x.path === '/data/empty')!;
  assert.deepEqual(e.xattrs!['user.huge'], value);
});

test('an ext image at an offset inside a larger file is read with offset and length', { skip }, () => {
  const img = image('small.img', ['-t', 'ext3'], 16384);
  const wrapped = path.join(work, 'wrapped.bin');
  fs.writeFileSync(
    wrapped,
    Buffer.concat([Buffer.alloc(12345, 0xaa), fs.readFileSync(img), Buffer.alloc(777, 0xbb)]),
  );
  assertSameAsTree(list(wrapped, { offset: 12345, length: fs.statSync(img).size }), tree().tree);
  expectFormatError(
    () => list(wrapped, { offset: 12345, length: 100_000 }),
    /exceeds the 100000 bytes available/,
  );
});

test('read limits end the walk with ImageFormatError', { skip }, () => {
  const img = image('limits.img', ['-t', 'ext3']);
  const lim = (l: Partial<ReadLimits>) => ({ limits: { ...DEFAULT_LIMITS, ...l } });
  expectFormatError(() => list(img, lim({ maxEntries: 100 })), /more than 100 entries/);
  expectFormatError(() => list(img, lim({ maxDepth: 10 })), /deeper than 10 levels/);
  expectFormatError(() => list(img, lim({ maxPathBytes: 40 })), /path longer than 40 bytes/);
  expectFormatError(() => list(img, lim({ maxXattrBytes: 100 })), /xattr value of 600 bytes exceeds 100/);
  expectFormatError(() => list(img, lim({ maxMetadataBytes: 64 * 1024 })), /bytes of metadata/);
});

test('unsupported ext4 features are named, not misread', { skip }, () => {
  const img = path.join(work, 'inline.img');
  buildExt(tree().root, img, 32768, ['-t', 'ext4', '-O', 'inline_data']);
  expectFormatError(() => list(img), /unsupported ext4 feature: inline_data/);
});

/** Copies the small image and patches it; returns the copy. */
function corrupt(base: string, name: string, patch: (b: Buffer) => void): string {
  const b = fs.readFileSync(base);
  patch(b);
  const out = path.join(work, name);
  fs.writeFileSync(out, b);
  return out;
}

test('corrupt superblocks: bad magic, absurd inode counts, truncation', { skip }, () => {
  const base = image('base.img', ['-t', 'ext3'], 16384);
  expectFormatError(
    () => list(corrupt(base, 'magic.img', (b) => b.writeUInt16LE(0x1234, 1024 + 0x38))),
    /magic/,
  );
  expectFormatError(
    () => list(corrupt(base, 'inodes.img', (b) => b.writeUInt32LE(0xffffffff, 1024))),
    /inode count 4294967295 is not/,
  );
  expectFormatError(
    () => list(corrupt(base, 'ipg.img', (b) => b.writeUInt32LE(0x7fffffff, 1024 + 0x28))),
    /inodes per group/,
  );
  expectFormatError(
    () => list(corrupt(base, 'bpg.img', (b) => b.writeUInt32LE(0, 1024 + 0x20))),
    /blocks per group/,
  );
  expectFormatError(
    () => list(corrupt(base, 'bs.img', (b) => b.writeUInt32LE(40, 1024 + 0x18))),
    /block size/,
  );
  const recover = corrupt(base, 'recover.img', (b) =>
    b.writeUInt32LE(b.readUInt32LE(1024 + 0x60) | 0x4, 1024 + 0x60),
  );
  expectFormatError(() => list(recover), /journal needs recovery/);
  const half = path.join(work, 'half.img');
  fs.writeFileSync(half, fs.readFileSync(base).subarray(0, 8 * 1024 * 1024));
  expectFormatError(() => list(half), /exceeds the 8388608 bytes available/);
  fs.writeFileSync(half, fs.readFileSync(base).subarray(0, 1500));
  expectFormatError(() => list(half), /too few for a file system/);
});

test('crafted directory loops and wild block pointers end with ImageFormatError', { skip }, () => {
  const base = image('loop-base.img', ['-t', 'ext3'], 16384);
  // A link from deep inside back to an ancestor: debugfs's "link" does what the kernel never allows.
  const loop = corrupt(base, 'loop.img', () => {});
  debugfs(loop, 'link /deep /deep/d0/d1/back', true);
  expectFormatError(() => list(loop), /directory loop: "\/deep\/d0\/d1\/back" is inode \d+/);
  // d1's first directory block pointed back at its parent's.
  const alias = corrupt(base, 'alias.img', () => {});
  const parentBlock = debugfs(alias, 'blocks /deep/d0').trim().split(/\s+/)[0]!;
  debugfs(alias, `sif /deep/d0/d1 block[0] ${parentBlock}`, true);
  expectFormatError(() => list(alias), /reuses block \d+|directory loop/);
  const wild = corrupt(base, 'wild.img', () => {});
  debugfs(wild, 'sif /many block[IND] 4000000000', true);
  expectFormatError(() => list(wild), /outside/);
  const deleted = corrupt(base, 'deleted.img', () => {});
  debugfs(deleted, 'clri /owned/by-1234', true);
  expectFormatError(() => list(deleted), /deleted/);
});

test('corrupt ext4 extent trees end with ImageFormatError', { skip }, () => {
  const base = image('ext4-base.img', ['-t', 'ext4'], 16384);
  const deep = corrupt(base, 'depth.img', () => {});
  debugfs(deep, `sif /many block[1] ${4 | (9 << 16)}`, true); // eh_max 4, eh_depth 9
  expectFormatError(() => list(deep), /extent tree depth 9 exceeds 5/);
  const magic = corrupt(base, 'emagic.img', () => {});
  debugfs(magic, 'sif /deep block[0] 0', true);
  expectFormatError(() => list(magic), /extent header magic/);
});
