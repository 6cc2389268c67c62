// Why Slurm holds a queued job: which of squeue's reasons end the wait, and the watch that asks squeue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pendingVerdict, watchPending } from '../../src/fleet/slurm-pending.js';
import { writeTree } from '../helpers/tree.js';

test('reasons that do not lift end the wait; those naming nodes go to sinfo; those that lift are waited for', () => {
  // Names as job_reason_string (Slurm's slurm_protocol_defs.c) gives them, with squeue's detail after a comma.
  const verdicts = (reasons: string[]) => reasons.map((r) => `${r} -> ${pendingVerdict(r)}`);
  const cannot = [
    'PartitionDown',
    'PartitionInactive',
    'PartitionTimeLimit',
    'PartitionConfig',
    'QOSMaxNodePerJobLimit',
    'QOSMaxWallDurationPerJobLimit',
    'QOSMaxCpuMinutesPerJobLimit',
    'QOSMaxGRESPerJob',
    'QOSMaxMemoryPerNode',
    'QOSMaxBillingMinutesPerJob',
    'AssocMaxCpuPerJobLimit',
    'AssocMaxMemPerJob',
    'AssocMaxGRESPerNode',
    'QOSMinCpuNotSatisfied',
    'QOSMinGRES',
    'MaxMemPerLimit',
    'ReservationDeleted',
    'JobHeldAdmin',
    'JobHeldUser',
    'BadConstraints',
    'DependencyNeverSatisfied',
    'InvalidAccount',
    'InvalidQOS',
    'AccountNotAllowed',
    'QOSNotAllowed',
  ];
  const node = ['NodeDown', 'PartitionNodeLimit'];
  const wait = [
    'Resources',
    'Priority',
    'None',
    'BeginTime',
    'Dependency',
    'Licenses',
    'Reservation',
    'AssocGrpNodeLimit',
    'AssocGrpCpuLimit',
    'QOSGrpJobsLimit',
    'QOSGrpCPURunMinutesLimit',
    // Usage caps: with AccountingStorageEnforce=safe, given while running jobs hold minutes (acct_policy.c).
    'QOSGrpCPUMinutesLimit',
    'AssocGrpNodeMinutes',
    'QOSGrpGRESMinutes',
    'AssocGrpNodeRunMinutes',
    'QOSMaxNodePerUserLimit',
    'QOSMaxJobsPerUserLimit',
    'QOSMaxGRESPerUser',
    'AssocMaxJobsLimit',
    'AssocMaxSubmitJobLimit',
    'MaxNodePerAccount',
    // Given for a while during backfill on a large cluster; srun's own line for a node gone is acted on instead.
    'ReqNodeNotAvail, UnavailableNodes:pair1',
    'PartitionDownish',
    '',
  ];
  assert.deepEqual(
    verdicts(cannot),
    cannot.map((r) => `${r} -> cannot start`),
  );
  assert.deepEqual(
    verdicts(node),
    node.map((r) => `${r} -> node gone`),
  );
  assert.deepEqual(
    verdicts(wait),
    wait.map((r) => `${r} -> wait`),
  );
  assert.equal(pendingVerdict('PartitionTimeLimit, more words'), 'cannot start');
});

