// The squashfs reader lists exactly what unsquashfs lists, for every compressor, with xattrs and hard links,
// and turns crafted, truncated or oversized images into ImageFormatError.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_LIMITS, ImageFormatError, type ImageEntry } from '../../../src/image/image-entry.js';
import { readSquashfsEntries, squashfsInfo } from '../../../src/image/squashfs/read-squashfs.js';
import { cpuMark, cpuMsSince } from '../../helpers/cpu-time.js';

const PY = '/usr/bin/python3';
const COMPRESSORS = ['gzip', 'lzo', 'lz4', 'xz', 'zstd', 'lzma'] as const;
const isRoot = process.getuid?.() === 0;
// Device nodes, trusted.* xattrs and chown need root; CI runs as root and must not skip.
const needsRoot =
  isRoot || process.env.CI === 'true' ? {} : { skip: 'needs root (mknod, chown, trusted.* xattrs)' };

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A scratch base whose file system keeps user.* xattrs (tmpfs before Linux 6.6 does not): mksquashfs reads them from it. */
let scratch: string | undefined;
function tmp(name: string): string {
  if (!scratch) {
    for (const base of [os.tmpdir(), '/var/tmp']) {
      const probe = fs.mkdtempSync(path.join(base, 'ctrsafe-xattr-probe-'));
      const r = spawnSync(PY, ['-c', 'import os, sys; os.setxattr(sys.argv[1], "user.probe", b"1")', probe]);
      fs.rmSync(probe, { recursive: true });
      if (r.status === 0) {
        scratch = base;
        break;
      }
    }
    assert.ok(scratch, 'no scratch directory keeps user.* xattrs');
  }
  const dir = fs.mkdtempSync(path.join(scratch, `ctrsafe-sqfs-${name}-`));
  made.push(dir);
  return dir;
}

function mksquashfs(dir: string, out: string, comp: string, extra: string[] = []): string {
  run('mksquashfs', [dir, out, '-comp', comp, '-noappend', '-quiet', '-no-progress', ...extra]);
  return out;
}

/** The tree the audit cares about: every inode type, set-id bits, capabilities, odd owners, links, deep and long paths. */
function plantTree(): string {
  const root = path.join(tmp('tree'), 'root');
  const w = (rel: string, data = '', mode = 0o644) => {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    fs.chmodSync(p, mode);
    return p;
  };
  w('usr/bin/su', '#!/bin/true\n', 0o4755);
  w('usr/bin/wall', 'wall', 0o2755);
  fs.chownSync(w('usr/bin/ping', 'ping', 0o755), 0, 0);
  run('setcap', ['cap_setuid+ep', path.join(root, 'usr/bin/ping')]);
  fs.chownSync(w('home/user/owned', 'mine'), 1234, 4321);
  w('etc/shared-a', 'a');
  w('etc/shared-b', 'b');
  w('etc/big', 'x'.repeat(300_000));
  fs.mkdirSync(path.join(root, 'tmp-open'), { mode: 0o777 });
  fs.chmodSync(path.join(root, 'tmp-open'), 0o777);
  fs.mkdirSync(path.join(root, 'tmp-sticky'));
  fs.chmodSync(path.join(root, 'tmp-sticky'), 0o1777);
  fs.mkdirSync(path.join(root, 'empty'));
  fs.mkdirSync(path.join(root, 'dev'));
  run('mknod', [path.join(root, 'dev/null'), 'c', '1', '3']);
  run('mknod', [path.join(root, 'dev/sda'), 'b', '8', '0']);
  run('mknod', [path.join(root, 'dev/nvme-big'), 'b', '259', '70000']);
  run('mknod', [path.join(root, 'dev/whiteout'), 'c', '0', '0']);
  run('mkfifo', [path.join(root, 'dev/fifo')]);
  fs.symlinkSync('/etc/shadow', path.join(root, 'abs-link'));
  fs.symlinkSync('usr/bin/su', path.join(root, 'rel-link'));
  fs.symlinkSync('../../../etc/passwd', path.join(root, 'usr/escape'));
  w('data/original', 'linked');
  fs.linkSync(path.join(root, 'data/original'), path.join(root, 'data/hardlink'));
  fs.linkSync(path.join(root, 'data/original'), path.join(root, 'usr/hardlink2'));
  let deep = 'deep';
  for (let i = 0; i < 40; i++) deep += `/level-${i}`;
  w(`${deep}/bottom`, 'deep');
  w(`long/${'n'.repeat(255)}`, 'long name');
  w('names/ünïcödé name with spaces', 'utf8');
  for (let i = 0; i < 700; i++) w(`many/entry-${String(i).padStart(4, '0')}-${'x'.repeat(i % 50)}`);
  // Sockets, and xattrs Node cannot set: Debian's own python3.
  run(PY, [
    '-c',
    `import os, socket
r = ${JSON.stringify(root)}
s = socket.socket(socket.AF_UNIX); s.bind(r + '/dev/sock')
os.setxattr(r + '/home/user/owned', 'user.comment', b'hello')
big = b'V' * 200  # shared by two files with different sets: mksquashfs stores it once, out of line
os.setxattr(r + '/etc/shared-a', 'user.shared', big)
os.setxattr(r + '/etc/shared-b', 'user.shared', big)
os.setxattr(r + '/etc/shared-b', 'user.other', b'\\x00\\x01\\xff')
os.setxattr(r + '/tmp-open', 'trusted.overlay.opaque', b'y')
os.setxattr(r + '/data/original', 'user.linked', b'1')
`,
  ]);
  return root;
}

