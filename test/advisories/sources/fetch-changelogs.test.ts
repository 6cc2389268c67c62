// The builder's download cache: the user's own directory, never a fixed /tmp name; nothing read from or written
// through a directory or file another user controls; a real .deb's changelog read without leaving the .deb behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  changelogFromDeb,
  defaultDistroCache,
  Fetcher,
} from '../../../src/advisories/sources/fetch-changelogs.js';

const asRoot = process.getuid?.() === 0;
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-fetch-'));

test('the default cache is the user’s own cache directory', () => {
  assert.equal(defaultDistroCache({ XDG_CACHE_HOME: '/c' }), '/c/ctrsafe/distro-cache');
  const home = path.join(os.homedir(), '.cache/ctrsafe/distro-cache');
  assert.equal(defaultDistroCache({}), home);
  // A relative XDG_CACHE_HOME is invalid (XDG Base Directory Specification): ignored.
  assert.equal(defaultDistroCache({ XDG_CACHE_HOME: 'rel' }), home);
});

test('downloads are cached by URL, 404s too; each URL is fetched once', async () => {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === '/missing') res.writeHead(404).end();
    else res.writeHead(200).end(`body of ${req.url}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = scratch();
  try {
    const cache = path.join(dir, 'cache');
    for (let i = 0; i < 2; i++) {
      const f = new Fetcher(cache);
      assert.equal((await f.get(`${base}/a`))?.toString(), 'body of /a');
      assert.equal(await f.get(`${base}/missing`), null);
    }
    assert.deepEqual(hits, ['/a', '/missing']);
    assert.equal(fs.statSync(cache).mode & 0o777, 0o700);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a cache directory others can write is refused; so is a cached file another user planted',
  { skip: !asRoot },
  async () => {
    const dir = scratch();
    try {
      const open = path.join(dir, 'open');
      fs.mkdirSync(open, { mode: 0o777 });
      fs.chmodSync(open, 0o777);
      assert.throws(() => new Fetcher(open), /others can write this directory/);
      const cache = path.join(dir, 'cache');
      const f = new Fetcher(cache);
      // What a file of someone else's at the URL's name would decide, were it read.
      const url = 'http://127.0.0.1:9/never-fetched';
      const key = (await import('node:crypto')).createHash('sha256').update(url).digest('hex');
      fs.writeFileSync(path.join(cache, key), 'planted');
      const uid = Number(execFileSync('id', ['-u', 'ctrtest'], { encoding: 'utf8' }));
      fs.chownSync(path.join(cache, key), uid, uid);
      await assert.rejects(f.get(url), /not a regular file of ours/);
      // A link planted at the name is not followed.
      fs.rmSync(path.join(cache, key));
      fs.symlinkSync('/etc/hostname', path.join(cache, key));
      await assert.rejects(f.get(url), /ELOOP|symbolic link/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('a real .deb’s changelog.Debian.gz is read from the cached download itself: no second copy is written', async () => {
  const dir = scratch();
  const bodies = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const body = bodies.get(req.url ?? '');
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const root = path.join(dir, 'pkg');
    fs.mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr/share/doc/runc'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'DEBIAN/control'),
      'Package: runc\nVersion: 1.1.5+ds1-1+deb12u1\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: t\n',
    );
    const text = 'runc (1.1.5+ds1-1+deb12u1) bookworm-security; urgency=medium\n\n  * CVE-2024-21626\n';
    fs.writeFileSync(path.join(root, 'usr/share/doc/runc/changelog.Debian.gz'), gzipSync(text));
    const deb = path.join(dir, 'runc.deb');
    execFileSync('dpkg-deb', ['--root-owner-group', '-b', root, deb], { stdio: 'ignore' });
    bodies.set('/runc.deb', fs.readFileSync(deb));
    bodies.set('/bad.deb', Buffer.from('not a deb'));
    const f = new Fetcher(path.join(dir, 'cache'));
    assert.equal(f.withCached(`${base}/runc.deb`, changelogFromDeb), null, 'not fetched yet');
    assert.ok(await f.get(`${base}/runc.deb`));
    assert.equal(f.withCached(`${base}/runc.deb`, changelogFromDeb), text);
    assert.equal(f.dir.list().length, 1, 'the cached download only');
    assert.ok(await f.get(`${base}/bad.deb`));
    assert.equal(f.withCached(`${base}/bad.deb`, changelogFromDeb), null);
    assert.equal(f.dir.list().length, 2);
    // A builder without dpkg-deb is told so; it must not read as "no changelog" and leave the fixes out.
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    for (const tool of ['bash', 'tar'])
      fs.symlinkSync(execFileSync('which', [tool], { encoding: 'utf8' }).trim(), path.join(bin, tool));
    const savedPath = process.env.PATH;
    process.env.PATH = bin;
    try {
      assert.throws(() => f.withCached(`${base}/runc.deb`, changelogFromDeb), /dpkg-deb.*not found/);
    } finally {
      process.env.PATH = savedPath;
    }
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
