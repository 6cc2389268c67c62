// Keyrings: armored OpenPGP and PEM public keys from files or a directory, fingerprints as ssh-keygen and gpg show
// them, and every bad key file a one-line error naming it (private keys, certificates, links, foreign owners, floods).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../../src/errors.js';
import { loadKeyring, MAX_KEY_FILES } from '../../../src/image/sif/keyring.js';
import { REPO } from '../../helpers/tree.js';
import { tempDir } from '../../helpers/write-sif.js';

const KEYS = path.join(REPO, '../shared/reference/sif-samples/keys');
const skip = !fs.existsSync(KEYS) && !process.env.CI ? 'needs ../shared/reference/sif-samples/keys' : false;
const work = tempDir('ctrsafe-keys-');
after(() => fs.rmSync(work, { recursive: true, force: true }));
let n = 0;

function dirWith(files: Record<string, string>): string {
  const d = path.join(work, `ring-${n++}`);
  fs.mkdirSync(d, { mode: 0o755 });
  for (const [name, text] of Object.entries(files))
    fs.writeFileSync(path.join(d, name), text, { mode: 0o644 });
  return d;
}

function refused(sources: string[], pattern: RegExp): void {
  assert.throws(
    () => loadKeyring(sources),
    (e: unknown) => e instanceof InputError && pattern.test(e.message) && !e.message.includes('\n'),
  );
}

test(
  'the sample keys load from their directory with the fingerprints gpg and ssh-keygen give',
  { skip },
  async () => {
    const ring = loadKeyring([KEYS]);
    const keys = await ring.list();
    assert.deepEqual(
      keys.map((k) => [path.basename(k.file), k.kind, k.algorithm, k.fingerprint]),
      [
        ['pgp-public.asc', 'openpgp', 'rsaEncryptSign 2048', '12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84'],
        ['ecdsa-public.pem', 'ecdsa', 'ECDSA P-256', 'SHA256:13cNV0A11AxgIQYCvlDmJlRi0CjRtjnYF47RzrMhlaU'],
        ['ed25519-public.pem', 'ed25519', 'Ed25519', 'SHA256:x6l8ZblpSSXGaPMCzySedWg88BwIFcz8jlPb6el0mFs'],
        ['rsa-public.pem', 'rsa', 'RSA 4096', 'SHA256:BhCwr7qZulYcOMSl2Jt2DuYHxHNnN6th4NdMqR/PGa4'],
      ],
    );
    assert.equal(keys[0]!.userId, 'Unit Test <unit@test.com>');
    // The content digest changes with the keys, not with how they were named.
    assert.equal(loadKeyring([KEYS]).digest, ring.digest);
    assert.notEqual(loadKeyring([path.join(KEYS, 'rsa-public.pem')]).digest, ring.digest);
  },
);

test('a key added to or removed from a directory changes the keyring digest', () => {
  const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const d = dirWith({ 'a.pem': pem });
  const before = loadKeyring([d]).digest;
  fs.writeFileSync(
    path.join(d, 'b.pem'),
    generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    { mode: 0o644 },
  );
  const added = loadKeyring([d]).digest;
  fs.rmSync(path.join(d, 'b.pem'));
  assert.notEqual(added, before);
  assert.equal(loadKeyring([d]).digest, before);
  // Dot-files are not keys (editors' and packages' leftovers); an empty directory is an empty keyring.
  fs.writeFileSync(path.join(d, '.keep'), 'x');
  assert.equal(loadKeyring([d]).digest, before);
  assert.equal(loadKeyring([dirWith({})]).pem.length, 0);
});

test('private keys, certificates, other key types and non-keys are refused, naming the file', () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  refused([dirWith({ 'signer.pem': priv })], /signer\.pem: holds a private key/);
  refused(
    [
      dirWith({
        'k.asc': '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxx\n-----END PGP PRIVATE KEY BLOCK-----\n',
      }),
    ],
    /k\.asc: holds a private key/,
  );
  refused(
    [dirWith({ 'c.pem': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' })],
    /c\.pem: an X\.509 certificate; give its public key/,
  );
  const ed448 = generateKeyPairSync('ed448').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  refused([dirWith({ 'e.pem': ed448 })], /e\.pem: a ed448 key cannot verify SIF signatures/);
  refused(
    [dirWith({ README: 'our keys live here\n' })],
    /README: no armored OpenPGP public key or PEM public key/,
  );
  refused(
    [dirWith({ 'bad.pem': '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' })],
    /bad\.pem: not a readable PEM public key/,
  );
  refused([path.join(work, 'absent')], /absent: no such keyring file or directory/);
});

test('a broken OpenPGP key is refused when it is first needed, naming the file', async () => {
  const d = dirWith({
    'broken.asc':
      '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PUBLIC KEY BLOCK-----\n',
  });
  const ring = loadKeyring([d]);
  await assert.rejects(
    ring.openpgpKeys(),
    (e: unknown) =>
      e instanceof InputError && /broken\.asc: not a readable OpenPGP public key/.test(e.message),
  );
});

test('links, writable keys and directories, special files and floods of files are refused', () => {
  const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const d = dirWith({ 'k.pem': pem });
  fs.symlinkSync(path.join(d, 'k.pem'), path.join(d, 'link.pem'));
  refused([d], /link\.pem: is a symbolic link/);
  const w = dirWith({ 'k.pem': pem });
  fs.chmodSync(path.join(w, 'k.pem'), 0o666);
  refused([w], /k\.pem: owned by uid \d+ with mode 0666; trusted keys must belong to root/);
  const wd = dirWith({ 'k.pem': pem });
  fs.chmodSync(wd, 0o777);
  refused([wd], /mode 0777/);
  const sub = dirWith({});
  fs.mkdirSync(path.join(sub, 'more'));
  refused([sub], /more: not a regular file/);
  const many = dirWith({});
  for (let i = 0; i <= MAX_KEY_FILES; i++)
    fs.writeFileSync(path.join(many, `k${i}.pem`), pem, { mode: 0o644 });
  refused([many], new RegExp(`${MAX_KEY_FILES + 1} files, more than a keyring holds`));
  const big = dirWith({ 'big.asc': 'x'.repeat(1024 * 1024 + 1) });
  refused([big], /big\.asc: 1048577 bytes, more than a key file holds/);
});
