// The baseline and strict profiles on a stock-looking root tree: what stock distribution trees carry passes under
// baseline with its reason, everything else is judged as before, and a site's policy always speaks first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditImage, type ImageReport } from '../../src/image/audit-image.js';
import { loadPolicy } from '../../src/image/image-policy.js';
import { runMain } from '../helpers/run-main.js';
import { writeTree } from '../helpers/tree.js';

const work = writeTree({});
const image = path.join(work, 'stock.tar');
// Devices as debootstrap leaves them (numbers from devices(7)), plus the ones a baseline must still flag.
const py = [
  'import io, sys, tarfile',
  't = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)',
  'def add(name, kind=tarfile.REGTYPE, link="", major=0, minor=0, uid=0, gid=0, mode=0o644):',
  '    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.mode = mode',
  '    i.devmajor = major; i.devminor = minor; i.uid = uid; i.gid = gid',
  '    t.addfile(i, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)',
  'for d in ["dev", "etc", "usr", "usr/bin", "home", "home/x"]: add(d, tarfile.DIRTYPE, mode=0o755)',
  'add("dev/null", tarfile.CHRTYPE, major=1, minor=3, mode=0o666)',
  'add("dev/zero", tarfile.CHRTYPE, major=1, minor=5, mode=0o666)',
  'add("dev/ptmx", tarfile.CHRTYPE, major=5, minor=2, mode=0o666)',
  'add("dev/mem", tarfile.CHRTYPE, major=1, minor=1, mode=0o640)',
  'add("dev/sda", tarfile.BLKTYPE, major=8, minor=0, mode=0o660)',
  'add("home/x/null", tarfile.CHRTYPE, major=1, minor=3, mode=0o666)',
  'add("usr/bin/awk", tarfile.SYMTYPE, "/etc/alternatives/awk")',
  'add("etc/shadow", uid=0, gid=42, mode=0o640)',
  'add("etc/passwd-copy", uid=0, gid=42, mode=0o644)',
  'add("home/x/shadow", uid=1000, gid=42, mode=0o640)',
  't.close()',
].join('\n');
execFileSync('/usr/bin/python3', ['-c', py, image]);
fs.chmodSync(image, 0o644);

const notPassed = (r: ImageReport) =>
  r.findings
    .filter((f) => f.status !== 'pass' && f.path !== null)
    .map((f) => `${f.id} ${f.path}`)
    .sort();

const STRICT = [
  'absolute-symlink /usr/bin/awk',
  'device /dev/mem',
  'device /dev/null',
  'device /dev/ptmx',
  'device /dev/sda',
  'device /dev/zero',
  'device /home/x/null',
  'foreign-owner /etc/passwd-copy',
  'foreign-owner /etc/shadow',
  'foreign-owner /home/x/shadow',
  'world-writable /dev/null',
  'world-writable /dev/ptmx',
  'world-writable /dev/zero',
  'world-writable /home/x/null',
];

test('strict judges every finding by its kind', async () => {
  const r = await auditImage(image, { profile: 'strict' });
  assert.equal(r.profile, 'strict');
  assert.deepEqual(notPassed(r), STRICT);
});

test('baseline passes stock pseudo devices, absolute links and the shadow group, with the reason, and nothing else', async () => {
  const r = await auditImage(image);
  assert.equal(r.profile, 'baseline', 'baseline is the default');
  assert.deepEqual(notPassed(r), [
    'device /dev/mem',
    'device /dev/sda',
    'device /home/x/null',
    'foreign-owner /etc/passwd-copy',
    'foreign-owner /home/x/shadow',
    'world-writable /home/x/null',
  ]);
  const nul = r.findings.find((f) => f.path === '/dev/null')!;
  assert.equal(nul.severity, 'info');
  assert.match(nul.evidence, /char device 1:3; baseline profile: a standard pseudo device/);
  assert.deepEqual(nul.device, { type: 'char', major: 1, minor: 3 });
  assert.match(
    r.findings.find((f) => f.path === '/usr/bin/awk')!.evidence,
    /baseline profile: an absolute link/,
  );
});

test("a site's policy speaks before the profile: its deny still fails a baseline finding, its profile key is read", async () => {
  const dir = writeTree({
    'deny.yaml': 'version: 1\nkinds:\n  absolute-symlink: deny\n',
    'strict.yaml': 'version: 1\nprofile: strict\n',
    'bad.yaml': 'version: 1\nprofile: lenient\n',
  });
  const denied = await auditImage(image, { policy: loadPolicy(path.join(dir, 'deny.yaml')) });
  assert.equal(denied.findings.find((f) => f.path === '/usr/bin/awk')?.status, 'fail');
  assert.equal(denied.findings.find((f) => f.path === '/dev/null')?.status, 'pass');
  const strict = await auditImage(image, { policy: loadPolicy(path.join(dir, 'strict.yaml')) });
  assert.deepEqual(notPassed(strict), STRICT);
  assert.throws(() => loadPolicy(path.join(dir, 'bad.yaml')), /profile: must be baseline or strict/);
  const cli = await runMain([
    'image',
    'audit',
    image,
    '--profile',
    'strict',
    '--policy',
    path.join(dir, 'deny.yaml'),
  ]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /\/dev\/null/);
  const json = JSON.parse((await runMain(['image', 'audit', image, '--format', 'json'])).stdout) as {
    profile: string;
  };
  assert.equal(json.profile, 'baseline');
});
