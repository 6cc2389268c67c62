// One planted tree, every image format: each audit finds exactly what was planted, and the same in every format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditImage } from '../../src/image/audit-image.js';
import { loadKeyring } from '../../src/image/sif/keyring.js';
import { dsseEnvelope, ed25519Pair, writeSignedSif } from '../helpers/sign-sif.js';
import { PLANTED, plantTree } from '../helpers/plant-tree.js';
import {
  DT,
  FS,
  PART,
  buildExt,
  buildSquashfs,
  partitionExtra,
  signatureExtra,
  tempDir,
  writeSif,
} from '../helpers/write-sif.js';

const tree = plantTree();
const work = tempDir('ctrsafe-formats-');
const want = PLANTED.map(([k, p]) => `${k} ${p}`).sort();

async function found(image: string): Promise<string[]> {
  // Strict: every planted finding counts, the absolute link included (the baseline passes it as stock content).
  const r = await auditImage(image, { profile: 'strict' });
  assert.ok(
    !r.findings.some((f) => f.id === 'unreadable' && f.status !== 'pass'),
    `${image}: ${JSON.stringify(r.findings.filter((f) => f.id === 'unreadable'))}`,
  );
  // ext file systems carry lost+found (root, 0700): nothing to report either.
  return r.findings
    .filter((f) => f.status !== 'pass' && f.path !== null)
    .map((f) => `${f.id} ${f.path}`)
    .sort();
}

test('directory, squashfs (every compressor), ext3, ext4 and tar (pax, gnu; gzip, xz, zstd) find the same planted findings', async () => {
  assert.deepEqual(await found(tree), want, 'directory');
  for (const comp of ['gzip', 'xz', 'lzma', 'lzo', 'lz4', 'zstd']) {
    const img = path.join(work, `img-${comp}.sqfs`);
    execFileSync('mksquashfs', [tree, img, '-noappend', '-quiet', '-no-progress', '-comp', comp], {
      stdio: 'pipe',
    });
    assert.deepEqual(await found(img), want, `squashfs ${comp}`);
  }
  const noD = path.join(work, 'enroot.sqfs');
  execFileSync('mksquashfs', [tree, noD, '-noappend', '-quiet', '-no-progress', '-comp', 'lzo', '-noD'], {
    stdio: 'pipe',
  });
  assert.deepEqual(await found(noD), want, "squashfs with enroot's default -comp lzo -noD");
  for (const t of ['ext3', 'ext4']) {
    const img = path.join(work, `img.${t}`);
    buildExt(tree, img, 8192, ['-t', t]);
    assert.deepEqual(await found(img), want, t);
  }
  for (const [fmt, z] of [
    ['pax', ''],
    ['gnu', ''],
    ['pax', '-z'],
    ['pax', '-J'],
    ['pax', '--zstd'],
  ] as const) {
    const img = path.join(work, `img-${fmt}${z}.tar`);
    execFileSync('tar', [
      '-C',
      tree,
      `--format=${fmt}`,
      '--xattrs',
      '--xattrs-include=*',
      '--numeric-owner',
      ...(z ? [z] : []),
      '-cf',
      img,
      '.',
    ]);
    fs.chmodSync(img, 0o644);
    assert.deepEqual(await found(img), want, `tar ${fmt} ${z}`);
  }
});

