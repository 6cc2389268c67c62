// SIF signatures under attack: images signed in the test with its own keys, then altered the ways an attacker would
// (a subset signed, an object left out of every group, a legacy signature, a foreign fingerprint, junk envelopes).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadKeyring } from '../../../src/image/sif/keyring.js';
import { verifySif } from '../../../src/image/sif/verify-sif.js';
import {
  clearsign,
  dsseEnvelope,
  ed25519Pair,
  metadataFor,
  pgpPair,
  writeSignedSif,
} from '../../helpers/sign-sif.js';
import {
  DT,
  FS,
  PART,
  partitionExtra,
  signatureExtra,
  tempDir,
  writeSif,
  type SifObjectSpec,
} from '../../helpers/write-sif.js';

const work = tempDir('ctrsafe-sigatk-');
after(() => fs.rmSync(work, { recursive: true, force: true }));
let n = 0;
const file = (tag: string) => path.join(work, `${tag}-${n++}.sif`);

function keyFile(text: string): string {
  const p = path.join(work, `key-${n++}`);
  fs.writeFileSync(p, text, { mode: 0o644 });
  return p;
}

const part: SifObjectSpec = {
  type: DT.partition,
  group: 1,
  data: Buffer.alloc(8192, 7),
  extra: partitionExtra(FS.squashfs, PART.primary),
};
const labels: SifObjectSpec = { type: DT.generic, group: 1, data: Buffer.from('{"label":"x"}') };

const signed = (
  objects: SifObjectSpec[],
  envelope: (metadata: string) => Promise<Buffer> | Buffer,
  opts: { ids?: number[]; sig?: Partial<SifObjectSpec> } = {},
) => writeSignedSif(file('signed'), objects, envelope, opts);

const ed = ed25519Pair();
const edRing = () => loadKeyring([keyFile(ed.pem)]);

test('an image signed in the test verifies; the same image signed over a subset of its group is partial', async () => {
  const whole = await signed([part, labels], (m) => dsseEnvelope(m, ed.privateKey));
  let r = await verifySif(whole, { keyring: edRing() });
  assert.equal(r.verdict, 'verified', r.reason);
  assert.deepEqual(r.covered, [1, 2]);
  const subset = await signed([part, labels], (m) => dsseEnvelope(m, ed.privateKey), { ids: [1] });
  r = await verifySif(subset, { keyring: edRing() });
  assert.equal(r.verdict, 'signed-partially', r.reason);
  assert.match(r.reason, /signature object 3 does not list object 2 of group 1/);
  assert.deepEqual([r.covered, r.uncovered], [[1], [2]]);
});

test('an object outside every group cannot be covered: the image is signed-partially', async () => {
  const loose: SifObjectSpec = { type: DT.generic, data: Buffer.from('added later') };
  const f = await signed([part, labels, loose], (m) => dsseEnvelope(m, ed.privateKey));
  const r = await verifySif(f, { keyring: edRing() });
  assert.equal(r.verdict, 'signed-partially', r.reason);
  assert.match(r.reason, /object 3 belong to no group/);
  assert.deepEqual(r.uncovered, [3]);
});

test('a signature object slipped into the signed group is an object nobody signed, as apptainer verify sees it', async () => {
  const f = file('sig-in-group');
  writeSif(f, [part, labels]);
  const md = metadataFor(f, 1);
  writeSif(f, [
    part,
    labels,
    {
      type: DT.signature,
      data: dsseEnvelope(md, ed.privateKey),
      link: { group: 1 },
      extra: signatureExtra(),
    },
    // Itself a well-formed signature, linked to an empty group (so ignored), but placed inside group 1.
    {
      type: DT.signature,
      group: 1,
      data: dsseEnvelope(md, ed.privateKey),
      link: { group: 7 },
      extra: signatureExtra(),
    },
  ]);
  const r = await verifySif(f, { keyring: edRing() });
  assert.equal(r.verdict, 'signed-partially', r.reason);
  assert.match(r.reason, /does not list object 4 of group 1/);
});

test('metadata naming an object the group no longer holds, or spelled as only Go would read it, is invalid', async () => {
  let f = await signed([part, labels], (m) =>
    dsseEnvelope(m.replace('"relativeId":1', '"relativeId":5'), ed.privateKey),
  );
  let r = await verifySif(f, { keyring: edRing() });
  assert.equal(r.verdict, 'signature-invalid', r.reason);
  assert.match(r.reason, /object 6, which it signed, is no longer in group 1/);
  // Go's encoding/json would fill relativeId from "RelativeID"; JSON.parse would not: refused, not guessed.
  f = await signed([part, labels], (m) =>
    dsseEnvelope(m.replace('"relativeId":1', '"RelativeID":1'), ed.privateKey),
  );
  r = await verifySif(f, { keyring: edRing() });
  assert.equal(r.verdict, 'signature-invalid', r.reason);
  assert.match(r.reason, /spells "relativeId" as "RelativeID"/);
});

