// ctrsafe run, proved as an unprivileged user: setuid and file capabilities give nothing, no_new_privs is set,
// no capability is left, the image is read-only, binds are writable where asked, exit codes and signals come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { extractSanitized } from '../../src/run/extract-tar.js';
import { BIN as REPO_BIN, FIXTURES } from '../helpers/tree.js';
import { dsseEnvelope, ed25519Pair, writeSignedSif } from '../helpers/sign-sif.js';
import { DT, FS, PART, partitionExtra, writeSif } from '../helpers/write-sif.js';

const asRoot = process.getuid?.() === 0;
if (process.env.CI && !asRoot)
  throw new Error('CI runs the run proofs as root, switching to the user ctrtest');
const USER = 'ctrtest';
const uidOf = (u: string) => Number(execFileSync('id', ['-u', u], { encoding: 'utf8' }).trim());
const UID = asRoot ? uidOf(USER) : process.getuid!();

/**
 * The unprivileged user's environment: root's, with a TMPDIR of the user's own (scripts/test.sh points TMPDIR at a
 * scratch directory only root may write, which `ctrsafe run` would rightly be unable to use).
 */
const USER_ENV: NodeJS.ProcessEnv = asRoot
  ? (() => {
      const t = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-usertmp-'));
      fs.chownSync(t, UID, UID);
      return { ...process.env, TMPDIR: t };
    })()
  : process.env;

/** A world-readable scratch directory (mkdtemp's 0700 would keep the unprivileged user out). */
function scratch(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(d, 0o755);
  return d;
}

/** A small root file system from this host's own binaries and their libraries (ldd), plus the proof binaries. */
function miniRootfs(): string {
  const root = path.join(scratch('ctrsafe-rootfs-'), 'rootfs');
  const bins = [
    '/bin/sh',
    '/usr/bin/id',
    '/bin/cat',
    '/bin/sleep',
    '/bin/true',
    '/usr/bin/env',
    '/bin/ls',
    '/usr/bin/touch',
    '/bin/kill',
  ];
  for (const b of bins) {
    const real = fs.realpathSync(b);
    const libs = execFileSync('ldd', [real], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const f of [b, ...libs]) {
      const dst = path.join(root, f);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      if (!fs.existsSync(dst)) fs.copyFileSync(fs.realpathSync(f), dst);
      fs.chmodSync(dst, 0o755);
    }
  }
  for (const d of ['tmp', 'proc', 'dev', 'sys', 'home', 'etc'])
    fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  // The proofs: a setuid-root id, and a cat that the file system grants cap_setuid (needs root to plant).
  fs.copyFileSync(path.join(root, 'usr/bin/id'), path.join(root, 'usr/bin/suid-id'));
  fs.chmodSync(path.join(root, 'usr/bin/suid-id'), 0o4755);
  fs.copyFileSync(path.join(root, 'bin/cat'), path.join(root, 'bin/capcat'));
  if (asRoot) execFileSync('setcap', ['cap_setuid+ep', path.join(root, 'bin/capcat')]);
  execFileSync('chmod', ['-R', 'a+rX', root]);
  return root;
}

const ROOTFS = miniRootfs();

/**
 * The bundle, copied where the unprivileged user can read it: the checkout may sit below a directory only root
 * can enter (a CI clone in mktemp's 0700 directory). The agent runs alone from one file (test/e2e/agent-bundle.test.ts).
 */
const BIN = path.join(scratch('ctrsafe-bin-'), 'ctrsafe.cjs');
fs.copyFileSync(REPO_BIN, BIN);
fs.chmodSync(BIN, 0o755);
/** The Node running the tests, copied beside it: in test.sh's main pass it is Node 24 inside the checkout. */
const NODE = path.join(path.dirname(BIN), 'node');
fs.copyFileSync(process.execPath, NODE);
fs.chmodSync(NODE, 0o755);

/** The mini root file system as a squashfs, and as a SIF whose primary partition is that squashfs. */
function squashfsAndSif(dir: string): { sqfs: string; sif: string } {
  const sqfs = path.join(dir, 'img.sqfs');
  execFileSync('mksquashfs', [ROOTFS, sqfs, '-noappend', '-quiet', '-no-progress', '-all-root'], {
    stdio: 'ignore',
  });
  const sif = path.join(dir, 'img.sif');
  writeSif(sif, [
    { type: DT.partition, data: fs.readFileSync(sqfs), extra: partitionExtra(FS.squashfs, PART.primary) },
  ]);
  return { sqfs, sif };
}

/** ARGV started as the unprivileged user (runuser when the tests run as root), from a directory they can enter. */
function spawnAsUser(argv: string[]): ChildProcessWithoutNullStreams {
  return asRoot
    ? spawn('runuser', ['-u', USER, '--', ...argv], { cwd: '/tmp', env: USER_ENV })
    : spawn(argv[0]!, argv.slice(1), { cwd: '/tmp' });
}

