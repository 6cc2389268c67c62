// The image audit on a planted sandbox directory: every planted finding, nothing else; site policies and waivers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditImage } from '../../src/image/audit-image.js';
import { loadPolicy } from '../../src/image/image-policy.js';
import { PLANTED, plantTree } from '../helpers/plant-tree.js';
import { runMain } from '../helpers/run-main.js';
import { writeTree } from '../helpers/tree.js';

const tree = plantTree();

test('a planted directory: every finding found, no false alarm', async () => {
  const r = await auditImage(tree, { profile: 'strict' });
  assert.equal(r.schema, 'ctrsafe.image/1');
  assert.equal(r.image.format, 'directory');
  const got = r.findings
    .filter((f) => f.status !== 'pass' && f.path !== null)
    .map((f) => `${f.id} ${f.path}`)
    .sort();
  assert.deepEqual(got, PLANTED.map(([k, p]) => `${k} ${p}`).sort());
  const cap = r.findings.find((f) => f.id === 'file-capability')!;
  assert.match(cap.evidence, /cap_setuid,cap_net_raw=ep/);
  const suid = r.findings.find((f) => f.id === 'setuid')!;
  assert.match(suid.evidence, /mode 4755, owner uid 0 \(root\)/);
  assert.ok(
    r.findings.some((f) => f.id === 'duplicate-entry' && f.status === 'pass'),
    'kinds with nothing found are listed as passed',
  );
});

test('a site policy allows, warns and waives, and an expired waiver stops applying', async () => {
  const policyFile = path.join(writeTree({}), 'policy.yaml');
  fs.writeFileSync(
    policyFile,
    [
      'version: 1',
      'kinds:',
      '  foreign-owner: allow',
      '  absolute-symlink: deny',
      'paths:',
      '  - path: /dev/*',
      '    kind: device',
      '    action: warn',
      'waivers:',
      '  - kind: setuid',
      '    path: /bin/su-copy',
      '    reason: vendor tool reviewed by the site security team',
      '    expires: 2099-12-31',
      '  - kind: file-capability',
      '    path: /bin/**',
      '    reason: old exception',
      '    expires: 2020-01-01',
    ].join('\n'),
  );
  const r = await auditImage(tree, { policy: loadPolicy(policyFile), now: new Date('2026-11-29') });
  const status = (k: string, p: string) => r.findings.find((f) => f.id === k && f.path === p)?.status;
  assert.equal(status('foreign-owner', '/home/alice/notes'), 'pass');
  assert.equal(status('absolute-symlink', '/etc/abs-link'), 'fail');
  assert.equal(status('device', '/dev/kmem-copy'), 'warn');
  assert.equal(status('setuid', '/bin/su-copy'), 'pass');
  assert.match(
    r.findings.find((f) => f.id === 'setuid' && f.path === '/bin/su-copy')!.evidence,
    /waived until 2099-12-31: vendor tool/,
  );
  assert.equal(status('file-capability', '/bin/cap-copy'), 'fail', 'an expired waiver no longer applies');
  assert.ok(
    r.findings.some((f) => /expired on 2020-01-01/.test(f.evidence)),
    'the expired waiver is reported',
  );
});

test('a malformed policy is a clear one-line error with exit 4', async () => {
  const dir = writeTree({
    'bad-kind.yaml': 'version: 1\nkinds:\n  setuidd: deny\n',
    'no-reason.yaml': 'version: 1\nwaivers:\n  - kind: setuid\n    reason: ""\n    expires: 2030-01-01\n',
    'bad-date.json': JSON.stringify({
      version: 1,
      waivers: [{ kind: 'device', reason: 'lab', expires: 'soon' }],
    }),
    'garbage.yaml': 'version: [1\n',
  });
  const want: Record<string, RegExp> = {
    'bad-kind.yaml': /kinds\.setuidd: unknown finding kind "setuidd"/,
    'no-reason.yaml': /waivers\[0\]\.reason: a waiver must say why/,
    'bad-date.json': /waivers\[0\]\.expires: must be a date YYYY-MM-DD/,
    'garbage.yaml': /not valid YAML/,
  };
  for (const [name, re] of Object.entries(want)) {
    const r = await runMain(['image', 'audit', tree, '--policy', path.join(dir, name)]);
    assert.equal(r.code, 4, `${name}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('the image file itself: writable by its group, owned by a user', async () => {
  const dir = writeTree({ 'img.tar': Buffer.alloc(1024) });
  const img = path.join(dir, 'img.tar');
  fs.chmodSync(img, 0o664);
  fs.chownSync(img, 1234, 1234);
  const r = await auditImage(img);
  assert.ok(r.findings.some((f) => f.id === 'image-writable' && f.path === null && f.status === 'fail'));
  assert.ok(r.findings.some((f) => f.id === 'image-owner' && f.path === null));
});

test('image audit CLI: --fail-on, JSON contract, SARIF', async () => {
  assert.equal((await runMain(['image', 'audit', tree])).code, 0);
  assert.equal((await runMain(['image', 'audit', tree, '--fail-on', 'high'])).code, 1);
  const j = JSON.parse((await runMain(['image', 'audit', tree, '--format', 'json'])).stdout) as {
    schema: string;
    findings: { id: string; severity: string; status: string; path: string | null; evidence: string }[];
  };
  assert.equal(j.schema, 'ctrsafe.image/1');
  for (const f of j.findings)
    assert.deepEqual(
      Object.keys(f)
        .filter((k) => k !== 'device')
        .sort(),
      ['evidence', 'id', 'path', 'severity', 'status'],
    );
  const sarif = JSON.parse((await runMain(['image', 'audit', tree, '--format', 'sarif'])).stdout) as {
    version: string;
    runs: { results: unknown[] }[];
  };
  assert.equal(sarif.version, '2.1.0');
  // The planted absolute link passes under the default baseline profile (image/profile.test.ts): one result fewer.
  assert.equal(sarif.runs[0]!.results.length, PLANTED.length - 1);
});
