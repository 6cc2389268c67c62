// SIF: the sylabs samples list as siftool lists them; written SIFs list their partitions; corrupt ones fail.
import { cpuMark, cpuMsSince } from '../../helpers/cpu-time.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageFormatError, type ImageEntry } from '../../../src/image/image-entry.js';
import { readSif, type SifInfo, type SifObject } from '../../../src/image/sif/read-sif.js';
import {
  ENCRYPTED_REASON,
  partitionContents,
  primaryPartitionContents,
} from '../../../src/image/sif/sif-partition.js';
import { REPO } from '../../helpers/tree.js';
import {
  assertSameAsTree,
  buildExt,
  buildSquashfs,
  descField,
  DT,
  FS,
  PART,
  partitionExtra,
  plantTree,
  SIF,
  signatureExtra,
  snapshotTree,
  tempDir,
  writeSif,
  type TreeEntry,
} from '../../helpers/write-sif.js';

const SAMPLES = path.join(REPO, '../shared/reference/sif-samples');
const haveSamples = fs.existsSync(path.join(SAMPLES, 'one-group.sif'));
const isRoot = process.getuid?.() === 0;
// CI has the samples, root, e2fsprogs, squashfs-tools and libcap2-bin (scripts/test.sh): nothing skips there.
const skipSamples = !haveSamples && !process.env.CI ? 'needs ../shared/reference/sif-samples' : false;
const skipBuild =
  !isRoot && !process.env.CI ? 'needs root (mknod, chown, setcap) for the planted tree' : false;
const sample = (name: string) => path.join(SAMPLES, name);

const work = tempDir('ctrsafe-sif-');
let planted: { root: string; tree: Map<string, TreeEntry> } | null = null;
function tree(): { root: string; tree: Map<string, TreeEntry> } {
  if (!planted) {
    const root = plantTree({ many: 500, sparse: false });
    planted = { root, tree: snapshotTree(root) };
  }
  return planted;
}
after(() => {
  fs.rmSync(work, { recursive: true, force: true });
  if (planted) fs.rmSync(planted.root, { recursive: true, force: true });
});

type Brief = Pick<SifObject, 'id' | 'type' | 'group' | 'link' | 'offset' | 'size'> & Partial<SifObject>;
function brief(o: SifObject): Brief {
  const { id, type, group, link, offset, size, fsType, partType, arch } = o;
  return { id, type, group, link, offset, size, ...(fsType ? { fsType, partType, arch } : {}) };
}

// Expected values: sylabs/sif internal/app/siftool/testdata/TestApp_List/*.golden and TestApp_Info/*.golden.
const raw1: Brief = {
  id: 1,
  type: 'partition',
  group: 1,
  link: null,
  offset: 32768,
  size: 4,
  fsType: 'raw',
  partType: 'system',
  arch: '386',
};
const squash2: Brief = {
  id: 2,
  type: 'partition',
  group: 1,
  link: null,
  offset: 36864,
  size: 4096,
  fsType: 'squashfs',
  partType: 'primary-system',
  arch: '386',
};
const ext3: Brief = {
  id: 3,
  type: 'partition',
  group: 2,
  link: null,
  offset: 40960,
  size: 262144,
  fsType: 'ext3',
  partType: 'system',
  arch: 'amd64',
};
const sig = (id: number, group: number, offset: number, size: number): Brief => ({
  id,
  type: 'signature',
  group: null,
  link: { kind: 'group', id: group },
  offset,
  size,
});

