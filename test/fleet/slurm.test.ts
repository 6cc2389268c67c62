// `fleet collect --slurm` on a real single-node Slurm (started by the test command): srun fans the check out, reports are stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN, FIXTURES, writeTree } from '../helpers/tree.js';
import { processGone } from '../helpers/process-gone.js';

/**
 * A stand-in ctrsafe for the nodes: `fleet collect` runs the same program on every node (its own path), so a copy
 * that changes its report when asked to `check` plays the node. EDIT is JavaScript run on the report `r` of a clean
 * fixture host; for every other command it is the real ctrsafe.
 */
function editedCtrsafe(name: string, edit: string): string {
  const dir = writeTree({});
  const file = path.join(dir, `ctrsafe-${name}.cjs`);
  fs.writeFileSync(
    file,
    `if (process.argv[2] === 'check') {
  const out = require('node:child_process').execFileSync(process.execPath, [${JSON.stringify(BIN)}, 'check', '--root', ${JSON.stringify(path.join(FIXTURES, 'rocky9'))}, '--format', 'json'], { encoding: 'utf8' });
  const r = JSON.parse(out);
  ${edit}
  // Printed as check prints it, one value per line: pdsh cuts a line at 128 KiB.
  process.stdout.write(JSON.stringify(r, null, 2) + '\\n');
} else require(${JSON.stringify(BIN)});
`,
  );
  fs.chmodSync(dir, 0o755);
  return file;
}

/** A compromised node: it reports under the name VICTIM, dated 14 minutes ahead. */
const hostileCtrsafe = (victim: string) =>
  editedCtrsafe(
    'hostile',
    `r.host.hostname = ${JSON.stringify(victim)}; r.generated_at = new Date(Date.now() + 14 * 60000).toISOString();`,
  );

/**
 * A node reporting as the node Slurm placed it on (slurmd's SLURMD_NODENAME) and, given LIAR, LIAR's task claiming
 * another node instead: pair1 and pair2 run on this one machine, so only Slurm's own name tells them apart.
 */
const placedCtrsafe = (liar?: { node: string; claims: string }) =>
  editedCtrsafe(
    'placed',
    `const node = process.env.SLURMD_NODENAME; const liar = ${JSON.stringify(liar ?? null)};
  r.host.hostname = liar && liar.node === node ? liar.claims : node;
  r.report_id = r.report_id.slice(0, 40) + '-' + node + '-' + process.pid;`,
  );

const conf = process.env.CTRSAFE_TEST_SLURM_CONF;
if (process.env.CI && !conf)
  throw new Error('CI must run fleet collect on Slurm: CTRSAFE_TEST_SLURM_CONF is not set');
const needsSlurm = { skip: conf ? false : 'no Slurm started (run the test command as root)' };
const slurmEnv = { ...process.env, SLURM_CONF: conf };

/** `fleet collect --slurm ARGS` run by the stand-in ctrsafe BIN, on the test Slurm. */
const collectOnSlurm = (bin: string, args: string[], timeout = 120_000) =>
  spawnSync(process.execPath, [bin, 'fleet', 'collect', '--slurm', ...args], {
    encoding: 'utf8',
    env: slurmEnv,
    timeout,
  });

/** FN run with the pair partition changed by SETTING (scontrol update), and RESET afterwards whatever happens. */
function withPairPartition<T>(setting: string, reset: string, fn: () => T): T {
  assert.equal(spawnSync('scontrol', ['update', 'PartitionName=pair', setting], { env: slurmEnv }).status, 0);
  try {
    return fn();
  } finally {
    spawnSync('scontrol', ['update', 'PartitionName=pair', reset], { env: slurmEnv });
  }
}

/** FN, then CLEANUP; a failing cleanup fails the test only when FN passed, whose own failure says more. */
function thenCleanUp<T>(fn: () => T, cleanup: () => void): T {
  let result: T;
  try {
    result = fn();
  } catch (e) {
    try {
      cleanup();
    } catch {
      // FN's failure is the one to see.
    }
    throw e;
  }
  cleanup();
  return result;
}