/** `ctrsafe run ...` as the unprivileged user, from a directory they can enter. */
function run(args: string[], env: Record<string, string> = {}) {
  const argv = [NODE, BIN, 'run', ...args];
  const cmd = asRoot
    ? ['runuser', '-u', USER, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]
    : argv;
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    encoding: 'utf8',
    cwd: '/tmp',
    timeout: 120_000,
    env: { ...USER_ENV, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a TMPDIR the user cannot write is one line naming it, exit 125, not an internal error', () => {
  const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-closed-'));
  fs.chmodSync(closed, 0o755);
  if (!asRoot) fs.chmodSync(closed, 0o555);
  try {
    const r = run([ROOTFS, '--', '/bin/true'], { TMPDIR: closed });
    assert.equal(r.code, 125, r.stderr);
    assert.equal(
      r.stderr,
      `ctrsafe run: TMPDIR ${closed}: cannot make a working directory there (EACCES); set TMPDIR to a directory you can write\n`,
    );
  } finally {
    fs.rmSync(closed, { recursive: true, force: true });
  }
});

test(
  'as root, a TMPDIR another user can change is refused before anything is made in it; sticky /tmp is used',
  { skip: !asRoot },
  () => {
    const asRootRun = (tmpdir: string) =>
      spawnSync(NODE, [BIN, 'run', ROOTFS, '--', '/bin/true'], {
        encoding: 'utf8',
        cwd: '/tmp',
        timeout: 120_000,
        env: { ...process.env, TMPDIR: tmpdir },
      });
    const theirs = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-theirs-'));
    fs.chownSync(theirs, UID, UID);
    const open = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-open-'));
    fs.chmodSync(open, 0o777);
    try {
      for (const [dir, owner] of [
        [theirs, `uid ${UID} (${USER})`],
        [open, 'uid 0'],
      ] as const) {
        const r = asRootRun(dir);
        assert.equal(r.status, 125, r.stderr);
        assert.match(
          r.stderr,
          /^ctrsafe run: TMPDIR .*(others can write|another user owns) this directory \(owner /,
        );
        assert.ok(r.stderr.includes(owner), r.stderr);
        assert.equal(r.stderr.split('\n').length, 2, r.stderr);
        assert.deepEqual(fs.readdirSync(dir), [], `nothing was made in ${dir}`);
      }
      const sticky = asRootRun('/tmp');
      assert.equal(sticky.status, 0, sticky.stderr);
    } finally {
      fs.rmSync(theirs, { recursive: true, force: true });
      fs.rmSync(open, { recursive: true, force: true });
    }
  },
);

test('a TMPDIR below a directory the user may search but not list (0711) is used; a relative one is made absolute', () => {
  const outer = scratch('ctrsafe-0711-');
  const inner = path.join(outer, 'mine');
  fs.mkdirSync(inner, { mode: 0o700 });
  if (asRoot) fs.chownSync(inner, UID, UID);
  fs.chmodSync(outer, 0o711);
  try {
    const r = run([ROOTFS, '--', '/bin/true'], { TMPDIR: inner });
    assert.equal(r.code, 0, r.stderr);
    // Run from /tmp: "." is /tmp, and the directory the dry run keeps (and binds) is named absolutely.
    const dry = run(['--dry-run', ROOTFS, '--', '/bin/true'], { TMPDIR: '.' });
    assert.equal(dry.code, 0, dry.stderr);
    const kept = /--dry-run keeps (\S+), which/.exec(dry.stderr)?.[1];
    assert.ok(kept?.startsWith('/tmp/ctrsafe-run-'), dry.stderr);
    fs.rmSync(kept!, { recursive: true, force: true });
  } finally {
    fs.chmodSync(outer, 0o755);
    fs.rmSync(outer, { recursive: true, force: true });
  }
});

test('setuid and file capabilities give nothing; no_new_privs 1, CapEff 0; the image is read-only; all nosuid', () => {
  const id = run([ROOTFS, '--', '/usr/bin/suid-id', '-u']);
  assert.equal(id.code, 0, id.stderr);
  assert.equal(id.stdout.trim(), String(UID), 'a setuid-root id reports the caller');
  if (asRoot)
    assert.match(
      execFileSync('getcap', [path.join(ROOTFS, 'bin/capcat')], { encoding: 'utf8' }),
      /cap_setuid/,
    );
  const status = run([ROOTFS, '--', '/bin/capcat', '/proc/self/status']);
  assert.match(status.stdout, /^NoNewPrivs:\s+1$/m);
  assert.match(status.stdout, /^CapEff:\s+0000000000000000$/m);
  assert.match(status.stdout, /^CapPrm:\s+0000000000000000$/m, 'cap_setuid+ep on the file gained nothing');
  const write = run([ROOTFS, '--', '/usr/bin/touch', '/usr/written']);
  assert.notEqual(write.code, 0);
  assert.match(write.stderr, /Read-only file system/);
  assert.equal(fs.existsSync(path.join(ROOTFS, 'usr/written')), false);
  // A mount already below the host's /tmp when the container starts (bound in for MPI) must come in nosuid too.
  // Below /tmp itself, whatever TMPDIR is: the mounts the filter below skips are those under /tmp.
  const hostMount = asRoot ? fs.mkdtempSync('/tmp/ctrsafe-submount-') : null;
  if (hostMount) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'ctrsafe-probe', hostMount]);
  let mounts: string[];
  try {
    mounts = run([ROOTFS, '--', '/bin/cat', '/proc/self/mountinfo']).stdout.trim().split('\n');
  } finally {
    if (hostMount) {
      execFileSync('umount', [hostMount]);
      fs.rmdirSync(hostMount);
    }
  }
  assert.ok(mounts.length > 5);
  if (hostMount)
    assert.ok(
      mounts.some((m) => m.split(' ')[4] === hostMount),
      `${hostMount} is seen inside`,
    );
  // Skipped: mounts that host root makes below /tmp while the container runs (other tests mount /proc in a chroot
  // tree there) reach it by the slave propagation bwrap sets up, with the host's flags; only host root can do that.
  const ours = mounts.filter((m) => {
    const at = m.split(' ')[4]!;
    return !at.startsWith('/tmp/') || at === hostMount;
  });
  for (const m of ours) assert.match(m.split(' ')[5]!, /nosuid/, m);
  const named = run([ROOTFS, '--', '/usr/bin/id', '-un']);
  assert.equal(
    named.stdout.trim(),
    USER,
    'the caller is in the image passwd, as with Apptainer and Charliecloud',
  );
});

