// ctrsafe gate: the policy, the verdict, the one line, the Slurm plan, and the real CLI on fixture hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { evaluateGate, gateLine, type GateInput } from '../../src/gate/evaluate-gate.js';
import { DEFAULT_GATE_POLICY, loadGatePolicy, parseGatePolicy } from '../../src/gate/gate-policy.js';
import { gateOutcome, tellsSlurm } from '../../src/gate/gate-outcome.js';
import { parseScontrolNode, pickNodeName, planSlurmAction } from '../../src/gate/slurm-node.js';
import { runMain } from '../helpers/run-main.js';
import { withStuckCheck } from '../helpers/stuck-check.js';
import { hangProne } from '../../src/host/path-guard.js';
import { parseMountinfo } from '../../src/parse/mounts.js';
import { BIN, FIXTURES, REPO, writeTree } from '../helpers/tree.js';
import { DT, FS, PART, partitionExtra, writeSif } from '../helpers/write-sif.js';

const NOW = new Date('2026-11-29T12:00:00Z');

function input(over: Partial<GateInput> = {}): GateInput {
  return {
    runtimes: [
      { id: 'apptainer', installed: true, ready: 'yes', reasons: ['starter-suid is setuid root'] },
      {
        id: 'enroot',
        installed: false,
        ready: 'yes',
        reasons: ['not installed; judged as a default install'],
      },
      { id: 'podman', ready: 'no', reasons: ['newuidmap is not setuid root and has no capabilities'] },
      { id: 'charliecloud', ready: 'unknown', reasons: ['the user namespace probe timed out'] },
    ],
    findings: [
      { id: 'CS-K001', title: 'PR_SET_NO_NEW_PRIVS works', severity: 'critical', status: 'pass' },
      { id: 'CS-K007', title: 'Yama restricts ptrace', severity: 'low', status: 'fail' },
      { id: 'CS-H001', title: 'user-writable file systems are nosuid', severity: 'medium', status: 'fail' },
    ],
    vulnerabilities: [
      { id: 'CVE-2024-1086', status: 'affected', severity: 'high', package: 'kernel' },
      { id: 'CVE-2022-0847', status: 'unknown', severity: 'high', package: 'kernel' },
    ],
    ...over,
  };
}

test('the outcome: a report is judged; no report passes only under on_error: pass, and Slurm is not told then', () => {
  const judged = gateOutcome(
    { ok: true, report: input(), steps: ['collecting'] },
    DEFAULT_GATE_POLICY,
    'pass',
    NOW,
  );
  assert.equal(judged.error, null);
  assert.equal(judged.pass, judged.verdict!.pass);
  assert.equal(judged.line, gateLine(judged.verdict!));
  assert.equal(tellsSlurm(judged, 'pass'), true);
  const broken = {
    ok: false as const,
    error: 'watchdog: the check did not finish within 60 s',
    steps: ['probing'],
  };
  const lenient = gateOutcome(broken, DEFAULT_GATE_POLICY, 'pass', NOW);
  assert.deepEqual([lenient.pass, lenient.verdict, lenient.steps], [true, null, ['probing']]);
  assert.match(lenient.line, /could not judge this node \(watchdog: .*\); passing it \(on_error: pass\)$/);
  assert.equal(
    tellsSlurm(lenient, 'pass'),
    false,
    'a node is never drained for our own failure under on_error: pass',
  );
  const strict = gateOutcome(broken, DEFAULT_GATE_POLICY, 'fail', NOW);
  assert.equal(strict.pass, false);
  assert.match(strict.line, /^ctrsafe: could not judge this node: watchdog/);
  assert.equal(tellsSlurm(strict, 'fail'), true);
  const hostile = gateOutcome(
    { ok: false, error: 'x\u001b[2J'.repeat(500), steps: [] },
    DEFAULT_GATE_POLICY,
    'fail',
    NOW,
  );
  assert.ok(hostile.line.length <= 200 && !hostile.line.includes('\u001b'), 'one bounded ASCII line');
});

