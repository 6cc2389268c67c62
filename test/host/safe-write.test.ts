// No write through a path a user controls (issue 13, item 1): snapshot, sanitize, push state and the textfile
// are refused where another user can write the directory or planted a link on the way; files are created new,
// their modes set on the open file, renamed into place; a planted hard link is replaced, never written through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeTempDir, SafeDir } from '../../src/host/safe-write.js';
import { FIXTURES, writeTree } from '../helpers/tree.js';
import { runMain } from '../helpers/run-main.js';

const asRoot = process.getuid?.() === 0;
if (process.env.CI && !asRoot) throw new Error('CI runs the write attacks as root, planting as ctrtest');
const UID = asRoot ? Number(execFileSync('id', ['-u', 'ctrtest'], { encoding: 'utf8' })) : -1;

/** A directory the unprivileged user owns (they could plant anything in it at any time). */
function usersDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-users-'));
  fs.chownSync(d, UID, UID);
  return d;
}

/** A directory of root's with MODE (1777 is /tmp's). */
function rootsDir(prefix: string, mode: number): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, mode);
  return d;
}

/** A root-only file a planted link would point at, and how to tell it was not touched. */
function rootSecret(): { file: string; intact: () => void } {
  const file = path.join(writeTree({ secret: 'root only\n' }), 'secret');
  fs.chmodSync(file, 0o600);
  return {
    file,
    intact: () => {
      assert.equal(fs.readFileSync(file, 'utf8'), 'root only\n');
      assert.equal(fs.statSync(file).mode & 0o7777, 0o600);
    },
  };
}

test(
  'snapshot -o refuses a directory another user owns, even empty, and a link planted in /tmp',
  { skip: !asRoot },
  async () => {
    const secret = rootSecret();
    const theirs = usersDir();
    const r = await runMain(['snapshot', '-o', theirs]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /owner uid \d+ \(ctrtest\)/);
    assert.deepEqual(fs.readdirSync(theirs), []);
    // A link in a sticky, world-writable directory is the user's, whoever it points at.
    const sticky = rootsDir('ctrsafe-sticky-', 0o1777);
    const link = path.join(sticky, 'planted');
    const target = writeTree({});
    fs.symlinkSync(target, link);
    fs.lchownSync(link, UID, UID);
    try {
      const l = await runMain(['snapshot', '-o', path.join(link, 'snap')]);
      assert.equal(l.code, 4, l.stderr);
      assert.match(l.stderr, /is a symbolic link in a directory others can write/);
      assert.deepEqual(fs.readdirSync(target), []);
    } finally {
      fs.rmSync(sticky, { recursive: true });
    }
    secret.intact();
  },
);