test(
  'fleet collect --slurm stores each node once and names the nodes Slurm does not know',
  needsSlurm,
  () => {
    const env = slurmEnv;
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
    // srun's own refusal is said, with its partition, not lost in a pipe nobody read; a report left in a reused
    // --out by an earlier run is not this run's answer.
    const reused = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-out-'));
    fs.writeFileSync(path.join(reused, `${me}.json`), '{}');
    const refused = run([
      'fleet',
      'collect',
      '--slurm',
      '--nodes',
      me,
      '--srun-arg=--constraint=nosuchfeature',
      '--out',
      reused,
      '--db',
      db,
    ]);
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stdout, /collected 0 of 1 nodes/);
    assert.match(refused.stdout, new RegExp(`did not answer: ${me}\\n`));
    assert.match(
      refused.stdout,
      /\n {2}partition debug: srun exited 1: srun: error: .*Invalid feature specification/,
    );
    for (const own of [
      '--nodes=3',
      '--distribution=block',
      '--label',
      '--output=/tmp/x',
      '--partition=debug',
    ])
      assert.equal(
        run(['fleet', 'collect', '--slurm', `--srun-arg=${own}`, '--db', db]).status,
        2,
        `${own}: an option ctrsafe sets itself is refused`,
      );
    // Every report comes back through srun: the directory holds the node's report and nothing else (no host file,
    // no file a node's slurmstepd opened).
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-out-'));
    const kept = run(['fleet', 'collect', '--slurm', '--nodes', me, '--out', out, '--db', db]);
    assert.equal(kept.status, 0, kept.stderr);
    assert.deepEqual(fs.readdirSync(out), [`${me}.json`]);
    assert.equal(fs.statSync(path.join(out, `${me}.json`)).mode & 0o777, 0o600);
    // Every node Slurm can run on is asked: this machine's own, and pair1 and pair2, two more slurmd on this machine
    // whose real check reports this machine's name, so theirs are refused as another node's.
    const again = run(['fleet', 'collect', '--slurm', '--db', db]);
    assert.match(
      again.stdout,
      /collected 1 of 4 nodes: 1 stored/,
      'a second run is a new report of the same node',
    );
    assert.match(again.stdout, new RegExp(`refused pair1\\.json: the report claims to be ${me}'s`));
    assert.doesNotMatch(again.stdout, /did not answer/, 'a refused node answered');
    // The test cluster's second node never runs slurmd: srun would wait for it forever, so it is not asked.
    // ("unknown" until slurmctld has given up on it, then "unknown*", said in words.)
    assert.match(again.stdout, /not asked, Slurm has them [a-z+]+(\* \(not responding\))?: gatetest/);
    const s = JSON.parse(run(['fleet', 'summary', '--db', db, '--format', 'json']).stdout) as {
      nodes: number;
    };
    assert.equal(s.nodes, 1);
    const n = JSON.parse(run(['fleet', 'nodes', '--db', db, '--format', 'json']).stdout) as {
      nodes: { hostname: string; report_id: string }[];
    };
    assert.equal(n.nodes[0]!.hostname, os.hostname());

    // Attack: the node's task prints a report claiming another node (here the machine's own FQDN would be
    // allowed; "victim01" is not this node's name): its task's lines are the node's, so it is refused and logged.
    const hostile = spawnSync(
      process.execPath,
      [hostileCtrsafe('victim01'), 'fleet', 'collect', '--slurm', '--nodes', me, '--db', db],
      { encoding: 'utf8', env, timeout: 120000 },
    );
    assert.equal(hostile.status, 1, hostile.stderr);
    assert.match(hostile.stdout, /collected 0 of 1 nodes: 0 stored/);
    assert.match(
      hostile.stdout,
      new RegExp(`refused ${me}\\.json: the report claims to be victim01's, but ${me} produced it`),
    );
    assert.match(run(['fleet', 'audit', '--db', db]).stdout, /report:refused-other-node .* by collect:slurm/);
    assert.equal(
      (JSON.parse(run(['fleet', 'summary', '--db', db, '--format', 'json']).stdout) as { nodes: number })
        .nodes,
      1,
    );
  },
);

