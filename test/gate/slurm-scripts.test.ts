// The Slurm prolog and health check fail closed under on_error: fail when the gate itself dies or overruns
// (issue 13, item 5): an out-of-memory exit (133) let the job run before. Run with a stand-in gate and scontrol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, writeTree } from '../helpers/tree.js';

/** The contrib script with its ctrsafe, policy, deadlines and scontrol pointed at stand-ins. */
function script(name: string, gate: string, onError: string | null, dir: string): string {
  const policy = path.join(dir, 'gate.yaml');
  fs.writeFileSync(policy, `version: 1\n${onError ? `on_error: ${onError}\n` : ''}timeout_seconds: 30\n`);
  const bin = path.join(dir, 'ctrsafe');
  fs.writeFileSync(bin, `#!/bin/sh\n${gate}\n`, { mode: 0o755 });
  const sc = path.join(dir, 'scontrol');
  fs.writeFileSync(sc, `#!/bin/sh\necho "$@" >> ${dir}/scontrol.log\n`, { mode: 0o755 });
  const text = fs
    .readFileSync(path.join(REPO, 'contrib/slurm', name), 'utf8')
    .replace(/^CTRSAFE=.*$/m, `CTRSAFE=${bin}`)
    .replace(/^POLICY=.*$/m, `POLICY=${policy}`)
    .replace(/^DEADLINE=.*$/m, 'DEADLINE=2')
    .replace(/^SCONTROL_PATHS=.*$/m, `SCONTROL_PATHS=${sc}`);
  assert.match(text, new RegExp(`CTRSAFE=${bin}`));
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode: 0o755 });
  return file;
}

const run = (file: string) =>
  spawnSync('/bin/sh', [file], { encoding: 'utf8', env: { SLURMD_NODENAME: 'n001' }, timeout: 30_000 });

test('prolog: a verdict decides; a dead or stuck gate holds the job under on_error: fail only', () => {
  const cases: [string, string | null, number][] = [
    ['exit 0', 'fail', 0],
    ['echo "ctrsafe: CS-K001 failed"; exit 1', 'pass', 1],
    ['echo "ctrsafe: bad policy"; exit 4', 'fail', 0],
    ['kill -TRAP $$', 'fail', 1], // V8's fatal out-of-memory abort: 133
    ['kill -KILL $$', '"fail"', 1],
    ['exit 70', 'fail', 1],
    ['exec sleep 20', 'fail', 1], // overruns: timeout(1) ends it
    ['kill -TRAP $$', 'pass', 0],
    ['kill -TRAP $$', null, 0], // on_error defaults to pass
  ];
  for (const [gate, onError, want] of cases) {
    const t0 = Date.now();
    const r = run(script('ctrsafe-prolog', gate, onError, writeTree({})));
    assert.equal(r.status, want, `${gate} under on_error: ${onError}: ${r.stderr}`);
    assert.ok(Date.now() - t0 < 10_000, `${gate}: ${Date.now() - t0} ms`);
  }
});

test('health check: a dead gate under on_error: fail drains the node with a ctrsafe reason', () => {
  const dir = writeTree({});
  const r = run(script('ctrsafe-healthcheck', 'kill -TRAP $$', 'fail', dir));
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    fs.readFileSync(path.join(dir, 'scontrol.log'), 'utf8'),
    /^update NodeName=n001 State=DRAIN Reason=ctrsafe: the gate died or overran \(exit 133\)\n$/,
  );
  const calm = writeTree({});
  run(script('ctrsafe-healthcheck', 'kill -TRAP $$', 'pass', calm));
  run(script('ctrsafe-healthcheck', 'exit 1', 'fail', calm));
  assert.equal(
    fs.existsSync(path.join(calm, 'scontrol.log')),
    false,
    'a verdict or on_error: pass drains nothing here',
  );
});