test('binds: writable where asked, read-only where asked; the command’s exit code and signal come back', () => {
  const data = scratch('ctrsafe-data-');
  fs.chownSync(data, UID, UID);
  const ro = scratch('ctrsafe-ro-');
  fs.chownSync(ro, UID, UID);
  const w = run([
    '--bind',
    `${data}:/data`,
    '--bind',
    `${ro}:/project/ro:ro`,
    ROOTFS,
    '--',
    '/usr/bin/touch',
    '/data/out',
  ]);
  assert.equal(w.code, 0, w.stderr);
  assert.equal(fs.statSync(path.join(data, 'out')).uid, UID, 'written as the caller');
  const r = run(['--bind', `${ro}:/project/ro:ro`, ROOTFS, '--', '/usr/bin/touch', '/project/ro/x']);
  assert.notEqual(r.code, 0);
  assert.equal(run([ROOTFS, '--', '/bin/sh', '-c', 'exit 7']).code, 7);
  assert.equal(run([ROOTFS, '--', '/bin/sh', '-c', 'kill -TERM $$']).code, 128 + 15);
  const none = run(['--net', 'none', ROOTFS, '--', '/bin/cat', '/proc/net/dev']);
  assert.deepEqual(
    none.stdout
      .trim()
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(':')[0]),
    ['lo'],
    '--net none leaves only loopback',
  );
});

test('a signal sent to ctrsafe reaches the command, whose own exit code comes back', async () => {
  const argv = [
    NODE,
    BIN,
    'run',
    ROOTFS,
    '--',
    '/bin/sh',
    '-c',
    'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done',
  ];
  const c = spawnAsUser(argv);
  await new Promise<void>((resolve) =>
    c.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve()),
  );
  // runuser execs nothing itself: find ctrsafe (node) among its children, or it is the child.
  const target = asRoot
    ? Number(
        execFileSync('pgrep', ['-P', String(c.pid), '-f', 'ctrsafe'], { encoding: 'utf8' })
          .trim()
          .split('\n')[0],
      )
    : c.pid!;
  process.kill(target, 'SIGTERM');
  const code = await new Promise<number | null>((r) => c.on('close', r));
  assert.equal(code, 42);
});

test('--dry-run prints a command line that runs as printed, keeping the files it binds', () => {
  const dry = run(['--dry-run', ROOTFS, '--', '/usr/bin/id', '-u']);
  assert.equal(dry.code, 0, dry.stderr);
  const kept = /--dry-run keeps (\S+), which the command line binds/.exec(dry.stderr)?.[1];
  assert.ok(kept && fs.existsSync(path.join(kept, 'passwd')), dry.stderr);
  // Run it through the shell exactly as printed, as the same user.
  const sh = asRoot ? ['runuser', '-u', USER, '--', 'sh', '-c', dry.stdout] : ['sh', '-c', dry.stdout];
  const r = spawnSync(sh[0]!, sh.slice(1), { encoding: 'utf8', cwd: '/tmp', env: USER_ENV });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), String(UID));
  fs.rmSync(kept, { recursive: true, force: true });
});