test(
  'fleet collect --slurm on two nodes: each task runs on the node its report is filed under, and a node cannot speak for its neighbour',
  needsSlurm,
  () => {
    const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
    const collect = (bin: string, nodes: string) =>
      collectOnSlurm(bin, ['--nodes', nodes, '--partition', 'pair', '--db', db]);
    // In both orders: task i goes to the i-th line of the host file, whichever order the nodes are named in.
    for (const nodes of ['pair1,pair2', 'pair2,pair1']) {
      const r = collect(placedCtrsafe(), nodes);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /collected 2 of 2 nodes: 2 stored/, `${nodes}: ${r.stdout}`);
      assert.doesNotMatch(r.stdout, /refused/);
    }
    const listed = () =>
      (
        JSON.parse(
          spawnSync(process.execPath, [BIN, 'fleet', 'nodes', '--db', db, '--format', 'json'], {
            encoding: 'utf8',
          }).stdout,
        ) as { nodes: { hostname: string; report_id: string }[] }
      ).nodes
        .map((n) => `${n.hostname} ${n.report_id.replace(/^.*-(pair\d)-\d+$/, '$1')}`)
        .sort();
    assert.deepEqual(
      listed(),
      ['pair1 pair1', 'pair2 pair2'],
      'each report made on the node it is filed under',
    );
    // A partition whose jobs may hold one node (MaxNodes=1): two sruns of one node, not one srun Slurm never starts.
    withPairPartition('MaxNodes=1', 'MaxNodes=UNLIMITED', () => {
      const one = collectOnSlurm(placedCtrsafe(), ['--nodes', 'pair1,pair2', '--timeout', '60', '--db', db]);
      assert.equal(one.status, 0, one.stderr);
      assert.match(one.stdout, /collected 2 of 2 nodes: 2 stored/);
    });
    // pair1's task claims to be pair2: refused and audited; pair2's own report is stored as pair2's.
    const liar = collect(placedCtrsafe({ node: 'pair1', claims: 'pair2' }), 'pair1,pair2');
    assert.equal(liar.status, 0, liar.stderr);
    assert.match(liar.stdout, /collected 1 of 2 nodes: 1 stored/);
    assert.match(liar.stdout, /refused pair1\.json: the report claims to be pair2's, but pair1 produced it/);
    assert.deepEqual(listed(), ['pair1 pair1', 'pair2 pair2']);
  },
);

test(
  "fleet collect --slurm: a job the partition's limits refuse is stopped when Slurm says so, not at --timeout",
  needsSlurm,
  () => {
    const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
    // --time=5 above the partition's MaxTime=1: Slurm queues the job and would hold it for ever.
    withPairPartition('MaxTime=1', 'MaxTime=UNLIMITED', () => {
      const t0 = Date.now();
      const r = collectOnSlurm(
        placedCtrsafe(),
        ['--nodes', 'pair1,pair2,vm', '--srun-arg=--time=5', '--timeout', '100', '--db', db],
        150_000,
      );
      const took = Date.now() - t0;
      assert.ok(took < 50_000, `ended after ${took} ms, well before the 100 s timeout`);
      assert.equal(r.status, 0, r.stderr);
      // The default partition's node still answers; the pair's srun is named with Slurm's own reason.
      assert.match(r.stdout, /collected 1 of 3 nodes: 1 stored/);
      assert.match(
        r.stdout,
        /partition pair: Slurm queued the job but cannot start it as asked \(squeue: job \d+ pending: Partition\w+\); srun was stopped/,
      );
      assert.doesNotMatch(r.stdout, /stopped at the timeout/);
      // Nothing of it is left queued.
      const q = spawnSync('squeue', ['-h', '-n', 'ctrsafe-check', '-o', '%i %T'], {
        encoding: 'utf8',
        env: slurmEnv,
      });
      assert.equal(q.stdout.trim(), '', q.stdout);
    });
  },
);