test('the sylabs/sif sample files list the objects siftool lists', { skip: skipSamples }, () => {
  const expect: Record<string, Brief[]> = {
    'empty.sif': [],
    'one-group.sif': [raw1, squash2],
    'one-group-signed-pgp.sif': [raw1, squash2, sig(3, 1, 40960, 1048)],
    'one-group-signed-dsse.sif': [raw1, squash2, sig(3, 1, 40960, 1694)],
    'two-groups.sif': [raw1, squash2, ext3],
    'two-groups-signed-pgp.sif': [raw1, squash2, ext3, sig(4, 1, 303104, 1048), sig(5, 2, 304152, 849)],
    'one-object-crypt-message.sif': [
      { id: 1, type: 'crypto-message', group: 1, link: null, offset: 32176, size: 4 },
    ],
    'one-object-sbom.sif': [{ id: 1, type: 'sbom', group: 1, link: null, offset: 32176, size: 454 }],
    'one-object-oci-blob.sif': [{ id: 1, type: 'oci-blob', group: 1, link: null, offset: 32176, size: 847 }],
    'one-object-oci-root-index.sif': [
      { id: 1, type: 'oci-root-index', group: 1, link: null, offset: 32176, size: 706 },
    ],
  };
  for (const [name, objects] of Object.entries(expect)) {
    const info = readSif(sample(name));
    assert.deepEqual(info.objects.map(brief), objects, name);
    assert.equal(info.version, '01');
    assert.deepEqual(
      [info.descriptorsTotal, info.descriptorsOffset, info.descriptorsSize, info.dataOffset],
      [48, 4096, 48 * 585, 32176],
    );
    assert.equal(info.descriptorsFree, 48 - objects.length, name);
    assert.equal(info.dataOffset + info.dataSize, fs.statSync(sample(name)).size, name);
    assert.equal(info.arch, objects.some((o) => o.type === 'partition') ? '386' : 'unknown', name);
    assert.deepEqual(info.warnings, [], name);
    assert.equal(
      info.primary?.id ?? null,
      objects.some((o) => o.partType === 'primary-system') ? 2 : null,
      name,
    );
  }
});

test(
  'signatures: which group each signs, the PGP fingerprint or a DSSE envelope',
  { skip: skipSamples },
  () => {
    const pgp = readSif(sample('one-group-signed-pgp.sif'));
    assert.equal(pgp.hasSignatures, true);
    assert.equal(pgp.primarySigned, true);
    assert.deepEqual(pgp.signatures, [{ object: 3, target: { kind: 'group', id: 1 }, covers: [1, 2] }]);
    const s = pgp.objects[2]!;
    assert.deepEqual(
      [s.hashType, s.fingerprint, s.signatureFormat],
      ['sha256', '12045c8c0b1004d058de4beda20c27ee7ff7ba84', 'pgp-clearsign'],
    );
    const dsse = readSif(sample('one-group-signed-dsse.sif')).objects[2]!;
    assert.deepEqual([dsse.hashType, dsse.fingerprint, dsse.signatureFormat], ['sha256', null, 'dsse']);
    const two = readSif(sample('two-groups-signed-pgp.sif'));
    assert.deepEqual(
      two.signatures.map((x) => [x.object, x.target.id, x.covers]),
      [
        [4, 1, [1, 2]],
        [5, 2, [3]],
      ],
    );
    for (const name of ['one-group.sif', 'two-groups.sif', 'empty.sif']) {
      const u = readSif(sample(name));
      assert.deepEqual([u.hasSignatures, u.primarySigned, u.signatures], [false, false, []], name);
    }
  },
);

test(
  'crypto message, SBOM and OCI objects carry their metadata; OCI digests match the bytes',
  { skip: skipSamples },
  () => {
    const cm = readSif(sample('one-object-crypt-message.sif')).objects[0]!;
    assert.deepEqual([cm.cryptoFormat, cm.cryptoMessage], ['openpgp', 'clear-signature']);
    assert.equal(readSif(sample('one-object-sbom.sif')).objects[0]!.sbomFormat, 'cyclonedx-json');
    for (const name of ['one-object-oci-blob.sif', 'one-object-oci-root-index.sif']) {
      const o = readSif(sample(name)).objects[0]!;
      const bytes = fs.readFileSync(sample(name)).subarray(o.offset, o.offset + o.size);
      assert.equal(o.ociDigest, 'sha256:' + createHash('sha256').update(bytes).digest('hex'), name);
    }
    const oci = primaryPartitionContents(
      sample('one-object-oci-root-index.sif'),
      readSif(sample('one-object-oci-root-index.sif')),
    );
    assert.deepEqual([oci.kind, oci.object], ['opaque', null]);
    assert.match((oci as { reason: string }).reason, /OCI-SIF/);
    const empty = primaryPartitionContents(sample('empty.sif'), readSif(sample('empty.sif')));
    assert.deepEqual(empty, { kind: 'opaque', object: null, reason: 'no primary system partition' });
  },
);

