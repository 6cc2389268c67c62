// Why Slurm holds a queued job: which of squeue's reasons end the wait, and the watch that asks squeue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cannotStart, watchPending } from '../../src/fleet/slurm-pending.js';
import { writeTree } from '../helpers/tree.js';

test('reasons that do not lift end the wait; those that lift as other jobs end do not', () => {
  // Names as job_reason_string (slurm_protocol_defs.c) gives them, with squeue's detail after a comma.
  for (const r of [
    'PartitionDown',
    'PartitionInactive',
    'PartitionNodeLimit',
    'PartitionTimeLimit',
    'PartitionConfig',
    'QOSMaxNodesPerJobLimit',
    'QOSMaxWallDurationPerJobLimit',
    'AssocMaxCpusPerJobLimit',
    'QOSMinCPUsNotSatisfied',
    'JobHeldAdmin',
    'JobHeldUser',
    'BadConstraints',
    'DependencyNeverSatisfied',
    'InvalidAccount',
    'InvalidQOS',
    'AccountNotAllowed',
    'QOSNotAllowed',
    'NodeDown',
  ])
    assert.ok(cannotStart(r), r);
  for (const r of [
    'Resources',
    'Priority',
    'None',
    'BeginTime',
    'Dependency',
    'Licenses',
    'Reservation',
    'AssocGrpNodesLimit',
    'QOSGrpCpuLimit',
    'QOSMaxNodesPerUserLimit',
    'QOSMaxJobsPerUserLimit',
    'AssocMaxJobsLimit',
    // Given for a while during backfill on a large cluster; srun's own line for a node gone is acted on instead.
    'ReqNodeNotAvail, UnavailableNodes:pair1',
    'PartitionDownish',
    '',
  ])
    assert.ok(!cannotStart(r), r);
  assert.ok(cannotStart('PartitionNodeLimit, something more'));
});

/** A stand-in squeue that prints its answers in turn (the last one again), and counts how often it was asked. */
function standInSqueue(answers: string[]): { env: NodeJS.ProcessEnv; asked: () => number } {
  const bin = writeTree({});
  const count = path.join(bin, 'count');
  fs.writeFileSync(
    path.join(bin, 'squeue'),
    [
      '#!/bin/sh',
      `echo x >> ${count}`,
      `n=$(wc -l < ${count})`,
      ...answers.map((a, i) => `[ "$n" -le ${i + 1} ] && { ${a}; exit $?; }`),
      `${answers.at(-1)!}`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    asked: () => (fs.existsSync(count) ? fs.readFileSync(count, 'utf8').split('\n').length - 1 : 0),
  };
}

const until = async (ok: () => boolean, ms = 5000) => {
  const t0 = Date.now();
  while (!ok() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
};
const FAST = { firstMs: 10, everyMs: 30 };

test('the watch stops the wait at a reason that does not lift, with squeue’s words', async () => {
  const sq = standInSqueue(["echo 'PENDING|Resources'", "echo 'PENDING|PartitionDown'"]);
  let said: string | undefined;
  const w = watchPending('42', sq.env, (s) => (said = s), FAST);
  await until(() => said !== undefined);
  w.stop();
  assert.equal(said, 'squeue: job 42 pending: PartitionDown');
  assert.equal(sq.asked(), 2, 'asked once for Resources, then once more');
  assert.equal(w.last(), 'squeue: job 42 pending: PartitionDown');
});

test('the watch waits through reasons that lift, and ends once the job runs', async () => {
  const sq = standInSqueue(["echo 'PENDING|Priority'", "echo 'PENDING|Resources'", "echo 'RUNNING|None'"]);
  let said: string | undefined;
  const w = watchPending('7', sq.env, (s) => (said = s), FAST);
  await until(() => sq.asked() >= 3);
  await new Promise((r) => setTimeout(r, 150));
  w.stop();
  assert.equal(said, undefined);
  assert.equal(sq.asked(), 3, 'not asked again once the job runs');
  assert.equal(w.last(), '', 'nothing pending to name');
});

test('the watch keeps the last reason for the timeout, asks again when squeue cannot say, and stops at stop()', async () => {
  const sq = standInSqueue([
    "echo 'PENDING|Resources'",
    'exit 1',
    "echo 'garbage|<<>>'",
    "echo 'PENDING|Resources'",
  ]);
  let said: string | undefined;
  const w = watchPending('9', sq.env, (s) => (said = s), FAST);
  await until(() => sq.asked() >= 4);
  w.stop();
  const n = sq.asked();
  assert.equal(w.last(), 'squeue: job 9 pending: Resources');
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(sq.asked() <= n + 1, 'stop() ends the asking (one may have been under way)');
  assert.equal(said, undefined);
});