test(
  'fleet collect --slurm --srun-arg=--reservation=R: the nodes of a maintenance reservation are asked, and only those',
  needsSlurm,
  async () => {
    const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
    const scontrol = (...args: string[]) => spawnSync('scontrol', args, { encoding: 'utf8', env: slurmEnv });
    const made = scontrol(
      'create',
      'reservation',
      'ReservationName=ctrsafe-maint',
      'StartTime=now',
      'Duration=10',
      'Nodes=pair2',
      'Users=root',
      'Flags=MAINT',
    );
    assert.equal(made.status, 0, made.stderr);
    try {
      // sinfo shows the node's new state once slurmctld has passed it on.
      const t0 = Date.now();
      const state = () =>
        spawnSync('sinfo', ['-h', '-n', 'pair2', '-o', '%T'], {
          encoding: 'utf8',
          env: slurmEnv,
        }).stdout.trim();
      while (state() !== 'maint' && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 200));
      assert.equal(state(), 'maint');
      const plain = collectOnSlurm(placedCtrsafe(), ['--nodes', 'pair1,pair2', '--db', db]);
      assert.equal(plain.status, 0, plain.stderr);
      assert.match(plain.stdout, /collected 1 of 2 nodes: 1 stored/);
      assert.match(plain.stdout, /not asked, Slurm has them maint: pair2/);
      const inRes = collectOnSlurm(placedCtrsafe(), [
        '--nodes',
        'pair1,pair2',
        '--srun-arg=--reservation=ctrsafe-maint',
        '--db',
        db,
      ]);
      assert.equal(inRes.status, 0, inRes.stderr);
      assert.match(inRes.stdout, /collected 1 of 2 nodes: 1 stored/);
      assert.match(inRes.stdout, /not asked, outside reservation ctrsafe-maint: pair1/);
      const nodes = spawnSync(process.execPath, [BIN, 'fleet', 'nodes', '--db', db, '--format', 'json'], {
        encoding: 'utf8',
      });
      const hosts = (JSON.parse(nodes.stdout) as { nodes: { hostname: string }[] }).nodes.map(
        (n) => n.hostname,
      );
      assert.deepEqual(
        hosts.sort(),
        ['pair1', 'pair2'],
        'pair2 came from inside its maintenance reservation',
      );
      const none = collectOnSlurm(placedCtrsafe(), ['--srun-arg=--reservation=no-such-res', '--db', db]);
      assert.equal(none.status, 4);
      assert.equal(none.stderr, 'ctrsafe: --reservation=no-such-res: Slurm has no such reservation\n');
      // srun takes SLURM_RESERVATION from the environment: so does the plan. Two at once is not one plan.
      const fromEnv = spawnSync(
        process.execPath,
        [placedCtrsafe(), 'fleet', 'collect', '--slurm', '--db', db],
        {
          encoding: 'utf8',
          env: { ...slurmEnv, SLURM_RESERVATION: 'no-such-res' },
        },
      );
      assert.equal(fromEnv.status, 4);
      assert.match(fromEnv.stderr, /--reservation=no-such-res: Slurm has no such reservation/);
      assert.equal(collectOnSlurm(placedCtrsafe(), ['--srun-arg=--reservation=a,b', '--db', db]).status, 2);
      // Without --nodes the reservation is the scope; --nodes with none of its nodes is a mistake, said.
      const scoped = collectOnSlurm(placedCtrsafe(), ['--srun-arg=--reservation=ctrsafe-maint', '--db', db]);
      assert.equal(scoped.status, 0, scoped.stderr);
      assert.match(scoped.stdout, /collected 1 of 1 nodes: 1 stored/);
      assert.doesNotMatch(scoped.stdout, /outside reservation/);
      const outside = collectOnSlurm(placedCtrsafe(), [
        '--nodes',
        'pair1',
        '--srun-arg=--reservation=ctrsafe-maint',
        '--db',
        db,
      ]);
      assert.equal(outside.status, 4);
      assert.equal(outside.stderr, 'ctrsafe: --nodes pair1: none of them is in reservation ctrsafe-maint\n');
    } finally {
      assert.equal(scontrol('delete', 'ReservationName=ctrsafe-maint').status, 0, 'pair2 leaves maintenance');
    }
  },
);

/**
 * A stand-in sinfo that answers, then runs the next of STEPS (one per call, none once they are done), as a health
 * check or an operator would between ctrsafe's sinfo and its srun; its log has each step's label, or "failed".
 */
