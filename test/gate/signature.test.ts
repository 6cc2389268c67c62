// The image gate under require_signature: trusted: the signed sample passes, a copy with one flipped byte is
// refused, and the verdict cache is keyed by the keyring's content (a key added or removed judges again).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseGatePolicy } from '../../src/gate/gate-policy.js';
import { readSif } from '../../src/image/sif/read-sif.js';
import { InputError } from '../../src/errors.js';
import { REPO } from '../helpers/tree.js';
import { runMain } from '../helpers/run-main.js';
import { tempDir } from '../helpers/write-sif.js';

const SAMPLES = path.join(REPO, '../shared/reference/sif-samples');
const skip =
  !fs.existsSync(path.join(SAMPLES, 'keys')) && !process.env.CI
    ? 'needs ../shared/reference/sif-samples'
    : false;
const work = tempDir('ctrsafe-gatesig-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

interface GateJson {
  pass: boolean;
  line: string;
  source: 'audit' | 'cache';
}

async function gate(image: string, args: string[]): Promise<GateJson> {
  const r = await runMain(['gate', '--image', image, '--format', 'json', ...args]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const j = JSON.parse(r.stdout) as GateJson;
  assert.equal(r.code, j.pass ? 0 : 1);
  return j;
}

function imageCopy(name: string, tag: string, flipAt?: (file: string) => number): string {
  const f = path.join(work, `${tag}-${name}`);
  fs.copyFileSync(path.join(SAMPLES, name), f);
  fs.chmodSync(f, 0o644);
  if (flipAt) {
    const b = fs.readFileSync(f);
    const at = flipAt(f);
    b[at] = b[at]! ^ 0x01;
    fs.writeFileSync(f, b);
  }
  return f;
}

/** A gate policy requiring trusted signatures, a keyring directory holding KEYS (sample key files), a cache. */
function trustedGate(tag: string, keys: string[]): { args: string[]; policy: string; keyDir: string } {
  const policy = path.join(work, `gate-${tag}.yaml`);
  fs.writeFileSync(policy, 'version: 1\nrequire_signature: trusted\n');
  const keyDir = path.join(work, `keys-${tag}`);
  fs.mkdirSync(keyDir, { mode: 0o755 });
  for (const k of keys) fs.copyFileSync(path.join(SAMPLES, 'keys', k), path.join(keyDir, k));
  return {
    args: ['--policy', policy, '--keyring', keyDir, '--cache', path.join(work, `cache-${tag}`)],
    policy,
    keyDir,
  };
}

test(
  'gate --image under require_signature: trusted accepts the signed sample and refuses it tampered',
  { skip },
  async () => {
    const { args, keyDir: keys } = trustedGate('tamper', ['pgp-public.asc']);
    for (const name of ['one-group-signed-pgp.sif', 'two-groups-signed-dsse.sif']) {
      if (name.includes('dsse'))
        fs.copyFileSync(path.join(SAMPLES, 'keys/ed25519-public.pem'), path.join(keys, 'dsse.pem'));
      const original = imageCopy(name, 'orig');
      const ok = await gate(original, args);
      assert.equal(ok.pass, true, ok.line);
      assert.match(ok.line, /^ctrsafe: image accepted \(sif, /);
      // One byte of the primary partition's data, flipped in a copy: changed after signing.
      const primary = readSif(original).primary!;
      const tampered = imageCopy(name, 'tampered', () => primary.offset + 100);
      const bad = await gate(tampered, args);
      assert.equal(bad.pass, false);
      assert.match(
        bad.line,
        /^ctrsafe: image refused: sif-signature-invalid: signature-invalid: .*data of object 2 changed after signing/,
      );
      assert.equal((await gate(tampered, args)).source, 'cache');
      assert.equal((await gate(tampered, args)).pass, false);
    }
  },
);

test(
  'the verdict cache is keyed by the keyring: removing the signer refuses an image it accepted',
  { skip },
  async () => {
    const { args, policy, keyDir: keys } = trustedGate('keyed', ['rsa-public.pem']);
    const image = imageCopy('one-group-signed-dsse.sif', 'keyed');
    let r = await gate(image, args);
    assert.deepEqual([r.pass, r.source], [true, 'audit']);
    assert.equal((await gate(image, args)).source, 'cache');
    fs.rmSync(path.join(keys, 'rsa-public.pem'));
    fs.copyFileSync(path.join(SAMPLES, 'keys/ecdsa-public.pem'), path.join(keys, 'ecdsa.pem'));
    r = await gate(image, args);
    assert.deepEqual([r.pass, r.source], [false, 'audit'], r.line);
    assert.match(r.line, /sif-untrusted-key/);
    // Without the requirement the same image passes (an untrusted signer only warns).
    fs.writeFileSync(policy, 'version: 1\n');
    assert.equal((await gate(image, args)).pass, true);
  },
);

test('the gate policy takes require_signature and keyring', () => {
  const p = parseGatePolicy({ version: 1, require_signature: 'any', keyring: '/etc/site-keys' }, 'gate.yaml');
  assert.deepEqual([p.requireSignature, p.keyring], ['any', ['/etc/site-keys']]);
  assert.throws(
    () => parseGatePolicy({ version: 1, keyring: ['relative/keys'] }, 'gate.yaml'),
    (e: unknown) =>
      e instanceof InputError && /gate\.yaml: keyring: must be an absolute path/.test(e.message),
  );
  assert.throws(
    () => parseGatePolicy({ version: 1, require_signature: 'always' }, 'gate.yaml'),
    /require_signature/,
  );
});