/** Every xattr of every file below root, read by Python (lgetxattr), as {"/path": {name: hex}}. */
function sourceXattrs(root: string): Record<string, Record<string, string>> {
  const out = run(PY, [
    '-c',
    `import os, json, sys
r = sys.argv[1]; res = {}
for d, dirs, files in os.walk(r):
    for n in [d] + [os.path.join(d, f) for f in dirs + files]:
        names = os.listxattr(n, follow_symlinks=False)
        if names:
            res['/' + os.path.relpath(n, r) if n != r else '/'] = {k: os.getxattr(n, k, follow_symlinks=False).hex() for k in names}
print(json.dumps(res))`,
    root,
  ]);
  return JSON.parse(out) as Record<string, Record<string, string>>;
}

interface Line {
  perms: string;
  owner: string;
  size: string;
  path: string;
  target?: string;
}

/** `unsquashfs -lln -UTC` parsed: "drwxr-xr-x 0/0   115 2026-11-29 13:05 squashfs-root/a -> b". */
function unsquashfsListing(image: string, extra: string[] = []): Line[] {
  const lines = run('unsquashfs', ['-lln', '-UTC', ...extra, image]).split('\n');
  const out: Line[] = [];
  for (const l of lines) {
    const m = /^(\S{10}) (\d+\/\d+) +(\d+, *\d+|\d+) \d{4}-\d\d-\d\d \d\d:\d\d squashfs-root(.*)$/.exec(l);
    if (!m) continue;
    let p = m[4]!;
    let target: string | undefined;
    if (m[1]!.startsWith('l')) [p, target] = p.split(' -> ') as [string, string];
    let size = m[3]!.replace(/ /g, '');
    if (size.includes(',')) {
      // unsquashfs 4.5.1 prints rdev >> 8, rdev & 0xff; decode the stored rdev as Linux does (new_decode_dev).
      const [hi, lo] = size.split(',').map(Number) as [number, number];
      const rdev = hi * 256 + lo;
      size = `${(rdev >>> 8) & 0xfff},${(rdev & 0xff) | ((rdev >>> 12) & 0xfff00)}`;
    }
    out.push({
      perms: m[1]!,
      owner: m[2]!,
      size,
      path: p === '' ? '/' : p,
      ...(target !== undefined ? { target } : {}),
    });
  }
  assert.ok(out.length > 0, `no unsquashfs listing for ${image}`);
  return out;
}

function permString(e: ImageEntry): string {
  const t = {
    file: '-',
    hardlink: '-',
    dir: 'd',
    symlink: 'l',
    char: 'c',
    block: 'b',
    fifo: 'p',
    socket: 's',
  }[e.type];
  const m = e.mode;
  const x = (bit: number, special: number, ch: string) =>
    m & special ? (m & bit ? ch : ch.toUpperCase()) : m & bit ? 'x' : '-';
  return (
    t +
    (m & 0o400 ? 'r' : '-') +
    (m & 0o200 ? 'w' : '-') +
    x(0o100, 0o4000, 's') +
    (m & 0o40 ? 'r' : '-') +
    (m & 0o20 ? 'w' : '-') +
    x(0o10, 0o2000, 's') +
    (m & 0o4 ? 'r' : '-') +
    (m & 0o2 ? 'w' : '-') +
    x(0o1, 0o1000, 't')
  );
}