test('a SIF around a planted squashfs: the same findings, plus unsigned; a signature object is verified, not just seen', async () => {
  const sq = path.join(work, 'part.sqfs');
  buildSquashfs(tree, sq);
  const part = {
    type: DT.partition,
    group: 1,
    data: fs.readFileSync(sq),
    extra: partitionExtra(FS.squashfs, PART.primary),
  };
  const unsigned = path.join(work, 'unsigned.sif');
  writeSif(unsigned, [part]);
  fs.chmodSync(unsigned, 0o644);
  const r = await auditImage(unsigned, { profile: 'strict' });
  assert.deepEqual(
    r.findings
      .filter((f) => f.status !== 'pass' && f.path !== null)
      .map((f) => `${f.id} ${f.path}`)
      .sort(),
    want,
  );
  assert.ok(r.findings.some((f) => f.id === 'unsigned-sif' && f.status === 'warn'));
  assert.equal(r.image.signature?.verdict, 'unsigned');
  // Before issue 15 this image was reported "signed": a signature object that is not a signature.
  const junk = path.join(work, 'junk-signed.sif');
  writeSif(junk, [
    part,
    {
      type: DT.signature,
      data: Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----\n'),
      link: { group: 1 },
      extra: signatureExtra(),
    },
  ]);
  fs.chmodSync(junk, 0o644);
  const s = await auditImage(junk);
  assert.equal(s.image.signature?.verdict, 'signature-invalid');
  assert.ok(s.findings.some((f) => f.id === 'sif-signature-invalid' && f.status === 'fail'));
  assert.ok(!s.findings.some((f) => f.id === 'unsigned-sif' && f.status !== 'pass'));
  // Signed for real with a key the keyring holds: verified, every signature kind passes.
  const key = ed25519Pair();
  const keyFile = path.join(work, 'site-key.pem');
  fs.writeFileSync(keyFile, key.pem, { mode: 0o644 });
  const good = await writeSignedSif(path.join(work, 'good-signed.sif'), [part], (m) =>
    dsseEnvelope(m, key.privateKey),
  );
  const v = await auditImage(good, { keyring: loadKeyring([keyFile]) });
  assert.equal(v.image.signature?.verdict, 'verified', v.image.signature?.reason);
  assert.deepEqual(
    v.findings
      .filter((f) =>
        ['unsigned-sif', 'sif-signed-partially', 'sif-untrusted-key', 'sif-signature-invalid'].includes(f.id),
      )
      .map((f) => f.status),
    ['pass', 'pass', 'pass', 'pass'],
  );
});

test('a truncated image ends in an unreadable finding, not a crash', async () => {
  const sq = path.join(work, 'cut.sqfs');
  buildSquashfs(tree, sq);
  const full = fs.readFileSync(sq);
  // bytes_used (superblock offset 40) is the image proper; the file is padded to 4 KiB beyond it.
  const used = Number(full.readBigUInt64LE(40));
  fs.writeFileSync(sq, full.subarray(0, Math.floor(used / 2)));
  const r = await auditImage(sq);
  const u = r.findings.find((f) => f.id === 'unreadable');
  assert.ok(u && u.status === 'fail', JSON.stringify(r.findings.slice(0, 3)));
  assert.ok(!u.evidence.includes('\n'));
});

test('hostile tar members: names with .. or absolute paths, escaping hard links, duplicates', async () => {
  const img = path.join(work, 'hostile.tar');
  const py = [
    'import io, sys, tarfile',
    't = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)',
    'def add(name, kind=tarfile.REGTYPE, link=""):',
    '    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.mode = 0o644',
    '    t.addfile(i, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)',
    'add("etc/ok")',
    'add("../../escape-up")',
    'add("/etc/absolute-name")',
    'add("etc/hard-escape", tarfile.LNKTYPE, "../../etc/shadow")',
    'add("etc/hard-inside", tarfile.LNKTYPE, "etc/ok")',
    'add("etc/ok")',
    't.close()',
  ].join('\n');
  execFileSync('/usr/bin/python3', ['-c', py, img]);
  fs.chmodSync(img, 0o644);
  const r = await auditImage(img);
  const got = r.findings
    .filter((f) => f.status !== 'pass' && f.path !== null)
    .map((f) => `${f.id} ${f.path}`)
    .sort();
  assert.deepEqual(
    got,
    [
      'duplicate-entry /etc/ok',
      'escaping-hardlink /etc/hard-escape',
      'unsafe-path /escape-up',
      'unsafe-path /etc/absolute-name',
    ].sort(),
  );
});
