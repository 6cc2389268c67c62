// The bundle's launcher keeps Node's compile cache only where no other user can write: a user's own cache
// directory, root's /var/cache/ctrsafe when it is root's and closed to others; never elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from './helpers/tree.js';

/** The package's bin: the launcher that turns the cache on, then loads the bundle. */
const BIN = path.join(REPO, 'dist/bundle/ctrsafe-launch.cjs');

// Node 24 LTS from the registry (scripts/fetch-node.mjs): the Node the compile cache needs (22.1 and later).
const node24 = execFileSync(process.execPath, [path.join(REPO, 'scripts/fetch-node.mjs')], {
  encoding: 'utf8',
}).trim();

test("a user's start fills the compile cache in their own cache directory, and the next start uses it", () => {
  const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-cc-'));
  // As a user (root's cache is /var/cache/ctrsafe, the next test): ctrtest in CI, this user elsewhere.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['ctrtest', cacheHome]);
  const argv = [node24, BIN, '--version'];
  const cmd = asRoot
    ? ['runuser', '-u', 'ctrtest', '--', 'env', `XDG_CACHE_HOME=${cacheHome}`, ...argv]
    : argv;
  for (let i = 0; i < 2; i++) {
    const r = spawnSync(cmd[0]!, cmd.slice(1), {
      encoding: 'utf8',
      cwd: '/',
      env: { ...process.env, XDG_CACHE_HOME: cacheHome },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\(Node v24\./);
  }
  const dir = path.join(cacheHome, 'ctrsafe/compile');
  const entries = fs.readdirSync(dir);
  assert.equal(entries.length, 1, 'one cache per Node version');
  assert.ok(fs.readdirSync(path.join(dir, entries[0]!)).length > 0, 'compiled code was kept');
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
        node24,
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