function sinfoThen(steps: { label: string; command: string }[]): { bin: string; log: string } {
  const bin = writeTree({});
  const log = path.join(bin, 'steps');
  const sinfo = spawnSync('sh', ['-c', 'command -v sinfo'], { encoding: 'utf8' }).stdout.trim();
  assert.ok(sinfo.startsWith('/'), 'the real sinfo is found');
  fs.writeFileSync(
    path.join(bin, 'sinfo'),
    [
      '#!/bin/sh',
      `'${sinfo}' "$@"; rc=$?`,
      `n=$(cat '${log}' 2>/dev/null | wc -l)`,
      'case "$n" in',
      ...steps.map(
        (st, i) =>
          `  ${i}) { ${st.command}; } >/dev/null 2>&1 && echo ${st.label} >> '${log}' || echo failed >> '${log}' ;;`,
      ),
      'esac',
      'exit $rc',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  fs.chmodSync(bin, 0o755);
  return { bin, log };
}

/** sinfoThen, each step draining a node of DRAINS in turn. */
const drainingSinfo = (drains: string[]) =>
  sinfoThen(
    drains.map((n) => ({
      label: n,
      command: `scontrol update NodeName=${n} State=DRAIN Reason=ctrsafe-test`,
    })),
  );

/** The pair nodes resumed, and waited for until slurmctld has them idle again (a resumed node is "idle*" at first). */
function resumePair(): void {
  for (const node of ['pair1', 'pair2'])
    if (/^drain/.test(pairStates().get(node) ?? ''))
      assert.equal(
        spawnSync('scontrol', ['update', `NodeName=${node}`, 'State=RESUME'], { env: slurmEnv }).status,
        0,
        `${node} resumed`,
      );
  waitPairIdle();
}

/** Each pair node's state, one line per node (sinfo -N). */
const pairStates = () =>
  new Map(
    spawnSync('sinfo', ['-h', '-N', '-p', 'pair', '-o', '%N %T'], { encoding: 'utf8', env: slurmEnv })
      .stdout.trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]),
  );

/** Waits until slurmctld has the pair nodes idle, as the other tests expect them. */
function waitPairIdle(): void {
  const states = () =>
    [...pairStates()]
      .map(([n, st]) => `${n} ${st}`)
      .sort()
      .join(', ');
  const t0 = Date.now();
  while (states() !== 'pair1 idle, pair2 idle' && Date.now() - t0 < 60_000) spawnSync('sleep', ['0.5']);
  assert.equal(states(), 'pair1 idle, pair2 idle', 'the pair nodes are back for the tests after this one');
}

/** `fleet collect --slurm` on pair1 and pair2 with the stand-in sinfo STAND (if any) first on PATH. */
function collectPair(
  stand: { bin: string; log: string } | null,
  timeoutS = 100,
): { r: SpawnSyncReturns<string>; steps: string; ms: number } {
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const t0 = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      placedCtrsafe(),
      'fleet',
      'collect',
      '--slurm',
      '--nodes',
      'pair1,pair2',
      '--timeout',
      `${timeoutS}`,
      '--db',
      db,
    ],
    {
      encoding: 'utf8',
      env: { ...slurmEnv, PATH: stand ? `${stand.bin}:${process.env.PATH}` : process.env.PATH },
      timeout: 150_000,
    },
  );
  const steps = stand && fs.existsSync(stand.log) ? fs.readFileSync(stand.log, 'utf8') : '';
  return { r, steps, ms: Date.now() - t0 };
}

const collectWhileDraining = (drains: string[]) => {
  const { r, steps, ms } = collectPair(drainingSinfo(drains));
  return { r, drained: steps, ms };
};

test(
  'fleet collect --slurm: a job queued for a reason that does not lift (its partition went down) is stopped soon',
  needsSlurm,
  () => {
    try {
      const down = sinfoThen([{ label: 'down', command: 'scontrol update PartitionName=pair State=DOWN' }]);
      const { r, steps, ms } = collectPair(down);
      assert.equal(steps, 'down\n', 'the plan read sinfo while pair was up, then it went down');
      assert.equal(r.status, 1, r.stderr + r.stdout);
      assert.match(
        r.stdout + r.stderr,
        /partition pair: Slurm queued the job but cannot start it as asked \(squeue: job \d+ pending: PartitionDown\); srun was stopped/,
      );
      assert.ok(ms < 40_000, `${ms} ms: squeue was asked within seconds, not at --timeout (100 s)`);
    } finally {
      spawnSync('scontrol', ['update', 'PartitionName=pair', 'State=UP'], { env: slurmEnv });
    }
  },
);

