// Bad input gives a clear one-line error or an unknown fact: never a stack trace, a hang, or a changed host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import { runMain } from '../helpers/run-main.js';
import { writeTree } from '../helpers/tree.js';

test('a --root that does not exist: exit 3 and one line on stderr', async () => {
  const r = await runMain(['check', '--root', '/nonexistent/ctrsafe']);
  assert.equal(r.code, 3);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /^ctrsafe: --root \/nonexistent\/ctrsafe: does not exist/);
  assert.equal(r.stdout, '');
});

test('usage errors exit 2 with one line', async () => {
  for (const args of [
    ['check', '--bogus'],
    ['check', '--format', 'yaml'],
    ['check', '--fail-on', 'severe'],
    ['check', '--explain', 'CS-NOPE'],
    ['frobnicate'],
  ]) {
    const r = await runMain(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, args.join(' '));
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  }
});

test('garbage, binary data and huge files in a tree become unknown facts with reasons', async () => {
  const dir = writeTree({
    'etc/os-release': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0xff, 0xfe]),
    'proc/sys/kernel/osrelease': 'not a kernel release with spaces and $(rm -rf /)\n',
    'proc/sys/user/max_user_namespaces': 'lots\n',
    'proc/self/mountinfo': '\u0000\u0000binary\u0000',
    'etc/apptainer/apptainer.conf': 'allow setuid = yes\n\u0000\u0001\u0002 garbage line without equals\n',
    'etc/subuid': 'alice:100000:65536\nthis is not a range\nbob:notanumber:5\n',
    'boot/config-5.14.0': 'CONFIG_USER_NS=y\n' + 'x'.repeat(100),
  });
  const huge = path.join(dir, 'proc/sys/kernel/unprivileged_userns_clone');
  fs.writeFileSync(huge, '');
  fs.truncateSync(huge, 1024 * 1024 * 1024);
  fs.symlinkSync('loop2', path.join(dir, 'etc/loop1'));
  fs.symlinkSync('loop1', path.join(dir, 'etc/loop2'));
  fs.symlinkSync('/etc/loop1', path.join(dir, 'etc/subgid'));
  const { report } = await runCheck({ root: dir });
  const userns = report.features.find((f) => f.id === 'unprivileged_userns')!;
  assert.equal(userns.state, 'unknown', userns.evidence);
  assert.equal(report.host.kernel.release, null, 'a release with spaces is not trusted');
  assert.equal(report.host.os.id, null);
  assert.ok(
    report.problems.some((p) => /unprivileged_userns_clone: larger than 4096 bytes/.test(p)),
    report.problems.join(' | '),
  );
  assert.ok(
    report.problems.some((p) => /os-release: binary data/.test(p)),
    report.problems.join(' | '),
  );
  assert.ok(
    report.problems.some((p) => /subgid: too many levels of symbolic links/.test(p)),
    report.problems.join(' | '),
  );
  // Nothing guessed "yes" from garbage.
  for (const rt of report.runtimes.filter((r) => ['charliecloud', 'podman', 'enroot'].includes(r.id)))
    assert.notEqual(rt.ready, 'yes', `${rt.id}: ${rt.reasons.join(' | ')}`);
});

test('check --root never writes into the tree', async () => {
  const dir = writeTree({
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    'proc/sys/kernel/osrelease': '6.1.0-13-amd64\n',
  });
  const before = fs.readdirSync(dir, { recursive: true }).sort();
  const mtime = fs.statSync(dir).mtimeMs;
  const r = await runMain(['check', '--root', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(dir, { recursive: true }).sort(), before);
  assert.equal(fs.statSync(dir).mtimeMs, mtime);
});