function entriesOf(file: string, info: SifInfo, id?: number): ImageEntry[] {
  const obj = id === undefined ? info.primary : info.objects.find((o) => o.id === id)!;
  const c = id === undefined ? primaryPartitionContents(file, info) : partitionContents(file, obj!);
  assert.equal(c.kind, 'entries', JSON.stringify(c));
  return [...(c as { entries: Generator<ImageEntry> }).entries];
}

test("the samples' squashfs and ext3 partitions list in place", { skip: skipSamples }, () => {
  // unsquashfs -lln -o 36864 one-group.sif: squashfs-root/hello.txt, 19 bytes, 1000/1000, -rw-rw-r--.
  const sq = entriesOf(sample('one-group.sif'), readSif(sample('one-group.sif')));
  const hello = sq.find((e) => e.path === '/hello.txt');
  assert.deepEqual(
    [hello?.type, hello?.size, hello?.uid, hello?.gid, hello?.mode],
    ['file', 19, 1000, 1000, 0o664],
  );
  // debugfs -R 'ls -l -p /' 'two-groups.sif?offset=40960': /12/100664/0/0/hello.txt/19/
  const ext = entriesOf(sample('two-groups.sif'), readSif(sample('two-groups.sif')), 3);
  assert.deepEqual(
    ext.map((e) => [e.path, e.type, e.inode, e.mode, e.uid, e.gid, e.size]),
    [
      ['/', 'dir', 2, 0o755, 0, 0, 0],
      ['/hello.txt', 'file', 12, 0o664, 0, 0, 19],
    ],
  );
  const raw = partitionContents(sample('one-group.sif'), readSif(sample('one-group.sif')).objects[0]!);
  assert.deepEqual(
    [raw.kind, (raw as { reason: string }).reason],
    ['opaque', 'raw partition: no file system to list'],
  );
});

test(
  'a SIF written around an ext3 partition lists the planted tree; its signature covers the group',
  { skip: skipBuild },
  () => {
    const ext = path.join(work, 'part.ext3');
    buildExt(tree().root, ext, 16384, ['-t', 'ext3']);
    const file = path.join(work, 'ext3.sif');
    writeSif(file, [
      {
        type: DT.partition,
        data: Buffer.from([0xfa, 0xce]),
        group: 1,
        extra: partitionExtra(FS.raw, PART.system),
      },
      {
        type: DT.partition,
        data: fs.readFileSync(ext),
        group: 1,
        extra: partitionExtra(FS.ext3, PART.primary),
        name: 'rootfs',
      },
      {
        type: DT.signature,
        data: Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----\n'),
        link: { group: 1 },
        extra: signatureExtra(),
      },
    ]);
    const info = readSif(file);
    assert.deepEqual(
      [info.primary?.id, info.primary?.fsType, info.primary?.name, (info.primary?.offset ?? 1) % 4096],
      [2, 'ext3', 'rootfs', 0],
    );
    assert.deepEqual([info.hasSignatures, info.primarySigned, info.warnings], [true, true, []]);
    assertSameAsTree(entriesOf(file, info), tree().tree);
  },
);

