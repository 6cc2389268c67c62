// Times `ctrsafe run DIR -- /bin/true` against bare bwrap with the same arguments, Charliecloud's ch-run, podman run
// of the same image and `node -e 0`, interleaved; target: overhead over bwrap <= Node's start, >= 3x podman.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runInterleaved, type Cmd } from './interleaved.js';

const runs = Number(process.env.BENCH_RUNS ?? 11);
const bin = path.join(path.dirname(new URL(import.meta.url).pathname), '../bundle/ctrsafe-launch.cjs'); // the package's bin, as users run it

/** A small root file system from this host's binaries and their libraries. */
function rootfs(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-run-bench-'));
  for (const b of ['/bin/sh', '/bin/true', '/usr/bin/id']) {
    const libs = execFileSync('ldd', [fs.realpathSync(b)], { encoding: 'utf8' }).match(/\/\S+/g) ?? [];
    for (const f of [b, ...libs]) {
      const dst = path.join(root, f);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      if (!fs.existsSync(dst)) fs.copyFileSync(fs.realpathSync(f), dst);
    }
  }
  for (const d of ['tmp', 'proc', 'dev', 'sys', 'etc', 'home'])
    fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  execFileSync('chmod', ['-R', 'a+rX', root]);
  return root;
}

const dir = rootfs();
const dry = spawnSync(process.execPath, [bin, 'run', '--dry-run', dir, '--', '/bin/true'], {
  encoding: 'utf8',
});
if (dry.status !== 0) throw new Error(`ctrsafe run --dry-run failed: ${dry.stderr}`);
// The dry run keeps the files its command line binds (passwd, group) and names their directory: removed at exit.
const kept = /--dry-run keeps (\S+),/.exec(dry.stderr)?.[1];
if (kept) process.on('exit', () => fs.rmSync(kept, { recursive: true, force: true }));
// The dry run prints the exact bwrap command line; shell-unquote its simple words.
const bwrapArgv = dry.stdout
  .trim()
  .split(' ')
  .map((w) => w.replace(/^'(.*)'$/, '$1'));
const cmds: Cmd[] = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { name: 'bwrap (same arguments)', argv: bwrapArgv },
  { name: 'ctrsafe run DIR -- /bin/true', argv: [process.execPath, bin, 'run', dir, '--', '/bin/true'] },
];
const sea = path.join(path.dirname(bin), '../sea/ctrsafe');
if (fs.existsSync(sea))
  cmds.push({ name: 'ctrsafe run (single executable)', argv: [sea, 'run', dir, '--', '/bin/true'] });
else console.log('npm run sea builds the single executable, timed here when present');
if (fs.existsSync('/usr/bin/ch-run'))
  cmds.push({
    name: 'ch-run DIR -- /bin/true',
    argv: ['/usr/bin/ch-run', dir, '--', '/bin/true'],
    env: { ...process.env, USER: os.userInfo().username },
  });
let podmanImage: string | null = null;
if (fs.existsSync('/usr/bin/podman')) {
  const tar = path.join(os.tmpdir(), `ctrsafe-run-bench-${process.pid}.tar`);
  execFileSync('tar', ['-C', dir, '-cf', tar, '.']);
  const imp = spawnSync('podman', ['import', tar, 'localhost/ctrsafe-run-bench:latest'], {
    encoding: 'utf8',
  });
  fs.rmSync(tar, { force: true });
  if (imp.status === 0) {
    podmanImage = 'localhost/ctrsafe-run-bench:latest';
    // recipes.md: as root podman needs lower ulimits here, and runc on hybrid cgroups.
    const argv = [
      'podman',
      'run',
      '--rm',
      '--pull',
      'never',
      '--network',
      'host',
      '--runtime',
      'runc',
      '--ulimit',
      'nofile=1024:4096',
      '--ulimit',
      'nproc=4096:4096',
      podmanImage,
      '/bin/true',
    ];
    const probe = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    if (probe.status === 0) cmds.push({ name: 'podman run --rm IMAGE /bin/true', argv });
    else
      console.log(
        `podman run does not work here (apt-get install runc?): ${probe.stderr.trim().split('\n').pop()}`,
      );
  } else console.log(`podman import failed: ${imp.stderr.trim().split('\n').pop()}`);
}
const m = runInterleaved(cmds, runs);
const node = m.get('node -e 0')!;
const bw = m.get('bwrap (same arguments)')!;
const ct = m.get('ctrsafe run DIR -- /bin/true')!;
console.log(
  `ctrsafe run overhead over bwrap: ${(ct - bw).toFixed(1)} ms = ${((ct - bw) / node).toFixed(2)}x node -e 0 (target <= 1.00); ` +
    `ctrsafe run / bwrap = ${(ct / bw).toFixed(2)}`,
);
const pm = m.get('podman run --rm IMAGE /bin/true');
if (pm) console.log(`podman run / ctrsafe run = ${(pm / ct).toFixed(2)} (target >= 3.00)`);
const st = m.get('ctrsafe run (single executable)');
if (st)
  console.log(
    `single executable: overhead over bwrap ${((st - bw) / node).toFixed(2)}x node -e 0; podman run / it = ${pm ? (pm / st).toFixed(2) : '-'}`,
  );
const ch = m.get('ch-run DIR -- /bin/true');
if (ch) console.log(`ctrsafe run / ch-run = ${(ct / ch).toFixed(2)}`);
if (podmanImage) spawnSync('podman', ['rmi', '-f', podmanImage], { stdio: 'ignore' });
fs.rmSync(dir, { recursive: true, force: true });