const policy = (doc: Record<string, unknown>) => parseGatePolicy({ version: 1, ...doc }, 'gate.yaml');

test('the default policy fails only on critical failures and critical affected vulnerabilities', () => {
  assert.equal(evaluateGate(input(), DEFAULT_GATE_POLICY, NOW).pass, true);
  const bad = input();
  bad.findings[0]!.status = 'fail';
  const v = evaluateGate(bad, DEFAULT_GATE_POLICY, NOW);
  assert.equal(v.pass, false);
  assert.equal(gateLine(v), 'ctrsafe: CS-K001 failed (critical: PR_SET_NO_NEW_PRIVS works)');
});

test('required runtimes: "no" fails, "unknown" fails unless tolerated; never guessed ready', () => {
  const v = evaluateGate(
    input(),
    policy({ require_ready: ['apptainer', 'podman', 'charliecloud', 'enroot'] }),
    NOW,
  );
  assert.deepEqual(v.failures, [
    'podman cannot run: newuidmap is not setuid root and has no capabilities',
    'charliecloud readiness unknown: the user namespace probe timed out',
    'enroot is not installed',
  ]);
  const tolerant = evaluateGate(
    input(),
    policy({ require_ready: ['charliecloud'], unknown_ready: 'pass' }),
    NOW,
  );
  assert.equal(tolerant.pass, true);
  assert.match(tolerant.notes[0]!, /tolerated/);
});

test('severity thresholds, vulnerabilities, and waivers that expire', () => {
  const p = policy({
    fail_on: 'medium',
    vulnerabilities: 'high',
    waivers: [
      { id: 'CS-H001', reason: 'scratch is nosuid from 2027-01 (ticket HPC-42)', expires: '2027-01-31' },
      { id: 'CVE-2024-1086', reason: 'kernel update scheduled', expires: '2026-11-01' },
    ],
  });
  const v = evaluateGate(input(), p, NOW);
  assert.deepEqual(
    v.failures,
    ['CVE-2024-1086 affects kernel (high)'],
    'the expired waiver no longer applies',
  );
  assert.ok(v.notes.includes('waiver for CVE-2024-1086 expired on 2026-11-01: not applied'));
  assert.ok(v.notes.some((n) => n.startsWith('CS-H001 waived: scratch is nosuid')));
  assert.equal(evaluateGate(input(), policy({ vulnerabilities: 'none' }), NOW).pass, true);
});

test('the line is one bounded line of printable ASCII, with the count of further reasons', () => {
  const many = input({
    findings: Array.from({ length: 9 }, (_, i) => ({
      id: `CS-X${i}`,
      title: `évidence\nwith a newline and ${'x'.repeat(80)}`,
      severity: 'critical',
      status: 'fail',
    })),
  });
  const line = gateLine(evaluateGate(many, DEFAULT_GATE_POLICY, NOW));
  assert.ok(line.length <= 200, `${line.length}`);
  assert.match(line, /^ctrsafe: CS-X0 failed .*\.\.\. \(\+7 more\)$/);
  assert.doesNotMatch(line, /[^\x20-\x7e]/);
});

test('policy errors name the file and the field', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ version: 2 }, /version: must be 1/],
    [{ version: 1, fail_on: 'severe' }, /fail_on: must be one of/],
    [{ version: 1, require_ready: ['docker'] }, /require_ready\[0\]: unknown runtime "docker"/],
    [
      { version: 1, waivers: [{ id: 'CS-K007', reason: 'x', expires: '2027-01-01' }] },
      /a waiver must say why/,
    ],
    [{ version: 1, waivers: [{ id: 'CS-K007', reason: 'because' }] }, /waivers\[0\]\.expires/],
    [{ version: 1, timeout_seconds: 0 }, /timeout_seconds/],
    [
      { version: 1, waivers: [{ id: 'CS-K007', reason: 'because', expires: '2026-02-30' }] },
      /waivers\[0\]\.expires/,
    ],
    [{ version: 1, drain: true }, /drain: unknown key/],
  ];
  for (const [doc, re] of bad) assert.throws(() => parseGatePolicy(doc, 'p.yaml'), re);
  const dir = writeTree({
    'gate.yaml': 'version: 1\nwaivers:\n  - id: CS-K007\n    reason: debuggers\n    expires: 2027-03-31\n',
  });
  assert.deepEqual(loadGatePolicy(path.join(dir, 'gate.yaml')).waivers, [
    { id: 'CS-K007', reason: 'debuggers', expires: '2027-03-31' },
  ]);
});

