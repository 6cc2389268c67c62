// Layered images built by umoci and converted by skopeo: the effective root after whiteouts, digests, and formats.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ImageFormatError, type ImageEntry } from '../../../src/image/image-entry.js';
import {
  detectArchiveKind,
  readLayeredImage,
  type LayeredReadOptions,
} from '../../../src/image/oci/layered-image.js';
import type { ShadowedEntry } from '../../../src/image/oci/whiteouts.js';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ROOT = process.getuid?.() === 0;
/** Under CI nothing skips: a missing umoci or skopeo, or no root, fails the tests (scripts/test.sh installs them). */
const skip =
  process.env.CI === 'true' || (ROOT && have('umoci') && have('skopeo'))
    ? false
    : 'needs root, umoci and skopeo';

const run = (cmd: string, ...args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function setxattr(file: string, name: string, value: string): void {
  const r = spawnSync('/usr/bin/python3', [
    '-c',
    'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())',
    file,
    name,
    value,
  ]);
  assert.equal(r.status, 0, String(r.stderr));
}

// ---- editing an OCI layout the way a registry tool would: new blobs, new manifest, re-pointed tag ----

const REF = 'org.opencontainers.image.ref.name';
type Json = Record<string, unknown> & { manifests?: Json[]; layers?: Json[] };

function writeBlob(layout: string, data: Buffer | string, mediaType: string): Json {
  const hex = sha256(data);
  fs.writeFileSync(path.join(layout, 'blobs/sha256', hex), data);
  return { mediaType, digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
}

const readBlob = (layout: string, digest: unknown): Json =>
  JSON.parse(fs.readFileSync(path.join(layout, 'blobs/sha256', String(digest).slice(7)), 'utf8')) as Json;

function indexOf(layout: string): Json {
  return JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8')) as Json;
}

function tagged(layout: string, tag: string): Json {
  const d = indexOf(layout).manifests!.find((m) => (m.annotations as Record<string, string>)[REF] === tag);
  assert.ok(d, tag);
  return d;
}

function setTag(layout: string, tag: string, desc: Json): void {
  const index = indexOf(layout);
  index.manifests = index.manifests!.filter((m) => (m.annotations as Record<string, string>)[REF] !== tag);
  index.manifests.push({ ...desc, annotations: { [REF]: tag } });
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
}

/** Appends a layer (a tar file) to the image tagged `from`, tagging the result `to`. */
function addLayer(
  layout: string,
  from: string,
  to: string,
  tarFile: string,
  how: 'none' | 'gzip' | 'zstd',
  mediaType?: string,
): void {
  const manifest = readBlob(layout, tagged(layout, from).digest);
  const config = readBlob(layout, (manifest.config as Json).digest);
  const raw = fs.readFileSync(tarFile);
  const stored =
    how === 'gzip' ? zlib.gzipSync(raw) : how === 'zstd' ? execFileSync('zstd', ['-q', '-c', tarFile]) : raw;
  const type = mediaType ?? `application/vnd.oci.image.layer.v1.tar${how === 'none' ? '' : `+${how}`}`;
  const layer = writeBlob(layout, stored, type);
  (config.rootfs as { diff_ids: string[] }).diff_ids.push(`sha256:${sha256(raw)}`);
  (config.history as Json[] | undefined)?.push({ created_by: 'ctrsafe test layer' });
  manifest.config = writeBlob(layout, JSON.stringify(config), 'application/vnd.oci.image.config.v1+json');
  manifest.layers = [...manifest.layers!, layer];
  setTag(
    layout,
    to,
    writeBlob(layout, JSON.stringify(manifest), 'application/vnd.oci.image.manifest.v1+json'),
  );
}

// ---- the fixture: three layers by umoci and GNU tar, then skopeo's archives of it ----

interface Fixture {
  work: string;
  layout: string;
  /** umoci's own unpacking of the tag "img": the oracle for the effective root. */
  rootfs: string;
  ociArchive: string;
  dockerArchive: string;
  dockerArchiveGz: string;
  plainTar: string;
}

let built: Fixture | undefined;
after(() => {
  if (built) fs.rmSync(built.work, { recursive: true, force: true });
});
function fixture(): Fixture {
  if (built) return built;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-oci-'));
  const layout = path.join(work, 'layout');
  const p = (...s: string[]): string => path.join(...s);
  run('umoci', 'init', '--layout', layout);
  run('umoci', 'new', '--image', `${layout}:img`);
  // Layer 0: a base with one of each finding.
  const b0 = p(work, 'b0');
  run('umoci', 'unpack', '--image', `${layout}:img`, b0);
  const r0 = p(b0, 'rootfs');
  for (const d of ['bin', 'dev', 'etc/dir', 'opq-dir', 'ovl-dir', 'scratch', 'home', 'lib', 'usr'])
    fs.mkdirSync(p(r0, d), { recursive: true });
  const file = (rel: string, mode: number, root = r0): void => {
    fs.writeFileSync(p(root, rel), `${rel}\n`);
    fs.chmodSync(p(root, rel), mode);
  };
  file('bin/su-copy', 0o4755);
  file('bin/keep', 0o644);
  file('bin/cap', 0o755);
  run('setcap', 'cap_setuid+ep', p(r0, 'bin/cap'));
  file('etc/dir/a', 0o644);
  file('etc/dir/sg', 0o2755);
  file('opq-dir/old', 0o644);
  file('opq-dir/old-suid', 0o4755);
  file('ovl-dir/old-caps', 0o755);
  run('setcap', 'cap_net_raw+ep', p(r0, 'ovl-dir/old-caps'));
  run('mknod', p(r0, 'dev/kmem'), 'c', '1', '2');
  fs.chmodSync(p(r0, 'scratch'), 0o777);
  file('home/odd', 0o600);
  fs.chownSync(p(r0, 'home/odd'), 1234, 4321);
  fs.symlinkSync('/etc/passwd', p(r0, 'lib/abs'));
  fs.symlinkSync('../../../../etc/shadow', p(r0, 'lib/escape'));
  file('usr/readme', 0o644);
  fs.linkSync(p(r0, 'usr/readme'), p(r0, 'usr/readme-hard'));
  run('umoci', 'repack', '--image', `${layout}:img`, b0);
  // Layer 1: deletes the setuid file (a whiteout) and a whole directory, adds a file.
  const b1 = p(work, 'b1');
  run('umoci', 'unpack', '--image', `${layout}:img`, b1);
  fs.rmSync(p(b1, 'rootfs/bin/su-copy'));
  fs.rmSync(p(b1, 'rootfs/etc/dir'), { recursive: true });
  file('new', 0o644, p(b1, 'rootfs'));
  run('umoci', 'repack', '--image', `${layout}:img`, b1);
  // Layer 2 (GNU tar, gzip): an opaque directory.
  const t2 = p(work, 't2');
  fs.mkdirSync(p(t2, 'opq-dir'), { recursive: true });
  fs.writeFileSync(p(t2, 'opq-dir/.wh..wh..opq'), '');
  file('opq-dir/fresh', 0o644, t2);
  run('tar', '--format=pax', '-C', t2, '-cf', p(work, 'layer2.tar'), 'opq-dir');
  addLayer(layout, 'img', 'img', p(work, 'layer2.tar'), 'gzip');
  // Tag "ovl" adds layer 3 (zstd), overlayfs-style: a 0/0 character device and an opaque xattr on a directory.
  const t3 = p(work, 't3');
  fs.mkdirSync(p(t3, 'bin'), { recursive: true });
  fs.mkdirSync(p(t3, 'ovl-dir'), { recursive: true });
  run('mknod', p(t3, 'bin/keep'), 'c', '0', '0');
  setxattr(p(t3, 'ovl-dir'), 'trusted.overlay.opaque', 'y');
  file('ovl-dir/newer', 0o644, t3);
  run(
    'tar',
    '--format=pax',
    '--xattrs',
    '--xattrs-include=*',
    '-C',
    t3,
    '-cf',
    p(work, 'layer3.tar'),
    'bin/keep',
    'ovl-dir',
  );
  addLayer(layout, 'img', 'ovl', p(work, 'layer3.tar'), 'zstd');
  // The oracle, and skopeo's archives of the same image.
  run('umoci', 'unpack', '--image', `${layout}:img`, p(work, 'oracle'));
  const ociArchive = p(work, 'oci-archive.tar');
  const dockerArchive = p(work, 'docker-archive.tar');
  run('skopeo', 'copy', '-q', `oci:${layout}:img`, `oci-archive:${ociArchive}`);
  run('skopeo', 'copy', '-q', `oci:${layout}:img`, `docker-archive:${dockerArchive}:ctrsafe/test:img`);
  fs.writeFileSync(`${dockerArchive}.gz`, zlib.gzipSync(fs.readFileSync(dockerArchive)));
  const plainTar = p(work, 'rootfs.tar');
  run(
    'tar',
    '--format=pax',
    '--xattrs',
    '--xattrs-include=*',
    '-C',
    p(work, 'oracle/rootfs'),
    '-cf',
    plainTar,
    '.',
  );
  built = {
    work,
    layout,
    rootfs: p(work, 'oracle/rootfs'),
    ociArchive,
    dockerArchive,
    dockerArchiveGz: `${dockerArchive}.gz`,
    plainTar,
  };
  return built;
}

async function read(
  image: string,
  opts: LayeredReadOptions = {},
): Promise<{ entries: ImageEntry[]; shadowed: ShadowedEntry[] }> {
  const shadowed: ShadowedEntry[] = [];
  const entries: ImageEntry[] = [];
  for await (const e of readLayeredImage(image, { ...opts, onShadowed: (s) => shadowed.push(s) }))
    entries.push(e);
  return { entries, shadowed };
}

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ImageFormatError, `expected ImageFormatError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

/** A comparable line per entry: what the audit judges. Hard links are compared as the file they name. */
function line(e: {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  link?: string;
  dev?: string;
}): string {
  return [
    e.path,
    e.type,
    e.mode.toString(8),
    e.uid,
    e.gid,
    e.type === 'file' ? e.size : '-',
    e.link ?? '-',
    e.dev ?? '-',
  ].join(' ');
}

function linesOf(entries: ImageEntry[]): string[] {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  return entries
    .map((e) => {
      const t = e.type === 'hardlink' ? byPath.get(e.linkTarget!)! : e;
      const dev = t.type === 'char' || t.type === 'block' ? `${t.devMajor},${t.devMinor}` : undefined;
      return line({
        ...t,
        path: e.path,
        ...(t.type === 'symlink' ? { link: t.linkTarget } : {}),
        ...(dev ? { dev } : {}),
      });
    })
    .sort();
}

function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (rel: string): void => {
    const st = fs.lstatSync(path.join(root, rel));
    const type = st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isCharacterDevice()
            ? 'char'
            : st.isBlockDevice()
              ? 'block'
              : 'fifo';
    const dev =
      type === 'char' || type === 'block' ? `${(st.rdev >> 8) & 0xfff},${st.rdev & 0xff}` : undefined;
    const link = type === 'symlink' ? fs.readlinkSync(path.join(root, rel)) : undefined;
    out.push(
      line({
        path: rel === '' ? '/' : `/${rel}`,
        type,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: st.size,
        ...(link ? { link } : {}),
        ...(dev ? { dev } : {}),
      }),
    );
    if (type === 'dir')
      for (const n of fs.readdirSync(path.join(root, rel))) visit(rel === '' ? n : `${rel}/${n}`);
  };
  visit('');
  return out.sort();
}

test(
  'OCI layout: the effective root after whiteouts is what umoci unpacks; what was deleted is reported',
  { skip },
  async () => {
    const f = fixture();
    const { entries, shadowed } = await read(f.layout, { tag: 'img' });
    // umoci's unpacked root dir is its own (the bundle's), not the layer's "./": compare everything below it.
    const ours = linesOf(entries).filter((l) => !l.startsWith('/ '));
    const oracle = walk(f.rootfs).filter((l) => !l.startsWith('/ '));
    assert.deepEqual(ours, oracle);
    const byPath = new Map(entries.map((e) => [e.path, e]));
    assert.equal(byPath.get('/new')!.layer, 1);
    assert.equal(byPath.get('/opq-dir/fresh')!.layer, 2);
    assert.equal(
      byPath.get('/bin/cap')!.xattrs!['security.capability']!.subarray(0, 8).toString('hex'),
      '0100000280000000',
    );
    assert.ok(!entries.some((e) => e.path.includes('.wh.')), 'whiteout files are not entries');
    assert.deepEqual(shadowed.map((s) => [s.entry.path, s.entry.layer, s.deletedInLayer, s.how]).sort(), [
      ['/bin/su-copy', 0, 1, 'whiteout'],
      ['/etc/dir/sg', 0, 1, 'whiteout'],
      ['/opq-dir/old-suid', 0, 2, 'opaque'],
    ]);
  },
);

test(
  'overlayfs-style whiteouts (0/0 char device, trusted.overlay.opaque) in a zstd layer',
  { skip },
  async () => {
    const f = fixture();
    const img = await read(f.layout, { tag: 'img' });
    const ovl = await read(f.layout, { tag: 'ovl' });
    const paths = new Set(ovl.entries.map((e) => e.path));
    assert.ok(!paths.has('/bin/keep'), 'deleted by a 0/0 char device');
    assert.ok(!paths.has('/ovl-dir/old-caps'), 'hidden by the opaque directory');
    assert.ok(paths.has('/ovl-dir/newer') && paths.has('/dev/kmem'));
    assert.ok(!ovl.entries.some((e) => e.type === 'char' && e.devMajor === 0 && e.devMinor === 0));
    assert.equal(ovl.entries.find((e) => e.path === '/ovl-dir')!.layer, 3);
    assert.deepEqual(
      ovl.shadowed.filter((s) => s.deletedInLayer === 3).map((s) => [s.entry.path, s.how]),
      [['/ovl-dir/old-caps', 'opaque']],
    );
    const rest = (es: ImageEntry[]): string[] =>
      linesOf(es).filter((l) => !/^\/(bin\/keep|ovl-dir)[ /]/.test(l));
    assert.deepEqual(rest(ovl.entries), rest(img.entries));
  },
);

test(
  "skopeo's oci-archive and docker-archive (plain and gzip-compressed) read the same as the layout",
  { skip },
  async () => {
    const f = fixture();
    const want = await read(f.layout, { tag: 'img' });
    const layered = (es: ImageEntry[]): string[] => linesOf(es).map((l, i) => `${l} ${es[i]!.layer}`);
    for (const [file, kind] of [
      [f.ociArchive, 'oci-archive'],
      [f.dockerArchive, 'docker-save'],
      [f.dockerArchiveGz, 'docker-save'],
    ] as const) {
      assert.equal(await detectArchiveKind(file), kind, file);
      const got = await read(file);
      assert.deepEqual(linesOf(got.entries), linesOf(want.entries), file);
      assert.deepEqual(
        got.entries.map((e) => `${e.path} ${e.layer}`).sort(),
        want.entries.map((e) => `${e.path} ${e.layer}`).sort(),
        file,
      );
      assert.deepEqual(
        got.shadowed.map((s) => `${s.entry.path} ${s.deletedInLayer}`).sort(),
        want.shadowed.map((s) => `${s.entry.path} ${s.deletedInLayer}`).sort(),
      );
    }
    assert.ok(layered(want.entries).length > 10);
  },
);

test(
  'detectArchiveKind tells layouts, image archives and plain file system tars apart by content',
  { skip },
  async () => {
    const f = fixture();
    assert.equal(await detectArchiveKind(f.layout), 'oci-layout-dir');
    assert.equal(await detectArchiveKind(f.plainTar), 'tar');
    // A plain tar is one file system: read as it is, its ".wh." names are not whiteouts.
    const { entries } = await read(f.plainTar);
    assert.deepEqual(
      linesOf(entries).filter((l) => !l.startsWith('/ ')),
      walk(f.rootfs).filter((l) => !l.startsWith('/ ')),
    );
    assert.ok(entries.every((e) => e.layer === undefined));
    await rejects(detectArchiveKind(f.rootfs), /not an OCI image layout/);
    // Stopping early releases everything (no hang, no error).
    for await (const e of readLayeredImage(f.dockerArchive)) {
      assert.ok(e);
      break;
    }
  },
);

function copyLayout(f: Fixture, name: string): string {
  const dir = path.join(f.work, name);
  fs.cpSync(f.layout, dir, { recursive: true });
  return dir;
}

test(
  'blob digests are checked while streaming: a changed layer, a changed manifest, a bad digest string',
  { skip },
  async () => {
    const f = fixture();
    // An uncompressed layer whose file data is changed still parses as tar: only the digest can tell.
    const l = copyLayout(f, 'corrupt-layer');
    const t = path.join(f.work, 'plain-layer.tar');
    const body = path.join(f.work, 'plain-layer');
    fs.mkdirSync(body, { recursive: true });
    fs.writeFileSync(path.join(body, 'data'), 'AAAAAAAAAAAAAAAA');
    run('tar', '--format=pax', '-C', body, '-cf', t, 'data');
    addLayer(l, 'img', 'img', t, 'none');
    const m = readBlob(l, tagged(l, 'img').digest);
    const blob = path.join(l, 'blobs/sha256', String(m.layers!.at(-1)!.digest).slice(7));
    const bytes = fs.readFileSync(blob);
    bytes[bytes.indexOf('AAAA')] = 0x42;
    fs.writeFileSync(blob, bytes);
    await rejects(read(l, { tag: 'img' }), /layer 3 .*content is sha256:[0-9a-f]{64}, not sha256:/);
    fs.writeFileSync(blob, bytes.subarray(0, bytes.length - 512));
    await rejects(read(l, { tag: 'img' }), /layer 3 .*(bytes, its descriptor says|input ends)/);
    // A manifest changed after it was tagged.
    const l2 = copyLayout(f, 'corrupt-manifest');
    const mf = path.join(l2, 'blobs/sha256', String(tagged(l2, 'img').digest).slice(7));
    fs.writeFileSync(mf, fs.readFileSync(mf, 'utf8').replace('"schemaVersion":2', '"schemaVersion":3'));
    await rejects(read(l2, { tag: 'img' }), /manifest sha256:.*content is sha256:/);
    // Digests become file names: anything but hex is refused before any file is opened.
    setTag(l2, 'evil', {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: 'sha256:../../../../etc/passwd',
      size: 10,
    });
    await rejects(read(l2, { tag: 'evil' }), /is not a valid sha256\/sha512 digest/);
    // A layer that is not a tar (OCI-SIF squashfs media type).
    const l3 = copyLayout(f, 'squash-layer');
    addLayer(l3, 'img', 'img', t, 'none', 'application/vnd.sylabs.image.layer.v1.squashfs');
    await rejects(
      read(l3, { tag: 'img' }),
      /media type application\/vnd.sylabs.image.layer.v1.squashfs is not a tar layer/,
    );
  },
);

test(
  'nested indexes: the linux/amd64 manifest is chosen, depth is bounded, ambiguity is an error',
  { skip },
  async () => {
    const f = fixture();
    const l = copyLayout(f, 'nested');
    const img = tagged(l, 'img');
    const platformIndex = writeBlob(
      l,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: img.mediaType,
            digest: `sha256:${'0'.repeat(64)}`,
            size: 100,
            platform: { os: 'linux', architecture: 'arm64' },
          },
          {
            mediaType: img.mediaType,
            digest: img.digest,
            size: img.size,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
      'application/vnd.oci.image.index.v1+json',
    );
    setTag(l, 'multi', platformIndex);
    const want = await read(f.layout, { tag: 'img' });
    assert.deepEqual(linesOf((await read(l, { tag: 'multi' })).entries), linesOf(want.entries));
    await rejects(
      read(l, { tag: 'multi', platform: { os: 'linux', architecture: 'arm64' } }),
      /missing from/,
    );
    let d = platformIndex;
    for (let i = 0; i < 5; i++) {
      d = writeBlob(
        l,
        JSON.stringify({ schemaVersion: 2, manifests: [d] }),
        'application/vnd.oci.image.index.v1+json',
      );
    }
    setTag(l, 'deep', d);
    await rejects(read(l, { tag: 'deep' }), /nested more than 4 deep/);
    await rejects(read(l), /manifests, none for linux\/amd64 \(tags: .*img.*; choose one\)/);
  },
);

test(
  'docker-save: config digest and diff_ids are checked; layer paths stay inside the archive',
  { skip },
  async () => {
    const f = fixture();
    const dir = path.join(f.work, 'da-edit');
    fs.mkdirSync(dir, { recursive: true });
    run('tar', '-C', dir, '-xf', f.dockerArchive);
    const manifestFile = path.join(dir, 'manifest.json');
    const original = fs.readFileSync(manifestFile, 'utf8');
    const manifest = JSON.parse(original) as { Config: string; Layers: string[] }[];
    const config = JSON.parse(fs.readFileSync(path.join(dir, manifest[0]!.Config), 'utf8')) as {
      rootfs: { diff_ids: string[] };
    };
    const repack = async (): Promise<string> => {
      const out = path.join(f.work, `da-edit-${Date.now()}-${Math.random()}.tar`);
      run('tar', '-C', dir, '-cf', out, '.');
      return out;
    };
    // A config edited in place no longer matches its name.
    const cfgPath = path.join(dir, manifest[0]!.Config);
    const cfgText = fs.readFileSync(cfgPath, 'utf8');
    fs.writeFileSync(cfgPath, cfgText.replace('"diff_ids":[', '"diff_ids": ['));
    await rejects(read(await repack()), /image config .* content is sha256:/);
    fs.writeFileSync(cfgPath, cfgText);
    // A consistent config whose diff_id does not match the layer.
    const bad = structuredClone(config);
    bad.rootfs.diff_ids[1] = `sha256:${'1'.repeat(64)}`;
    const badText = JSON.stringify(bad);
    const badName = `${sha256(badText)}.json`;
    fs.writeFileSync(path.join(dir, badName), badText);
    fs.writeFileSync(manifestFile, JSON.stringify([{ ...manifest[0], Config: badName }]));
    await rejects(read(await repack()), /layer 1 .* uncompressed: content is sha256:/);
    // A layer path that climbs out of the archive resolves inside it, where it does not exist.
    fs.writeFileSync(
      manifestFile,
      JSON.stringify([
        { ...manifest[0], Layers: ['../../../../etc/passwd', ...manifest[0]!.Layers.slice(1)] },
      ]),
    );
    await rejects(
      read(await repack()),
      /layer 0 \(\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd\): \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd is not in the archive/,
    );
    fs.writeFileSync(manifestFile, original);
    assert.ok((await read(await repack())).entries.length > 10);
  },
);