test(
  'a SIF written around a squashfs partition lists the planted tree through the squashfs reader',
  { skip: skipBuild },
  () => {
    const sq = path.join(work, 'part.sqfs');
    buildSquashfs(tree().root, sq);
    const file = path.join(work, 'squashfs.sif');
    writeSif(file, [
      {
        type: DT.partition,
        data: fs.readFileSync(sq),
        group: 1,
        extra: partitionExtra(FS.squashfs, PART.primary),
      },
    ]);
    const info = readSif(file);
    assert.deepEqual(
      [info.primary?.fsType, info.hasSignatures, info.primarySigned],
      ['squashfs', false, false],
    );
    // Squashfs stores only user., trusted. and security. xattrs (squashfs-tools-ng doc/format.adoc): no ACLs.
    const noSystem = new Map(
      [...tree().tree].map(([k, v]) => [
        k,
        {
          ...v,
          xattrs: Object.fromEntries(Object.entries(v.xattrs).filter(([n]) => !n.startsWith('system.'))),
        },
      ]),
    );
    assertSameAsTree(entriesOf(file, info), noSystem, { nlinkOptional: true });
  },
);

test(
  'an encrypted partition is an outcome, not an exception; overlay partitions list too',
  { skip: skipBuild },
  () => {
    const ext = path.join(work, 'overlay.ext3');
    buildExt(tree().root, ext, 16384, ['-t', 'ext3']);
    const file = path.join(work, 'enc.sif');
    writeSif(file, [
      {
        type: DT.partition,
        data: Buffer.alloc(8192, 0x5a),
        group: 1,
        extra: partitionExtra(FS.encrypted, PART.primary),
      },
      {
        type: DT.partition,
        data: fs.readFileSync(ext),
        group: 1,
        extra: partitionExtra(FS.ext3, PART.overlay),
      },
      { type: DT.partition, data: Buffer.alloc(10), group: 1, extra: partitionExtra(9, PART.data) },
    ]);
    const info = readSif(file);
    const c = primaryPartitionContents(file, info);
    assert.deepEqual(
      [c.kind, c.object?.id, (c as { reason: string }).reason],
      ['encrypted', 1, ENCRYPTED_REASON],
    );
    assert.equal(info.objects[1]!.partType, 'overlay');
    assertSameAsTree(entriesOf(file, info, 2), tree().tree);
    const unknown = partitionContents(file, info.objects[2]!);
    assert.deepEqual([unknown.kind, info.objects[2]!.fsType], ['opaque', 'unknown']);
  },
);

test('inconsistencies that do not mislead are warnings', () => {
  const file = path.join(work, 'warn.sif');
  const prim = partitionExtra(FS.squashfs, PART.primary);
  writeSif(
    file,
    [
      { type: DT.partition, data: Buffer.alloc(16), group: 1, extra: prim },
      { type: DT.partition, data: Buffer.alloc(16), group: 2, extra: prim },
      {
        type: DT.signature,
        data: Buffer.from('{"payloadType":"x"}'),
        link: { group: 7 },
        extra: signatureExtra(),
      },
    ],
    { mutate: (b) => b.writeBigInt64LE(1n, SIF.descriptorsFree) },
  );
  const info = readSif(file);
  assert.equal(info.primary?.id, 1);
  assert.equal(info.primarySigned, false);
  assert.match(
    info.ambiguousPrimary ?? '',
    /^2 primary system partitions \(objects 1, 2\): sylabs\/sif refuses/,
  );
  assert.deepEqual(info.warnings, [
    'DescriptorsFree is 1, but 45 of 48 descriptors are free',
    'signature object 3 links to group 7, which holds no objects',
  ]);
});

function expectSifError(mutate: (b: Buffer) => Buffer | void, re: RegExp, objects = 1): void {
  const file = path.join(work, 'bad.sif');
  const good = writeSif(file, [
    {
      type: DT.partition,
      data: Buffer.alloc(4096, 1),
      group: 1,
      extra: partitionExtra(FS.squashfs, PART.primary),
    },
    ...(objects > 1 ? [{ type: DT.generic, data: Buffer.alloc(100, 2) }] : []),
  ]);
  const copy = Buffer.from(good);
  fs.writeFileSync(file, mutate(copy) ?? copy);
  const t0 = cpuMark();
  assert.throws(
    () => readSif(file),
    (e: unknown) => e instanceof ImageFormatError && re.test(e.message) && !e.message.includes('\n'),
    re.source,
  );
  assert.ok(cpuMsSince(t0) < 1000);
}