test('Slurm plan: drain on fail, never override an operator, resume only what ctrsafe drained', () => {
  const idle = parseScontrolNode(
    'NodeName=cn001 Arch=x86_64 CoresPerSocket=1 State=IDLE ThreadsPerCore=1 Reason=(null)',
  )!;
  assert.deepEqual(planSlurmAction(idle, false, 'ctrsafe: CS-K001 failed'), {
    kind: 'drain',
    reason: 'ctrsafe: CS-K001 failed',
  });
  assert.equal(planSlurmAction(idle, true, 'ctrsafe: pass').kind, 'none');
  const ours = parseScontrolNode(
    'NodeName=cn001 State=IDLE+DRAIN Partitions=debug Reason=ctrsafe: CS-K001 failed [root@2026-11-29T12:00:00]',
  )!;
  assert.equal(ours.reason, 'ctrsafe: CS-K001 failed [root@2026-11-29T12:00:00]');
  assert.equal(planSlurmAction(ours, true, 'ctrsafe: pass').kind, 'resume');
  assert.equal(
    planSlurmAction(ours, false, 'ctrsafe: CS-K001 failed').kind,
    'none',
    'same reason: no change',
  );
  assert.equal(planSlurmAction(ours, false, 'ctrsafe: CS-H001 failed').kind, 'drain', 'new reason: updated');
  const commented = parseScontrolNode(
    'NodeName=cn001 State=IDLE+DRAIN Reason=ctrsafe: CS-K001 failed [root@2026-11-29T12:00:00] Comment=rack 12, ticket HPC-99',
  )!;
  assert.equal(
    commented.reason,
    'ctrsafe: CS-K001 failed [root@2026-11-29T12:00:00]',
    'a Comment after the Reason is not part of it',
  );
  assert.equal(planSlurmAction(commented, false, 'ctrsafe: CS-K001 failed').kind, 'none');
  const operator = parseScontrolNode(
    'NodeName=cn001 State=MIXED+DRAIN Reason=bad DIMM slot 3 [hpcadmin@2026-11-28T09:00:00]',
  )!;
  assert.equal(planSlurmAction(operator, true, 'ctrsafe: pass').kind, 'none');
  assert.equal(planSlurmAction(operator, false, 'ctrsafe: CS-K001 failed').kind, 'none');
  assert.equal(parseScontrolNode('slurm_load_node error: Unable to contact slurm controller'), null);
});