test('a host where the readiness check says no is refused with the reason and the fix', () => {
  // A copy the unprivileged user can read, wherever the checkout is.
  const host = path.join(scratch('ctrsafe-host-'), 'centos7');
  execFileSync('cp', ['-a', path.join(FIXTURES, 'centos7-default'), host]);
  execFileSync('chmod', ['-R', 'a+rX', host]);
  const r = run(['--host-root', host, ROOTFS, '--', '/bin/true']);
  assert.equal(r.code, 125);
  assert.match(
    r.stderr,
    /^ctrsafe run: refused: unprivileged user namespaces are not available \(.*max_user_namespaces.*\); Set user\.max_user_namespaces/m,
  );
});

test('squashfs and SIF are mounted with squashfuse where the user may open /dev/fuse, else unpacked', () => {
  const dir = scratch('ctrsafe-fuse-');
  const { sqfs, sif } = squashfsAndSif(dir);
  for (const f of [sqfs, sif]) fs.chmodSync(f, 0o644);
  const fuseOk =
    (asRoot
      ? spawnSync('runuser', ['-u', USER, '--', 'sh', '-c', 'exec 3<>/dev/fuse'])
      : spawnSync('sh', ['-c', 'exec 3<>/dev/fuse'])
    ).status === 0;
  const cache = path.join(scratch('ctrsafe-cache-'), 'c');
  if (asRoot) fs.chownSync(path.dirname(cache), UID, UID);
  for (const img of [sqfs, sif]) {
    const r = run([
      '--cache',
      cache,
      img,
      '--',
      '/bin/sh',
      '-c',
      'cat /proc/self/mountinfo; /usr/bin/suid-id -u',
    ]);
    assert.equal(r.code, 0, `${img}: ${r.stderr}`);
    const usr = r.stdout.split('\n').find((l) => l.split(' ')[4] === '/usr')!;
    assert.match(usr, /nosuid,nodev/);
    if (fuseOk) assert.match(usr, / - fuse\.squashfuse /, `${img} is mounted, not unpacked`);
    else assert.ok(fs.readdirSync(cache).length > 0, 'unpacked into the cache');
    assert.equal(r.stdout.trim().split('\n').pop(), String(UID));
  }
  if (fuseOk) assert.equal(fs.existsSync(cache), false, 'nothing was unpacked');
  assert.equal(
    fs.readFileSync('/proc/self/mountinfo', 'utf8').includes('ctrsafe-run-'),
    false,
    'unmounted afterwards',
  );
});