test(
  'image sanitize never writes beside OUT in a user’s directory, nor through links planted there',
  { skip: !asRoot },
  async () => {
    const secret = rootSecret();
    const theirs = usersDir();
    const out = path.join(theirs, 'out.sqfs');
    // The old temporary names: OUT.ctrsafe-<pid>.tmp for the pids to come.
    const next = Number(fs.readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
    for (let pid = next; pid < next + 200; pid++) fs.symlinkSync(secret.file, `${out}.ctrsafe-${pid}.tmp`);
    const tree = writeTree({ 'etc/os-release': 'ID=alpine\n' });
    const r = await runMain(['image', 'sanitize', tree, out]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /out\.sqfs|ctrsafe-users-/);
    assert.match(r.stderr, /ctrtest/);
    assert.equal(fs.existsSync(out), false);
    secret.intact();
    // Where only root writes, it works, and leaves nothing but OUT.
    const mine = writeTree({});
    const ok = await runMain(['image', 'sanitize', tree, path.join(mine, 'out.sqfs')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(fs.readdirSync(mine), ['out.sqfs']);
    assert.equal(fs.statSync(path.join(mine, 'out.sqfs')).mode & 0o777, 0o644);
  },
);

test(
  'check --push --state refuses a state directory another user can write: no forged spool, no token for them',
  { skip: !asRoot },
  async () => {
    const secret = rootSecret();
    const theirs = usersDir();
    fs.mkdirSync(path.join(theirs, 'spool'));
    fs.writeFileSync(path.join(theirs, 'spool', '000000000000001-forged.json'), '{"forged":true}');
    for (let pid = 1; pid < 50; pid++)
      fs.symlinkSync(secret.file, path.join(theirs, `node-token.${pid}.tmp`));
    const push = async (state: string) =>
      await runMain(
        [
          'check',
          '--root',
          path.join(FIXTURES, 'debian12'),
          '--format',
          'json',
          '--push',
          'http://127.0.0.1:9',
          '--state',
          state,
        ],
        {
          CTRSAFE_ENROLL_SECRET: 'x',
        },
      );
    const r = await push(theirs);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /ctrsafe-users-.*owner uid \d+ \(ctrtest\)/);
    assert.deepEqual(fs.readdirSync(path.join(theirs, 'spool')), ['000000000000001-forged.json']);
    secret.intact();
    // Root's own directory, but open to everyone: refused too.
    const open = writeTree({});
    fs.chmodSync(open, 0o777);
    assert.equal((await push(open)).code, 4);
    // A new state directory is created 0700 and its spool written whole.
    const fresh = path.join(writeTree({}), 'state');
    const f = await push(fresh);
    assert.match(f.stderr, /server unreachable/);
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o700);
    const spooled = fs.readdirSync(path.join(fresh, 'spool'));
    assert.equal(spooled.length, 1);
    assert.match(spooled[0]!, /^\d{15}-[0-9a-f-]+\.json$/);
  },
);

test('--textfile-dir refuses a directory another user can write', { skip: !asRoot }, async () => {
  const theirs = usersDir();
  const r = await runMain([
    'check',
    '--root',
    path.join(FIXTURES, 'debian12'),
    '--format',
    'prometheus',
    '--textfile-dir',
    theirs,
  ]);
  assert.equal(r.code, 4, r.stderr);
  assert.deepEqual(fs.readdirSync(theirs), []);
});

test('SafeDir: a hard link planted at the name is replaced, not written through; modes are set on the file', () => {
  const secret = rootSecret();
  const dir = writeTree({});
  fs.linkSync(secret.file, path.join(dir, 'node-token'));
  const old = process.umask(0o077);
  try {
    const d = SafeDir.open(dir);
    d.writeFile('node-token', 'new token\n', 0o644);
    d.close();
  } finally {
    process.umask(old);
  }
  secret.intact();
  assert.equal(fs.readFileSync(path.join(dir, 'node-token'), 'utf8'), 'new token\n');
  assert.equal(fs.statSync(path.join(dir, 'node-token')).mode & 0o777, 0o644, 'fchmod, not the umask');
  assert.deepEqual(fs.readdirSync(dir), ['node-token'], 'no temporary file left');
});

test('SafeDir: links in directories only root can write are followed; a file where a directory belongs is refused', () => {
  const real = writeTree({ 'state/.keep': '' });
  const via = writeTree({});
  fs.symlinkSync(path.join(real, 'state'), path.join(via, 'state'));
  const d = SafeDir.open(path.join(via, 'state'));
  assert.equal(d.path, path.join(real, 'state'));
  d.close();
  assert.throws(() => SafeDir.open(path.join(real, 'state/.keep')), /is not a directory/);
  assert.throws(() => SafeDir.open(path.join(real, 'missing')), /does not exist/);
});

test(
  'SafeDir sticky: a sticky directory of root passes only where asked; one of another user, never',
  { skip: !asRoot },
  () => {
    const sticky = rootsDir('ctrsafe-sticky-', 0o1777);
    const theirs = usersDir();
    fs.chmodSync(theirs, 0o1777);
    try {
      assert.throws(() => SafeDir.open(sticky), /others can write this directory \(owner uid 0/);
      SafeDir.open(sticky, { sticky: true }).close();
      assert.throws(
        () => SafeDir.open(theirs, { sticky: true }),
        /another user owns this directory \(owner uid \d+ \(ctrtest\)/,
      );
      fs.chmodSync(sticky, 0o777);
      assert.throws(() => SafeDir.open(sticky, { sticky: true }), /others can write this directory/);
    } finally {
      fs.rmSync(sticky, { recursive: true });
      fs.rmSync(theirs, { recursive: true });
    }
  },
);

test(
  'makeTempDir: a private directory in a sticky or closed TMPDIR; none where another user could swap it',
  { skip: !asRoot },
  () => {
    const sticky = rootsDir('ctrsafe-sticky-', 0o1777);
    const open = rootsDir('ctrsafe-open-', 0o777);
    const theirs = usersDir();
    try {
      const made = makeTempDir('ctrsafe-x-', sticky);
      assert.equal(path.dirname(made), sticky);
      assert.equal(fs.statSync(made).mode & 0o7777, 0o700);
      for (const [base, why] of [
        [open, /: TMPDIR .*ctrsafe-open-\w+: others can write this directory/],
        [theirs, /: TMPDIR .*ctrsafe-users-\w+: another user owns this directory/],
      ] as const) {
        assert.throws(() => makeTempDir('ctrsafe-x-', base), why);
        assert.deepEqual(fs.readdirSync(base), [], `nothing made in ${base}`);
      }
    } finally {
      for (const d of [sticky, open, theirs]) fs.rmSync(d, { recursive: true, force: true });
    }
  },
);

test('SafeDir.forChild names the file a child can open, by the PID /proc gives this process, also under a foreign /proc', () => {
  const dir = writeTree({ 'f.txt': 'mine\n' });
  const d = SafeDir.open(dir);
  try {
    const p = d.forChild('f.txt');
    assert.equal(p, `/proc/${process.pid}/fd/${d.fd}/f.txt`);
    assert.equal(execFileSync('cat', [p], { encoding: 'utf8' }), 'mine\n');
  } finally {
    d.close();
  }
  // A new PID namespace without its own /proc: ctrsafe is PID 1 there, and /proc/1 is the host's init.
  // (A /proc that does not show this process at all gives the walked path.)
  const module = path.resolve(import.meta.dirname, '../../src/host/safe-write.js');
  const script = [
    `const { SafeDir } = await import(${JSON.stringify(module)});`,
    `const d = SafeDir.open(${JSON.stringify(dir)});`,
    `const p = d.forChild('f.txt');`,
    `const cat = (await import('node:child_process')).execFileSync('cat', [p], { encoding: 'utf8' });`,
    `console.log(JSON.stringify({ pid: process.pid, p, cat }));`,
  ].join('\n');
  const out = JSON.parse(
    execFileSync(
      'unshare',
      [
        ...(asRoot ? [] : ['--user', '--map-root-user']),
        '--pid',
        '--fork',
        process.execPath,
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8' },
    ),
  ) as { pid: number; p: string; cat: string };
  // PID 1 in its namespace; the host's /proc names it otherwise, and /proc/1 is the host's init.
  assert.equal(out.pid, 1);
  assert.match(out.p, /^\/proc\/\d+\/fd\/\d+\/f\.txt$/);
  assert.doesNotMatch(out.p, /^\/proc\/1\//);
  assert.equal(out.cat, 'mine\n');
});

test('SafeDir.writeProblem: null where a file can be made, leaving nothing; the errno where it cannot', () => {
  const dir = writeTree({});
  const d = SafeDir.open(dir);
  try {
    assert.equal(d.writeProblem(), null);
    assert.deepEqual(fs.readdirSync(dir), [], 'the probe file is gone');
    // The directory removed under the descriptor: nothing can be created in it any more.
    fs.rmdirSync(dir);
    assert.equal(d.writeProblem(), 'does not exist');
  } finally {
    d.close();
  }
});
