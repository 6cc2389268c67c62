// The policy files' declarations (src/schema/policy-documents.ts): the shipped example and a policy using every key
// fit the published files (read by a second validator) and their readers; every bad policy is refused by both, and
// the reader says why in one line naming the file and the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { loadGatePolicy, parseGatePolicy } from '../../src/gate/gate-policy.js';
import { loadPolicy, parsePolicy } from '../../src/image/image-policy.js';
import { readPolicyDocument } from '../../src/policy-document.js';
import { REPO, writeTree } from '../helpers/tree.js';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js') as new (o: object) => {
  compile(s: object): ((d: unknown) => boolean) & { errors?: unknown[] | null };
};
const addFormats = require('ajv-formats') as (a: unknown) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const published = (file: string) =>
  ajv.compile(JSON.parse(fs.readFileSync(path.join(REPO, 'docs/schema', file), 'utf8')) as object);
const gateFile = published('ctrsafe.gate-policy-1.json');
const imageFile = published('ctrsafe.image-policy-1.json');

test('the shipped gate policy and an image policy using every key fit the published files and their readers', () => {
  const gate = path.join(REPO, 'contrib/gate.yaml');
  assert.ok(gateFile(readPolicyDocument(gate, 1 << 20)), JSON.stringify(gateFile.errors));
  const g = loadGatePolicy(gate);
  assert.deepEqual(
    [g.requireReady, g.failOn, g.vulnerabilities, g.waivers[0]?.expires],
    [['apptainer'], 'high', 'high', '2027-01-31'],
    'an unquoted YAML date is read as the text written',
  );
  const dir = writeTree({
    'image.yaml': [
      'version: 1',
      'profile: strict',
      'require_signature: trusted',
      'kinds: { setuid: deny, world-writable: warn }',
      'paths:',
      '  - { path: /usr/bin/sudo, kind: setuid, action: allow }',
      '  - { path: "/opt/**", action: warn }',
      'waivers:',
      '  - { kind: device, path: /dev/fuse, reason: FUSE mounts for users, expires: 2030-06-30 }',
      '',
    ].join('\n'),
  });
  const file = path.join(dir, 'image.yaml');
  assert.ok(imageFile(readPolicyDocument(file, 1 << 20)), JSON.stringify(imageFile.errors));
  const p = loadPolicy(file);
  assert.deepEqual(
    [p.profile, p.requireSignature, p.kinds, p.paths.length, p.waivers[0]?.expires],
    ['strict', 'trusted', { setuid: 'deny', 'world-writable': 'warn' }, 2, '2030-06-30'],
  );
  assert.ok(p.paths[1]!.matcher.test('/opt/a/b') && !p.paths[1]!.matcher.test('/usr/a'));
});

test('a bad policy is refused by the published file and by its reader, in one line naming the file and the field', () => {
  const waiver = { reason: 'because', expires: '2027-01-01' };
  const gate: [unknown, RegExp][] = [
    [[], /^g\.yaml: the document: must be a mapping$/],
    [{}, /^g\.yaml: version: must be 1$/],
    [{ version: 1, fail_on: 'severe' }, /^g\.yaml: fail_on: must be one of info, .* \(got "severe"\)$/],
    [
      { version: 1, vulnerabilities: 'all' },
      /^g\.yaml: vulnerabilities: must be one of .*, none \(got "all"\)$/,
    ],
    [{ version: 1, require_ready: 'apptainer' }, /^g\.yaml: require_ready: must be a list of runtime ids$/],
    [
      { version: 1, require_ready: ['apptainer', 'docker'] },
      /^g\.yaml: require_ready\[1\]: unknown runtime "docker"/,
    ],
    [{ version: 1, timeout_seconds: 1.5 }, /^g\.yaml: timeout_seconds: must be a whole number/],
    [{ version: 1, keyring: [] }, /^g\.yaml: keyring: must be an absolute path or a list/],
    [{ version: 1, image_policy: 'image.yaml' }, /^g\.yaml: image_policy: must be an absolute path$/],
    [{ version: 1, waivers: [{ ...waiver, id: 'CS K' }] }, /^g\.yaml: waivers\[0\]\.id: must be a rule or/],
    [
      { version: 1, waivers: [{ id: 'CS-K007', reason: 'ab', expires: '2027-01-01' }] },
      /waivers\[0\]\.reason: a waiver must say why$/,
    ],
    [
      { version: 1, waivers: [{ id: 'CS-K007', reason: 'because' }] },
      /^g\.yaml: waivers\[0\]\.expires: must be a date YYYY-MM-DD/,
    ],
    [
      { version: 1, waivers: [{ ...waiver, id: 'CS-K007', expires: '2026-02-29' }] },
      /waivers\[0\]\.expires: must be a date/,
    ],
    [{ version: 1, drain: true }, /^g\.yaml: drain: unknown key \(known: version, require_ready, /],
  ];
  for (const [doc, why] of gate) {
    assert.equal(gateFile(doc), false, JSON.stringify(doc));
    assert.throws(
      () => parseGatePolicy(doc, 'g.yaml'),
      (e: Error) => why.test(e.message) && !e.message.includes('\n'),
    );
  }
  const image: [unknown, RegExp][] = [
    [{ version: 1, profile: 'lax' }, /^i\.yaml: profile: must be baseline or strict \(got "lax"\)$/],
    [
      { version: 1, kinds: ['setuid'] },
      /^i\.yaml: kinds: must be a mapping of finding kind to deny\/warn\/allow$/,
    ],
    [
      { version: 1, kinds: { setuidd: 'deny' } },
      /^i\.yaml: kinds\.setuidd: unknown finding kind "setuidd" \(known: setuid, /,
    ],
    [
      { version: 1, kinds: { setuid: 'block' } },
      /^i\.yaml: kinds\.setuid: must be one of deny, warn, allow \(got "block"\)$/,
    ],
    [
      { version: 1, paths: [{ path: 'usr/bin', action: 'deny' }] },
      /^i\.yaml: paths\[0\]\.path: must be an absolute path or glob inside/,
    ],
    [{ version: 1, paths: [{ path: '/usr/bin' }] }, /^i\.yaml: paths\[0\]\.action: missing$/],
    [
      { version: 1, waivers: [{ kind: 'device', reason: 'lab', expires: 'soon' }] },
      /waivers\[0\]\.expires: must be a date YYYY-MM-DD/,
    ],
    [
      { version: 1, waivers: Array(10_001).fill({ kind: 'device', ...waiver }) },
      /^i\.yaml: waivers: must be a list of at most 10000 entries$/,
    ],
  ];
  for (const [doc, why] of image) {
    assert.equal(imageFile(doc), false, JSON.stringify(doc).slice(0, 200));
    assert.throws(
      () => parsePolicy(doc, 'i.yaml'),
      (e: Error) => why.test(e.message) && !e.message.includes('\n'),
    );
  }
});
