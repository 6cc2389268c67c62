// The scanner conventions on a real fixture host: --severity, --exit-code, an ignore file with end dates, -o, and
// the csv and junit formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runMain } from '../helpers/run-main.js';
import { BIN, FIXTURES, writeTree } from '../helpers/tree.js';

const HOST = path.join(FIXTURES, 'centos7-default');

async function reportOf(argv: string[]) {
  const r = await runMain(['check', '--root', HOST, '--format', 'json', ...argv]);
  return {
    ...r,
    json: JSON.parse(r.stdout) as {
      findings: { id: string; status: string; severity: string }[];
      vulnerabilities: { id: string; status: string; severity: string }[];
    },
  };
}

test('--severity narrows what counts; --exit-code turns what remains into a status', async () => {
  const all = await reportOf([]);
  const mediumFails = all.json.findings.filter((f) => f.status === 'fail' && f.severity === 'medium');
  assert.ok(mediumFails.length >= 2, 'the CentOS 7 fixture fails medium rules (user namespaces off, nosuid)');
  const medium = await reportOf(['--severity', 'medium', '--exit-code', '3']);
  assert.equal(medium.code, 3);
  assert.ok(medium.json.findings.every((f) => f.severity === 'medium' || f.status === 'pass'));
  assert.ok(medium.json.vulnerabilities.every((v) => v.severity === 'medium'));
  const critical = await reportOf(['--severity', 'CRITICAL', '--exit-code', '3']);
  assert.equal(
    critical.code,
    critical.json.findings.some((f) => f.status === 'fail') ||
      critical.json.vulnerabilities.some((v) => v.status === 'affected')
      ? 3
      : 0,
  );
  assert.equal((await runMain(['check', '--root', HOST, '--severity', 'urgent'])).code, 2);
});

test('an ignore file sets findings aside with a reason until its end date, then stops', async () => {
  const all = await reportOf(['--severity', 'medium']);
  const failing = [
    ...all.json.findings.filter((f) => f.status === 'fail'),
    ...all.json.vulnerabilities.filter((v) => v.status === 'affected'),
  ];
  const dir = writeTree({
    'ignore.yaml': failing
      .map(
        (f) => `- id: ${f.id}\n  scope: cn01*\n  reason: accepted risk, ticket 4411\n  expires: 2999-12-31\n`,
      )
      .join(''),
    'expired.yaml': `- id: ${failing[0]!.id}\n  reason: was accepted\n  expires: 2020-01-31\n`,
    'elsewhere.yaml': `- id: ${failing[0]!.id}\n  scope: gpu*\n  reason: only the GPU nodes\n  expires: 2999-12-31\n`,
  });
  const ignored = await reportOf([
    '--severity',
    'medium',
    '--exit-code',
    '3',
    '--ignorefile',
    path.join(dir, 'ignore.yaml'),
  ]);
  assert.equal(ignored.code, 0, ignored.stderr);
  assert.match(ignored.stderr, new RegExp(`${failing.length} results? ignored`));
  const expired = await reportOf([
    '--severity',
    'medium',
    '--exit-code',
    '3',
    '--ignorefile',
    path.join(dir, 'expired.yaml'),
  ]);
  assert.equal(expired.code, 3);
  assert.match(expired.stderr, /expired on 2020-01-31 .*not applied/);
  const scoped = await reportOf([
    '--severity',
    'medium',
    '--exit-code',
    '3',
    '--ignorefile',
    path.join(dir, 'elsewhere.yaml'),
  ]);
  assert.equal(scoped.code, 3, 'an entry scoped to other hosts does not apply to cn0101');
  const broken = writeTree({ 'i.yaml': '- id: CS-K002\n  reason: x\n' });
  const r = await runMain(['check', '--root', HOST, '--ignorefile', path.join(broken, 'i.yaml')]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /entry 1\.reason: a waiver must say why|entry 1\.expires/);
});

