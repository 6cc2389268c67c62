// The streaming tar reader against GNU tar's own archives of a planted tree, and against hand-written hostile headers.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  DEFAULT_LIMITS,
  ImageFormatError,
  normalizeImagePath,
  type ImageEntry,
} from '../../../src/image/image-entry.js';
import { ByteBudget, detectCompression, openTarStream } from '../../../src/image/tar/compression.js';
import { readTarFileEntries } from '../../../src/image/tar/read-tar-file.js';
import { readTarEntries } from '../../../src/image/tar/tar-reader.js';

const ROOT = process.getuid?.() === 0;
const TEMP: string[] = [];
const tempDir = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  TEMP.push(d);
  return d;
};
after(() => {
  for (const d of TEMP) fs.rmSync(d, { recursive: true, force: true });
});
/** Under CI every test runs (and fails without root); elsewhere the root-only ones skip. */
const needsRoot = ROOT || process.env.CI === 'true' ? false : 'needs root (mknod, chown, setcap)';

// ---- a small tar writer for hand-crafted archives (POSIX ustar header layout) ----

interface Hdr {
  name: string;
  type?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  prefix?: string;
  gnu?: boolean;
  /** Raw bytes for the uid field (base-256 tests). */
  uidField?: Buffer;
  sizeField?: Buffer;
}

function octal(b: Buffer, at: number, len: number, v: number): void {
  b.write(v.toString(8).padStart(len - 1, '0') + '\0', at, len, 'latin1');
}

function header(h: Hdr): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, 'utf8');
  octal(b, 100, 8, h.mode ?? 0o644);
  if (h.uidField) h.uidField.copy(b, 108);
  else octal(b, 108, 8, h.uid ?? 0);
  octal(b, 116, 8, h.gid ?? 0);
  if (h.sizeField) h.sizeField.copy(b, 124);
  else octal(b, 124, 12, h.size ?? 0);
  octal(b, 136, 12, 0);
  b.write(h.type ?? '0', 156, 1, 'latin1');
  b.write(h.linkname ?? '', 157, 100, 'utf8');
  b.write(h.gnu ? 'ustar  \0' : 'ustar\x0000', 257, 8, 'latin1');
  b.write('root', 265, 32);
  b.write('root', 297, 32);
  octal(b, 329, 8, h.devmajor ?? 0);
  octal(b, 337, 8, h.devminor ?? 0);
  if (h.prefix) b.write(h.prefix, 345, 155, 'utf8');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const c of b) sum += c;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

function member(h: Hdr, body: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([header({ ...h, size: h.size ?? body.length }), body, pad(body.length)]);
}

function paxRecord(key: string, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  const rest = Buffer.byteLength(key) + v.length + 3; // " ", "=", "\n"
  let len = rest + 1;
  while (String(len).length + rest !== len) len++;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), v, Buffer.from('\n')]);
}

function pax(records: [string, Buffer | string][], type = 'x'): Buffer {
  const data = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  return member({ name: 'PaxHeaders/x', type }, data);
}

const tarOf = (...parts: Buffer[]): Buffer => Buffer.concat([...parts, Buffer.alloc(1024)]);

async function* chunked(b: Buffer, size = 700): AsyncGenerator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function list(b: Buffer | AsyncIterable<Buffer>, opts = {}): Promise<ImageEntry[]> {
  const out: ImageEntry[] = [];
  for await (const e of readTarEntries(Buffer.isBuffer(b) ? chunked(b) : b, opts)) out.push(e);
  return out;
}

