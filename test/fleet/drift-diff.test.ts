// Drift in words: transitions grouped per node and report, each change from what to what, better or worse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeChange, groupDrift } from '../../src/fleet/drift-diff.js';

test('changes in words, with their direction', () => {
  const c = (subject: string, o: string | null, n: string | null) =>
    describeChange({ subject, old_value: o, new_value: n });
  assert.deepEqual(c('vuln.CVE-2024-1086', 'affected', null), {
    what: 'vulnerability',
    id: 'CVE-2024-1086',
    from: 'affected',
    to: 'no longer reported (fixed or not applicable)',
    direction: 'better',
  });
  assert.equal(c('vuln.CVE-2024-1086', null, 'affected').direction, 'worse');
  assert.equal(c('vuln.CVE-2024-1086', 'unknown', 'mitigated').direction, 'changed');
  assert.equal(c('runtime.apptainer.ready', 'yes', 'no').direction, 'worse');
  assert.equal(c('runtime.apptainer.ready', 'unknown', 'yes').direction, 'better');
  assert.equal(c('runtime.podman.risk', 'high', 'low').direction, 'better');
  assert.equal(
    c('runtime.podman.risk', 'unknown', 'low').direction,
    'changed',
    'from unknown is no improvement',
  );
  assert.equal(c('rule.CS-K007', 'not failing', 'fail').direction, 'worse');
  assert.deepEqual(c('kernel', '5.14.0-427.el9.x86_64', '5.14.0-503.el9.x86_64'), {
    what: 'kernel',
    id: null,
    from: '5.14.0-427.el9.x86_64',
    to: '5.14.0-503.el9.x86_64',
    direction: 'changed',
  });
});

test('one change set per node and report, newest first, kernel first and worse before better inside', () => {
  const rows = [
    { hostname: 'b', at: 2, subject: 'vuln.CVE-1', old_value: 'affected', new_value: null },
    { hostname: 'b', at: 2, subject: 'vuln.CVE-2', old_value: null, new_value: 'affected' },
    { hostname: 'b', at: 2, subject: 'kernel', old_value: '1', new_value: '2' },
    { hostname: 'a', at: 2, subject: 'os', old_value: 'rocky 9.4', new_value: 'rocky 9.5' },
    { hostname: 'b', at: 1, subject: 'rule.CS-X', old_value: 'fail', new_value: 'not failing' },
  ];
  const sets = groupDrift(rows);
  assert.deepEqual(
    sets.map((s) => [s.hostname, s.at, s.changes.map((c) => `${c.what}:${c.id ?? ''}:${c.direction}`)]),
    [
      ['a', 2, ['operating system::changed']],
      ['b', 2, ['kernel::changed', 'vulnerability:CVE-2:worse', 'vulnerability:CVE-1:better']],
      ['b', 1, ['rule:CS-X:better']],
    ],
  );
});