test('-o writes a new file atomically and replaces a planted link, never its target', async () => {
  const dir = writeTree({ 'victim.txt': 'keep me\n' });
  // Sticky and open to all, as /tmp: anyone could have planted the link.
  fs.chmodSync(dir, 0o1777);
  fs.symlinkSync(path.join(dir, 'victim.txt'), path.join(dir, 'out.json'));
  const r = await runMain(['check', '--root', HOST, '--format', 'json', '-o', path.join(dir, 'out.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(fs.readFileSync(path.join(dir, 'victim.txt'), 'utf8'), 'keep me\n');
  assert.ok(fs.lstatSync(path.join(dir, 'out.json')).isFile());
  assert.equal(
    (JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as { schema: string }).schema,
    'ctrsafe.report/1',
  );
  assert.deepEqual(fs.readdirSync(dir).sort(), ['out.json', 'victim.txt'], 'no temporary file left');
  const bad = await runMain(['check', '--root', HOST, '-o', '/nonexistent/dir/out.json']);
  assert.equal(bad.code, 4);
  assert.match(
    bad.stderr,
    /^ctrsafe: -o \/nonexistent\/dir\/out\.json: cannot write there: .*\/nonexistent: does not exist\n$/,
  );
  assert.match((await runMain(['check', '--root', HOST, '-o', dir])).stderr, /-o .*: is a directory/);
});

test('attack: -o never writes in or through a directory another user can change; a sticky one such as /tmp will do', async (t) => {
  const sticky = writeTree({});
  fs.chmodSync(sticky, 0o1777);
  const inSticky = path.join(sticky, 'r.json');
  assert.equal((await runMain(['check', '--root', HOST, '--format', 'json', '-o', inSticky])).code, 0);
  assert.equal((fs.statSync(inSticky).mode & 0o777).toString(8), '644');
  // Others can write here and it is not sticky: they could rename the file or the directory under ctrsafe.
  const open = writeTree({});
  fs.chmodSync(open, 0o777);
  const r = await runMain(['check', '--root', HOST, '-o', path.join(open, 'sub', 'r.json')]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /cannot write there: .*a directory on the way that another user can write/);
  assert.deepEqual(fs.readdirSync(open), []);
  if (process.getuid?.() !== 0) return t.skip('the other-user half needs root');
  // A user's own directory, and a link in it, as root: the user could point either anywhere (/etc/cron.d).
  const uid = Number(execFileSync('id', ['-u', 'ctrtest'], { encoding: 'utf8' }).trim());
  const home = writeTree({});
  fs.chmodSync(home, 0o755);
  const users = path.join(home, 'u');
  fs.mkdirSync(users);
  fs.chownSync(users, uid, uid);
  const target = writeTree({});
  fs.symlinkSync(target, path.join(users, 'link'));
  for (const out of [path.join(users, 'r.json'), path.join(users, 'link', 'r.json')]) {
    const u = await runMain(['check', '--root', HOST, '-o', out]);
    assert.equal(u.code, 4, out);
    assert.match(u.stderr, /cannot write there: .*(another user owns this directory|another user can write)/);
  }
  assert.deepEqual(fs.readdirSync(users), ['link']);
  assert.deepEqual(fs.readdirSync(target), []);
});

test(
  '-o to a device or a link root put in its own directory writes to it, never replaces it',
  { skip: process.getuid?.() !== 0 },
  async () => {
    const json = (out: string) => runMain(['check', '--root', HOST, '--format', 'json', '-o', out]);
    // -o /dev/null as root once replaced the device with a regular file. A device of the test's own stands for it.
    const dir = writeTree({ 'target.json': 'old\n' });
    fs.chmodSync(path.join(dir, 'target.json'), 0o600);
    execFileSync('mknod', [path.join(dir, 'null'), 'c', '1', '3']);
    assert.equal((await json(path.join(dir, 'null'))).code, 0);
    assert.ok(fs.lstatSync(path.join(dir, 'null')).isCharacterDevice(), 'still the device');
    // A link to a regular file, in a directory only root can write: the file it names is written (its mode kept),
    // the link stays.
    fs.symlinkSync('target.json', path.join(dir, 'report.json'));
    assert.equal((await json(path.join(dir, 'report.json'))).code, 0);
    assert.ok(fs.lstatSync(path.join(dir, 'report.json')).isSymbolicLink());
    assert.match(fs.readFileSync(path.join(dir, 'target.json'), 'utf8'), /"schema": "ctrsafe.report\/1"/);
    assert.equal(fs.statSync(path.join(dir, 'target.json')).mode & 0o777, 0o600);
    // -o /dev/stdout is this process's standard output, whatever it is: a pipe, or a file (never reopened by name,
    // which would have replaced the file).
    const viaShell = (redirect: string) =>
      spawnSync(
        'sh',
        [
          '-c',
          `"$@" ${redirect}`,
          'sh',
          process.execPath,
          BIN,
          'check',
          '--root',
          HOST,
          '--format',
          'json',
          '-o',
          '/dev/stdout',
        ],
        {
          encoding: 'utf8',
        },
      );
    const piped = viaShell('| cat');
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal((JSON.parse(piped.stdout) as { schema: string }).schema, 'ctrsafe.report/1');
    const log = path.join(dir, 'log');
    fs.writeFileSync(log, 'earlier line\n');
    const ino = fs.statSync(log).ino;
    assert.equal(viaShell(`>> ${log}`).status, 0);
    assert.match(fs.readFileSync(log, 'utf8'), /^earlier line\n\{/);
    assert.equal(fs.statSync(log).ino, ino, 'the same file, appended to');
    // A block device or a socket is not written; a FIFO without a reader is said at once, not waited on.
    execFileSync('mknod', [path.join(dir, 'disk'), 'b', '7', '200']);
    assert.match((await json(path.join(dir, 'disk'))).stderr, /disk: a block device: not written/);
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    assert.match((await json(path.join(dir, 'fifo'))).stderr, /fifo: nobody reads it \(ENXIO\)/);
  },
);

test(
  "attack: -o through root's own link into a directory users can write is walked again: refused, or the name replaced",
  { skip: process.getuid?.() !== 0 },
  async () => {
    const uid = Number(execFileSync('id', ['-u', 'ctrtest'], { encoding: 'utf8' }).trim());
    const json = (out: string) => runMain(['check', '--root', HOST, '--format', 'json', '-o', out]);
    const mine = writeTree({ victim: 'keep me\n' });
    const root = writeTree({});
    // World-writable, not sticky: any user could swap what is there. The link into it is refused.
    const open = writeTree({});
    fs.chmodSync(open, 0o777);
    fs.symlinkSync(path.join(open, 'r.json'), path.join(root, 'to-open'));
    const r = await json(path.join(root, 'to-open'));
    assert.equal(r.code, 4);
    assert.match(r.stderr, /cannot write there: .*others can write this directory/);
    assert.deepEqual(fs.readdirSync(open), []);
    // Sticky, as /tmp: the user's link to root's file and the user's FIFO are replaced, never written through or
    // waited on.
    const sticky = writeTree({});
    fs.chmodSync(sticky, 0o1777);
    fs.symlinkSync(path.join(mine, 'victim'), path.join(sticky, 'link'));
    execFileSync('mkfifo', [path.join(sticky, 'fifo')]);
    fs.lchownSync(path.join(sticky, 'link'), uid, uid);
    fs.chownSync(path.join(sticky, 'fifo'), uid, uid);
    for (const name of ['link', 'fifo']) {
      fs.symlinkSync(path.join(sticky, name), path.join(root, `to-${name}`));
      const w = await json(path.join(root, `to-${name}`));
      assert.equal(w.code, 0, w.stderr);
      assert.ok(fs.lstatSync(path.join(sticky, name)).isFile(), `${name}: replaced by the report`);
    }
    assert.equal(fs.readFileSync(path.join(mine, 'victim'), 'utf8'), 'keep me\n');
    // A user's file at the name does not choose the mode of root's report (0666: anyone could edit it).
    fs.writeFileSync(path.join(sticky, 'mode.json'), '');
    fs.chmodSync(path.join(sticky, 'mode.json'), 0o666);
    fs.chownSync(path.join(sticky, 'mode.json'), uid, uid);
    assert.equal((await json(path.join(sticky, 'mode.json'))).code, 0);
    const st = fs.statSync(path.join(sticky, 'mode.json'));
    assert.deepEqual([st.uid, st.mode & 0o777], [0, 0o644]);
  },
);

test('-o: a ".." after a link goes where the kernel goes (the parent of its target), in the name and in a link target', async () => {
  const json = (out: string) => runMain(['check', '--root', HOST, '--format', 'json', '-o', out]);
  // top/lnk -> real/inner: top/lnk/.. is top/real for the kernel, top itself as text.
  const top = writeTree({ 'real/inner/.keep': '' });
  fs.symlinkSync('real/inner', path.join(top, 'lnk'));
  // What the kernel makes of it (realpath(3) asks it; path.join and fs.realpathSync would take "lnk/.." away as text).
  assert.equal(fs.realpathSync.native(`${top}/lnk/..`), fs.realpathSync(path.join(top, 'real')));
  assert.equal((await json(`${top}/lnk/../a.json`)).code, 0);
  assert.ok(fs.existsSync(path.join(top, 'real', 'a.json')));
  assert.ok(!fs.existsSync(path.join(top, 'a.json')), 'not where path.resolve would have put it');
  // A link whose target has "lnk/.." in it: followed as the kernel follows it.
  fs.symlinkSync('lnk/../b.json', path.join(top, 'to-b'));
  assert.equal((await json(path.join(top, 'to-b'))).code, 0);
  assert.ok(fs.existsSync(path.join(top, 'real', 'b.json')));
  assert.ok(!fs.existsSync(path.join(top, 'b.json')));
  assert.ok(fs.lstatSync(path.join(top, 'to-b')).isSymbolicLink(), 'the link stays');
  // A name that ends in a directory is one line, whichever way it is written.
  for (const d of [`${top}/lnk/..`, `${top}/real/`, `${top}/.`])
    assert.match((await json(d)).stderr, /: is a directory\n$/, d);
  // Another process's descriptors (and the rest of /proc) are not written to, however they are reached.
  fs.symlinkSync('/proc/1/fd/0', path.join(top, 'to-proc'));
  const up = '/..'.repeat(top.split('/').filter(Boolean).length);
  for (const d of [path.join(top, 'to-proc'), `${top}${up}/proc/1/fd/0`]) {
    const r = await json(d);
    assert.equal(r.code, 4, d);
    assert.match(r.stderr, /in \/proc \(\/proc\/1\/fd\): not written/, d);
  }
  // A process's root (or cwd) in /proc is the kernel's jump to an object, not the path its link text names.
  const viaRoot = await json(`/proc/1/root${top}/c.json`);
  assert.equal(viaRoot.code, 4);
  assert.match(viaRoot.stderr, /\/proc\/1\/root is a link in \/proc: not followed/);
  assert.ok(!fs.existsSync(path.join(top, 'c.json')));
});

test('csv and junit carry every rule and vulnerability', async () => {
  const json = await reportOf([]);
  const csv = (await runMain(['check', '--root', HOST, '--format', 'csv'])).stdout
    .split('\r\n')
    .filter(Boolean);
  assert.equal(csv.length, 1 + json.json.findings.length + json.json.vulnerabilities.length);
  const dir = writeTree({});
  const out = path.join(dir, 'junit.xml');
  assert.equal((await runMain(['check', '--root', HOST, '--format', 'junit', '-o', out])).code, 0);
  // Parsed by a real XML parser: well-formed, and the counts add up.
  const counts = execFileSync(
    'python3',
    [
      '-c',
      'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); print(r.get("tests"), r.get("failures"), len(r.findall(".//testcase")), len(r.findall(".//failure")))',
      out,
    ],
    { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } },
  )
    .trim()
    .split(' ')
    .map(Number);
  const failures =
    json.json.findings.filter((f) => f.status === 'fail').length +
    json.json.vulnerabilities.filter((v) => v.status === 'affected').length;
  assert.deepEqual(counts, [csv.length - 1, failures, csv.length - 1, failures]);
});

test('text output: a runtime that is not installed says so, and its readiness is shown as hypothetical', async () => {
  const r = await runMain(['check', '--root', HOST]);
  assert.equal(r.code, 0, r.stderr);
  const json = (await reportOf([])).json as unknown as { runtimes: { id: string; installed: boolean }[] };
  const missing = json.runtimes.filter((rt) => !rt.installed).map((rt) => rt.id);
  assert.ok(missing.length > 0, 'the CentOS 7 fixture lacks some runtimes');
  for (const id of missing) {
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${id} `))!;
    assert.match(line, /^\S+\s+not installed\s+\(default: \S+\)\s+\((yes|no|unknown)\)\s+\(\w+\)$/, line);
  }
  assert.match(r.stdout, /in parentheses: not installed/);
});