test(
  'fleet collect --slurm: a job waiting for resources is waited for, and the timeout names why it waited',
  needsSlurm,
  () => {
    // Another job holds pair1's one CPU: Slurm queues the collection's job for Resources, which lifts as jobs end.
    // (exec: the batch shell would hold scancel's SIGTERM until its child ends, and the node until KillWait.)
    const blocker = spawnSync(
      'sbatch',
      [
        '--parsable',
        '-p',
        'pair',
        '-w',
        'pair1',
        '--exclusive',
        '--time=2',
        '-o',
        '/dev/null',
        '--wrap',
        'exec sleep 120',
      ],
      { encoding: 'utf8', env: slurmEnv },
    );
    assert.equal(blocker.status, 0, blocker.stderr);
    const job = blocker.stdout.trim().split(';')[0]!;
    const cancel = () => {
      spawnSync('scancel', [job], { env: slurmEnv });
      waitPairIdle();
    };
    thenCleanUp(() => {
      const running = () =>
        spawnSync('squeue', ['-h', '-j', job, '-o', '%T'], { encoding: 'utf8', env: slurmEnv }).stdout.trim();
      const t0 = Date.now();
      while (running() !== 'RUNNING' && Date.now() - t0 < 30_000) spawnSync('sleep', ['0.2']);
      assert.equal(running(), 'RUNNING', 'the blocking job holds pair1');
      const { r, ms } = collectPair(null, 8);
      assert.equal(r.status, 1, r.stderr + r.stdout);
      assert.match(
        r.stdout + r.stderr,
        /partition pair: srun was stopped at the timeout while its job waited \(squeue: job \d+ pending: Resources\)/,
      );
      assert.ok(ms >= 7_500, `${ms} ms: waited for the timeout, not stopped for Resources`);
    }, cancel);
  },
);

test(
  'fleet collect --slurm: a node drained after sinfo was read holds back neither its group nor the collection',
  needsSlurm,
  () => {
    thenCleanUp(() => {
      const { r, drained, ms } = collectWhileDraining(['pair2']);
      assert.equal(drained, 'pair2\n', 'the plan read sinfo while pair2 was idle, then it drained');
      assert.ok(ms < 50_000, 'well before the timeout');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /collected 1 of 2 nodes: 1 stored/);
      assert.match(r.stdout, /not reached, Slurm has had them drain\w* since sinfo was read: pair2/);
      assert.doesNotMatch(r.stdout, /did not answer/);
      assert.doesNotMatch(r.stdout, /partition pair:/, 'pair1 went out again without pair2: no failure');
    }, resumePair);
  },
);

test(
  'fleet collect --slurm: a node drained while its group went out again is left out in turn',
  needsSlurm,
  () => {
    thenCleanUp(() => {
      // pair2 drains after the plan's sinfo, pair1 after the sinfo read when the group was refused: the group
      // is refused twice, and both nodes are named, none as a failure.
      const { r, drained, ms } = collectWhileDraining(['pair2', 'pair1']);
      assert.equal(drained, 'pair2\npair1\n', 'each drained after a sinfo that had it idle');
      assert.ok(ms < 80_000, 'well before the timeout');
      assert.equal(r.status, 1, r.stderr + r.stdout);
      assert.match(r.stdout + r.stderr, /collected 0 of 2 nodes/);
      assert.match(
        r.stdout + r.stderr,
        /not reached, Slurm has had them drain\w* since sinfo was read: pair\[1-2\]/,
      );
      assert.doesNotMatch(
        r.stdout + r.stderr,
        /partition pair:/,
        'no srun failure: each refusal was a node gone',
      );
    }, resumePair);
  },
);

