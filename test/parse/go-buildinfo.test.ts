// A Go program's version read from its build information without running it: an ELF with a .go.buildinfo
// section laid out as Go 1.18+ writes it (added to a real ELF with objcopy), and Debian's own podman binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostRoot } from '../../src/host/host-root.js';
import { readBinaryVersion } from '../../src/collect/read-binary-version.js';
import { goProgramVersion, readGoBuildInfo } from '../../src/parse/go-buildinfo.js';
import { bufferAccess } from '../../src/parse/random-access.js';

/** Go's layout: magic, pointer size, flags (2 = inline strings), padding to 32, then two uvarint-prefixed strings. */
function buildInfo(goVersion: string, lines: string[]): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s);
    if (b.length >= 128) return Buffer.concat([Buffer.from([(b.length & 0x7f) | 0x80, b.length >> 7]), b]);
    return Buffer.concat([Buffer.from([b.length]), b]);
  };
  const head = Buffer.alloc(32);
  head.write('\xff Go buildinf:', 0, 'latin1');
  head[14] = 8;
  head[15] = 2;
  const sentinel = Buffer.alloc(16, 0x30);
  const mod = Buffer.concat([sentinel, Buffer.from(lines.join('\n') + '\n'), sentinel]).toString('latin1');
  return Buffer.concat([head, str(goVersion), Buffer.concat([str(mod)])]);
}

function elfWith(section: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-goelf-'));
  fs.writeFileSync(path.join(dir, 'info'), section);
  fs.mkdirSync(path.join(dir, 'usr/local/bin'), { recursive: true });
  const out = path.join(dir, 'usr/local/bin/runc');
  execFileSync('objcopy', ['--add-section', `.go.buildinfo=${path.join(dir, 'info')}`, '/bin/true', out]);
  return dir;
}

test('a release module version, or -X main.version in -ldflags, is the version; "(devel)" alone is not', () => {
  const tagged = elfWith(
    buildInfo('go1.21.6', [
      'path\tgithub.com/opencontainers/runc',
      'mod\tgithub.com/opencontainers/runc\tv1.1.12\th1:abc=',
      'build\t-compiler=gc',
    ]),
  );
  assert.deepEqual(readBinaryVersion(HostRoot.open(tagged), '/usr/local/bin/runc')?.version, '1.1.12');
  const ldflags = elfWith(
    buildInfo('go1.22.1', [
      'path\tgithub.com/opencontainers/runc',
      'mod\tgithub.com/opencontainers/runc\t(devel)\t',
      'build\t-ldflags="-X main.gitCommit=51d5e946 -X main.version=1.1.12 -linkmode external"',
    ]),
  );
  const v = readBinaryVersion(HostRoot.open(ldflags), '/usr/local/bin/runc');
  assert.equal(v?.version, '1.1.12');
  assert.match(v!.evidence, /Go build information \(-ldflags -X main\.version=1\.1\.12/);
  const devel = elfWith(
    buildInfo('go1.22.1', [
      'path\tgithub.com/opencontainers/runc',
      'mod\tgithub.com/opencontainers/runc\t(devel)\t',
    ]),
  );
  assert.equal(readBinaryVersion(HostRoot.open(devel), '/usr/local/bin/runc'), null);
  // A pseudo-version is a commit, not a release.
  const pseudo = readGoBuildInfo(
    bufferAccess(
      fs.readFileSync(
        path.join(
          elfWith(buildInfo('go1.22.1', ['mod\tx\tv0.0.0-20240101000000-abcdef123456\t'])),
          'usr/local/bin/runc',
        ),
      ),
    ),
  );
  assert.equal(goProgramVersion(pseudo!), null);
});

test("Debian's podman carries build information without a version: read, and no version claimed", () => {
  if (!fs.existsSync('/usr/bin/podman')) return; // scripts/test.sh installs podman
  const info = readGoBuildInfo(bufferAccess(fs.readFileSync('/usr/bin/podman')));
  assert.equal(info?.path, 'github.com/containers/podman/cmd/podman');
  assert.equal(goProgramVersion(info!), null);
  assert.equal(readBinaryVersion(HostRoot.live(), '/bin/true'), null, 'not a Go binary');
});