test('CLI: a fixture host that fails, one that passes, a bad policy, JSON output', async () => {
  const sles = await runMain(['gate', '--root', path.join(FIXTURES, 'sles11sp3')]);
  assert.equal(sles.code, 1, sles.stderr);
  assert.equal(sles.stdout, 'ctrsafe: CS-K001 failed (critical: PR_SET_NO_NEW_PRIVS works)\n');
  const rocky = await runMain(['gate', '--root', path.join(FIXTURES, 'rocky9'), '--format', 'json']);
  assert.equal(rocky.code, 0, rocky.stderr);
  const j = JSON.parse(rocky.stdout) as { schema: string; pass: boolean; steps: string[] };
  assert.equal(j.schema, 'ctrsafe.gate/1');
  assert.equal(j.pass, true);
  assert.ok(j.steps.includes('reading mounts'), 'the check reports its steps to the watchdog');
  const strict = writeTree({ 'gate.yaml': 'version: 1\nrequire_ready: [apptainer, enroot]\nfail_on: low\n' });
  const r = await runMain([
    'gate',
    '--root',
    path.join(FIXTURES, 'rocky9'),
    '--policy',
    path.join(strict, 'gate.yaml'),
    '-v',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^ctrsafe: enroot is not installed; CS-K007 failed \(low: /);
  const broken = writeTree({ 'gate.yaml': 'version: 1\nfail_on: [high\n' });
  const b = await runMain(['gate', '--policy', path.join(broken, 'gate.yaml')]);
  assert.equal(b.code, 4);
  assert.match(b.stderr, /^ctrsafe: .*gate\.yaml: not valid YAML: /);
  assert.equal(b.stderr.trim().split('\n').length, 1);
});

// --watchdog: on this host the check would otherwise run in the gate's own process, with no child to stop.
const gateWithStuckCheck = (extra: string[]) =>
  withStuckCheck([process.execPath, BIN, 'gate', '--watchdog', '--timeout', '2', ...extra]);

const hangProneMounts = () =>
  parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')).filter(
    (m) => hangProne(m.fstype) && !/^\/(proc|sys)\//.test(m.mountpoint),
  );

test('gate runs the check in its own process where nothing it reads can hang, with the verdict the watchdog gives', async (t) => {
  if (hangProneMounts().length > 0)
    return t.skip(
      `this host has network or FUSE mounts: ${hangProneMounts()
        .map((m) => m.mountpoint)
        .join(', ')}`,
    );
  const gate = (...extra: string[]) =>
    spawnSync(process.execPath, [BIN, 'gate', '--format', 'json', ...extra], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  const inProcess = gate();
  const child = gate('--watchdog');
  const a = JSON.parse(inProcess.stdout) as Record<string, unknown>;
  const b = JSON.parse(child.stdout) as Record<string, unknown>;
  assert.deepEqual(a.check, { mode: 'in-process', why: null });
  assert.deepEqual(b.check, { mode: 'watchdog', why: '--watchdog' });
  assert.equal(inProcess.status, child.status);
  for (const k of ['pass', 'line', 'verdict', 'error']) assert.deepEqual(a[k], b[k], k);
  // A tree is always read under the watchdog: it is often on a shared file system.
  const tree = await runMain(['gate', '--format', 'json', '--root', path.join(FIXTURES, 'debian12')]);
  assert.deepEqual((JSON.parse(tree.stdout) as { check: unknown }).check, {
    mode: 'watchdog',
    why: '--root',
  });
});

/**
 * `ctrsafe gate EXTRA...` run by SCRIPT's `"$@"` in a private mount namespace of its own (the script makes the
 * mounts first); it must end with a verdict, pass or fail.
 */
function gateInMountNamespace(script: string, extra: string[]) {
  const r = spawnSync(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '/bin/sh',
      '-c',
      script,
      'sh',
      process.execPath,
      BIN,
      'gate',
      ...extra,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  return r;
}

test('gate falls back to the watchdog when the check would read a FUSE mount, naming the path (squashfuse, root)', (t) => {
  if (process.getuid!() !== 0) return t.skip('mounts in a namespace of its own: root only');
  const img = path.join(writeTree({}), 'apps.sqfs');
  execFileSync('mksquashfs', [
    writeTree({ 'bin/enroot': '#!/bin/sh\n' }),
    img,
    '-noappend',
    '-quiet',
    '-no-progress',
  ]);
  // /opt/apptainer is one of the places the check looks for Apptainer; /usr/local/bin/enroot, a link onto the mount,
  // one of enroot's. Both in a private mount namespace, on tmpfs over the host's /opt and /usr/local/bin.
  const script = [
    'set -e',
    'mount -t tmpfs ctrsafe-test /opt',
    'mkdir /opt/apptainer',
    `squashfuse ${img} /opt/apptainer`,
    'mount -t tmpfs ctrsafe-test /usr/local/bin',
    'ln -s /opt/apptainer/bin/enroot /usr/local/bin/enroot',
    'set +e',
    `"$@"`,
    'rc=$?',
    // The daemon ends with its mount; left mounted, it would outlive the namespace's other processes.
    'umount /opt/apptainer',
    'exit $rc',
  ].join('\n');
  const run = (...extra: string[]) => gateInMountNamespace(script, extra);
  const j = JSON.parse(run('--format', 'json').stdout) as {
    check: { mode: string; why: string };
    error: unknown;
  };
  assert.equal(j.check.mode, 'watchdog');
  assert.match(
    j.check.why,
    /^the check reads \/(opt\/apptainer\S* \((on \/opt\/apptainer, )?fuse\.squashfuse\)|usr\/local\/bin\/enroot, which leads to \/opt\/apptainer \(fuse\.squashfuse\)), on a file system where a read can hang$/,
  );
  assert.equal(j.error, null, 'the child read it and judged the node');
  assert.match(
    run('-v').stdout,
    /\n {2}note: the check ran in a child under the watchdog \(the check reads \/.*fuse\.squashfuse/,
  );
});

test('a dead FUSE daemon over /usr/local/bin: the gate neither reads it in-process nor hangs (root)', (t) => {
  if (process.getuid!() !== 0) return t.skip('mounts in a namespace of its own: root only');
  // A FUSE mount whose /dev/fuse descriptor nobody answers: every lookup below it waits, as on a dead server. The
  // shell keeps the descriptor while the gate runs (the gate does not inherit it) and closes it when done, which
  // aborts the connection, so nothing is left waiting. After the mount every command is named by its path.
  const script = [
    'exec 3<>/dev/fuse',
    '/usr/bin/mount -i -t fuse -o fd=3,rootmode=40000,user_id=0,group_id=0 ctrsafe-dead /usr/local/bin || exit 99',
    `"$@" 3>&-`,
  ].join('\n');
  const t0 = Date.now();
  const r = gateInMountNamespace(script, ['--format', 'json', '--timeout', '4']);
  const ms = Date.now() - t0;
  assert.ok(ms < 20_000, `${ms} ms`);
  const j = JSON.parse(r.stdout) as { check: { mode: string; why: string } };
  assert.equal(j.check.mode, 'watchdog');
  assert.match(
    j.check.why,
    /^the check reads \/usr\/local\/bin\/\S+ \(on \/usr\/local\/bin, fuse\), on a file system/,
  );
});

test('watchdog: a check that hangs is killed, the step is named, and the node is not failed for it', async () => {
  const r = await gateWithStuckCheck([]);
  assert.equal(r.code, 0, 'on_error: pass by default');
  assert.match(
    r.stdout,
    /^ctrsafe: could not judge this node \(watchdog: the check did not finish within 2 s; it hung while [a-z ]+\); passing it \(on_error: pass\)\n$/,
  );
  assert.ok(r.ms < 10_000, `${r.ms} ms`);
  const strict = await gateWithStuckCheck(['--on-error', 'fail']);
  assert.equal(strict.code, 1);
  assert.match(strict.stdout, /^ctrsafe: could not judge this node: watchdog: /);
});

test('check --root has the gate’s watchdog: a stuck check ends with one line naming the step, exit 3', async () => {
  const r = await withStuckCheck([
    process.execPath,
    BIN,
    'check',
    '--root',
    path.join(FIXTURES, 'debian12'),
    '--timeout',
    '2',
  ]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    /^ctrsafe: --root \S+debian12: watchdog: the check did not finish within 2 s; it hung while [a-z ]+\n$/,
  );
  assert.equal(r.stdout, '');
  assert.ok(r.ms < 10_000, `${r.ms} ms`);
  // Under the watchdog the report is the same as without it.
  const check = async (...extra: string[]) =>
    await runMain(['check', '--root', path.join(FIXTURES, 'debian12'), '--format', 'json', ...extra]);
  const strip = (t: string) => {
    const j = JSON.parse(t) as Record<string, unknown>;
    delete j.report_id;
    delete j.generated_at;
    return j;
  };
  assert.equal((await check('--timeout', '0')).code, 2, 'a zero watchdog is a usage error');
  assert.deepEqual(strip((await check('--timeout', '60')).stdout), strip((await check()).stdout));
});

test('NHC: the check file fails the node with the gate line (real NHC when present, else the stand-in)', () => {
  const nhcDir = process.env.CTRSAFE_NHC_DIR;
  const inc = writeTree({ 'ctrsafe.nhc': fs.readFileSync(path.join(REPO, 'contrib/nhc/ctrsafe.nhc')) });
  const bin = writeTree({
    ctrsafe: `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@" --root "${path.join(FIXTURES, 'sles11sp3')}"\n`,
  });
  fs.chmodSync(path.join(bin, 'ctrsafe'), 0o755);
  const conf = writeTree({ 'nhc.conf': `* || check_ctrsafe -b ${path.join(bin, 'ctrsafe')} -t 20\n` });
  let r;
  if (nhcDir) {
    fs.copyFileSync(path.join(nhcDir, 'scripts/common.nhc'), path.join(inc, 'common.nhc'));
    r = spawnSync(
      'bash',
      [
        path.join(nhcDir, 'nhc'),
        '-c',
        path.join(conf, 'nhc.conf'),
        `INCDIR=${inc}`,
        'LOGFILE=-',
        'MARK_OFFLINE=0',
        'TIMEOUT=60',
        `RESULTFILE=${path.join(conf, 'status')}`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
  } else
    r = spawnSync(path.join(REPO, 'test/helpers/nhc-standin.sh'), [inc, path.join(conf, 'nhc.conf')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /Health check failed: +ctrsafe: CS-K001 failed \(critical: PR_SET_NO_NEW_PRIVS works\)/,
  );
});

test('image gate: a setuid file refuses the image, a clean one passes, verdicts are cached by content digest', async () => {
  const mk = (files: Record<string, string>, mode?: [string, number]) => {
    const tree = writeTree(files);
    if (mode) fs.chmodSync(path.join(tree, mode[0]), mode[1]);
    const img = path.join(writeTree({}), 'image.sqfs');
    execFileSync('mksquashfs', [tree, img, '-noappend', '-quiet', '-no-progress', '-all-root'], {
      stdio: 'ignore',
    });
    fs.chmodSync(img, 0o644);
    return img;
  };
  const cache = path.join(writeTree({}), 'cache');
  const gate = async (img: string, c = cache) => {
    const r = await runMain(['gate', '--image', img, '--cache', c, '--format', 'json']);
    return {
      code: r.code,
      j: JSON.parse(r.stdout) as { pass: boolean; line: string; source: string; digest: string },
    };
  };
  const bad = mk({ 'usr/bin/su2': '#!/bin/sh\n' }, ['usr/bin/su2', 0o4755]);
  const first = await gate(bad);
  assert.equal(first.code, 1);
  assert.match(first.j.line, /^ctrsafe: image refused: setuid \/usr\/bin\/su2: /);
  assert.equal(first.j.source, 'audit');
  const again = await gate(bad);
  assert.deepEqual(
    [again.code, again.j.source, again.j.line],
    [1, 'cache', first.j.line],
    'the same image is not read again',
  );
  const good = mk({ 'etc/os-release': 'ID=alpine\n' });
  const ok = await gate(good);
  assert.equal(ok.code, 0, ok.j.line);
  assert.match(ok.j.line, /^ctrsafe: image accepted \(squashfs, /);
  // The same bytes under another name share the verdict; a changed file is judged afresh.
  const copy = path.join(writeTree({}), 'copy.sqfs');
  fs.copyFileSync(bad, copy);
  assert.equal((await gate(copy)).j.source, 'cache');
  fs.copyFileSync(good, copy);
  const changed = await gate(copy);
  assert.deepEqual([changed.code, changed.j.digest], [0, ok.j.digest]);
  // A cache others can write is not trusted: someone could plant a passing verdict there.
  const open = path.join(writeTree({}), 'open-cache');
  fs.mkdirSync(open, { mode: 0o777 });
  fs.chmodSync(open, 0o777);
  await gate(bad, open);
  assert.equal((await gate(bad, open)).j.source, 'audit');
});

test('a SIF with two primary partitions fails the audit and the gate, and no verdict is cached for it', async () => {
  const dir = writeTree({});
  const sqfs = (files: Record<string, string>, setuid?: string) => {
    const tree = writeTree(files);
    if (setuid) fs.chmodSync(path.join(tree, setuid), 0o4755);
    const img = path.join(writeTree({}), 'p.sqfs');
    execFileSync('mksquashfs', [tree, img, '-noappend', '-quiet', '-no-progress', '-all-root'], {
      stdio: 'ignore',
    });
    return fs.readFileSync(img);
  };
  const sif = path.join(dir, 'two.sif');
  const prim = partitionExtra(FS.squashfs, PART.primary);
  // The first is clean and is the one read; the second, which a runtime may pick, carries a setuid root shell.
  writeSif(sif, [
    { type: DT.partition, data: sqfs({ 'etc/os-release': 'ID=alpine\n' }), group: 1, extra: prim },
    { type: DT.partition, data: sqfs({ 'bin/sh2': '#!/bin/sh\n' }, 'bin/sh2'), group: 1, extra: prim },
  ]);
  fs.chmodSync(sif, 0o644);
  const audit = await runMain(['image', 'audit', sif]);
  assert.match(audit.stdout, /fail high +ambiguous-sif +\(image file\): SIF: 2 primary system partitions/);
  const cache = path.join(dir, 'cache');
  for (let i = 0; i < 2; i++) {
    const r = await runMain(['gate', '--image', sif, '--cache', cache, '--format', 'json']);
    assert.equal(r.code, 1, r.stdout);
    const j = JSON.parse(r.stdout) as { line: string; source: string };
    assert.match(j.line, /^ctrsafe: image refused: ambiguous-sif: SIF: 2 primary system partitions/);
  }
});

test('the Slurm node name: by NodeHostName, else a unique NodeAddr; several or none is no name at all', () => {
  const lines = [
    'NodeName=n001 Arch=x86_64 CoresPerSocket=1 NodeAddr=10.1.0.1 NodeHostName=cn001.cluster.example Version=23.02',
    'NodeName=n002 NodeAddr=10.1.0.2 NodeHostName=cn002.cluster.example State=IDLE',
    'NodeName=gpu1 NodeAddr=10.1.0.9 NodeHostName=gpu1 State=IDLE',
    'NodeName=gpu2 NodeAddr=10.1.0.9 NodeHostName=gpu2 State=IDLE',
  ];
  // The short host name "cn001" is not a NodeName here: draining "cn001" would hit nothing, or another node.
  assert.deepEqual(pickNodeName(lines, { names: ['cn001.cluster.example', 'cn001'], addresses: [] }), {
    name: 'n001',
  });
  assert.deepEqual(pickNodeName(lines, { names: ['other'], addresses: ['10.1.0.2', 'fe80::1'] }), {
    name: 'n002',
  });
  const shared = pickNodeName(lines, { names: ['gpuhost'], addresses: ['10.1.0.9'] });
  assert.match('problem' in shared ? shared.problem : '', /^2 Slurm nodes \(gpu1, gpu2\) match/);
  const none = pickNodeName(lines, { names: ['laptop'], addresses: ['192.0.2.7'] });
  assert.match('problem' in none ? none.problem : '', /^no Slurm node has this host's name or address/);
});