test('corrupt or hostile headers and descriptors end with ImageFormatError', () => {
  expectSifError((b) => b.subarray(0, 100), /truncated: 100 bytes/);
  expectSifError((b) => b.subarray(0, 10000), /descriptor table \(4096\+28080\) extends past the end/);
  expectSifError((b) => b.subarray(0, b.length - 1), /data section \(\d+\+\d+\) extends past the end/);
  expectSifError((b) => void b.write('SIF_MAGIX', 32, 'latin1'), /no SIF_MAGIC/);
  expectSifError((b) => void b.write('02', 42, 'latin1'), /version "02" is not 01/);
  expectSifError(
    (b) => void b.writeBigInt64LE(2n ** 40n, SIF.descriptorsTotal),
    /DescriptorsTotal 1099511627776 exceeds 65536/,
  );
  expectSifError(
    (b) => void b.writeBigInt64LE(-1n, SIF.descriptorsTotal),
    /DescriptorsTotal -1 is out of range/,
  );
  expectSifError(
    (b) => void b.writeBigInt64LE(585n * 47n, SIF.descriptorsSize),
    /DescriptorsSize 27495 is not 48 descriptors/,
  );
  expectSifError(
    (b) => void b.writeBigInt64LE(2n ** 62n, SIF.descriptorsOffsetField),
    /DescriptorsOffset \d+ is out of range/,
  );
  expectSifError((b) => void b.writeBigInt64LE(10n ** 9n, SIF.dataSize), /data section/);
  expectSifError(
    (b) => void b.writeBigInt64LE(10n ** 9n, descField(0, SIF.dOffset)),
    /object 1 .* extends past the end/,
  );
  expectSifError(
    (b) => void b.writeBigInt64LE(-4096n, descField(0, SIF.dOffset)),
    /object 1 offset -4096 is out of range/,
  );
  expectSifError(
    (b) => void b.writeBigInt64LE(2n ** 53n, descField(0, SIF.dSize)),
    /object 1 size \d+ is out of range/,
  );
  expectSifError(
    (b) => void b.writeBigInt64LE(0n, descField(0, SIF.dOffset)),
    /overlaps the header or descriptor table/,
  );
  expectSifError(
    (b) => void b.writeBigInt64LE(5000n, descField(0, SIF.dOffset)),
    /object 1 at offset 5000 overlaps the header or descriptor table/,
  );
  expectSifError(
    (b) => void b.writeUInt32LE(1, descField(1, SIF.dId)),
    /object ID 1 is used by two descriptors/,
    2,
  );
  expectSifError((b) => void b.writeUInt32LE(0, descField(0, SIF.dId)), /object ID 0/);
});

test(
  'an ext3 partition cut shorter than its file system fails in the ext reader',
  { skip: skipBuild },
  () => {
    const ext = path.join(work, 'short.ext3');
    buildExt(null, ext, 4096, ['-t', 'ext3']);
    const file = path.join(work, 'short.sif');
    writeSif(
      file,
      [
        {
          type: DT.partition,
          data: fs.readFileSync(ext),
          group: 1,
          extra: partitionExtra(FS.ext3, PART.primary),
        },
      ],
      {
        mutate: (b) => b.writeBigInt64LE(BigInt(2 * 1024 * 1024), descField(0, SIF.dSize)),
      },
    );
    const c = primaryPartitionContents(file, readSif(file));
    assert.equal(c.kind, 'entries');
    assert.throws(
      () => [...(c as { entries: Generator<ImageEntry> }).entries],
      /exceeds the 2097152 bytes available/,
    );
  },
);
