// SIF signatures verified against the real sylabs/sif samples and their public keys: each verifies with its key, is
// untrusted under a wrong key, invalid after one flipped byte, partial with a group's signature deleted by siftool.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadKeyring } from '../../../src/image/sif/keyring.js';
import { readSif } from '../../../src/image/sif/read-sif.js';
import { DESC } from '../../../src/image/sif/sif-format.js';
import type { SignatureReport } from '../../../src/image/sif/signature-verdict.js';
import { verifySif } from '../../../src/image/sif/verify-sif.js';
import { REPO } from '../../helpers/tree.js';
import { tempDir } from '../../helpers/write-sif.js';

const SAMPLES = path.join(REPO, '../shared/reference/sif-samples');
const KEYS = path.join(SAMPLES, 'keys');
const skip =
  !fs.existsSync(path.join(SAMPLES, 'keys')) && !process.env.CI
    ? 'needs ../shared/reference/sif-samples'
    : false;
const haveSiftool = spawnSync('siftool', ['version'], { stdio: 'ignore' }).status === 0;
const skipSiftool =
  skip || (!haveSiftool && !process.env.CI ? 'needs siftool (Debian package siftool)' : false);

const sample = (n: string) => path.join(SAMPLES, n);
const key = (n: string) => path.join(KEYS, n);
const work = tempDir('ctrsafe-sig-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

const PGP = 'pgp-public.asc';
const ED = 'ed25519-public.pem';
const RSA = 'rsa-public.pem';
const WRONG = 'ecdsa-public.pem';
const PGP_FPR = '12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84';
// ssh-keygen -l of the PEM keys (converted with ssh-keygen -i -m PKCS8): what the DSSE envelopes name as keyid.
const ED_FPR = 'SHA256:x6l8ZblpSSXGaPMCzySedWg88BwIFcz8jlPb6el0mFs';
const RSA_FPR = 'SHA256:BhCwr7qZulYcOMSl2Jt2DuYHxHNnN6th4NdMqR/PGa4';

/** The signed samples, the keys that verify each, and the objects their groups hold. */
const SIGNED: {
  file: string;
  keys: { name: string; fpr: string }[];
  objects: number[];
  time: string | null;
}[] = [
  {
    file: 'one-group-signed-pgp.sif',
    keys: [{ name: PGP, fpr: PGP_FPR }],
    objects: [1, 2],
    time: '2020-06-30T00:01:56.000Z',
  },
  {
    file: 'two-groups-signed-pgp.sif',
    keys: [{ name: PGP, fpr: PGP_FPR }],
    objects: [1, 2, 3],
    time: '2020-06-30T00:01:56.000Z',
  },
  {
    file: 'one-group-signed-dsse.sif',
    keys: [
      { name: ED, fpr: ED_FPR },
      { name: RSA, fpr: RSA_FPR },
    ],
    objects: [1, 2],
    time: null,
  },
  {
    file: 'two-groups-signed-dsse.sif',
    keys: [
      { name: ED, fpr: ED_FPR },
      { name: RSA, fpr: RSA_FPR },
    ],
    objects: [1, 2, 3],
    time: null,
  },
];

const verify = (file: string, ...keys: string[]): Promise<SignatureReport> =>
  verifySif(file, { keyring: keys.length ? loadKeyring(keys.map(key)) : null });

function copyOf(name: string, tag: string): string {
  const out = path.join(work, `${tag}-${name}`);
  fs.copyFileSync(sample(name), out);
  return out;
}

function flip(file: string, at: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0x01;
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
}

test(
  'each signed sample verifies with the key that signed it, naming key, time and covered objects',
  { skip },
  async () => {
    for (const s of SIGNED)
      for (const k of s.keys) {
        const r = await verify(sample(s.file), k.name);
        const what = `${s.file} with ${k.name}: ${r.reason}`;
        assert.equal(r.verdict, 'verified', what);
        assert.deepEqual(r.covered, s.objects, what);
        assert.deepEqual(r.uncovered, [], what);
        assert.deepEqual(
          r.keys.filter((x) => x.trusted).map((x) => x.fingerprint),
          [k.fpr],
          what,
        );
        assert.equal(r.signed_at, s.time, what);
        assert.ok(
          r.signatures.every((c) => c.status === 'valid' && !c.legacy),
          what,
        );
        assert.ok(r.keyring && /^[0-9a-f]{64}$/.test(r.keyring.digest));
      }
  },
);

test(
  'a wrong key (ecdsa-public.pem), or none, leaves every signed sample signed-untrusted-key',
  { skip },
  async () => {
    for (const s of SIGNED) {
      for (const keys of [[WRONG], []]) {
        const r = await verify(sample(s.file), ...keys);
        assert.equal(
          r.verdict,
          'signed-untrusted-key',
          `${s.file} with ${keys.join() || 'no keyring'}: ${r.reason}`,
        );
        // The digests still hold: the objects are covered, only the signer is unknown.
        assert.deepEqual(r.covered, s.objects);
        assert.ok(r.keys.length > 0 && r.keys.every((k) => !k.trusted));
      }
      // The signer is named even though it is not trusted: the PGP fingerprint, or the DSSE key IDs.
      const r = await verify(sample(s.file), WRONG);
      assert.deepEqual(r.keys.map((k) => k.fingerprint).sort(), s.keys.map((k) => k.fpr).sort());
    }
  },
);

test(
  'one flipped byte of a covered data object, descriptor or the header makes the signature invalid',
  { skip },
  async () => {
    for (const s of SIGNED) {
      const info = readSif(sample(s.file));
      const primary = info.primary!;
      const descAt = (id: number) =>
        info.descriptorsOffset + info.objects.findIndex((o) => o.id === id) * 585;
      const cases: [string, number, RegExp][] = [
        ['data', primary.offset + Math.floor(primary.size / 2), /data of object 2 changed after signing/],
        [
          'last-object',
          info.objects[s.objects.length - 1]!.offset,
          new RegExp(`data of object ${s.objects.length} changed`),
        ],
        ['descriptor-name', descAt(2) + DESC.name + 5, /descriptor of object 2 changed after signing/],
        ['descriptor-created', descAt(1) + DESC.createdAt, /descriptor of object 1 changed after signing/],
        ['header-id', 48 + 3, /header .* changed after signing/],
      ];
      for (const [tag, at, why] of cases) {
        const f = copyOf(s.file, tag);
        flip(f, at);
        for (const k of [s.keys[0]!.name, WRONG]) {
          const r = await verify(f, k);
          assert.equal(r.verdict, 'signature-invalid', `${s.file} ${tag} with ${k}: ${r.reason}`);
          assert.match(r.reason, why, `${s.file} ${tag}`);
        }
      }
    }
  },
);

test('a flipped byte inside the signature itself is invalid under the signer key', { skip }, async () => {
  for (const s of SIGNED) {
    const info = readSif(sample(s.file));
    const sig = info.objects.find((o) => o.type === 'signature')!;
    const text = fs
      .readFileSync(sample(s.file))
      .subarray(sig.offset, sig.offset + sig.size)
      .toString('latin1');
    // Inside the signature bytes proper: the armored signature block, or the first envelope signature's "sig".
    const at = s.file.includes('pgp')
      ? text.indexOf('-----BEGIN PGP SIGNATURE-----') + 80
      : text.indexOf('"sig":"') + 20;
    const f = copyOf(s.file, 'sigbyte');
    flip(f, sig.offset + at);
    const first = s.keys[0]!;
    const r = await verify(f, first.name);
    assert.equal(r.verdict, 'signature-invalid', `${s.file} with ${first.name}: ${r.reason}`);
    assert.match(r.reason, /does not (verify|match)/);
    // A DSSE envelope holds when one of its signatures verifies (threshold 1, as sylabs/sif's dsse.go): the RSA
    // signature was not touched, so the RSA key still verifies the image.
    if (s.keys[1]) assert.equal((await verify(f, s.keys[1].name)).verdict, 'verified');
  }
});

test(
  'a group whose signature siftool deleted is signed-partially; the primary partition uncovered says so',
  { skip: skipSiftool },
  async () => {
    for (const name of ['two-groups-signed-pgp.sif', 'two-groups-signed-dsse.sif']) {
      const k = name.includes('pgp') ? PGP : ED;
      const sigs = readSif(sample(name)).signatures;
      const g2 = sigs.find((x) => x.target.id === 2)!.object;
      const g1 = sigs.find((x) => x.target.id === 1)!.object;
      const noG2 = copyOf(name, 'nog2');
      execFileSync('siftool', ['del', String(g2), noG2]);
      let r = await verify(noG2, k);
      assert.equal(r.verdict, 'signed-partially', r.reason);
      assert.deepEqual([r.covered, r.uncovered], [[1, 2], [3]]);
      assert.match(r.reason, /group 2 \(object 3\) has no signature/);
      assert.doesNotMatch(r.reason, /primary/);
      const noG1 = copyOf(name, 'nog1');
      execFileSync('siftool', ['del', String(g1), noG1]);
      r = await verify(noG1, k);
      assert.equal(r.verdict, 'signed-partially', r.reason);
      assert.deepEqual([r.covered, r.uncovered], [[3], [1, 2]]);
      assert.match(r.reason, /^the primary system partition \(object 2\) is not covered: group 1/);
    }
  },
);

test('the unsigned samples are unsigned, whatever the keyring', { skip }, async () => {
  for (const name of [
    'empty.sif',
    'one-group.sif',
    'two-groups.sif',
    'one-object-crypt-message.sif',
    'one-object-sbom.sif',
    'one-object-oci-blob.sif',
    'one-object-oci-root-index.sif',
  ])
    for (const keys of [[], [PGP, ED, RSA]]) {
      const r = await verify(sample(name), ...keys);
      assert.equal(r.verdict, 'unsigned', name);
      assert.deepEqual([r.signatures, r.keys, r.covered], [[], [], []]);
      // An OCI-SIF's cosign signatures live in OCI blobs: "unsigned" says it did not look there.
      assert.equal(/cosign/.test(r.reason), name === 'one-object-oci-root-index.sif', `${name}: ${r.reason}`);
    }
});
