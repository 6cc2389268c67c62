// `ctrsafe gate --slurm-drain` against a real slurmctld (started by the test command): drain, resume, hands off an
// operator's drain, and no hang when the controller cannot be reached. It acts on the node "gatetest", which runs no
// jobs, so the other Slurm tests are never held up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { parseScontrolNode, slurmNodeName } from '../../src/gate/slurm-node.js';
import { BIN, FIXTURES, writeTree } from '../helpers/tree.js';

const conf = process.env.CTRSAFE_TEST_SLURM_CONF;
if (process.env.CI && !conf)
  throw new Error('CI must run the gate on Slurm: CTRSAFE_TEST_SLURM_CONF is not set');
const env = { ...process.env, SLURM_CONF: conf ?? '' };

const node = () => {
  const r = spawnSync('scontrol', ['show', 'node', 'gatetest', '--oneliner'], {
    encoding: 'utf8',
    env,
    timeout: 20_000,
  });
  const s = parseScontrolNode(r.stdout);
  assert.ok(s, r.stdout + r.stderr);
  return s;
};
const scontrol = (...args: string[]) =>
  spawnSync('scontrol', args, { encoding: 'utf8', env, timeout: 20_000 });
const gate = (fixture: string, e: NodeJS.ProcessEnv = env) =>
  spawnSync(
    process.execPath,
    [
      BIN,
      'gate',
      '--root',
      path.join(FIXTURES, fixture),
      '--slurm-drain',
      '--node',
      'gatetest',
      '--slurm-timeout',
      '5',
    ],
    { encoding: 'utf8', env: e, timeout: 60_000 },
  );
const isDrained = () => node().flags.some((f) => f.startsWith('DRAIN'));

test(
  'gate --slurm-drain on a real Slurm',
  { skip: conf ? false : 'no Slurm started (run the test command as root)' },
  async (t) => {
    scontrol('update', 'NodeName=gatetest', 'State=RESUME');

    await t.test('a failing node is drained with a ctrsafe reason', () => {
      const r = gate('sles11sp3');
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /slurm: drained gatetest/);
      assert.ok(isDrained());
      assert.match(node().reason ?? '', /^ctrsafe: CS-K001 failed \(critical: PR_SET_NO_NEW_PRIVS works\)/);
      assert.match(
        gate('sles11sp3').stderr,
        /already drained by ctrsafe/,
        'a second failing run changes nothing',
      );
    });

    await t.test('a passing run resumes the node ctrsafe drained', () => {
      const r = gate('rocky9');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /slurm: resumed gatetest/);
      assert.equal(isDrained(), false);
    });

    await t.test("an operator's drain stays, whatever the verdict", () => {
      assert.equal(
        scontrol('update', 'NodeName=gatetest', 'State=DRAIN', 'Reason=bad DIMM in slot 3').status,
        0,
      );
      const pass = gate('rocky9');
      assert.match(pass.stderr, /drained by someone else: left as it is/);
      const failing = gate('sles11sp3');
      assert.equal(failing.status, 1);
      assert.match(failing.stderr, /already drained by someone else \("bad DIMM in slot 3"\)/);
      assert.ok(isDrained());
      assert.match(node().reason ?? '', /^bad DIMM in slot 3/);
      scontrol('update', 'NodeName=gatetest', 'State=RESUME');
    });

    await t.test(
      'slurmctld unreachable: the gate gives its verdict, changes nothing, and does not hang',
      () => {
        // The same cluster with the controller's port moved to where nothing listens: what a stopped slurmctld looks like.
        const text = fs.readFileSync(conf!, 'utf8').replace(/^SlurmctldPort=\d+$/m, 'SlurmctldPort=9');
        const dead = path.join(writeTree({ 'slurm.conf': text }), 'slurm.conf');
        const t0 = Date.now();
        const r = gate('sles11sp3', { ...env, SLURM_CONF: dead });
        assert.equal(r.status, 1, 'the verdict still stands');
        assert.match(r.stderr, /left as it is/);
        assert.ok(Date.now() - t0 < 20_000, `${Date.now() - t0} ms`);
        assert.equal(isDrained(), false, 'nothing was changed');
      },
    );

    await t.test('scontrol comes from a root-owned place, never from the inherited PATH', () => {
      const fake = writeTree({ scontrol: '#!/bin/sh\necho "$@" >> "$(dirname "$0")/called"\nexit 0\n' });
      fs.chmodSync(path.join(fake, 'scontrol'), 0o755);
      const r = gate('sles11sp3', { ...env, PATH: `${fake}:${process.env.PATH}` });
      assert.equal(r.status, 1);
      assert.equal(fs.existsSync(path.join(fake, 'called')), false, 'the PATH scontrol ran');
      assert.match(r.stderr, /slurm: (drained|already drained by ctrsafe)/);
      assert.ok(isDrained());
      scontrol('update', 'NodeName=gatetest', 'State=RESUME');
      // Named on the command line, a program others could have written is refused.
      const bad = spawnSync(
        process.execPath,
        [
          BIN,
          'gate',
          '--root',
          path.join(FIXTURES, 'sles11sp3'),
          '--slurm-drain',
          '--node',
          'gatetest',
        ].concat(['--scontrol', path.join(fake, 'scontrol')]),
        { encoding: 'utf8', env, timeout: 60_000 },
      );
      assert.match(bad.stderr, /--scontrol \/tmp.*not root's alone: node gatetest left as it is/);
      assert.equal(fs.existsSync(path.join(fake, 'called')), false);
    });

    await t.test(
      'without --node or SLURMD_NODENAME the node is found by name or address, never guessed',
      async () => {
        const r = await slurmNodeName(undefined, { timeoutMs: 10_000, env: { ...env, SLURMD_NODENAME: '' } });
        // start-slurm.sh names the first node after this host's short name (NodeHostName defaults to NodeName).
        assert.deepEqual(r, { name: os.hostname().split('.')[0] });
      },
    );
  },
);
