// `fleet collect --slurm` on a real single-node Slurm (started by the test command): srun fans the check out, reports are stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, writeTree } from './helpers/tree.js';

const conf = process.env.CTRSAFE_TEST_SLURM_CONF;
if (process.env.CI && !conf)
  throw new Error('CI must run fleet collect on Slurm: CTRSAFE_TEST_SLURM_CONF is not set');

test(
  'fleet collect --slurm stores each node once and names the nodes Slurm does not know',
  { skip: conf ? false : 'no Slurm started (run the test command as root)' },
  () => {
    const env = { ...process.env, SLURM_CONF: conf! };
    const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
    const me = os.hostname().split('.')[0]!;
    const run = (args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env, timeout: 120000 });
    // A site's own srun options pass through (a time limit here; a reservation or account on a busy cluster).
    const r = run([
      'fleet',
      'collect',
      '--slurm',
      '--nodes',
      `${me},ghost[1-2]`,
      '--srun-arg=--time=5',
      '--db',
      db,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /collected 1 of 3 nodes: 1 stored/);
    assert.match(r.stdout, /unknown to Slurm: ghost\[1-2\]/);
    const clash = run(['fleet', 'collect', '--slurm', '--srun-arg=--nodes=3', '--db', db]);
    assert.equal(clash.status, 2, 'an option ctrsafe sets itself is refused');
    const again = run(['fleet', 'collect', '--slurm', '--db', db]);
    assert.match(
      again.stdout,
      /collected 1 of 2 nodes: 1 stored/,
      'a second run is a new report of the same node',
    );
    // The test cluster's second node never runs slurmd: srun would wait for it forever, so it is not asked.
    assert.match(again.stdout, /not asked, Slurm has them [a-z+*~#%!@$^-]+: gatetest/);
    const s = JSON.parse(run(['fleet', 'summary', '--db', db, '--format', 'json']).stdout) as {
      nodes: number;
    };
    assert.equal(s.nodes, 1);
    const n = JSON.parse(run(['fleet', 'nodes', '--db', db, '--format', 'json']).stdout) as {
      nodes: { hostname: string }[];
    };
    assert.equal(n.nodes[0]!.hostname, os.hostname());
  },
);

test('fleet collect --pdsh regroups pdsh output per host and names the hosts that did not answer', () => {
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120000 });
  // pdsh's exec module runs the command locally once per target: two "hosts" answer with this machine's report.
  const r = run(['fleet', 'collect', '--pdsh', 'node[1-2]', '--rcmd', 'exec', '--db', db]);
  assert.equal(r.status, 0, r.stderr);
  // Both answers carry the same hostname: one is stored, the other is either stored after it or older than it.
  assert.match(
    r.stdout,
    /collected 2 of 2 nodes: (2 stored, 0 already stored, 0 older|1 stored, 0 already stored, 1 older)/,
  );
  const bad = run(['fleet', 'collect', '--pdsh', 'node[1-2]', '--rcmd', 'no-such-module', '--db', db]);
  assert.match(bad.stdout, /collected 0 of 2 nodes/);
  assert.match(bad.stdout, /did not answer: node\[1-2\]/);
});
