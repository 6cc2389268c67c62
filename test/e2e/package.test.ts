// The .deb and .rpm as sites install them: built with Debian's tools, clean under lintian and rpmlint (every
// override explained), the .deb installed into a fresh debootstrapped Debian tree whose ctrsafe check runs, the
// systemd units verified there, the .rpm installed with rpm --root into a scratch tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from '../helpers/tree.js';

const OUT = path.join(REPO, 'dist/packages');
const { version } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  version: string;
};
const DEB = path.join(OUT, `ctrsafe_${version}-1_amd64.deb`);
const RPM = path.join(OUT, `ctrsafe-${version}-1.x86_64.rpm`);
const DEBIAN = process.env.CTRSAFE_TEST_DEBIAN_ROOT;

const EXPECTED = [
  '/usr/bin/ctrsafe',
  '/etc/ctrsafe/ctrsafe.conf',
  '/usr/lib/systemd/system/ctrsafe-check.service',
  '/usr/lib/systemd/system/ctrsafe-check.timer',
  '/usr/lib/systemd/system/ctrsafe-fleet.service',
  '/usr/lib/sysusers.d/ctrsafe.conf',
  '/usr/share/man/man1/ctrsafe.1.gz',
  '/usr/share/man/man1/ctrsafe-check.1.gz',
  '/usr/share/man/man5/ctrsafe.conf.5.gz',
  '/usr/share/bash-completion/completions/ctrsafe',
  '/usr/share/zsh/vendor-completions/_ctrsafe',
  '/usr/libexec/ctrsafe/slurm-prolog',
  '/usr/share/doc/ctrsafe/copyright',
];

const skip =
  process.platform !== 'linux' || process.arch !== 'x64' || process.getuid?.() !== 0
    ? 'needs root on linux x64'
    : false;

test(
  'npm run package builds a .deb and an .rpm holding the executable, pages, completions, units and config',
  { skip },
  () => {
    execFileSync(process.execPath, [path.join(REPO, 'scripts/package.mjs')], {
      env: { ...process.env, CTRSAFE_PACKAGE_COMPRESSION: 'none' },
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    });
    const debFiles = execFileSync('dpkg-deb', ['-c', DEB], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(/\s+/).at(-1)!.replace(/^\./, ''));
    const rpmFiles = execFileSync('rpm', ['-qpl', RPM], { encoding: 'utf8' }).split('\n');
    for (const f of EXPECTED) {
      assert.ok(debFiles.includes(f), `.deb lacks ${f}`);
      assert.ok(rpmFiles.includes(f), `.rpm lacks ${f}`);
    }
    assert.match(
      execFileSync('dpkg-deb', ['-f', DEB, 'Depends'], { encoding: 'utf8' }),
      /libc6 \(>= 2\.28\)/,
    );
    assert.match(
      execFileSync('rpm', ['-qp', '--configfiles', RPM], { encoding: 'utf8' }),
      /^\/etc\/ctrsafe\/ctrsafe\.conf$/m,
    );
    assert.match(
      execFileSync('dpkg-deb', ['-I', DEB, 'conffiles'], { encoding: 'utf8' }),
      /^\/etc\/ctrsafe\/ctrsafe\.conf$/m,
    );
    // Checked while the tests below install and build: lintian alone takes about half of this file's time.
    linting = lint();
    linting.catch(() => undefined); // awaited, and so reported, by the lintian test at the end
  },
);

/** lintian and rpmlint on the packages, started by the build test, read by the last test of this file. */
let linting: Promise<[Checked, Checked]> | undefined;

/** What a checker printed on its standard output, and with its standard error. */
type Checked = { out: string; all: string };

/** Runs a checker to its end whatever its exit status: lintian and rpmlint report through their output. */
function output(cmd: string, args: string[]): Promise<Checked> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ out: stdout, all: stdout + stderr });
    });
  });
}

/** The debootstrapped tree scripts/test.sh started building when the suite began. */
function debianTree(): string | null {
  if (!DEBIAN) return null;
  const status = path.join(DEBIAN, 'status');
  const deadline = Date.now() + 20 * 60_000;
  while (!fs.existsSync(status) && Date.now() < deadline) spawnSync('sleep', ['2']);
  const code = fs.existsSync(status) ? fs.readFileSync(status, 'utf8').trim() : 'timeout';
  assert.equal(
    code,
    '0',
    `debootstrap failed (${code}): ${fs.readFileSync(path.join(DEBIAN, 'log'), 'utf8').slice(-2000)}`,
  );
  return path.join(DEBIAN, 'tree');
}