test('squashfs, SIF and tar images are unpacked once, sanitized, into the caller’s cache', () => {
  const dir = scratch('ctrsafe-images-');
  const { sqfs, sif } = squashfsAndSif(dir);
  const tgz = path.join(dir, 'img.tar.gz');
  execFileSync('tar', ['-C', ROOTFS, '-czf', tgz, '.']);
  for (const f of [sqfs, sif, tgz]) fs.chmodSync(f, 0o644);
  const cache = path.join(scratch('ctrsafe-cache-'), 'c');
  if (asRoot) fs.chownSync(path.dirname(cache), UID, UID);
  for (const img of [sqfs, sif, tgz]) {
    const r = run(['--unpack', '--cache', cache, img, '--', '/usr/bin/suid-id', '-u']);
    assert.equal(r.code, 0, `${img}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), String(UID));
    assert.match(
      r.stderr,
      new RegExp(`unpacked ${img.replace(/[.]/g, '\\.')} into ${cache}/[0-9a-f]{64}\\n`),
    );
  }
  const trees = () => fs.readdirSync(cache).filter((n) => /^[0-9a-f]{64}$/.test(n));
  const unpacked = trees();
  assert.equal(unpacked.length, 3, 'one unpacked tree per image digest');
  const again = run(['--unpack', '--cache', cache, sqfs, '--', '/bin/true']);
  assert.equal(again.code, 0);
  assert.doesNotMatch(again.stderr, /unpacked/, 'a reused tree is not announced');
  assert.deepEqual(trees(), unpacked, 'the second launch reuses the unpacked tree');
  assert.deepEqual(
    fs.readdirSync(cache).filter((n) => /\.(tmp-|lock)/.test(n)),
    [],
    'no lock or temporary tree is left behind',
  );
  for (const u of unpacked) {
    const suid = fs.statSync(path.join(cache, u, 'usr/bin/suid-id'));
    assert.equal(suid.mode & 0o6000, 0, 'the sanitizer cleared the setuid bit');
    assert.equal(suid.uid, UID);
  }

  // run cache list|clean, and the size cap: least recently used first, as the caller.
  const digestOf = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  type Listed = { entries: { digest: string; bytes: number; files: number; last_used: string }[] };
  const list = () =>
    JSON.parse(run(['cache', 'list', '--cache', cache, '--format', 'json']).stdout) as Listed;
  const listed = list();
  assert.equal(listed.entries.length, 3);
  assert.equal(listed.entries[0]!.digest, `sha256:${digestOf(sqfs)}`, 'the tree used last is listed first');
  assert.ok(listed.entries.every((e) => e.bytes > 0 && e.files > 10));
  assert.match(run(['cache', 'list', '--cache', cache]).stdout, /3 image\(s\)/);
  const clean = run(['cache', 'clean', '--cache', cache, '--max-size', String(listed.entries[0]!.bytes)]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /removed 2 image\(s\)/);
  assert.deepEqual(trees(), [digestOf(sqfs)], 'the most recently used tree is kept');
  assert.equal(run(['--unpack', '--cache', cache, '--cache-max-size', '0', tgz, '--', '/bin/true']).code, 0);
  assert.deepEqual(trees(), [digestOf(tgz)], 'a new unpack past the cap removes the others, never itself');
  assert.equal(run(['cache', 'clean', '--cache', cache]).code, 0);
  assert.deepEqual(trees(), []);
});

test('run cache clean removes read-only trees, leaves an entry being unpacked, and refuses a cache others can write', () => {
  const cache = path.join(scratch('ctrsafe-cache-'), 'c');
  const a = path.join(cache, 'a'.repeat(64));
  const b = path.join(cache, 'b'.repeat(64));
  fs.mkdirSync(path.join(a, 'usr/lib'), { recursive: true });
  fs.writeFileSync(path.join(a, 'usr/lib/x'), 'x'.repeat(10000));
  fs.mkdirSync(b, { recursive: true });
  fs.writeFileSync(`${b}.lock`, '');
  fs.chmodSync(path.join(a, 'usr'), 0o555);
  fs.chmodSync(cache, 0o700);
  if (asRoot) execFileSync('chown', ['-R', `${UID}:${UID}`, path.dirname(cache)]);
  const r = run(['cache', 'clean', '--cache', cache]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.existsSync(a), false, 'a tree with read-only directories is removed');
  assert.equal(fs.existsSync(b), true, 'an entry whose lock is held stays');
  fs.chmodSync(cache, 0o777);
  const refused = run(['cache', 'clean', '--cache', cache]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /writ/);
  assert.equal(fs.existsSync(b), true);
});

test('--gpu binds the driver libraries the ldconfig cache names, and the device nodes (a fake driver tree)', () => {
  const drv = scratch('ctrsafe-fakegpu-');
  fs.mkdirSync(path.join(drv, 'lib'));
  fs.mkdirSync(path.join(drv, 'dev'));
  for (const l of ['libcuda.so.1', 'libnvidia-ml.so.1', 'libz.so.1'])
    fs.writeFileSync(path.join(drv, 'lib', l), `fake ${l}\n`);
  for (const d of ['nvidia0', 'nvidiactl', 'nvidia-uvm', 'null'])
    fs.writeFileSync(path.join(drv, 'dev', d), '');
  const ldconfig = path.join(drv, 'ldconfig');
  fs.writeFileSync(
    ldconfig,
    `#!/bin/sh\ncat <<'EOF'\n3 libs found in cache \`/etc/ld.so.cache'\n` +
      ['libcuda.so.1', 'libnvidia-ml.so.1', 'libz.so.1']
        .map((l) => `\t${l} (libc6,x86-64) => ${drv}/lib/${l}`)
        .join('\n') +
      `\n\tlibcuda.so.1 (libc6) => /nonexistent/32bit/libcuda.so.1\nEOF\n`,
  );
  execFileSync('chmod', ['-R', 'a+rX', drv]);
  fs.chmodSync(ldconfig, 0o755);
  const env = { CTRSAFE_LDCONFIG: ldconfig, CTRSAFE_GPU_DEV_DIR: path.join(drv, 'dev') };
  const dry = run(['--gpu', '--dry-run', ROOTFS, '--', '/bin/true'], env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`--ro-bind ${drv}/lib/libcuda.so.1 /.ctrsafe/nvidia/lib/libcuda.so.1`));
  assert.match(dry.stdout, new RegExp(`--dev-bind ${drv}/dev/nvidia0 /dev/nvidia0`));
  assert.doesNotMatch(dry.stdout, /libz|\/dev\/null /, 'only the NVIDIA driver, nothing else');
  const inside = run(
    [
      '--gpu',
      ROOTFS,
      '--',
      '/bin/sh',
      '-c',
      'cat /.ctrsafe/nvidia/lib/libcuda.so.1; echo $LD_LIBRARY_PATH; ls /dev/nvidiactl',
    ],
    env,
  );
  assert.equal(inside.code, 0, inside.stderr);
  assert.deepEqual(inside.stdout.trim().split('\n'), [
    'fake libcuda.so.1',
    '/.ctrsafe/nvidia/lib',
    '/dev/nvidiactl',
  ]);
});

