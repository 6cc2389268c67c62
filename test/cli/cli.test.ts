// The command line as a user meets it: exit codes, --fail-on, --explain, colour rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runMain } from '../helpers/run-main.js';
import { BIN, FIXTURES } from '../helpers/tree.js';

const centos7 = path.join(FIXTURES, 'centos7-default');

test('--fail-on exits 1 only when a failure at or above the severity exists', async () => {
  // centos7-default fails CS-K002 (medium) and nothing critical.
  assert.equal((await runMain(['check', '--root', centos7, '--fail-on', 'medium'])).code, 1);
  assert.equal((await runMain(['check', '--root', centos7, '--fail-on', 'critical'])).code, 0);
  assert.equal((await runMain(['check', '--root', centos7])).code, 0);
});

test("--explain prints the rule with its sources and this host's result", async () => {
  const r = await runMain(['check', '--root', centos7, '--explain', 'cs-k002']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /CS-K002 {2}Unprivileged user namespaces are available/);
  assert.match(r.stdout, /on this host: fail/);
  assert.match(r.stdout, /https:\/\/man7\.org\/linux\/man-pages\/man7\/user_namespaces\.7\.html/);
});

test('text output leads with the runtime verdicts and honours NO_COLOR', async () => {
  const r = await runMain(['check', '--root', centos7]);
  const lines = r.stdout.split('\n');
  assert.match(lines[3]!, /^RUNTIME\s+VERSION\s+MODE\s+READY\s+RISK/);
  assert.ok(!r.stdout.includes('\u001b['), 'no escape codes');
  const coloured = await runMain(['check', '--root', centos7, '--color', 'always']);
  assert.ok(coloured.stdout.includes('\u001b[31m'), 'red for failures');
});

test('the model can be set, and flips the user-namespace trade-off rules', async () => {
  const setuid = await runMain(['check', '--root', centos7, '--model', 'setuid', '--format', 'json']);
  const findings = (
    JSON.parse(setuid.stdout) as { findings: { id: string; status: string; evidence: string }[] }
  ).findings;
  assert.equal(findings.find((f) => f.id === 'CS-K002')!.status, 'not-applicable');
  assert.equal(findings.find((f) => f.id === 'CS-K003')!.status, 'pass');
});

test('rules lists the catalogue; --version prints the version', async () => {
  assert.match((await runMain(['rules'])).stdout, /^CS-K001 {2}critical/m);
  assert.match((await runMain(['--version'])).stdout, /^ctrsafe \d+\.\d+\.\d+/);
});

test('a reader that closes the pipe early gets no stack trace', () => {
  const r = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${BIN}" rules | head -n 1`], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^CS-K001/);
  assert.doesNotMatch(r.stderr, /EPIPE|at .*\.m?js:\d+/);
});
