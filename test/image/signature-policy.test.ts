// require_signature in the image policy: trusted accepts only verified SIFs, any accepts a complete signature by any
// key, none leaves the defaults; kinds and waivers cannot relax it; images that carry no SIF signature are refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditImage } from '../../src/image/audit-image.js';
import { loadPolicy, parsePolicy } from '../../src/image/image-policy.js';
import { loadKeyring } from '../../src/image/sif/keyring.js';
import { InputError } from '../../src/errors.js';
import { REPO } from '../helpers/tree.js';
import { tempDir } from '../helpers/write-sif.js';

const SAMPLES = path.join(REPO, '../shared/reference/sif-samples');
const skip =
  !fs.existsSync(path.join(SAMPLES, 'keys')) && !process.env.CI
    ? 'needs ../shared/reference/sif-samples'
    : false;
const work = tempDir('ctrsafe-sigpol-');
after(() => fs.rmSync(work, { recursive: true, force: true }));

function policy(lines: string[]) {
  const f = path.join(work, `policy-${lines.join('').length}-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(f, ['version: 1', ...lines].join('\n'));
  return loadPolicy(f);
}

const statusOf = (r: Awaited<ReturnType<typeof auditImage>>, kind: string) =>
  r.findings.filter((f) => f.id === kind).map((f) => f.status);

test(
  'require_signature: trusted passes only the verified sample and fails the rest, naming the policy',
  { skip },
  async () => {
    const trusted = policy(['require_signature: trusted']);
    const keyring = loadKeyring([path.join(SAMPLES, 'keys/pgp-public.asc')]);
    const ok = await auditImage(path.join(SAMPLES, 'one-group-signed-pgp.sif'), { policy: trusted, keyring });
    assert.equal(ok.image.signature?.verdict, 'verified');
    assert.ok(
      !ok.findings.some((f) => f.status === 'fail' && f.id.includes('sign')),
      JSON.stringify(ok.findings),
    );
    const untrusted = await auditImage(path.join(SAMPLES, 'one-group-signed-dsse.sif'), {
      policy: trusted,
      keyring,
    });
    assert.deepEqual(statusOf(untrusted, 'sif-untrusted-key'), ['fail']);
    assert.match(
      untrusted.findings.find((f) => f.id === 'sif-untrusted-key')!.evidence,
      /require_signature = trusted \(policy .*\.yaml\)$/,
    );
    const unsigned = await auditImage(path.join(SAMPLES, 'one-group.sif'), { policy: trusted, keyring });
    assert.deepEqual(statusOf(unsigned, 'unsigned-sif'), ['fail']);
  },
);

test(
  'require_signature: any accepts an untrusted key but not an unsigned image; none keeps the defaults',
  { skip },
  async () => {
    const any = policy(['require_signature: any']);
    const dsse = path.join(SAMPLES, 'one-group-signed-dsse.sif');
    assert.deepEqual(statusOf(await auditImage(dsse, { policy: any }), 'sif-untrusted-key'), ['warn']);
    assert.deepEqual(
      statusOf(await auditImage(path.join(SAMPLES, 'two-groups.sif'), { policy: any }), 'unsigned-sif'),
      ['fail'],
    );
    const none = policy(['require_signature: none']);
    assert.deepEqual(
      statusOf(await auditImage(path.join(SAMPLES, 'two-groups.sif'), { policy: none }), 'unsigned-sif'),
      ['warn'],
    );
  },
);

test('kinds and waivers cannot relax require_signature; a squashfs cannot meet it', { skip }, async () => {
  const relaxed = policy([
    'require_signature: trusted',
    'kinds:',
    '  unsigned-sif: allow',
    'waivers:',
    '  - kind: unsigned-sif',
    '    reason: try to get around it',
    '    expires: 2099-12-31',
  ]);
  const r = await auditImage(path.join(SAMPLES, 'one-group.sif'), { policy: relaxed });
  assert.deepEqual(statusOf(r, 'unsigned-sif'), ['fail']);
  // The caller's (the gate's) requirement applies too, the stricter one winning.
  const viaGate = await auditImage(path.join(SAMPLES, 'one-group.sif'), {
    requireSignature: { level: 'any', source: 'gate policy /etc/ctrsafe/gate.yaml' },
  });
  assert.match(
    viaGate.findings.find((f) => f.id === 'unsigned-sif')!.evidence,
    /require_signature = any \(gate policy/,
  );
  const dir = path.join(work, 'tree');
  fs.mkdirSync(dir);
  const d = await auditImage(dir, { policy: policy(['require_signature: any']) });
  assert.equal(d.image.signature, undefined);
  assert.deepEqual(statusOf(d, 'unsigned-image'), ['fail']);
  assert.match(
    d.findings.find((f) => f.id === 'unsigned-image')!.evidence,
    /a directory image carries no SIF signature/,
  );
});

test('require_signature takes trusted, any or none only', () => {
  assert.throws(
    () => parsePolicy({ version: 1, require_signature: 'yes' }, 'p.yaml'),
    (e: unknown) =>
      e instanceof InputError && /p\.yaml: require_signature: must be trusted, any, none/.test(e.message),
  );
  assert.equal(parsePolicy({ version: 1 }, 'p.yaml').requireSignature, 'none');
});