/** A stand-in squeue that prints its answers in turn (the last one again), and counts how often it was asked. */
function standInSqueue(answers: string[]): { env: NodeJS.ProcessEnv; asked: () => number } {
  const bin = writeTree({});
  const count = path.join(bin, 'count');
  fs.writeFileSync(
    path.join(bin, 'squeue'),
    [
      '#!/bin/sh',
      `echo x >> '${count}'`,
      `n=$(wc -l < '${count}')`,
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

/**
 * A watch of JOB against a stand-in squeue giving ANSWERS (srun's refusal REFUSED, the watch's OPTIONS; fast
 * timing unless given): the squeue, the watch, and what it stopped for, if it did ([squeue's words, node gone]).
 */
function watchWith(
  job: string,
  answers: string[],
  refused: () => 'node' | 'limit' | null = () => null,
  options: Parameters<typeof watchPending>[4] = {},
) {
  const sq = standInSqueue(answers);
  let said: [string, boolean] | undefined;
  const w = watchPending(job, sq.env, (s, g) => (said = [s, g]), refused, { timing: FAST, ...options });
  return { sq, w, said: () => said };
}

test('the watch stops the wait at a reason that does not lift, with squeue’s words', async () => {
  const { sq, w, said } = watchWith('42', ["echo 'PENDING|Resources'", "echo 'PENDING|PartitionDown'"]);
  await until(() => said() !== undefined);
  w.stop();
  assert.deepEqual(said(), ['squeue: job 42 pending: PartitionDown', false]);
  assert.equal(sq.asked(), 2, 'asked once for Resources, then once more');
  assert.equal(w.last(), 'squeue: job 42 pending: PartitionDown');
});

test('the watch waits through reasons that lift, and ends once the job runs', async () => {
  const answers = ["echo 'PENDING|Priority'", "echo 'PENDING|Resources'", "echo 'RUNNING|None'"];
  const { sq, w, said } = watchWith('7', answers);
  await until(() => sq.asked() >= 2 && w.last() === '');
  await new Promise((r) => setTimeout(r, 150));
  w.stop();
  assert.equal(said(), undefined);
  assert.equal(w.last(), '', 'nothing pending to name once the job runs');
  assert.equal(sq.asked(), 3, 'not asked again once the job runs');
});

test('the watch keeps the last reason for the timeout, asks again when squeue cannot say, and stops at stop()', async () => {
  const answers = ["echo 'PENDING|Resources'", 'exit 1', "echo 'garbage|<<>>'", "echo 'PENDING|Resources'"];
  const { sq, w, said } = watchWith('9', answers);
  await until(() => sq.asked() >= 4);
  w.stop();
  const n = sq.asked();
  assert.equal(w.last(), 'squeue: job 9 pending: Resources');
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(sq.asked() <= n + 1, 'stop() ends the asking (one may have been under way)');
  assert.equal(said(), undefined);
});

test('a reason naming the job’s nodes stops the wait as a node gone; a long reason is cut, not refused', async () => {
  const down = watchWith('5', ["echo 'PENDING|NodeDown'"]);
  await until(() => down.said() !== undefined);
  down.w.stop();
  assert.deepEqual(down.said(), ['squeue: job 5 pending: NodeDown', true]);
  const long = watchWith('6', [`echo 'PENDING|ReqNodeNotAvail, UnavailableNodes:cn[${'0'.repeat(300)}]'`]);
  await until(() => long.w.last() !== '');
  long.w.stop();
  assert.match(long.w.last(), /^squeue: job 6 pending: ReqNodeNotAvail, UnavailableNodes:cn\[0+…$/);
  assert.ok(long.w.last().length <= 'squeue: job 6 pending: '.length + 200, `${long.w.last().length}`);
  assert.equal(long.said(), undefined, 'ReqNodeNotAvail is waited for');
});

test('once srun says Slurm refuses the job, ReqNodeNotAvail ends the wait as a node gone, after a "None" too', async () => {
  const answers = ["echo 'PENDING|None'", "echo 'PENDING|ReqNodeNotAvail, UnavailableNodes:n2'"];
  const { w, said } = watchWith('8', answers, () => 'node', { timing: { firstMs: 10, everyMs: 60_000 } });
  w.askNow();
  await until(() => said() !== undefined);
  w.stop();
  // Asked again soon after "None" (every firstMs once srun has refused), then stopped.
  assert.deepEqual(said(), ['squeue: job 8 pending: ReqNodeNotAvail, UnavailableNodes:n2', true]);
});

test('askNow asks at once, not at the first pause', async () => {
  const slow = { timing: { firstMs: 60_000, everyMs: 60_000 } };
  const { w, said } = watchWith('3', ["echo 'PENDING|PartitionDown'"], () => null, slow);
  const t0 = Date.now();
  w.askNow();
  await until(() => said() !== undefined, 10_000);
  w.stop();
  assert.deepEqual(said(), ['squeue: job 3 pending: PartitionDown', false]);
  assert.ok(Date.now() - t0 < 10_000, 'well before the 60 s pause');
});

test('after srun refuses, three answers that name no reason end the wait on srun’s word, for a node only while sinfo agrees', async () => {
  const none = watchWith('4', ["echo 'PENDING|None'", 'exit 1', "echo 'PENDING|None'"], () => 'limit');
  none.w.askNow();
  await until(() => none.said() !== undefined);
  none.w.stop();
  assert.deepEqual(none.said(), ['', false], "a partition's limits: srun's own refusal stands");
  assert.equal(none.sq.asked(), 3);
  for (const gone of [true, false]) {
    const busy = watchWith('5', ["echo 'PENDING|Resources'"], () => 'node', {
      nodeGoneNow: () => Promise.resolve(gone),
    });
    await until(() => busy.said() !== undefined || busy.sq.asked() >= 6);
    busy.w.stop();
    if (gone) assert.deepEqual(busy.said(), ['', true], "a node sinfo says is gone: srun's refusal stands");
    else assert.equal(busy.said(), undefined, 'the nodes can run: the job waits for Resources as any other');
  }
});

test('ReqNodeNotAvail ends the wait as a node gone only when sinfo says one of the job’s nodes is', async () => {
  for (const gone of [true, false]) {
    let checked = 0;
    const { w, said } = watchWith('11', ["echo 'PENDING|ReqNodeNotAvail, UnavailableNodes:n2'"], () => null, {
      nodeGoneNow: () => (checked++, Promise.resolve(gone)),
    });
    await until(() => said() !== undefined || checked >= 3);
    w.stop();
    if (gone)
      assert.deepEqual(said(), ['squeue: job 11 pending: ReqNodeNotAvail, UnavailableNodes:n2', true]);
    else assert.equal(said(), undefined, 'backfill’s passing word is waited through');
    assert.ok(checked >= 1);
  }
});
