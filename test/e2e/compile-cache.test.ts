// The package's bin keeps a V8 code cache of the bundle, per command, on every supported Node, and only where no
// other user can write: a user's own cache directory, root's /var/cache/ctrsafe when it is root's and closed to
// others; never elsewhere. A cache that V8 refuses costs a slower start and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from '../helpers/tree.js';

/**
 * The package's bin (the launcher that loads the bundle with the cache) and Node 24, copied where the test user can
 * read them: a checkout may sit in a directory closed to others (`mktemp -d` makes it 0700), and Node 24 is kept
 * inside the checkout (node_modules/.cache).
 */
const STAGE = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-cc-bin-'));
fs.chmodSync(STAGE, 0o755);
for (const f of fs.readdirSync(path.join(REPO, 'dist/bundle')))
  fs.cpSync(path.join(REPO, 'dist/bundle', f), path.join(STAGE, f), { preserveTimestamps: true });
const BIN = path.join(STAGE, 'ctrsafe-launch.cjs');

// The machine's Node and Node 24 LTS from the registry (scripts/fetch-node.mjs): the cache is V8's, so each keeps its own.
const node24 = path.join(STAGE, 'node24');
fs.copyFileSync(
  execFileSync(process.execPath, [path.join(REPO, 'scripts/fetch-node.mjs')], { encoding: 'utf8' }).trim(),
  node24,
);
fs.chmodSync(node24, 0o755);
/** The machine's Node (scripts/test.sh names it; the suite itself runs on Node 24), copied too. */
const machineNode = path.join(STAGE, 'node');
if (process.env.CI)
  assert.ok(process.env.CTRSAFE_TEST_MACHINE_NODE, "scripts/test.sh names the machine's Node");
fs.copyFileSync(process.env.CTRSAFE_TEST_MACHINE_NODE ?? process.execPath, machineNode);
fs.chmodSync(machineNode, 0o755);
process.on('exit', () => fs.rmSync(STAGE, { recursive: true, force: true }));

/** Runs the bin as a user (ctrtest when the suite runs as root) with its cache under cacheHome. */
function runAsUser(node: string, cacheHome: string, args: string[]): { stdout: string; stderr: string } {
  const asRoot = process.getuid?.() === 0;
  const argv = [node, BIN, ...args];
  const cmd = asRoot
    ? ['runuser', '-u', 'ctrtest', '--', 'env', `XDG_CACHE_HOME=${cacheHome}`, 'CTRSAFE_DEBUG=1', ...argv]
    : argv;
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    encoding: 'utf8',
    cwd: '/',
    env: { ...process.env, XDG_CACHE_HOME: cacheHome, CTRSAFE_DEBUG: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  return r;
}

/** A fresh cache home in the user's own home directory (the cache is never kept below a directory others can write). */
function userCacheHome(): string {
  const asRoot = process.getuid?.() === 0;
  const home = asRoot
    ? execFileSync('getent', ['passwd', 'ctrtest'], { encoding: 'utf8' }).split(':')[5]!
    : os.homedir();
  const cacheHome = fs.mkdtempSync(path.join(home, '.ctrsafe-cc-'));
  if (asRoot) execFileSync('chown', ['ctrtest:ctrtest', cacheHome]);
  return cacheHome;
}

for (const [label, node] of [
  ['the machine', machineNode],
  ['Node 24 LTS', node24],
] as const)
  test(`${label}'s Node: the first start writes a code cache in the user's own directory, the next uses it`, () => {
    const cacheHome = userCacheHome();
    const first = runAsUser(node, cacheHome, ['--version']);
    assert.match(first.stdout, /^ctrsafe \d/);
    assert.match(first.stderr, /code cache \S+ absent[\s\S]*code cache \S+ written/);
    const next = runAsUser(node, cacheHome, ['--version']);
    assert.match(next.stdout, /^ctrsafe \d/);
    assert.match(next.stderr, /code cache \S+ used/);
    const dir = path.join(cacheHome, 'ctrsafe/compile');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700, "the directory is the user's alone");
    const [entry, ...more] = fs.readdirSync(dir);
    assert.deepEqual(more, [], 'one cache for one command on one Node');
    assert.match(entry!, /^other-v\d+\.\d+\.\d+-x64-\d+-\d+\.v8$/, '--version is not a command word');
    assert.equal(fs.statSync(path.join(dir, entry!)).mode & 0o777, 0o600);
    assert.ok(fs.statSync(path.join(dir, entry!)).size > 10_000, 'compiled code was kept');
  });

test('no cache below a directory others can write (a cache home in /tmp): nothing is made there', () => {
  const open = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-cc-open-'));
  fs.chmodSync(open, 0o1777);
  const cacheHome = path.join(open, 'cache');
  const r = runAsUser(machineNode, cacheHome, ['--version']);
  assert.match(r.stdout, /^ctrsafe \d/);
  // The first directory on the way that others can write is named: /tmp itself, or the one made for the test.
  const named = /code cache not used: (\S+) is not root's or this user's directory/.exec(r.stderr)?.[1];
  assert.ok(named !== undefined && `${open}/`.startsWith(`${named.replace(/\/$/, '')}/`), r.stderr);
  assert.ok((fs.statSync(named).mode & 0o002) !== 0, `${named} is one others can write`);
  assert.equal(fs.existsSync(cacheHome), false, 'nothing was created under the open directory');
});

test('a damaged cache never reaches V8 (its deserializer would abort Node): it is replaced, and the command runs', () => {
  const cacheHome = userCacheHome();
  runAsUser(machineNode, cacheHome, ['rules', '--format', 'json']);
  const dir = path.join(cacheHome, 'ctrsafe/compile');
  const [entry] = fs.readdirSync(dir);
  assert.match(entry!, /^rules-/, 'one cache per command word');
  const file = path.join(dir, entry!);
  const good = fs.readFileSync(file);
  fs.writeFileSync(file, Buffer.concat([good.subarray(0, 64), Buffer.alloc(good.length - 64, 0x41)]));
  const r = runAsUser(machineNode, cacheHome, ['rules', '--format', 'json']);
  assert.ok((JSON.parse(r.stdout) as unknown[]).length > 10, 'the rules were listed');
  assert.match(r.stderr, /code cache \S+ damaged[\s\S]*written/);
  assert.notEqual(fs.readFileSync(file).subarray(-16).toString('latin1'), 'A'.repeat(16), 'rewritten');
});

test("as root: /var/cache/ctrsafe is used when it is root's and closed to others, never when others can write it", () => {
  if (process.getuid?.() !== 0) return;
  // A private /var/cache/ctrsafe in a mount namespace of the test's own: the host's is not touched.
  const probe = (mode: string) => {
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-varcache-'));
    fs.chmodSync(fake, Number.parseInt(mode, 8));
    const r = spawnSync(
      'unshare',
      [
        '--mount',
        'sh',
        '-c',
        'mkdir -p /var/cache/ctrsafe && mount --bind "$1" /var/cache/ctrsafe && "$2" "$3" --version >/dev/null && ls -A /var/cache/ctrsafe',
        'x',
        fake,
        process.execPath,
        BIN,
      ],
      { encoding: 'utf8', env: { ...process.env, HOME: '/nonexistent' } },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.equal(probe('755'), 'compile');
  assert.equal(probe('777'), '', 'a directory others can write holds no code root runs');
  assert.equal(probe('775'), '');
});
