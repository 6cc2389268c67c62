// Verdicts bound to bytes: the gate and run hash, audit and launch one private copy of an image (or the image
// itself, opened once, where only the caller or root can write it), so an owner flipping the image through a
// shared mapping cannot get a verdict cached, or a tree unpacked, for bytes that were not judged (issue 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gateImage } from '../../src/gate/gate-image.js';
import { prepareRootfs } from '../../src/run/prepare-rootfs.js';
import { startFlipping, stopFlipping } from '../helpers/mmap-flip.js';
import { writeTree } from '../helpers/tree.js';

/** Two squashfs images of one size, with uncompressed tables, that differ only where the tree does. */
function twoVersions(files: Record<string, string>, modeA: number, modeB: number, fileB?: string) {
  const out: Buffer[] = [];
  for (const [mode, content] of [
    [modeA, undefined],
    [modeB, fileB],
  ] as const) {
    const tree = writeTree(content === undefined ? files : { ...files, [Object.keys(files)[0]!]: content });
    const first = path.join(tree, Object.keys(files)[0]!);
    fs.chmodSync(first, mode);
    const img = path.join(writeTree({}), 'v.sqfs');
    // Fixed times and no compression of inodes or data: the versions differ in a few bytes at one place.
    execFileSync(
      'mksquashfs',
      [tree, img, '-noappend', '-quiet', '-no-progress', '-all-root', '-noI', '-noD', '-noF', '-noX'].concat([
        '-mkfs-time',
        '0',
        '-all-time',
        '0',
      ]),
      { stdio: 'ignore' },
    );
    out.push(fs.readFileSync(img));
  }
  return out as [Buffer, Buffer];
}

const OTHER =
  process.getuid?.() === 0 ? Number(execFileSync('id', ['-u', 'ctrtest'], { encoding: 'utf8' })) : -1;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('an image flipped through a shared mapping never gets a pass cached for the bytes that were not audited', async () => {
  const [clean, bad] = twoVersions({ 'usr/bin/su2': '#!/bin/sh\n' }, 0o755, 0o4755);
  const dir = writeTree({});
  const image = path.join(dir, 'image.sqfs');
  const caches: string[] = [];
  const verdicts: { pass: boolean; digest: string; source: string }[] = [];
  const flipper = await startFlipping(image, clean, bad);
  try {
    for (let i = 0; i < 24; i++) {
      const cache = path.join(dir, `cache-${i}`);
      caches.push(cache);
      const r = await gateImage(image, { policyFile: null, cacheDir: cache, env: {}, timeoutMs: 60_000 });
      verdicts.push(r);
    }
  } finally {
    await stopFlipping(flipper);
  }
  assert.ok(verdicts.some((v) => v.source === 'audit'));
  for (const v of verdicts)
    assert.ok(!(v.pass && v.digest === sha(bad)), 'a pass was given under the setuid image’s digest');
  // The attack's payoff: a fresh copy of the bad image elsewhere, judged from the cache.
  const copy = path.join(dir, 'elsewhere.sqfs');
  fs.writeFileSync(copy, bad);
  for (const cache of caches) {
    const r = await gateImage(copy, { policyFile: null, cacheDir: cache, env: {}, timeoutMs: 60_000 });
    assert.equal(r.pass, false, `${cache}: ${r.line} (${r.source})`);
  }
});

test('run unpacks exactly the bytes whose digest names the cached tree, while the image is flipped', async () => {
  const [clean, bad] = twoVersions({ 'etc/motd': 'clean\n' }, 0o644, 0o644, 'evil!\n');
  const dir = writeTree({});
  const image = path.join(dir, 'image.sqfs');
  const flipper = await startFlipping(image, clean, bad);
  // The image belongs to someone else (ctrtest flips it; here root does it for them): run must not read it twice.
  if (process.getuid?.() === 0) fs.chownSync(image, OTHER, OTHER);
  else fs.chmodSync(image, 0o666);
  let torn = 0;
  try {
    for (let i = 0; i < 12; i++) {
      const r = await prepareRootfs(image, path.join(dir, `rootfs-${i}`));
      const motd = fs.readFileSync(path.join(r.dir, 'etc/motd'), 'utf8');
      // The tree under either version's digest holds that version's bytes, never the other's.
      if (r.digest === sha(clean))
        assert.equal(motd, 'clean\n', `the tree under the clean digest holds ${motd}`);
      else if (r.digest === sha(bad))
        assert.equal(motd, 'evil!\n', `the tree under the evil digest holds ${motd}`);
      // A copy taken while a flip was half done is a third image ("eviln\n" was seen), under a digest of its own:
      // what was hashed is still what was unpacked, but it is neither version's.
      else {
        // The versions differ only in the file's bytes: a copy of neither holds neither file.
        assert.ok(
          !['clean\n', 'evil!\n'].includes(motd),
          `${JSON.stringify(motd)} under ${r.digest}, neither's`,
        );
        torn++;
      }
    }
  } finally {
    await stopFlipping(flipper);
  }
  assert.ok(torn < 12, 'every copy torn: the flip never rests, and the test proves nothing');
});
