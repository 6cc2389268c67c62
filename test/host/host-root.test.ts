// HostRoot confines every read to the tree, bounds it, and never blocks: links out, loops, FIFOs, huge files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { HostRoot } from '../../src/host/host-root.js';
import { HostRootError } from '../../src/errors.js';
import { writeTree } from '../helpers/tree.js';

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

test('swapping a directory for a link while the tree is read never leaks a byte from outside it', async () => {
  const outside = writeTree({ 'os-release': 'ID=outside-the-tree\n', 'outside-only': '' });
  const dir = writeTree({ 'etc/os-release': 'ID=inside\n', 'usr/lib/os-release': 'ID=inside\n' });
  fs.symlinkSync(outside, path.join(dir, 'etc.link'));
  // Swaps etc (a directory) for etc.link (a link out of the tree) and back, as fast as it can.
  const racer = spawn(
    '/usr/bin/python3',
    [
      '-c',
      `import os, sys
os.chdir(sys.argv[1])
print("ready", flush=True)
while True:
    os.rename("etc", "etc.dir"); os.rename("etc.link", "etc")
    os.rename("etc", "etc.link"); os.rename("etc.dir", "etc")`,
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((r) => racer.stdout!.once('data', () => r()));
  const seen = new Map<string, number>();
  try {
    for (let i = 0; i < 3000; i++) {
      const root = HostRoot.open(dir);
      for (const p of ['/etc/os-release', '/etc/../etc/os-release']) {
        const r = root.readText(p);
        const key = r.ok ? r.text : `(${r.reason})`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      const st = root.stat('/etc/os-release');
      if (st.ok) assert.notEqual(st.size, 'ID=outside-the-tree\n'.length, 'stat of the file outside');
      const l = root.list('/etc');
      if (l.ok) assert.ok(!l.names.includes('outside-only'), 'listed the directory outside');
      if (i % 200 === 0) await new Promise((r) => setImmediate(r));
    }
  } finally {
    racer.kill('SIGKILL');
  }
  for (const text of seen.keys()) assert.doesNotMatch(text, /outside/, JSON.stringify([...seen]));
  assert.ok((seen.get('ID=inside\n') ?? 0) > 0, JSON.stringify([...seen]));
});
