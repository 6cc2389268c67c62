// Probe output is interpreted step by step, including real kernel refusals produced in a nested user namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Facts } from '../../src/facts/fact.js';
import { interpretProbes } from '../../src/probe/interpret-probes.js';
import { planProbes, probeResultFrom } from '../../src/probe/probes.js';
import { runBatch } from '../../src/probe/run-batch.js';
import { deriveFeatures } from '../../src/evaluate/derive-features.js';

const plan = (id: string) => planProbes().find((p) => p.id === id)!;

test('a user namespace refused by the kernel is "no" by probe, with the kernel\'s own error', () => {
  // Inside a private user namespace we are its root and may set its own limit to 0 (namespaces(7)):
  // the probe that runs next meets a real refusal without touching the host's settings.
  const p = plan('userns');
  const r = spawnSync(
    'unshare',
    [
      '--user',
      '--map-root-user',
      '/bin/sh',
      '-c',
      'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"',
      'limit',
      ...p.argv!,
    ],
    { encoding: 'utf8' },
  );
  const job = { started: true, exitCode: r.status, output: r.stdout + r.stderr, timedOut: false };
  const facts: Facts = new Map();
  interpretProbes({ userns: probeResultFrom(p, 'root-in-userns', job) }, facts, '');
  assert.equal(facts.get('probe.userns')?.value, false);
  assert.match(facts.get('probe.userns')!.evidence, /No space left on device|Operation not permitted/);
  const userns = deriveFeatures(facts).find((f) => f.id === 'unprivileged_userns')!;
  assert.equal(userns.state, 'no');
  assert.equal(userns.how, 'probe');
});

test("the no_new_privs probe reports Singularity's two steps; EINVAL means no", () => {
  const facts: Facts = new Map();
  const p = plan('no_new_privs');
  // What a kernel without PR_SET_NO_NEW_PRIVS prints through the same script (prctl(2): EINVAL for unknown options).
  interpretProbes(
    {
      no_new_privs: probeResultFrom(p, 'nobody', {
        started: true,
        exitCode: 0,
        output:
          'set=-1\nset_errno=22\nget=-1\nget_errno=22\nseccomp_mode=-1\nseccomp_mode_errno=22\nfilter=-1\nfilter_errno=22\n',
        timedOut: false,
      }),
    },
    facts,
    '',
  );
  assert.equal(facts.get('probe.no_new_privs')?.value, false);
  assert.match(facts.get('probe.no_new_privs')!.evidence, /returned -1 \(EINVAL\)/);
  assert.equal(facts.get('probe.seccomp_filter')?.value, false);
  const f = deriveFeatures(facts).find((x) => x.id === 'no_new_privs')!;
  assert.deepEqual([f.state, f.how], ['no', 'probe']);
});

test("the perl probes take the syscall number of perl's own architecture, never Node's guess", (t) => {
  const p = plan('no_new_privs');
  if (!p.argv || !p.method.startsWith('perl')) return t.skip('no perl here');
  const [perl, e, script, ...rest] = p.argv as [string, string, string, ...string[]];
  const cut = rest.indexOf('--');
  const pairs = cut < 0 ? rest : rest.slice(0, cut);
  const fallback = cut < 0 ? [] : rest.slice(cut);
  const own = spawnSync(perl, ['-MConfig', '-e', 'print $Config{archname}'], { encoding: 'utf8' }).stdout;
  const run = (args: string[]) => spawnSync(perl, [e, script, ...args], { encoding: 'utf8' });
  // The table the plan passes has one pattern for this perl, and the call works.
  const mine = pairs.filter((x, i) => i % 2 === 0 && new RegExp(x).test(own));
  assert.equal(mine.length, 1, `${own}: ${pairs.join(' ')}`);
  assert.match(run(pairs).stdout, /^set=0$/m);
  // A wrong number listed first under another architecture's pattern is passed over.
  const right = pairs[pairs.indexOf(mine[0]!) + 1]!;
  assert.match(run(['^no-such-arch-', '9999', mine[0]!, right]).stdout, /^set=0$/m);
  // No pattern for this perl: the fallback runs instead (python3's ctypes here), saying so.
  if (fallback.length > 0) {
    const fb = run(['^no-such-arch-', right, ...fallback]);
    assert.equal(fb.status, 0, fb.stderr);
    assert.match(fb.stdout, /^fallback=perl for .+ has no syscall number here$/m);
    assert.match(fb.stdout, /^set=0$/m);
  }
  // Without one: one line saying so, exit 3, and no syscall made with a number meant for another.
  const none = run(['^no-such-arch-', right]);
  assert.equal(none.status, 3);
  assert.equal(none.stdout, `no syscall number known for perl's architecture ${own}\n`);
  const r = probeResultFrom(p, 'nobody', {
    started: true,
    exitCode: 3,
    output: none.stdout,
    timedOut: false,
  });
  assert.deepEqual(r.values, {});
  assert.match(r.stderr, /no syscall number known/);
});