function asLine(e: ImageEntry): Line {
  const size = e.type === 'char' || e.type === 'block' ? `${e.devMajor},${e.devMinor}` : String(e.size);
  return {
    perms: permString(e),
    owner: `${e.uid}/${e.gid}`,
    size,
    path: e.path,
    ...(e.type === 'symlink' ? { target: e.linkTarget! } : {}),
  };
}

/** The first difference between two long listings, so a failure names one line instead of dumping 50,000. */
function assertSameListing(ours: Line[], theirs: Line[], what: string): void {
  const n = Math.max(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    assert.deepEqual(ours[i], theirs[i], `${what}: entry ${i} differs`);
  }
}

let tree:
  { root: string; images: Map<string, string>; xattrs: Record<string, Record<string, string>> } | undefined;
function fixture() {
  if (!tree) {
    const root = plantTree();
    const out = tmp('img');
    const images = new Map<string, string>();
    for (const c of COMPRESSORS) images.set(c, mksquashfs(root, path.join(out, `${c}.sqfs`), c));
    images.set(
      'uncompressed',
      mksquashfs(root, path.join(out, 'none.sqfs'), 'gzip', ['-noI', '-noD', '-noF', '-noX']),
    );
    tree = { root, images, xattrs: sourceXattrs(root) };
  }
  return tree;
}

for (const comp of [...COMPRESSORS, 'uncompressed']) {
  test(`${comp}: the listing equals unsquashfs -lln, xattrs equal the source tree's`, needsRoot, () => {
    const { images, xattrs } = fixture();
    const image = images.get(comp)!;
    const entries = [...readSquashfsEntries(image)];
    assertSameListing(entries.map(asLine), unsquashfsListing(image), comp);

    const ours = Object.fromEntries(
      entries
        .filter((e) => e.xattrs && Object.keys(e.xattrs).length)
        .map((e) => [
          e.path,
          Object.fromEntries(Object.entries(e.xattrs!).map(([k, v]) => [k, v.toString('hex')])),
        ]),
    );
    assert.deepEqual(ours, xattrs);
    const by = new Map(entries.map((e) => [e.path, e]));
    // cap_setuid+ep: v2 capability data, effective bit, permitted bit 7 (CAP_SETUID).
    assert.equal(
      by.get('/usr/bin/ping')!.xattrs!['security.capability']!.toString('hex'),
      '0100000280000000000000000000000000000000',
    );
    assert.equal(by.get('/usr/bin/su')!.mode, 0o4755);
    assert.equal(by.get('/usr/bin/wall')!.mode, 0o2755);
    assert.equal(by.get('/tmp-open')!.mode, 0o777);
    assert.equal(by.get('/tmp-sticky')!.mode, 0o1777);
    assert.deepEqual([by.get('/home/user/owned')!.uid, by.get('/home/user/owned')!.gid], [1234, 4321]);
    assert.deepEqual([by.get('/dev/nvme-big')!.devMajor, by.get('/dev/nvme-big')!.devMinor], [259, 70000]);
    assert.deepEqual(
      [by.get('/dev/whiteout')!.type, by.get('/dev/whiteout')!.devMajor, by.get('/dev/whiteout')!.devMinor],
      ['char', 0, 0],
    );
    assert.equal(by.get('/dev/sock')!.type, 'socket');
    assert.equal(by.get('/dev/fifo')!.type, 'fifo');
    assert.equal(by.get('/usr/escape')!.linkTarget, '../../../etc/passwd');
    assert.equal(by.get('/abs-link')!.linkTarget, '/etc/shadow');
    assert.equal(by.get('/etc/big')!.size, 300_000);
    // Hard links: the same inode under three names, nlink 3; nothing else claims a link count.
    const linked = ['/data/hardlink', '/data/original', '/usr/hardlink2'].map((p) => by.get(p)!);
    assert.deepEqual(
      linked.map((e) => e.nlink),
      [3, 3, 3],
    );
    assert.equal(new Set(linked.map((e) => e.inode)).size, 1);
    assert.equal(typeof linked[0]!.inode, 'number');
    assert.deepEqual(
      entries.filter((e) => e.nlink !== undefined).map((e) => e.path),
      ['/data/hardlink', '/data/original', '/usr/hardlink2'],
    );
    assert.ok(entries.some((e) => e.path.split('/').length > 40));
    assert.ok(entries.every((e) => e.rawName === undefined));
  });
}