test('a site image policy refuses an image before it runs', () => {
  const pol = path.join(scratch('ctrsafe-pol-'), 'image-policy.yaml');
  fs.writeFileSync(pol, 'version: 1\nkinds:\n  setuid: deny\n');
  fs.chmodSync(pol, 0o644);
  const r = run(['--policy', pol, ROOTFS, '--', '/bin/true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^ctrsafe run: refused: image refused: setuid \/usr\/bin\/suid-id: /);
});

test('under require_signature: trusted, run launches the signed SIF and refuses it changed or signed by another key', async () => {
  const dir = scratch('ctrsafe-signed-');
  const sqfs = path.join(dir, 'img.sqfs');
  execFileSync('mksquashfs', [ROOTFS, sqfs, '-noappend', '-quiet', '-no-progress', '-all-root'], {
    stdio: 'ignore',
  });
  const part = {
    type: DT.partition,
    group: 1,
    data: fs.readFileSync(sqfs),
    extra: partitionExtra(FS.squashfs, PART.primary),
  };
  const site = ed25519Pair();
  const other = ed25519Pair();
  const keyFile = (name: string, pem: string) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, pem, { mode: 0o644 });
    return f;
  };
  const siteKey = keyFile('site.pem', site.pem);
  const otherKey = keyFile('other.pem', other.pem);
  const sign = (m: string) => dsseEnvelope(m, site.privateKey);
  const signed = await writeSignedSif(path.join(dir, 'signed.sif'), [part], sign);
  // A byte inside the squashfs partition (4096-aligned after the descriptor table), flipped after signing.
  const tampered = await writeSignedSif(path.join(dir, 'tampered.sif'), [part], sign, {
    mutate: (b) => {
      b[32768 + 200] = b[32768 + 200]! ^ 0x01;
    },
  });
  const pol = path.join(dir, 'image-policy.yaml');
  // The proof binaries are setuid and capability-carrying (run makes them inert): only signatures are at stake.
  fs.writeFileSync(
    pol,
    'version: 1\nrequire_signature: trusted\nkinds:\n  setuid: allow\n  file-capability: allow\n',
    { mode: 0o644 },
  );
  const ok = run(['--policy', pol, '--keyring', siteKey, signed, '--', '/bin/true']);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = run(['--policy', pol, '--keyring', siteKey, tampered, '--', '/bin/true']);
  assert.equal(bad.code, 125);
  assert.match(
    bad.stderr,
    /^ctrsafe run: refused: image refused: sif-signature-invalid: .*data of object 1 changed/,
  );
  const foreign = run(['--policy', pol, '--keyring', otherKey, signed, '--', '/bin/true']);
  assert.equal(foreign.code, 125);
  assert.match(foreign.stderr, /refused: image refused: sif-untrusted-key: /);
});

const slurmConf = process.env.CTRSAFE_TEST_SLURM_CONF;
test(
  'srun: one container per task in a multi-task job',
  { skip: slurmConf ? false : 'no Slurm started' },
  () => {
    const argv = [
      'srun',
      '-p',
      'debug',
      '-n',
      '2',
      '-t',
      '2',
      NODE,
      BIN,
      'run',
      ROOTFS,
      '--',
      '/bin/sh',
      '-c',
      'echo task=$SLURM_PROCID uid=$(id -u)',
    ];
    const r = spawnSync(
      asRoot ? 'runuser' : argv[0]!,
      asRoot ? ['-u', USER, '--', 'env', `SLURM_CONF=${slurmConf}`, ...argv] : argv.slice(1),
      {
        encoding: 'utf8',
        cwd: '/tmp',
        timeout: 120_000,
        env: { ...USER_ENV, SLURM_CONF: slurmConf! },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), [`task=0 uid=${UID}`, `task=1 uid=${UID}`]);
  },
);

/** Appends a layer to the layout's only tag, the way a registry tool would: new blobs, new manifest. */
function appendLayer(layout: string, tarFile: string): void {
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const blob = (data: Buffer | string, mediaType: string) => {
    fs.writeFileSync(path.join(layout, 'blobs/sha256', sha(data)), data);
    return { mediaType, digest: `sha256:${sha(data)}`, size: Buffer.byteLength(data) };
  };
  type Descriptor = { mediaType: string; digest: string; size: number; annotations?: unknown };
  const read = (d: string): unknown =>
    JSON.parse(fs.readFileSync(path.join(layout, 'blobs/sha256', d.slice(7)), 'utf8'));
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: Descriptor[];
  };
  const manifest = read(index.manifests[0]!.digest) as { config: Descriptor; layers: Descriptor[] };
  const config = read(manifest.config.digest) as { rootfs: { diff_ids: string[] } };
  const raw = fs.readFileSync(tarFile);
  config.rootfs.diff_ids.push(`sha256:${sha(raw)}`);
  manifest.config = blob(JSON.stringify(config), 'application/vnd.oci.image.config.v1+json');
  manifest.layers.push(blob(zlib.gzipSync(raw), 'application/vnd.oci.image.layer.v1.tar+gzip'));
  index.manifests[0] = {
    ...blob(JSON.stringify(manifest), 'application/vnd.oci.image.manifest.v1+json'),
    annotations: index.manifests[0]!.annotations,
  };
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
}