test(
  'the .deb installs into a fresh Debian tree; its ctrsafe check runs there; its units verify',
  {
    skip:
      skip ||
      (!DEBIAN && !process.env.CI ? 'needs CTRSAFE_TEST_DEBIAN_ROOT (scripts/test.sh makes one)' : false),
  },
  () => {
    const tree = debianTree();
    assert.ok(tree, 'CI must provide the Debian tree (scripts/test.sh)');
    fs.copyFileSync(DEB, path.join(tree, 'tmp/ctrsafe.deb'));
    execFileSync('chroot', [tree, 'dpkg', '-i', '/tmp/ctrsafe.deb'], { stdio: 'ignore' });
    assert.equal(
      fs.statSync(path.join(tree, 'var/cache/ctrsafe')).mode & 0o7777,
      0o755,
      'postinst made the cache directory',
    );
    assert.match(
      execFileSync('chroot', [tree, 'getent', 'passwd', 'ctrsafe'], { encoding: 'utf8' }),
      /^ctrsafe:x:\d+:\d+:.*:\/usr\/sbin\/nologin$/m,
    );
    // The executable embeds Node 24 LTS; the tree has no Node at all.
    assert.equal(fs.existsSync(path.join(tree, 'usr/bin/node')), false);
    assert.match(
      execFileSync('chroot', [tree, 'ctrsafe', '--version'], { encoding: 'utf8' }),
      /^ctrsafe \S+ \(Node v24\./,
    );
    // /proc as a node has it, in a mount namespace of the test's own.
    const r = spawnSync(
      'unshare',
      [
        '--mount',
        '--fork',
        'sh',
        '-c',
        `mount -t proc proc "$1/proc" && chroot "$1" ctrsafe check --format json`,
        'x',
        tree,
      ],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      schema: string;
      host: { os: { id: string }; container: { inside: boolean; kind: string | null } };
      runtimes: { ready: string; reasons: string[] }[];
      features: { id: string; state: string; how: string; evidence: string }[];
    };
    assert.equal(report.schema, 'ctrsafe.report/1');
    assert.equal(report.host.os.id, 'debian');
    assert.equal(report.runtimes.length, 8);
    // The chroot is said, not mistaken for the host: no readiness, and the user namespace probe (which the
    // kernel refuses to a chrooted process) is not blamed on the host's switches.
    assert.deepEqual(report.host.container, { inside: true, kind: 'chroot' });
    for (const rt of report.runtimes) {
      assert.equal(rt.ready, 'unknown');
      assert.ok(
        rt.reasons.some((x) => /runs in a chroot/.test(x)),
        rt.reasons.join('; '),
      );
    }
    const userns = report.features.find((f) => f.id === 'unprivileged_userns')!;
    assert.ok(!(userns.state === 'no' && userns.how === 'probe'), JSON.stringify(userns));
    const v = spawnSync(
      'systemd-analyze',
      [
        'verify',
        '--man=no',
        `--root=${tree}`,
        ...['ctrsafe-check.service', 'ctrsafe-check.timer', 'ctrsafe-fleet.service'].map(
          (u) => `/usr/lib/systemd/system/${u}`,
        ),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stderr.trim(), '', v.stderr);
    execFileSync('chroot', [tree, 'dpkg', '--purge', 'ctrsafe'], { stdio: 'ignore' });
    assert.equal(fs.existsSync(path.join(tree, 'usr/bin/ctrsafe')), false);
    assert.equal(fs.existsSync(path.join(tree, 'var/cache/ctrsafe')), false, 'purge removed the cache');
  },
);

test('the .rpm installs with rpm --root into a scratch tree', { skip }, () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-rpmroot-'));
  try {
    // An empty tree has no glibc in its RPM database and no shell for the scriptlets.
    execFileSync('rpm', ['--root', scratch, '--nodeps', '--noscripts', '-i', RPM], { stdio: 'ignore' });
    assert.match(
      execFileSync('rpm', ['--root', scratch, '-q', 'ctrsafe'], { encoding: 'utf8' }),
      new RegExp(`^ctrsafe-${version}-1\\.x86_64$`, 'm'),
    );
    for (const f of EXPECTED)
      assert.ok(fs.existsSync(path.join(scratch, f)), `rpm --root did not install ${f}`);
    assert.equal(fs.statSync(path.join(scratch, 'usr/bin/ctrsafe')).mode & 0o777, 0o755);
    // The code cache's directory: root's, closed to others (scripts/code-cache.cjs uses no other).
    assert.equal(fs.statSync(path.join(scratch, 'var/cache/ctrsafe')).mode & 0o7777, 0o755);
    assert.match(
      execFileSync(path.join(scratch, 'usr/bin/ctrsafe'), ['--version'], { encoding: 'utf8' }),
      /\(Node v24\./,
    );
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

/** e_machine of an ELF header (elf(5)): 62 x86-64, 183 AArch64. */
const elfMachine = (head: Buffer) => (head.readUInt32BE(0) === 0x7f454c46 ? head.readUInt16LE(18) : null);

test(
  'arm64 packages for aarch64 nodes (Grace Hopper, Ampere) are built here, and their executable runs under qemu',
  { skip },
  () => {
    execFileSync(process.execPath, [path.join(REPO, 'scripts/package.mjs'), 'arm64'], {
      env: { ...process.env, CTRSAFE_PACKAGE_COMPRESSION: 'none' },
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 600_000,
    });
    const deb = path.join(OUT, `ctrsafe_${version}-1_arm64.deb`);
    const rpm = path.join(OUT, `ctrsafe-${version}-1.aarch64.rpm`);
    assert.ok(fs.existsSync(DEB), 'the amd64 packages stay beside the arm64 ones');
    assert.equal(execFileSync('dpkg-deb', ['-f', deb, 'Architecture'], { encoding: 'utf8' }).trim(), 'arm64');
    assert.equal(execFileSync('rpm', ['-qp', '--qf', '%{ARCH}', rpm], { encoding: 'utf8' }), 'aarch64');
    const rpmFiles = execFileSync('rpm', ['-qpl', rpm], { encoding: 'utf8' }).split('\n');
    for (const f of EXPECTED) assert.ok(rpmFiles.includes(f), `.rpm lacks ${f}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-arm64-'));
    try {
      execFileSync('dpkg-deb', ['-x', deb, dir]);
      for (const f of EXPECTED) assert.ok(fs.existsSync(path.join(dir, f)), `.deb lacks ${f}`);
      const bin = path.join(dir, 'usr/bin/ctrsafe');
      const head = Buffer.alloc(20);
      const fd = fs.openSync(bin, 'r');
      fs.readSync(fd, head, 0, 20, 0);
      fs.closeSync(fd);
      assert.equal(elfMachine(head), 183, 'an AArch64 executable');
      // Debian's qemu-user-static and arm64 cross libraries (scripts/test.sh installs them) run it here.
      const qemu = '/usr/bin/qemu-aarch64-static';
      const sysroot = '/usr/aarch64-linux-gnu';
      if (!fs.existsSync(qemu) || !fs.existsSync(`${sysroot}/lib/ld-linux-aarch64.so.1`)) {
        assert.ok(
          !process.env.CI,
          'CI runs the arm64 executable (scripts/test.sh installs qemu-user-static)',
        );
        return;
      }
      const run = (...args: string[]) =>
        execFileSync(qemu, ['-L', sysroot, bin, ...args], { encoding: 'utf8', timeout: 300_000 });
      assert.match(
        run('--version'),
        new RegExp(`^ctrsafe ${version.replace(/\./g, '\\.')} \\(Node v24\\.\\S+, linux arm64\\)`),
      );
      // Real work on the arm64 build: a PGP-signed SIF from the sylabs/sif tests verified against its key (the SIF
      // reader, openpgp.js and the crypto underneath). `check` starts itself again for its watchdog, which qemu-user
      // cannot follow without binfmt_misc, so it is run on arm64 hardware, not here.
      const samples = path.join(REPO, '../shared/reference/sif-samples');
      assert.match(
        run(
          'image',
          'verify',
          path.join(samples, 'one-group-signed-pgp.sif'),
          '--keyring',
          path.join(samples, 'keys/pgp-public.asc'),
        ),
        /signature: verified by 12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

/** Both at once, as child processes: each is one single-threaded process, and they run while this file goes on. */
function lint(): Promise<[Checked, Checked]> {
  return Promise.all([
    // The test build is uncompressed (CTRSAFE_PACKAGE_COMPRESSION=none); release builds use xz.
    output('lintian', [
      '--tag-display-limit',
      '0',
      '--suppress-tags',
      'uses-no-compression-for-control-tarball,uses-no-compression-for-data-tarball',
      DEB,
    ]),
    output('rpmlint', ['-r', path.join(REPO, 'contrib/packaging/rpmlintrc'), RPM]),
  ]);
}

test('lintian and rpmlint find nothing that is not explained', { skip }, async () => {
  assert.ok(linting, 'the packages were built and handed to lintian and rpmlint');
  const [l, r] = await linting;
  const tags = l.out.split('\n').filter((x) => /^[EWI]: /.test(x));
  assert.deepEqual(tags, [], l.all);
  assert.match(r.out, /0 errors, 0 warnings/, r.all);
});
