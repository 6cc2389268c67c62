// What a user sees of the verdicts: counts per package and the oldest deciding data in `check`, every verdict
// with --all, one advisory and what decided it with --explain; and the fields every verdict carries in JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runMain, runMainJson } from '../helpers/run-main.js';
import { FIXTURES } from '../helpers/tree.js';

const ROCKY8 = path.join(FIXTURES, 'rocky8');
const NO_STORE = ['--db', '/nonexistent/ctrsafe-db'];

test('check prints affected/fixed/unknown per package and the oldest date of the deciding data', async () => {
  const r = await runMain(['check', '--root', ROCKY8, ...NO_STORE]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /KNOWN VULNERABILITIES \(\d+ affected, \d+ unknown, \d+ mitigated, \d+ fixed or not affected; .*oldest deciding data \d{4}-\d{2}-\d{2}\)/,
  );
  assert.match(r.stdout, /\n {2}kernel 4\.18\.0-553\.27\.1\.el8_10 +\d+ affected, \d+ unknown, \d+ fixed/);
  assert.match(r.stdout, /fixed or not affected are not listed \(--all lists them/);
  assert.doesNotMatch(r.stdout, /\n {2}fixed {8}/);
  const all = await runMain(['check', '--root', ROCKY8, '--all', ...NO_STORE]);
  assert.match(
    all.stdout,
    /\n {2}fixed {8}high {5}CVE-2016-5195 kernel 4\.18\.0-553\.27\.1\.el8_10 \(fix 4\.9\)/,
  );
  assert.match(all.stdout, /upstream base 4\.18\.0 already contains the mainline fix \(4\.9\)/);
});

test('--explain CVE-... shows the verdict, the fixed version and what decided it', async () => {
  const r = await runMain(['check', '--root', ROCKY8, '--explain', 'CVE-2016-5195', ...NO_STORE]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /on this host: fixed \(kernel 4\.18\.0-553\.27\.1\.el8_10\)/);
  assert.match(r.stdout, /decided by: Linux\/Kernel: ctrsafe advisory record CVE-2016-5195/);
  const none = await runMain(['check', '--root', ROCKY8, '--explain', 'CVE-1999-0001', ...NO_STORE]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no advisory of that id applies to this host/);
});

test('every verdict in the JSON report carries its fixed version, advisory, deciding source and date', async () => {
  const { json } = await runMainJson(['check', '--root', ROCKY8, ...NO_STORE]);
  const verdicts = [
    ...(json.vulnerabilities as Record<string, unknown>[]),
    ...(json.resolved as Record<string, unknown>[]),
  ];
  assert.ok(verdicts.length > 20);
  for (const v of verdicts) {
    for (const k of ['fixed_version', 'advisory', 'decided_by', 'source_date', 'known_exploited'])
      assert.ok(k in v, `${String(v.id)} lacks ${k}`);
    assert.equal(typeof v.decided_by, 'string');
  }
  const summary = json.vulnerability_summary as { target: string }[];
  assert.ok(summary.some((s) => s.target === 'kernel'));
});