/** Appends a layer holding NAME -> a fresh host directory, then one holding NAME/pwned; returns the directory. */
function hostileLayerPair(layout: string, work: string, name: string, fileFirst: boolean): string {
  const victim = scratch('ctrsafe-victim-');
  const lower = path.join(work, `${name}-lower`);
  fs.mkdirSync(lower);
  fs.symlinkSync(victim, path.join(lower, name));
  execFileSync('tar', ['-C', lower, '-cf', `${lower}.tar`, name]);
  const upper = path.join(work, `${name}-upper`);
  fs.mkdirSync(path.join(upper, name), { recursive: true });
  fs.writeFileSync(path.join(upper, name, 'pwned'), 'written through a symlink\n');
  const members = fileFirst ? ['--no-recursion', `${name}/pwned`, name] : [`${name}/pwned`];
  execFileSync('tar', ['-C', upper, '-cf', `${upper}.tar`, ...members]);
  appendLayer(layout, `${lower}.tar`);
  appendLayer(layout, `${upper}.tar`);
  fs.chmodSync(victim, 0o777);
  return victim;
}

test('OCI layouts and oci-archives: layers in order, whiteouts applied, nothing written through a lower symlink', () => {
  const work = scratch('ctrsafe-oci-');
  const layout = path.join(work, 'oci');
  const umoci = (...a: string[]) => execFileSync('umoci', a, { cwd: work, stdio: 'ignore' });
  umoci('init', '--layout', layout);
  umoci('new', '--image', `${layout}:img`);
  umoci('unpack', '--rootless', '--image', `${layout}:img`, 'b1');
  execFileSync('cp', ['-a', `${ROOTFS}/.`, path.join(work, 'b1/rootfs/')]);
  fs.writeFileSync(path.join(work, 'b1/rootfs/etc/todelete'), 'lower layer\n');
  umoci('repack', '--image', `${layout}:img`, 'b1');
  umoci('unpack', '--rootless', '--image', `${layout}:img`, 'b2');
  fs.rmSync(path.join(work, 'b2/rootfs/etc/todelete'));
  fs.writeFileSync(path.join(work, 'b2/rootfs/etc/added'), 'upper layer\n');
  umoci('repack', '--image', `${layout}:img`, 'b2');
  // Two hostile pairs of layers: a symlink to a host directory, then a file "inside" it; in the second pair the
  // file comes before its directory's own entry (tar would replace the symlink only after writing through it).
  const victim = hostileLayerPair(layout, work, 'evil', false);
  const victim2 = hostileLayerPair(layout, work, 'also', true);
  const archive = path.join(work, 'img.oci.tar');
  execFileSync('skopeo', ['copy', `oci:${layout}:img`, `oci-archive:${archive}`], { stdio: 'ignore' });
  execFileSync('chmod', ['-R', 'a+rX', work]);
  const cache = path.join(scratch('ctrsafe-cache-'), 'c');
  if (asRoot) fs.chownSync(path.dirname(cache), UID, UID);
  for (const img of [layout, archive]) {
    const r = run(['--cache', cache, img, '--', '/bin/ls', '/etc']);
    assert.equal(r.code, 0, `${img}: ${r.stderr}`);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['added', 'group', 'passwd'], img);
    assert.deepEqual(fs.readdirSync(victim), [], 'nothing was written through the lower layer’s symlink');
    assert.deepEqual(fs.readdirSync(victim2), [], 'not even when the file comes before its directory');
    assert.equal(
      run(['--cache', cache, img, '--', '/bin/cat', '/also/pwned']).stdout,
      'written through a symlink\n',
      'the upper directory replaced the symlink',
    );
  }
});

test('the tasks of one job share one unpack of an image (srun -n 4 on one node)', async () => {
  const dir = scratch('ctrsafe-many-');
  const tgz = path.join(dir, 'img.tar.gz');
  execFileSync('tar', ['-C', ROOTFS, '-czf', tgz, '.']);
  fs.chmodSync(tgz, 0o644);
  const cache = path.join(scratch('ctrsafe-cache-'), 'c');
  if (asRoot) fs.chownSync(path.dirname(cache), UID, UID);
  const one = () =>
    new Promise<number | null>((resolve) => {
      const argv = [NODE, BIN, 'run', '--cache', cache, tgz, '--', '/bin/true'];
      spawnAsUser(argv).on('close', resolve);
    });
  assert.deepEqual(await Promise.all([one(), one(), one(), one()]), [0, 0, 0, 0]);
  const entries = fs.readdirSync(cache);
  assert.equal(entries.filter((n) => /^[0-9a-f]{64}$/.test(n)).length, 1);
  assert.deepEqual(
    entries.filter((n) => /\.(tmp-|lock)/.test(n)),
    [],
  );
});