test('squashfsInfo reports the superblock', needsRoot, () => {
  const { images } = fixture();
  for (const c of COMPRESSORS) {
    const info = squashfsInfo(images.get(c)!);
    assert.equal(info.compressor, c);
    assert.equal(info.blockSize, 131072);
    assert.equal(info.flags.noXattrs, false);
    assert.equal(info.bytesUsed <= fs.statSync(images.get(c)!).size, true);
    const s = run('unsquashfs', ['-s', images.get(c)!]);
    assert.match(s, new RegExp(`Number of inodes ${info.inodeCount}\\b`));
  }
  const none = squashfsInfo(images.get('uncompressed')!);
  assert.equal(none.flags.inodesUncompressed, true);
  assert.equal(none.flags.dataUncompressed, true);
});

test(
  'an image inside a file at an offset (as SIF embeds it) lists the same; a short length is a truncated image',
  needsRoot,
  () => {
    const { images } = fixture();
    const image = fs.readFileSync(images.get('gzip')!);
    const file = path.join(tmp('sif'), 'embedded.bin');
    fs.writeFileSync(file, Buffer.concat([Buffer.alloc(36864, 0x5a), image, Buffer.alloc(1000, 0xa5)]));
    const plain = [...readSquashfsEntries(images.get('gzip')!)];
    assert.deepEqual([...readSquashfsEntries(file, { offset: 36864, length: image.length })], plain);
    assert.deepEqual([...readSquashfsEntries(file, { offset: 36864 })], plain);
    const used = squashfsInfo(file, { offset: 36864 }).bytesUsed;
    assert.throws(
      () => [...readSquashfsEntries(file, { offset: 36864, length: used - 1 })],
      (e) => e instanceof ImageFormatError && /truncated/.test(e.message),
    );
    assert.throws(
      () => [...readSquashfsEntries(file, { offset: 100 })],
      (e) => e instanceof ImageFormatError && /bad magic/.test(e.message),
    );
  },
);

test('truncated files throw ImageFormatError at every cut', needsRoot, () => {
  const { images } = fixture();
  const dir = tmp('cut');
  for (const c of ['gzip', 'xz', 'uncompressed']) {
    const image = fs.readFileSync(images.get(c)!);
    const used = squashfsInfo(images.get(c)!).bytesUsed;
    for (const cut of [0, 50, 95, 96, 200, Math.floor(used / 3), Math.floor(used / 2), used - 8, used - 1]) {
      const f = path.join(dir, `${c}-${cut}`);
      fs.writeFileSync(f, image.subarray(0, cut));
      assert.throws(() => [...readSquashfsEntries(f)], ImageFormatError, `${c} cut at ${cut}`);
    }
  }
});

test(
  'limits: entries, depth, path length, metadata bytes, xattr size and the deadline each stop the read',
  needsRoot,
  () => {
    const { images } = fixture();
    const image = images.get('zstd')!;
    const read = (l: Partial<typeof DEFAULT_LIMITS>) => [
      ...readSquashfsEntries(image, { limits: { ...DEFAULT_LIMITS, ...l } }),
    ];
    const cases: [Partial<typeof DEFAULT_LIMITS>, RegExp][] = [
      [{ maxEntries: 100 }, /more than 100 entries|inode count .* exceeds/],
      [{ maxDepth: 10 }, /deeper than 10/],
      [{ maxPathBytes: 200 }, /exceeds 200 bytes/],
      [{ maxMetadataBytes: 10_000 }, /metadata exceeds the limit/],
      [{ maxXattrBytes: 100 }, /user\.shared: value of 200 bytes exceeds/],
      [{ deadlineMs: -1 }, /took longer than/],
    ];
    for (const [l, re] of cases) {
      assert.throws(
        () => read(l),
        (e) => e instanceof ImageFormatError && re.test(e.message),
        JSON.stringify(l),
      );
    }
    assert.ok(read({ maxEntries: 2000 }).length > 700);
  },
);