test('junk in a signature object is invalid, beside a good signature too; an oversized one is not read', async () => {
  const good = await signed([part], (m) => dsseEnvelope(m, ed.privateKey));
  for (const [tag, data] of [
    ['garbage', Buffer.from('not a signature at all')],
    [
      'other-payload',
      Buffer.from(JSON.stringify({ payloadType: 'text/plain', payload: '', signatures: [] })),
    ],
    [
      'bad-base64',
      Buffer.from(
        JSON.stringify({
          payloadType: 'application/vnd.sylabs.sif-metadata+json',
          payload: '!!',
          signatures: [],
        }),
      ),
    ],
    ['huge', Buffer.alloc(1024 * 1024 + 1, 0x20)],
  ] as const) {
    const f = file(tag);
    writeSif(f, [
      part,
      {
        type: DT.signature,
        data: dsseEnvelope(metadataFor(good, 1), ed.privateKey),
        link: { group: 1 },
        extra: signatureExtra(),
      },
      { type: DT.signature, data, link: { group: 1 }, extra: signatureExtra() },
    ]);
    const r = await verifySif(f, { keyring: edRing() });
    assert.equal(r.verdict, 'signature-invalid', `${tag}: ${r.reason}`);
    assert.match(r.reason, /^signature object 3: /, tag);
  }
});

test('legacy (SIFHASH) and object-linked signatures are not considered, as apptainer verify does by default', async () => {
  const pgp = await pgpPair();
  const ring = loadKeyring([keyFile(pgp.publicArmored)]);
  const fpr = Buffer.from(pgp.fingerprint, 'hex');
  const legacy = await signed([part], () => clearsign(`SIFHASH:\n${'ab'.repeat(32)}\n`, pgp.privateKey), {
    sig: { extra: signatureExtra(1, fpr) },
  });
  let r = await verifySif(legacy, { keyring: ring });
  assert.equal(r.verdict, 'signed-partially', r.reason);
  assert.match(r.reason, /legacy \(SIFHASH\) signature.*--legacy-insecure/);
  assert.deepEqual(
    r.signatures.map((s) => [s.status, s.legacy]),
    [['ignored', true]],
  );
  const toObject = await signed([part], (m) => clearsign(m, pgp.privateKey), {
    sig: { link: { object: 1 }, extra: signatureExtra(1, fpr) },
  });
  r = await verifySif(toObject, { keyring: ring });
  assert.equal(r.verdict, 'signed-partially', r.reason);
  assert.match(r.signatures[0]!.detail, /links to object 1, not to a group/);
});

test('OpenPGP: the signer must be the key the descriptor names; a trusted co-signer suffices beside an unknown one', async () => {
  const alice = await pgpPair('Alice');
  const mallory = await pgpPair('Mallory');
  const ring = loadKeyring([keyFile(alice.publicArmored)]);
  const aliceFpr = signatureExtra(1, Buffer.from(alice.fingerprint, 'hex'));
  const malloryFpr = signatureExtra(1, Buffer.from(mallory.fingerprint, 'hex'));
  const ok = await signed([part], (m) => clearsign(m, alice.privateKey), { sig: { extra: aliceFpr } });
  let r = await verifySif(ok, { keyring: ring });
  assert.equal(r.verdict, 'verified', r.reason);
  assert.equal(r.keys[0]!.user_id, 'Alice <signer@example.org>');
  assert.ok(r.signed_at && Math.abs(Date.parse(r.signed_at) - Date.now()) < 600_000);
  const wrongName = await signed([part], (m) => clearsign(m, alice.privateKey), {
    sig: { extra: malloryFpr },
  });
  r = await verifySif(wrongName, { keyring: ring });
  assert.equal(r.verdict, 'signature-invalid', r.reason);
  assert.match(r.reason, /signed by [0-9A-F]{40}, but its descriptor names [0-9A-F]{40}/);
  // Mallory alone: untrusted. Alice and Mallory both sign group 1: Alice's signature carries the image.
  const byMallory = await signed([part], (m) => clearsign(m, mallory.privateKey), {
    sig: { extra: malloryFpr },
  });
  r = await verifySif(byMallory, { keyring: ring });
  assert.equal(r.verdict, 'signed-untrusted-key', r.reason);
  assert.deepEqual(r.keys, [{ fingerprint: mallory.fingerprint, kind: 'openpgp', trusted: false }]);
  const both = file('both');
  writeSif(both, [part]);
  const md = metadataFor(both, 1);
  writeSif(both, [
    part,
    {
      type: DT.signature,
      data: await clearsign(md, mallory.privateKey),
      link: { group: 1 },
      extra: malloryFpr,
    },
    { type: DT.signature, data: await clearsign(md, alice.privateKey), link: { group: 1 }, extra: aliceFpr },
  ]);
  r = await verifySif(both, { keyring: ring });
  assert.equal(r.verdict, 'verified', r.reason);
  assert.deepEqual(
    r.signatures.map((s) => s.status),
    ['untrusted-key', 'valid'],
  );
});
