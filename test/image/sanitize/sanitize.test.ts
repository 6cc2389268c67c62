// `image sanitize` rebuilds an image the Shifter way with Debian's squashfs-tools-ng, and keeps it only if its audit is clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { plantTree } from '../../helpers/plant-tree.js';
import { runMain } from '../../helpers/run-main.js';
import { tempDir } from '../../helpers/write-sif.js';

const tree = plantTree();
const work = tempDir('ctrsafe-sanitize-');

/** unsquashfs -lln is the oracle for what the written image holds. */
function listing(img: string): string[] {
  return execFileSync('unsquashfs', ['-lln', '-UTC', img], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^[-dlcbps]/.test(l));
}

test('a planted directory, squashfs and tar.gz come out without setuid, devices, xattrs, foreign owners or escaping links', async () => {
  const inputs: Record<string, string> = { dir: tree };
  inputs.sqfs = path.join(work, 'in.sqfs');
  execFileSync('mksquashfs', [tree, inputs.sqfs, '-noappend', '-quiet', '-no-progress'], { stdio: 'pipe' });
  inputs.tgz = path.join(work, 'in.tgz');
  execFileSync('tar', ['-C', tree, '--xattrs', '--xattrs-include=*', '-czf', inputs.tgz, '.']);
  for (const [name, input] of Object.entries(inputs)) {
    const out = path.join(work, `out-${name}.sqfs`);
    const r = await runMain(['image', 'sanitize', input, out]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, /cleared setuid\/setgid on 2, dropped 2 device nodes/);
    const lines = listing(out);
    assert.ok(lines.length >= 15, `${name}: ${lines.length} entries`);
    for (const l of lines) {
      assert.doesNotMatch(l.slice(0, 10), /[sS]/, `${name}: no setuid/setgid bit: ${l}`);
      assert.doesNotMatch(l, /^[cb]/, `${name}: no device nodes: ${l}`);
      assert.match(l, /^\S+ 0\/0 /, `${name}: root-owned: ${l}`);
    }
    assert.ok(!lines.some((l) => l.includes('lib/escape')), 'the escaping symlink is gone');
    assert.ok(
      lines.some((l) => l.includes('lib/inside-link -> ../etc/with-xattr')),
      'inner links stay',
    );
    assert.match(
      execFileSync('unsquashfs', ['-s', out], { encoding: 'utf8' }),
      /Xattrs are not stored|Number of xattr ids 0/,
    );
    const audit = await runMain(['image', 'audit', out, '--format', 'json']);
    const j = JSON.parse(audit.stdout) as { findings: { id: string; status: string }[] };
    assert.deepEqual(
      j.findings.filter((f) => f.status === 'fail').map((f) => f.id),
      [],
      `${name}: nothing fails in the result`,
    );
  }
});

test('sanitize refuses an existing output, unsupported inputs, and a result the site policy still rejects', async () => {
  const out = path.join(work, 'exists.sqfs');
  fs.writeFileSync(out, 'x');
  assert.equal((await runMain(['image', 'sanitize', tree, out])).code, 2);
  const policy = path.join(work, 'strict.yaml');
  fs.writeFileSync(policy, 'version: 1\nkinds:\n  absolute-symlink: deny\n');
  const refused = path.join(work, 'refused.sqfs');
  const r = await runMain(['image', 'sanitize', tree, refused, '--policy', policy]);
  assert.equal(r.code, 4, r.stderr);
  assert.match(
    r.stderr,
    /refused to write .*refused\.sqfs: its audit still finds absolute-symlink \/etc\/abs-link/,
  );
  assert.equal(fs.existsSync(refused), false, 'nothing is left behind');
  assert.deepEqual(
    fs.readdirSync(work).filter((f) => f.includes('.tmp')),
    [],
    'no temporary file is left behind',
  );
  const ext = path.join(work, 'in.ext3');
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext3', '-d', tree, ext, '8192k']);
  const e = await runMain(['image', 'sanitize', ext, path.join(work, 'from-ext.sqfs')]);
  assert.equal(e.code, 4);
  assert.match(e.stderr, /reads squashfs, tar .* and directories/);
});

test('sanitize writes the exact size of a member of 8 GiB or more (base-256), as GNU tar reads it', async () => {
  const { SanitizeTar } = await import('../../../src/image/sanitize/rewrite-tar.js');
  const size = 9 * 1024 ** 3 + 12345; // past the 11 octal digits' 8 GiB - 1
  const h = Buffer.alloc(512);
  h.write('./big.bin', 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  // GNU base-256 in the input, as GNU tar writes it.
  h[124] = 0x80;
  let rest = BigInt(size);
  for (let i = 135; i > 124; i--, rest >>= 8n) h[i] = Number(rest & 0xffn);
  h.write('00000000000\0', 136);
  h.fill(0x20, 148, 156);
  h.write('0', 156);
  h.write('ustar\x0000', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const t = new SanitizeTar({ uid: 0, gid: 0 });
  const out: Buffer[] = [];
  t.on('data', (b: Buffer) => out.push(b));
  t.write(Buffer.concat([h, Buffer.alloc(4096, 7)]));
  await new Promise((r) => setImmediate(r));
  const header = Buffer.concat(out).subarray(0, 512);
  t.destroy();
  // GNU tar is the oracle: it lists the member with its size before it finds the data cut short.
  const file = path.join(work, 'big-header.tar');
  fs.writeFileSync(file, Buffer.concat([header, Buffer.alloc(4096, 7)]));
  const r = spawnSync('tar', ['-tvf', file], { encoding: 'utf8' });
  assert.match(r.stdout, new RegExp(`\\s${size}\\s.*\\./big\\.bin`), r.stdout + r.stderr);
});