async function collect(it: AsyncIterable<ImageEntry>): Promise<ImageEntry[]> {
  const out: ImageEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ImageFormatError, `expected ImageFormatError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

// ---- a planted tree, archived by GNU tar ----

const LONG_DIR = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60), 'd'.repeat(60), 'e'.repeat(60)];
const LONG_TARGET = '../'.repeat(3) + 'x'.repeat(120);
const BIN_XATTR = Buffer.from([0x00, 0x0a, 0x3d, 0x62, 0xff, 0x00, 0x0a, 0x20]);

function plant(): string {
  const root = tempDir('ctrsafe-tar-');
  const p = (rel: string): string => path.join(root, rel);
  for (const d of [
    'bin',
    'dev',
    'etc',
    'lib',
    'home',
    'tmp',
    'scratch',
    'usr',
    LONG_DIR.slice(0, 2).join('/'),
    LONG_DIR.join('/'),
  ]) {
    fs.mkdirSync(p(d), { recursive: true, mode: 0o755 });
  }
  const file = (rel: string, mode: number, body = 'x\n'): void => {
    fs.writeFileSync(p(rel), body);
    fs.chmodSync(p(rel), mode);
  };
  file('bin/su', 0o4755);
  file('bin/sg', 0o2711);
  file('bin/cap', 0o755);
  execFileSync('setcap', ['cap_setuid+ep', p('bin/cap')]);
  file('etc/xattrs', 0o600, 'attrs\n');
  const py = spawnSync('/usr/bin/python3', [
    '-c',
    'import os,sys; os.setxattr(sys.argv[1], "user.bin", bytes.fromhex(sys.argv[2])); os.setxattr(sys.argv[1], "user.text", b"plain")',
    p('etc/xattrs'),
    BIN_XATTR.toString('hex'),
  ]);
  assert.equal(py.status, 0, String(py.stderr));
  execFileSync('mknod', [p('dev/kmem'), 'c', '1', '2']);
  execFileSync('mknod', [p('dev/sda'), 'b', '8', '3']);
  execFileSync('mkfifo', [p('tmp/fifo')]);
  fs.chmodSync(p('scratch'), 0o777); // world-writable, no sticky bit
  fs.chmodSync(p('tmp'), 0o1777);
  file('home/odd', 0o640);
  fs.chownSync(p('home/odd'), 2222222, 3333333); // beyond 7 octal digits: base-256 (gnu) or PAX uid/gid
  fs.symlinkSync('/etc/passwd', p('lib/abs'));
  fs.symlinkSync('../etc/xattrs', p('lib/rel'));
  fs.symlinkSync('../../../../etc/shadow', p('lib/escape'));
  fs.symlinkSync(LONG_TARGET, p('lib/long-target'));
  file('usr/readme', 0o644, 'readme\n');
  fs.linkSync(p('usr/readme'), p('usr/readme-hard'));
  file(`${LONG_DIR.slice(0, 2).join('/')}/file-under-255`, 0o644);
  file(`${LONG_DIR.join('/')}/file-over-255`, 0o644);
  return root;
}

function xattrsOf(file: string): Record<string, string> {
  const r = spawnSync('/usr/bin/python3', [
    '-c',
    'import os,sys,json; print(json.dumps({k: os.getxattr(sys.argv[1], k, follow_symlinks=False).hex() for k in os.listxattr(sys.argv[1], follow_symlinks=False)}))',
    file,
  ]);
  return JSON.parse(String(r.stdout)) as Record<string, string>;
}

function typeOf(st: fs.Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return st.isFIFO() ? 'fifo' : 'socket';
}

/** Every parsed entry against lstat of the tree it came from; the set of names against `tar -tf`. */
function compareWithTree(entries: ImageEntry[], root: string, archive: string, withXattrs: boolean): void {
  const names = execFileSync('tar', ['-tf', archive], { maxBuffer: 1 << 26 })
    .toString()
    .split('\n')
    .filter(Boolean);
  assert.deepEqual(entries.map((e) => e.path).sort(), names.map(normalizeImagePath).sort());
  assert.equal(new Set(entries.map((e) => e.path)).size, entries.length, 'no duplicates');
  let hardlinks = 0;
  for (const e of entries) {
    const st = fs.lstatSync(path.join(root, e.path));
    const where = `${archive} ${e.path}`;
    assert.equal(e.rawName, undefined, where);
    assert.equal(e.mode, st.mode & 0o7777, `${where} mode`);
    assert.equal(e.uid, st.uid, `${where} uid`);
    assert.equal(e.gid, st.gid, `${where} gid`);
    if (e.type === 'hardlink') {
      hardlinks++;
      assert.equal(
        fs.lstatSync(path.join(root, e.linkTarget!)).ino,
        st.ino,
        `${where} links to the same inode`,
      );
      continue;
    }
    assert.equal(e.type, typeOf(st), `${where} type`);
    if (e.type === 'file') assert.equal(e.size, st.size, `${where} size`);
    if (e.type === 'symlink')
      assert.equal(e.linkTarget, fs.readlinkSync(path.join(root, e.path)), `${where} target`);
    if (e.type === 'char' || e.type === 'block') {
      assert.deepEqual([e.devMajor, e.devMinor], [(st.rdev >> 8) & 0xfff, st.rdev & 0xff], `${where} device`);
    }
    const want = withXattrs && e.type !== 'symlink' ? xattrsOf(path.join(root, e.path)) : {};
    const got = Object.fromEntries(Object.entries(e.xattrs ?? {}).map(([k, v]) => [k, v.toString('hex')]));
    assert.deepEqual(got, want, `${where} xattrs`);
  }
  assert.equal(hardlinks, 1);
}

let planted: { root: string; dir: string } | undefined;
function tree(): { root: string; dir: string } {
  planted ??= { root: plant(), dir: tempDir('ctrsafe-tarout-') };
  return planted;
}

function gnuTar(format: 'pax' | 'gnu', extra: string[], name: string): string {
  const { root, dir } = tree();
  const out = path.join(dir, name);
  const xattrs = format === 'pax' ? ['--xattrs', '--xattrs-include=*'] : [];
  execFileSync('tar', [`--format=${format}`, ...xattrs, ...extra, '-C', root, '-cf', out, '.']);
  return out;
}

async function listFile(file: string): Promise<ImageEntry[]> {
  return list(await openTarStream(file));
}

test(
  'GNU tar --format=pax of a planted tree: modes, owners, devices, links, long names and binary xattrs all match',
  { skip: needsRoot },
  async () => {
    const archive = gnuTar('pax', [], 'tree-pax.tar');
    const entries = await listFile(archive);
    compareWithTree(entries, tree().root, archive, true);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal(byPath.get('/bin/su')!.mode, 0o4755);
    assert.deepEqual(byPath.get('/etc/xattrs')!.xattrs!['user.bin'], BIN_XATTR);
    // cap_setuid+ep: VFS_CAP_REVISION_2 | effective, permitted bit 7 (linux/capability.h).
    assert.equal(
      byPath.get('/bin/cap')!.xattrs!['security.capability']!.subarray(0, 8).toString('hex'),
      '0100000280000000',
    );
    assert.equal(byPath.get('/home/odd')!.uid, 2222222);
    assert.equal(byPath.get('/lib/long-target')!.linkTarget, LONG_TARGET);
    assert.ok([...byPath.keys()].some((p) => p.length > 300 && p.endsWith('/file-over-255')));
  },
);

test(
  'GNU tar --format=gnu: long names and links (L, K) and base-256 owners',
  { skip: needsRoot },
  async () => {
    const archive = gnuTar('gnu', [], 'tree-gnu.tar');
    const entries = await listFile(archive);
    compareWithTree(entries, tree().root, archive, false);
    const odd = entries.find((e) => e.path === '/home/odd')!;
    assert.deepEqual([odd.uid, odd.gid], [2222222, 3333333]);
    // The uid field really is base-256 in this archive (GNU tar's to_chars), so the reader's path was exercised.
    const raw = fs.readFileSync(archive);
    let found = false;
    for (let at = 0; at + 512 <= raw.length; at += 512) {
      if (raw.toString('utf8', at, at + 100).replace(/\0.*$/s, '') === './home/odd')
        found = (raw[at + 108]! & 0x80) !== 0;
    }
    assert.ok(found, 'uid stored base-256');
  },
);

test(
  'gzip, xz and zstd archives (detected by magic, not by name) list exactly what the plain archive lists',
  { skip: needsRoot },
  async () => {
    const plain = await listFile(gnuTar('pax', [], 'plain.tar'));
    for (const [flag, name] of [
      ['-z', 'z.bin'],
      ['-J', 'j.bin'],
      ['--zstd', 'zst.bin'],
    ] as const) {
      const file = gnuTar('pax', [flag], name);
      assert.notEqual(detectCompression(fs.readFileSync(file).subarray(0, 512)), 'none', name);
      assert.deepEqual(await listFile(file), plain, flag);
      assert.deepEqual(await collect(readTarFileEntries(file)), plain, `${flag} by file`);
    }
    assert.deepEqual(
      await collect(readTarFileEntries(gnuTar('pax', [], 'plain.tar'))),
      plain,
      'uncompressed, by seeking',
    );
  },
);

test('bzip2 is recognised and refused with a clear message; compressed bytes handed to the tar parser are named', async () => {
  const dir = tempDir('ctrsafe-bz-');
  const t = path.join(dir, 'a.tar');
  fs.writeFileSync(t, tarOf(member({ name: 'f' }, Buffer.from('x'))));
  execFileSync('bzip2', [t]);
  await rejects(listFile(`${t}.bz2`), /bzip2-compressed tar archives are not supported/);
  await rejects(list(zlib.gzipSync(tarOf(member({ name: 'f' })))), /gzip-compressed, not a tar archive/);
  // A tar whose first member happens to be named like a bzip2 magic is still a tar.
  const bz = tarOf(member({ name: 'BZh91AY&SY' }));
  assert.equal(detectCompression(bz), 'none');
  assert.equal((await list(bz))[0]!.path, '/BZh91AY&SY');
});

test('escaping and absolute names keep their stored form in rawName; duplicates are yielded as they occur', async () => {
  const t = tarOf(
    member({ name: '../etc/passwd' }, Buffer.from('root::0:0\n')),
    member({ name: '/etc/shadow' }),
    member({ name: 'a/../../b', type: '5' }),
    member({ name: './ok/name' }),
    member({ name: 'dup' }, Buffer.from('one')),
    member({ name: 'dup', mode: 0o4755 }, Buffer.from('two')),
    member({ name: 'hl', type: '1', linkname: './ok/name' }),
    member({ name: 'hl-out', type: '1', linkname: '../../etc/shadow' }),
    member({ name: 'null', type: '3', devmajor: 1, devminor: 3 }),
    member({ name: 'loop0', type: '4', devmajor: 7, devminor: 0 }),
    member({ name: 'p', type: '6' }),
    member({ name: 'o', prefix: 'x/y' }),
  );
  const e = await list(t);
  assert.deepEqual(
    e.map((x) => [x.path, x.rawName, x.type]),
    [
      ['/etc/passwd', '../etc/passwd', 'file'],
      ['/etc/shadow', '/etc/shadow', 'file'],
      ['/b', 'a/../../b', 'dir'],
      ['/ok/name', undefined, 'file'],
      ['/dup', undefined, 'file'],
      ['/dup', undefined, 'file'],
      ['/hl', undefined, 'hardlink'],
      ['/hl-out', undefined, 'hardlink'],
      ['/null', undefined, 'char'],
      ['/loop0', undefined, 'block'],
      ['/p', undefined, 'fifo'],
      ['/x/y/o', undefined, 'file'],
    ],
  );
  assert.deepEqual([e[4]!.mode, e[5]!.mode, e[5]!.size], [0o644, 0o4755, 3]);
  assert.equal(e[6]!.linkTarget, '/ok/name');
  assert.equal(e[7]!.linkTarget, '../../etc/shadow', 'an escaping hard link target stays as stored');
  assert.deepEqual([e[8]!.devMajor, e[8]!.devMinor, e[9]!.devMajor], [1, 3, 7]);
});

test('PAX: binary xattrs exactly (NUL, newline, "="), LIBARCHIVE base64 xattrs, global and per-entry records', async () => {
  const weird = Buffer.from([0x00, 0x0a, 0x3d, 0x0a, 0x00, 0xff, 0x31, 0x20, 0x0a]);
  const cap = Buffer.from('0100000280000000000000000000000000000000', 'hex');
  const t = tarOf(
    pax(
      [
        ['uid', '4242'],
        ['comment', 'global'],
      ],
      'g',
    ),
    pax([
      ['SCHILY.xattr.user.weird', weird],
      ['SCHILY.xattr.security.capability', cap],
      ['path', 'very/' + 'long/'.repeat(40) + 'name'],
      ['size', '5'],
      ['gid', '77'],
    ]),
    member({ name: 'short', size: 5 }, Buffer.from('12345')),
    pax([
      ['LIBARCHIVE.xattr.user.na%3Dme%25', weird.toString('base64').replace(/=+$/, '')],
      ['uid', ''],
      ['linkpath', '/target/with = and spaces'],
    ]),
    member({ name: 'sym', type: '2', linkname: 'ignored', uid: 7 }),
    member({ name: 'after' }),
  );
  const [a, b, c] = await list(t);
  assert.equal(a!.path, '/very/' + 'long/'.repeat(40) + 'name');
  assert.deepEqual(a!.xattrs!['user.weird'], weird);
  assert.deepEqual(a!.xattrs!['security.capability'], cap);
  assert.deepEqual([a!.uid, a!.gid, a!.size], [4242, 77, 5]);
  assert.deepEqual(b!.xattrs, { 'user.na=me%': weird });
  assert.equal(b!.linkTarget, '/target/with = and spaces');
  assert.equal(b!.uid, 7, 'an empty per-entry value unsets the global uid');
  assert.deepEqual([c!.uid, c!.xattrs], [4242, undefined], 'global records last; per-entry ones do not');
});

test(
  'GNU sparse files (old gnu, PAX 0.0, 0.1 and 1.0) report their real name and size',
  { skip: needsRoot },
  async () => {
    const { root } = tree();
    const sparse = path.join(root, 'usr/sparse');
    fs.writeFileSync(sparse, '');
    fs.truncateSync(sparse, 50 * 1024 * 1024);
    const fd = fs.openSync(sparse, 'r+');
    fs.writeSync(fd, 'data in the middle', 20 * 1024 * 1024);
    fs.closeSync(fd);
    try {
      for (const [format, version] of [
        ['gnu', ''],
        ['pax', '0.0'],
        ['pax', '0.1'],
        ['pax', '1.0'],
      ] as const) {
        const how = `${format} ${version}`;
        const file = gnuTar(
          format,
          ['-S', ...(version ? [`--sparse-version=${version}`] : [])],
          `sparse-${format}${version}.tar`,
        );
        assert.ok(fs.statSync(file).size < 1024 * 1024, `${how} stored sparse`);
        const e = (await listFile(file)).find((x) => x.path === '/usr/sparse');
        assert.ok(e, how);
        assert.equal(e.size, 50 * 1024 * 1024, how);
      }
    } finally {
      fs.rmSync(sparse);
    }
  },
);

test('malformed archives end with an ImageFormatError naming the problem', async () => {
  const good = member({ name: 'f' }, Buffer.from('abc'));
  const bad = Buffer.from(good);
  bad[10] = 0x41;
  await rejects(list(tarOf(bad)), /checksum mismatch/);
  await rejects(list(good.subarray(0, 600)), /input ends inside/);
  await rejects(
    list(Buffer.concat([good, Buffer.alloc(512), member({ name: 'hidden' })])),
    /zero block .* followed/,
  );
  const badPax = Buffer.concat([
    header({ name: 'P', type: 'x', size: 12 }),
    Buffer.from('99 path=abc\n'),
    pad(12),
  ]);
  await rejects(list(tarOf(badPax, member({ name: 'f' }))), /bad length/);
  const nan = Buffer.concat([
    header({ name: 'P', type: 'x', size: 10 }),
    Buffer.from('10 uid=-1\n'),
    pad(10),
  ]);
  await rejects(list(tarOf(nan, member({ name: 'f' }))), /uid is not a number/);
  await rejects(list(pax([['path', 'x']])), /ends .* after an extended header/);
  await rejects(
    list(tarOf(member({ name: 'bad', uidField: Buffer.from('12x45670') }))),
    /uid is not an octal number/,
  );
  await rejects(
    list(
      tarOf(member({ name: 'neg', uidField: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) })),
    ),
    /negative uid/,
  );
  await rejects(
    list(tarOf(pax([['LIBARCHIVE.xattr.user.x', 'not*base64']]), member({ name: 'f' }))),
    /not base64/,
  );
  await rejects(list(tarOf(pax([['path', 'a\0b']]), member({ name: 'f' }))), /NUL/);
});

test('limits end the read: entries, path bytes, depth, xattr size, metadata bytes, deadline', async () => {
  const many = tarOf(...Array.from({ length: 20 }, (_, i) => member({ name: `f${i}` })));
  await rejects(list(many, { limits: { ...DEFAULT_LIMITS, maxEntries: 10 } }), /more than 10 entries/);
  await rejects(
    list(many, { limits: { ...DEFAULT_LIMITS, maxMetadataBytes: 4096 } }),
    /more than 4096 bytes of headers/,
  );
  await rejects(list(many, { limits: { ...DEFAULT_LIMITS, deadlineMs: -1 } }), /longer than/);
  const long = tarOf(pax([['path', 'x'.repeat(5000)]]), member({ name: 'f' }));
  await rejects(list(long), /longer than 4096 bytes/);
  const gnuLong = tarOf(
    member({ name: '././@LongLink', type: 'L' }, Buffer.alloc(6000, 0x61)),
    member({ name: 'f' }),
  );
  await rejects(list(gnuLong), /GNU long name .* exceeds 4096/);
  const deep = tarOf(member({ name: 'a/'.repeat(40) + 'f' }));
  await rejects(list(deep, { limits: { ...DEFAULT_LIMITS, maxDepth: 20 } }), /deeper than 20/);
  const big = tarOf(pax([['SCHILY.xattr.user.big', Buffer.alloc(70000)]]), member({ name: 'f' }));
  await rejects(list(big), /xattr user.big larger than 65536/);
});

test('header-only types read no data whatever their size field says (Go archive/tar, as runtimes extract)', async () => {
  const t = tarOf(header({ name: 'd', type: '5', size: 1024 }), member({ name: 'next' }));
  assert.deepEqual(
    (await list(t)).map((e) => [e.path, e.type, e.size]),
    [
      ['/d', 'dir', 0],
      ['/next', 'file', 0],
    ],
  );
});

test('an 8 GiB member (base-256 size) streams past with bounded memory', async () => {
  const size = 8 * 1024 ** 3 + 512;
  const sizeField = Buffer.alloc(12);
  sizeField[0] = 0x80;
  sizeField.writeUIntBE(size, 6, 6);
  const zeros = Buffer.alloc(1024 * 1024);
  async function* gen(): AsyncGenerator<Buffer> {
    yield header({ name: 'huge', sizeField });
    for (let left = size; left > 0; left -= zeros.length)
      yield zeros.subarray(0, Math.min(zeros.length, left));
    yield member({ name: 'after' }, Buffer.from('x'));
    yield Buffer.alloc(1024);
  }
  const before = process.memoryUsage().rss;
  const e = await list(gen());
  assert.deepEqual(
    e.map((x) => [x.path, x.size]),
    [
      ['/huge', size],
      ['/after', 1],
    ],
  );
  assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, 'memory stayed bounded');
});

const plain0 = (dir: string) => path.join(dir, 'small.tar');

test('decompression is bounded: a gzip bomb and an oversized zstd window are refused', async () => {
  const dir = tempDir('ctrsafe-bomb-');
  const bomb = path.join(dir, 'bomb');
  fs.writeFileSync(bomb, zlib.gzipSync(tarOf(member({ name: 'zeros' }, Buffer.alloc(32 * 1024 * 1024)))));
  assert.ok(fs.statSync(bomb).size < 100 * 1024);
  await rejects(
    (async () => list(await openTarStream(bomb, { budget: new ByteBudget(4 * 1024 * 1024) })))(),
    /exceeds 4194304 bytes/,
  );
  // zstd frame asking for a 1 GiB window (window descriptor exponent 20): fzstd would allocate it.
  const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0x01, 0x00, 0x00]);
  fs.writeFileSync(bomb, frame);
  await rejects((async () => list(await openTarStream(bomb)))(), /window of 1073741824 bytes exceeds/);
  // A 128 MiB window (exponent 17) followed by RLE blocks of 128 KiB: 37 KB of such input cost 53 s of CPU.
  const rle = Buffer.from([
    0x01 | (2 << 1) | ((128 * 1024) << 3),
    ((128 * 1024) << 3) >> 8,
    ((128 * 1024) << 3) >> 16,
    0,
  ]);
  fs.writeFileSync(
    bomb,
    Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 17 << 3]), ...Array<Buffer>(9000).fill(rle)]),
  );
  const t0 = Date.now();
  await rejects(
    (async () => list(await openTarStream(bomb)))(),
    /zstd: frame window of 134217728 bytes exceeds the 8 MiB ctrsafe reads \(zstd --long/,
  );
  assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
  // xz with a 128 MiB dictionary (above xz -9's 64 MiB).
  fs.writeFileSync(plain0(dir), tarOf(member({ name: 'f' }, Buffer.from('x'))));
  execFileSync('xz', ['-q', '-f', '-k', '--format=xz', '--lzma2=dict=128MiB', plain0(dir)]);
  await rejects(
    (async () => list(await openTarStream(`${plain0(dir)}.xz`)))(),
    /xz: dictionary of 134217728 bytes exceeds the 64 MiB ctrsafe reads/,
  );
  // Truncated gzip and zstd streams, cut inside the tar's data.
  const plain = path.join(dir, 'p.tar');
  fs.writeFileSync(plain, tarOf(member({ name: 'f' }, crypto.randomBytes(200_000))));
  fs.writeFileSync(bomb, zlib.gzipSync(fs.readFileSync(plain)).subarray(0, 100_000));
  await rejects((async () => list(await openTarStream(bomb)))(), /gzip: unexpected end of file/);
  execFileSync('zstd', ['-q', '-f', plain, '-o', bomb]);
  fs.truncateSync(bomb, 100_000);
  await rejects((async () => list(await openTarStream(bomb)))(), /zstd: stream ends inside a frame/);
});
