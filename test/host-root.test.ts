// HostRoot confines every read to the tree, bounds it, and never blocks: links out, loops, FIFOs, huge files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { HostRoot } from '../src/host/host-root.js';
import { HostRootError } from '../src/errors.js';
import { writeTree } from './helpers/tree.js';

test('absolute and relative symlinks resolve inside the root, never outside', () => {
  const dir = writeTree({ 'etc/real': 'inside\n', 'secret/x': 'inside secret\n' });
  fs.symlinkSync('/etc/real', path.join(dir, 'etc/abs'));
  fs.symlinkSync('../../../../../../etc/passwd', path.join(dir, 'etc/escape'));
  fs.symlinkSync('/etc/hostname', path.join(dir, 'etc/hostlink'));
  const root = HostRoot.open(dir);
  const abs = root.readText('/etc/abs');
  assert.ok(abs.ok && abs.text === 'inside\n');
  const esc = root.readText('/etc/escape');
  // ../.. climbs only to the tree's root, so /etc/passwd means DIR/etc/passwd, which does not exist.
  assert.equal(esc.ok, false);
  assert.equal(!esc.ok && esc.missing, true);
  assert.equal(root.readText('/etc/hostlink').ok, false);
  assert.equal(root.readText('/../../../etc/passwd').ok, false);
});

test('symlink loops end with a one-line reason', () => {
  const dir = writeTree({ 'etc/.keep': '' });
  fs.symlinkSync('b', path.join(dir, 'etc/a'));
  fs.symlinkSync('a', path.join(dir, 'etc/b'));
  const r = HostRoot.open(dir).readText('/etc/a');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.reason : '', /symbolic links/);
});

test('a FIFO or device where a file belongs is refused at once, not waited on', () => {
  const dir = writeTree({ 'proc/sys/user/.keep': '' });
  execFileSync('mkfifo', [path.join(dir, 'proc/sys/user/max_user_namespaces')]);
  const t = Date.now();
  const r = HostRoot.open(dir).readText('/proc/sys/user/max_user_namespaces');
  assert.ok(Date.now() - t < 1000);
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.reason : '', /not a regular file \(fifo\)/);
});

test('a 1 GiB file is read only up to the limit', () => {
  const dir = writeTree({ 'proc/sys/kernel/.keep': '' });
  const big = path.join(dir, 'proc/sys/kernel/osrelease');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, 1024 * 1024 * 1024); // sparse: costs no disk
  const r = HostRoot.open(dir).readText('/proc/sys/kernel/osrelease', 4096);
  assert.ok(r.ok);
  assert.equal(r.ok && r.truncated, true);
  assert.equal(r.ok && r.text.length, 4096);
  assert.equal(r.ok && r.binary, true);
});

test('a missing or non-directory --root is a HostRootError with one line', () => {
  assert.throws(
    () => HostRoot.open('/nonexistent/ctrsafe-root'),
    (e: unknown) =>
      e instanceof HostRootError && /does not exist/.test(e.message) && !e.message.includes('\n'),
  );
  const dir = writeTree({ file: 'x' });
  assert.throws(() => HostRoot.open(path.join(dir, 'file')), /not a directory/);
});

test('a malformed manifest is reported, not thrown', () => {
  const dir = writeTree({
    '.ctrsafe-snapshot.json': '{"schema":"ctrsafe.snapshot/1","files":{"relative":{"mode":"x"}}}',
  });
  const root = HostRoot.open(dir);
  assert.equal(root.manifest, null);
  assert.match(root.manifestProblem ?? '', /not absolute/);
  const garbage = writeTree({ '.ctrsafe-snapshot.json': '\u0000\u0001garbage' });
  assert.match(HostRoot.open(garbage).manifestProblem ?? '', /not valid JSON/);
});

test('manifest modes override the tree (git cannot carry setuid bits)', () => {
  const dir = writeTree({
    'usr/bin/newuidmap': '',
    '.ctrsafe-snapshot.json': JSON.stringify({
      schema: 'ctrsafe.snapshot/1',
      files: { '/usr/bin/newuidmap': { mode: '4755', uid: 0, gid: 0 } },
    }),
  });
  const st = HostRoot.open(dir).stat('/usr/bin/newuidmap');
  assert.ok(st.ok);
  assert.equal(st.ok && st.perm, 0o4755);
  assert.equal(st.ok && st.source, 'manifest');
});