test(
  'fleet collect --slurm reads a sinfo answer of a large cluster (over 1 MiB: 40,000 node lines)',
  needsSlurm,
  () => {
    const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
    // sinfo's own answer, then as many lines as 10,000 nodes in four partitions give.
    const bin = writeTree({});
    const sinfo = spawnSync('sh', ['-c', 'command -v sinfo'], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(
      path.join(bin, 'sinfo'),
      `#!/bin/sh\n${sinfo} "$@" || exit $?\nawk 'BEGIN { for (i = 0; i < 40000; i++) printf "bigcluster%05d drained batch%d up 1-infinite\\n", i % 10000, i % 4 }'\n`,
      { mode: 0o755 },
    );
    fs.chmodSync(bin, 0o755);
    const r = spawnSync(
      process.execPath,
      [placedCtrsafe(), 'fleet', 'collect', '--slurm', '--nodes', 'pair1', '--db', db],
      { encoding: 'utf8', env: { ...slurmEnv, PATH: `${bin}:${process.env.PATH}` }, timeout: 120_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /collected 1 of 1 nodes: 1 stored/);
  },
);

test('fleet collect --pdsh regroups pdsh output per host, stores each for its host only, names the silent ones', () => {
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const run = (args: string[], bin = BIN) =>
    spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120000 });
  // pdsh's exec module runs the command here once per target; the target named like this machine is stored.
  const me = os.hostname();
  const r = run(['fleet', 'collect', '--pdsh', me, '--rcmd', 'exec', '--db', db]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /collected 1 of 1 nodes: 1 stored/);
  // Attack: targets node1 and node2 answer with this machine's report: each claims a host that is not the pdsh
  // target that printed it, so both are refused (pdsh, not the node, wrote the "node1: " prefix).
  const two = run(['fleet', 'collect', '--pdsh', 'node[1-2]', '--rcmd', 'exec', '--db', db]);
  assert.equal(two.status, 1, two.stderr);
  assert.match(two.stdout, /collected 0 of 2 nodes: 0 stored/);
  assert.doesNotMatch(two.stdout, /did not answer/, 'both answered; both were refused');
  assert.match(
    two.stdout,
    new RegExp(`refused node1\\.json: the report claims to be ${me}'s, but node1 produced it`),
  );
  // And a hostile ctrsafe on the target claiming another node, dated ahead: refused too.
  const hostile = run(
    ['fleet', 'collect', '--pdsh', me, '--rcmd', 'exec', '--db', db],
    hostileCtrsafe('victim01'),
  );
  assert.match(hostile.stdout, /collected 0 of 1 nodes: 0 stored/);
  assert.match(hostile.stdout, /claims to be victim01's/);
  const s = JSON.parse(run(['fleet', 'summary', '--db', db, '--format', 'json']).stdout) as { nodes: number };
  assert.equal(s.nodes, 1, 'only the genuine report is stored');
  assert.match(
    run(['fleet', 'audit', '--db', db]).stdout,
    /report:refused-other-node\s+node2 .*by collect:pdsh/,
  );
  const bad = run(['fleet', 'collect', '--pdsh', 'node[1-2]', '--rcmd', 'no-such-module', '--db', db]);
  assert.equal(bad.status, 1, 'nothing collected is a failure');
  assert.match(bad.stdout, /collected 0 of 2 nodes/);
  assert.match(bad.stdout, /did not answer: node\[1-2\]/);
  assert.equal(
    run(['fleet', 'collect', '--pdsh', 'a..b', '--rcmd', 'exec', '--db', db]).status,
    2,
    'not a host name',
  );
  // --out where another user could add a report for any node, or plant a link: refused, nothing written.
  if (process.getuid?.() === 0) {
    const theirs = writeTree({});
    const uid = Number(spawnSync('id', ['-u', 'ctrtest'], { encoding: 'utf8' }).stdout);
    fs.chownSync(theirs, uid, uid);
    for (const how of [['--pdsh', me, '--rcmd', 'exec'], ['--slurm']]) {
      const out = run(['fleet', 'collect', ...how, '--out', theirs, '--db', db]);
      assert.equal(out.status, 4, out.stderr);
      assert.match(out.stderr, /another user owns this directory \(owner uid \d+ \(ctrtest\)/);
      assert.deepEqual(fs.readdirSync(theirs), []);
    }
    // A directory that passes every check but cannot be written (root on a root-squashed NFS export is nobody
    // there; here a read-only bind mount): said before pdsh runs, not after every node has.
    const ro = writeTree({});
    const r = spawnSync(
      'unshare',
      [
        '--mount',
        'sh',
        '-c',
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"',
        'sh',
        ro,
        process.execPath,
        BIN,
        'fleet',
        'collect',
        '--pdsh',
        me,
        '--rcmd',
        'exec',
        '--out',
        ro,
        '--db',
        db,
      ],
      { encoding: 'utf8', timeout: 120000 },
    );
    assert.equal(r.status, 4, r.stderr);
    assert.equal(r.stderr, `ctrsafe: --out ${ro}: cannot be written: EROFS: read-only file system\n`);
    assert.doesNotMatch(r.stdout, /collected/, 'nothing ran');
  }
  // An empty --out (the current directory): a usage error, before anything runs.
  for (const how of [['--pdsh', me, '--rcmd', 'exec'], ['--slurm']]) {
    const u = run(['fleet', 'collect', ...how, '--out', '', '--db', db]);
    assert.equal(u.status, 2, u.stderr);
    assert.match(u.stderr, /--out/);
  }
});

test('fleet collect --pdsh stopped by Ctrl-C (SIGINT) stops what pdsh started, stores what came back, exits 130', async () => {
  const db = `sqlite:${path.join(writeTree({}), 'fleet.db')}`;
  const mark = path.join(writeTree({}), 'printed');
  // The node prints its report, says so, and then hangs (a check stuck on a dead mount).
  const stuck = editedCtrsafe(
    'stuck',
    `r.host.hostname = ${JSON.stringify(os.hostname())};
  const text = JSON.stringify(r, null, 2) + '\\n';
  // What pdsh will write: every line with its "host: " prefix. Written whole, then renamed into place.
  const bytes = Buffer.byteLength(text) + (text.split('\\n').length - 1) * Buffer.byteLength(r.host.hostname + ': ');
  setTimeout(() => {
    require('node:fs').writeFileSync(${JSON.stringify(mark)} + '.tmp', process.pid + ' ' + bytes);
    require('node:fs').renameSync(${JSON.stringify(mark)} + '.tmp', ${JSON.stringify(mark)});
  }, 200);
  setTimeout(() => {}, 120000);`,
  );
  const child = spawn(
    process.execPath,
    [stuck, 'fleet', 'collect', '--pdsh', os.hostname(), '--rcmd', 'exec', '--timeout', '100', '--db', db],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const ended = new Promise<number | null>((r) => child.once('close', r));
  const t0 = Date.now();
  while (!fs.existsSync(mark) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
  const [node, bytes] = fs.readFileSync(mark, 'utf8').split(' ').map(Number) as [number, number];
  // pdsh passes the lines on, each with its "host: " prefix: once it has written all of them (its write count in
  // /proc), they are in ctrsafe's pipe.
  const pdsh = fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .find((p) => {
      let stat = '';
      try {
        stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      } catch {
        return false; // gone since the listing
      }
      // ctrsafe's only child (Debian's /usr/bin/pdsh execs pdsh.bin).
      return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1] === String(child.pid);
    });
  assert.ok(pdsh, 'pdsh runs below ctrsafe');
  const wchar = () => Number(/^wchar: (\d+)$/m.exec(fs.readFileSync(`/proc/${pdsh}/io`, 'utf8'))?.[1]);
  while (wchar() < bytes && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
  assert.ok(wchar() >= bytes, `pdsh wrote ${wchar()} of ${bytes} bytes`);
  const t1 = Date.now();
  child.kill('SIGINT');
  assert.equal(await ended, 130, err);
  assert.ok(Date.now() - t1 < 15_000, 'ended within the launcher grace');
  assert.match(out, /collected 1 of 1 nodes: 1 stored.*; pdsh was stopped by SIGINT/);
  assert.ok(await processGone(node), 'the stuck check pdsh started (in a session of its own) was stopped');
});