/** An uncompressed image (-noI -noD -noF -noX) whose directory entry `name` (the only one in its directory) is patched. */
function patchedImage(patch: (img: Buffer, header: number, entry: number, rootRef: number) => void): string {
  const root = path.join(tmp('loop'), 'root');
  fs.mkdirSync(path.join(root, 'a/zzloop'), { recursive: true });
  fs.writeFileSync(path.join(root, 'file'), 'x');
  const image = mksquashfs(root, path.join(path.dirname(root), 'img.sqfs'), 'gzip', [
    '-noI',
    '-noD',
    '-noF',
    '-noX',
  ]);
  const img = fs.readFileSync(image);
  const rootRef = img.readUInt32LE(32);
  // Entry: u16 offset, i16 inode delta, u16 type (1 = dir), u16 name size - 1, name; its header is the 12 bytes before.
  const at = img.indexOf(Buffer.concat([Buffer.from([1, 0, 5, 0]), Buffer.from('zzloop')]));
  assert.ok(at > 0, 'directory entry found');
  const entry = at - 4;
  patch(img, entry - 12, entry, rootRef);
  fs.writeFileSync(image, img);
  return image;
}

test('crafted directory tables: a loop, references past the end, absurd counts and bad types are ImageFormatError', () => {
  const cases: [string, (img: Buffer, header: number, entry: number, rootRef: number) => void, RegExp][] = [
    [
      'loop back to the root',
      (img, header, entry, rootRef) => {
        img.writeUInt32LE(Math.floor(rootRef / 65536), header + 4);
        img.writeUInt16LE(rootRef & 0xffff, entry);
      },
      /reached twice \(a directory loop\)/,
    ],
    [
      'inode offset past its block',
      (img, _h, entry) => img.writeUInt16LE(0xfff0, entry),
      /past the .*metadata block/,
    ],
    [
      'inode block past the table',
      (img, header) => img.writeUInt32LE(0x7ffffff0, header + 4),
      /outside the table/,
    ],
    ['header count of 1000', (img, header) => img.writeUInt32LE(999, header), /claims 1000 entries/],
    [
      'entry type that is not the inode type',
      (img, _h, entry) => img.writeUInt16LE(2, entry + 4),
      /does not match inode type/,
    ],
    [
      'name running past the listing',
      (img, _h, entry) => img.writeUInt16LE(200, entry + 6),
      /runs past the listing/,
    ],
  ];
  for (const [what, patch, re] of cases) {
    const image = patchedImage(patch);
    const t = cpuMark();
    assert.throws(
      () => [...readSquashfsEntries(image)],
      (e) => e instanceof ImageFormatError && re.test(e.message),
      what,
    );
    assert.ok(cpuMsSince(t) < 2000, `${what}: quickly`);
  }
  const sb = patchedImage(() => {});
  const img = fs.readFileSync(sb);
  for (const [what, off, value, re] of [
    ['inode count', 4, 0x7fffffff, /inode count .* exceeds the limit/],
    ['block size', 12, 12345, /invalid squashfs block size/],
    ['compressor', 20, 9, /unknown squashfs compressor id 9/],
    ['version', 28, 3, /squashfs 3\.0 is not supported/],
    ['bytes used', 40, 0x7fffffff, /truncated/],
  ] as const) {
    const bad = Buffer.from(img);
    if (off === 20 || off === 28) bad.writeUInt16LE(value, off);
    else bad.writeUInt32LE(value, off);
    fs.writeFileSync(sb, bad);
    assert.throws(
      () => [...readSquashfsEntries(sb)],
      (e) => e instanceof ImageFormatError && re.test(e.message),
      what,
    );
  }
});

test(
  '50,000 inodes: the full listing equals unsquashfs -lln (gzip and lzo), in well under a second',
  { timeout: 300_000 },
  () => {
    const root = path.join(tmp('50k'), 'root');
    run(PY, [
      '-c',
      `import os, sys
r = sys.argv[1]
for d in range(250):
    p = os.path.join(r, 'dir%03d' % d)
    os.makedirs(os.path.join(p, 'sub'))
    for i in range(199):
        open(os.path.join(p, 'file-%04d-with-a-longer-name.txt' % i), 'w').close()
    os.symlink('../dir%03d/sub' % ((d + 1) % 250), os.path.join(p, 'link'))`,
      root,
    ]);
    for (const comp of ['gzip', 'lzo']) {
      const image = mksquashfs(root, path.join(path.dirname(root), `${comp}.sqfs`), comp);
      const t = performance.now();
      let n = 0;
      for (const _ of readSquashfsEntries(image)) n++;
      const ms = performance.now() - t;
      assert.ok(n > 50_000, `${n} entries`);
      assert.ok(ms < 5000, `listed in ${ms.toFixed(0)} ms`);
      assertSameListing([...readSquashfsEntries(image)].map(asLine), unsquashfsListing(image), comp);
    }
  },
);
