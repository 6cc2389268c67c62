// The dpkg status reader: the versions it reads agree with dpkg's own, whatever UTF-8 the other fields carry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { readDpkgPackages } from '../../src/collect/collect-packages.js';
import { HostRoot } from '../../src/host/host-root.js';
import { writeTree } from '../helpers/tree.js';

test('dpkg status: UTF-8 in descriptions and maintainers never changes the versions read', () => {
  const status = [
    'Package: podman\nStatus: install ok installed\nMaintainer: Reinhard Tartler <siretart@tauware.de>, Jérôme Ö <j@example.org>\nArchitecture: amd64\nSource: libpod\nVersion: 4.3.1+ds1-8+deb12u1\nDescription: outil de gestion — conteneurs\n très naïf ✓\n',
    'Package: crun\nStatus: install ok installed\nMaintainer: Dāvis Mosāns <d@example.org>\nVersion: 1.8.1-1+deb12u1\nDescription: 轻量级 OCI 运行时\n',
    'Package: bubblewrap\nStatus: deinstall ok config-files\nVersion: 0.8.0-2\n',
    'Package: linux-image-6.1.0-57-amd64\nStatus: install ok installed\nSource: linux-signed-amd64 (6.1.192+3)\nVersion: 6.1.192-3\nDescription: Linux 6.1 pour PC 64 bits ☃\n',
  ].join('\n');
  const r = readDpkgPackages(HostRoot.open(writeTree({ 'var/lib/dpkg/status': status })), new Set());
  assert.equal(r.problem, null);
  assert.deepEqual(
    [...r.byName].map(([n, v]) => [n, v.version, v.sourcePackage]),
    [
      ['podman', '4.3.1+ds1-8+deb12u1', 'libpod'],
      ['crun', '1.8.1-1+deb12u1', 'crun'],
    ],
  );
  assert.deepEqual(
    r.kernels.map((k) => [k.name, k.version, k.sourcePackage]),
    [['linux-image-6.1.0-57-amd64', '6.1.192-3', 'linux-signed-amd64']],
  );
});

test('dpkg status: a NUL byte makes the file "not text", reported, never parsed', () => {
  const tree = writeTree({
    'var/lib/dpkg/status': 'Package: podman\nStatus: install ok installed\nVersion: 4\0\n',
  });
  const r = readDpkgPackages(HostRoot.open(tree), new Set());
  assert.equal(r.byName.size, 0);
  assert.match(r.problem ?? '', /not text/);
});

test('dpkg status on this machine: every version read is the one dpkg-query prints', (t) => {
  if (!fs.existsSync('/var/lib/dpkg/status')) return t.skip('not a dpkg host');
  const r = readDpkgPackages(HostRoot.live(), new Set());
  const names = [...r.byName.keys(), ...r.kernels.map((k) => k.name)];
  if (names.length === 0) return t.skip('no runtime or kernel package installed here');
  for (const name of names) {
    const q = spawnSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' });
    const read = r.byName.get(name)?.version ?? r.kernels.find((k) => k.name === name)?.version;
    assert.equal(read, q.stdout.trim(), name);
  }
});