test('unpacking bounds the bytes it writes and answers a broken archive with one line', async () => {
  const dest = scratch('ctrsafe-extract-');
  const tar = path.join(dest, 'big.tar');
  const src = scratch('ctrsafe-extract-src-');
  fs.writeFileSync(path.join(src, 'big'), Buffer.alloc(200_000));
  execFileSync('tar', ['-C', src, '-cf', tar, 'big']);
  const out = path.join(dest, 'out');
  fs.mkdirSync(out);
  await assert.rejects(
    extractSanitized(fs.createReadStream(tar), out, 'big.tar', { maxBytes: 100_000 }),
    /^InputError: unpacking big\.tar: big\.tar is larger than 100000 bytes unpacked$/,
  );
  await assert.rejects(
    extractSanitized(Readable.from([Buffer.alloc(512, 7)]), out, 'garbage', {}),
    /^InputError: unpacking garbage: tar header field at 148 is not octal: "(\\u0007)+"$/,
  );
  await extractSanitized(fs.createReadStream(tar), out, 'big.tar', { maxBytes: 1_000_000 });
  assert.equal(fs.statSync(path.join(out, 'big')).size, 200_000, 'under the limit it unpacks whole');
});

test(
  'as root for another user (sudo) run refuses; as root it takes no program or test override from the environment',
  { skip: !asRoot },
  () => {
    const asRootRun = (args: string[], env: Record<string, string>) => {
      const r = spawnSync(NODE, [BIN, 'run', ...args], {
        encoding: 'utf8',
        cwd: '/tmp',
        timeout: 120_000,
        env: { ...process.env, ...env },
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const secret = scratch('ctrsafe-rootonly-');
    fs.chmodSync(secret, 0o700);
    const sudo = asRootRun(['--bind', `${secret}:/data`, ROOTFS, '--', '/usr/bin/id', '-u'], {
      SUDO_UID: String(UID),
      SUDO_GID: String(UID),
      SUDO_USER: USER,
    });
    assert.equal(sudo.code, 125, sudo.stdout);
    assert.match(sudo.stderr, /^ctrsafe run: refused: ctrsafe run is running as root for uid \d+ \(sudo/);
    // A fake ldconfig (the test override, or first in PATH) names /etc/shadow as libcuda; a fake nvidia-smi links to it.
    const fake = scratch('ctrsafe-fakeld-');
    fs.writeFileSync(
      path.join(fake, 'ldconfig'),
      "#!/bin/sh\nprintf '\\tlibcuda.so.1 (libc6,x86-64) => /etc/shadow\\n'\n",
      { mode: 0o755 },
    );
    fs.symlinkSync('/etc/shadow', path.join(fake, 'nvidia-smi'));
    const dry = asRootRun(['--gpu', '--dry-run', ROOTFS, '--', '/bin/true'], {
      CTRSAFE_LDCONFIG: path.join(fake, 'ldconfig'),
      CTRSAFE_GPU_DEV_DIR: fake,
      PATH: `${fake}:${process.env.PATH}`,
    });
    assert.equal(dry.code, 0, dry.stderr);
    assert.doesNotMatch(dry.stdout, /\/etc\/shadow/);
    assert.doesNotMatch(dry.stdout, new RegExp(fake));
  },
);

test('run identity (pure): root for root is fine; root for another needs the administrator and binds they could open', async () => {
  const { rootForOtherProblem, runIdentity } = await import('../../src/run/run-identity.js');
  const who = runIdentity({ euid: 0, uid: 0, gid: 0 }, { SUDO_UID: '1001', SUDO_GID: '1001' });
  assert.deepEqual(who, { callerUid: 1001, callerGid: 1001, privileged: true });
  const never = () => false;
  assert.match(rootForOtherProblem(who, false, [], never) ?? '', /needs no privilege/);
  assert.equal(rootForOtherProblem(who, true, [], never), null);
  assert.match(
    rootForOtherProblem(who, true, [{ src: '/root', readOnly: false }], never) ?? '',
    /^--bind \/root: uid 1001 could not write it/,
  );
  assert.equal(rootForOtherProblem(runIdentity({ euid: 0, uid: 0, gid: 0 }, {}), false, [], never), null);
  assert.equal(
    rootForOtherProblem(runIdentity({ euid: 1001, uid: 1001, gid: 1001 }, {}), false, [], never),
    null,
  );
});