test("the user-namespace probe falls back to its shell version where perl's architecture has no number", (t) => {
  const p = plan('userns');
  const at = p.argv?.indexOf('-e') ?? -1;
  if (!p.argv || at < 0) return t.skip('no perl here');
  const cut = p.argv.indexOf('--', at);
  assert.ok(cut > at + 2, p.argv.join(' '));
  const argv = [...p.argv.slice(0, at + 2), '^no-such-arch-', '165', ...p.argv.slice(cut)];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  assert.match(r.stdout, /^fallback=perl for .+ has no syscall number here$/m);
  // The shell version answers the same questions (on this host, user namespaces and mounts in them work).
  assert.match(r.stdout, /^uid_map=/m);
  assert.match(r.stdout, /^tmpfs=(ok|fail)$/m);
});

test('a probe that could not start or timed out gives no verdict', async () => {
  const facts: Facts = new Map();
  const p = plan('userns');
  interpretProbes(
    {
      userns: probeResultFrom(p, 'nobody', {
        started: false,
        exitCode: null,
        output: 'cannot start /bin/sh: spawn EINVAL',
        timedOut: false,
      }),
    },
    facts,
    '',
  );
  assert.equal(facts.has('probe.userns'), false);
  assert.match(String(facts.get('probe.userns.error')?.value), /spawn EINVAL/);
  const slow = await runBatch([{ tag: 'slow', argv: ['sleep', '5'] }], { timeoutMs: 300 });
  assert.equal(slow.get('slow')!.timedOut, true);
  const facts2: Facts = new Map();
  interpretProbes({ userns: probeResultFrom(p, 'nobody', slow.get('slow')) }, facts2, '');
  assert.equal(facts2.has('probe.userns'), false);
});

test("the batch runner keeps each job's output and status apart", async () => {
  const jobs = Array.from({ length: 9 }, (_, i) => ({
    tag: `j${i}`,
    argv: ['/bin/sh', '-c', `echo out${i}; echo err${i} >&2; exit ${i}`],
  }));
  const r = await runBatch(jobs, { timeoutMs: 3000 });
  for (let i = 0; i < 9; i++) {
    assert.equal(r.get(`j${i}`)!.exitCode, i);
    assert.match(r.get(`j${i}`)!.output, new RegExp(`out${i}\\n`));
    assert.match(r.get(`j${i}`)!.output, new RegExp(`err${i}`));
  }
});

test('the batch runner ends at its hard stop even when a job leaves something holding its pipe, or cannot be reaped', async () => {
  // The job exits at once, but what it started in the background keeps the pipe open; a job stuck in the kernel on
  // a dead NFS server looks the same from here. The results come at the hard stop (timeout + 2 s), not when the
  // straggler ends (before, 30 s here).
  const t0 = Date.now();
  const r = await runBatch(
    [
      { tag: 'left', argv: ['/bin/sh', '-c', 'sleep 30 & echo $! ; echo started'] },
      { tag: 'stuck', argv: ['/bin/sh', '-c', 'trap "" TERM; exec sleep 30'] },
    ],
    { timeoutMs: 500 },
  );
  const ms = Date.now() - t0;
  assert.ok(ms >= 2400 && ms < 6000, `${ms} ms`);
  const left = r.get('left')!;
  assert.equal(left.exitCode, 0);
  assert.equal(left.timedOut, false, 'its status line came back');
  assert.match(left.output, /started/);
  assert.equal(r.get('stuck')!.timedOut, true);
  // timeout(1) runs each job in a process group of its own: a straggler that outlived its job is left to end on
  // its own (here it is the test's to clean up); what matters is that the check no longer waits for it.
  const pid = Number(left.output.split('\n')[0]);
  if (pid > 1) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
