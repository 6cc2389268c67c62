// The fact cache: facts kept by the identity of the file they came from, reused only while that file is the same,
// kept only where no other user can write, and never an error when the cache itself is damaged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FactCache, fileIdentity, setDigest } from '../../src/host/fact-cache.js';
import { readDpkgPackages } from '../../src/collect/collect-packages.js';
import { HostRoot } from '../../src/host/host-root.js';
import { writeTree } from '../helpers/tree.js';

const isNumber = (v: unknown): v is number => typeof v === 'number';

function cacheDir(): string {
  const dir = path.join(writeTree({}), 'cache');
  fs.mkdirSync(dir, { mode: 0o700 });
  return dir;
}

test('a kept fact is read back only under the same key, the same ctrsafe version and with the right shape', () => {
  const dir = cacheDir();
  const c = FactCache.openAt({ dir, create: false }, '1.0.0');
  c.set('answer', 'k1', 42);
  c.save();
  assert.equal(fs.statSync(path.join(dir, 'facts.json')).mode & 0o777, 0o600);
  const again = FactCache.openAt({ dir, create: false }, '1.0.0');
  assert.equal(again.get('answer', 'k1', isNumber), 42);
  assert.equal(again.get('answer', 'k2', isNumber), undefined, 'another key: the file changed');
  assert.equal(
    again.get('answer', 'k1', (v): v is string => typeof v === 'string'),
    undefined,
    'wrong shape',
  );
  assert.equal(FactCache.openAt({ dir, create: false }, '1.0.1').get('answer', 'k1', isNumber), undefined);
});

test('a damaged cache, one in a directory others can write, and none at all are empty caches, never errors', () => {
  const dir = cacheDir();
  for (const junk of [
    '{',
    'null',
    '[]',
    '{"stamp":1}',
    JSON.stringify({ stamp: '1 1.0.0', entries: { a: 7 } }),
  ]) {
    fs.writeFileSync(path.join(dir, 'facts.json'), junk, { mode: 0o600 });
    const c = FactCache.openAt({ dir, create: false }, '1.0.0');
    assert.equal(c.get('a', 'k', isNumber), undefined, junk);
    c.set('a', 'k', 1);
    c.save();
    assert.equal(
      FactCache.openAt({ dir, create: false }, '1.0.0').get('a', 'k', isNumber),
      1,
      'rewritten whole',
    );
  }
  // A directory anyone can write (not sticky): another user could have put the facts there.
  const open = cacheDir();
  fs.writeFileSync(
    path.join(open, 'facts.json'),
    JSON.stringify({ stamp: '1 1.0.0', entries: { a: { key: 'k', value: 1 } } }),
  );
  fs.chmodSync(open, 0o777);
  const planted = FactCache.openAt({ dir: open, create: false }, '1.0.0');
  assert.equal(planted.get('a', 'k', isNumber), undefined);
  planted.set('a', 'k', 2);
  planted.save();
  assert.equal(
    (
      JSON.parse(fs.readFileSync(path.join(open, 'facts.json'), 'utf8')) as {
        entries: { a: { value: number } };
      }
    ).entries.a.value,
    1,
    'not written',
  );
  const none = FactCache.none();
  none.set('a', 'k', 1);
  none.save();
  assert.equal(none.get('a', 'k', isNumber), undefined);
  const missing = FactCache.openAt({ dir: path.join(writeTree({}), 'absent'), create: false }, '1.0.0');
  missing.set('a', 'k', 1);
  missing.save();
});

test('a file’s identity changes when its bytes change, even at the same size and modification time', () => {
  const f = path.join(writeTree({ status: 'Package: a\n' }), 'status');
  fs.utimesSync(f, 1_000_000_000, 1_000_000_000);
  const before = fileIdentity(fs.statSync(f));
  // The kernel stamps ctime at its clock tick (a few ms): a rewrite within the same tick would look the same.
  // dpkg replaces its status file by rename (a new inode), which the identity tells apart at once.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  fs.writeFileSync(f, 'Package: b\n');
  fs.utimesSync(f, 1_000_000_000, 1_000_000_000);
  const after = fs.statSync(f);
  assert.equal(after.mtimeMs, 1_000_000_000_000);
  assert.notEqual(fileIdentity(after), before, 'ctime is part of it, and no one can set ctime');
  assert.equal(setDigest(['b', 'a']), setDigest(['a', 'b']));
  assert.notEqual(setDigest(['a']), setDigest(['a', 'b']));
});

test('live: the dpkg database and changelogs read through the cache give what a fresh read gives', (t) => {
  if (!fs.existsSync('/var/lib/dpkg/status')) return t.skip('not a dpkg host');
  const cves = new Set(['CVE-2022-4122', 'CVE-2024-9407', 'CVE-2023-0778', 'CVE-2024-3727', 'CVE-2019-5736']);
  const fresh = readDpkgPackages(HostRoot.live(), cves);
  const dir = cacheDir();
  const first = FactCache.openAt({ dir, create: false }, 'test');
  const viaMiss = readDpkgPackages(HostRoot.live({ cache: first }), cves);
  first.save();
  const kept = JSON.parse(fs.readFileSync(path.join(dir, 'facts.json'), 'utf8')) as {
    entries: Record<string, { key: string }>;
  };
  assert.ok(kept.entries['dpkg status'], 'the parsed status file is kept');
  const root = HostRoot.live({ cache: FactCache.openAt({ dir, create: false }, 'test') });
  const viaHit = readDpkgPackages(root, cves);
  for (const r of [viaMiss, viaHit]) {
    assert.deepEqual([...r.byName], [...fresh.byName]);
    assert.deepEqual(r.kernels, fresh.kernels);
  }
  // A hit still names the files the facts came from: a snapshot of this host copies them.
  assert.ok(root.accesses().some((a) => a.path === '/var/lib/dpkg/status'));
  // Facts kept under another file identity are not used.
  const forged = JSON.parse(fs.readFileSync(path.join(dir, 'facts.json'), 'utf8')) as {
    entries: Record<string, { key: string; value: unknown }>;
  };
  forged.entries['dpkg status'] = {
    key: '1:2:3:4:5',
    value: [['podman', { version: '99', source: 'podman' }]],
  };
  fs.writeFileSync(path.join(dir, 'facts.json'), JSON.stringify(forged));
  const stale = readDpkgPackages(
    HostRoot.live({ cache: FactCache.openAt({ dir, create: false }, 'test') }),
    cves,
  );
  assert.deepEqual([...stale.byName], [...fresh.byName]);
});
