// Tells whether ctrsafe itself runs inside a container or a chroot, so neither is ever reported as the host.
import * as fs from 'node:fs';
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';

/** Environment markers each runtime sets inside its containers (the runtimes' own docs and sources). */
const ENV_MARKERS: { name: string; kind: string; match?: RegExp }[] = [
  { name: 'APPTAINER_CONTAINER', kind: 'apptainer' },
  { name: 'SINGULARITY_CONTAINER', kind: 'singularity' },
  { name: 'CH_RUNNING', kind: 'charliecloud' },
  { name: 'SHIFTER_RUNTIME', kind: 'shifter' },
  { name: 'SHIFTER_IMAGEREQUEST', kind: 'shifter' },
  { name: 'ENROOT_ROOTFS', kind: 'enroot' },
  { name: 'container', kind: 'podman', match: /^(podman|oci|docker|lxc|systemd-nspawn)$/ },
];

/** podman writes /run/.containerenv into each running container (podman-run(1)): a run-time marker. */
const RUNTIME_FILE_MARKERS: { path: string; kind: string }[] = [
  { path: '/run/.containerenv', kind: 'podman' },
];

/**
 * Image-content markers: they travel with an image, so a VM or node image built from a container image
 * keeps them. Alone they prove nothing; with a container-style root file system they do.
 */
const IMAGE_FILE_MARKERS: { path: string; kind: string }[] = [
  { path: '/.dockerenv', kind: 'docker' },
  { path: '/.singularity.d', kind: 'apptainer' },
  { path: '/ch/environment', kind: 'charliecloud' },
  { path: '/etc/enroot/environment', kind: 'enroot' },
];

const CONTAINER_ROOT_FS = new Set([
  'overlay',
  'fuse-overlayfs',
  'fuse.fuse-overlayfs',
  'squashfs',
  'fuse.squashfuse',
  'fuse.squashfuse_ll',
  'tmpfs',
  'aufs',
  'shiftfs',
]);

function rootFsType(root: HostRoot): string | null {
  const r = root.readText('/proc/self/mountinfo', 4 * 1024 * 1024);
  if (!r.ok || r.binary) return null;
  let type: string | null = null;
  for (const line of r.text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f[4] === '/' && sep > 0) type = f[sep + 1] ?? null; // the last mount on / is the visible one
  }
  return type;
}

/**
 * Whether the root directory is not a mount point, from /proc/self/mountinfo (proc(5)): mount points are shown
 * relative to the process's root and mounts outside it are left out, so a chroot into a plain directory has no
 * line for "/". A chroot onto a mount point of its own is not seen this way (the caller tries /proc/1/root first).
 */
export function rootIsMountPoint(mountinfo: string): boolean | null {
  const lines = mountinfo.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return null;
  return lines.some((l) => l.split(' ')[4] === '/');
}

/**
 * A chroot, as systemd-detect-virt --chroot decides it: / is not the root of init (/proc/1/root), which needs the
 * right to look at pid 1 (root); otherwise the mount table's view. Null when neither can be read.
 */
function detectChroot(root: HostRoot): { chroot: boolean; evidence: string } | null {
  try {
    const mine = fs.statSync('/');
    const init = fs.statSync('/proc/1/root');
    const same = mine.dev === init.dev && mine.ino === init.ino;
    return {
      chroot: !same,
      evidence: same
        ? '/ is the root directory of init (/proc/1/root)'
        : `/ (device ${mine.dev}, inode ${mine.ino}) is not the root directory of init (/proc/1/root: device ${init.dev}, inode ${init.ino})`,
    };
  } catch {
    // EACCES for an ordinary user, ENOENT without /proc: the mount table may still tell.
  }
  const r = root.readText('/proc/self/mountinfo', 4 * 1024 * 1024);
  if (!r.ok || r.binary) return null;
  const mounted = rootIsMountPoint(r.text);
  if (mounted === null) return null;
  return {
    chroot: !mounted,
    evidence: mounted
      ? '/proc/self/mountinfo has a mount at /'
      : '/proc/self/mountinfo has no mount at /: the root directory is a plain directory, as in a chroot',
  };
}

export function collectContainerFacts(root: HostRoot, facts: Facts, env: NodeJS.ProcessEnv): void {
  const signs: string[] = [];
  let kind: string | null = null;
  if (root.isLive) {
    const c = detectChroot(root);
    if (c) {
      addFact(facts, 'container.chroot', c.chroot, 'probe', c.evidence);
      if (c.chroot) {
        signs.push(c.evidence);
        kind = 'chroot';
      }
    }
    for (const m of ENV_MARKERS) {
      const v = env[m.name];
      if (v === undefined || (m.match && !m.match.test(v))) continue;
      signs.push(`environment has ${m.name}`);
      kind ??= m.name === 'container' ? v : m.kind;
    }
  }
  for (const m of RUNTIME_FILE_MARKERS) {
    if (root.stat(m.path).ok) {
      signs.push(`${m.path} exists`);
      kind ??= m.kind;
    }
  }
  const weak = IMAGE_FILE_MARKERS.filter((m) => root.stat(m.path).ok);
  if (weak.length > 0) {
    const rootFs = rootFsType(root);
    const containerish = rootFs !== null && CONTAINER_ROOT_FS.has(rootFs);
    const note = `${weak.map((m) => m.path).join(', ')} exist${weak.length === 1 ? 's' : ''}; the root file system is ${rootFs ?? 'unknown'}`;
    addFact(
      facts,
      'container.image_markers',
      weak.map((m) => m.path),
      'file',
      note,
    );
    if (containerish) {
      signs.push(note);
      kind ??= weak[0]!.kind;
    }
  }
  // In the initial user namespace uid_map is "0 0 4294967295" (user_namespaces(7)); anything else is a nested one.
  const map = root.readText('/proc/self/uid_map', 4096);
  let inUserns: boolean | null = null;
  if (map.ok && !map.binary) {
    const fields = map.text.trim().split(/\s+/);
    inUserns = !(fields.length === 3 && fields[0] === '0' && fields[1] === '0' && fields[2] === '4294967295');
    if (inUserns) signs.push(`/proc/self/uid_map is "${map.text.trim().replace(/\s+/g, ' ').slice(0, 60)}"`);
    addFact(
      facts,
      'container.in_userns',
      inUserns,
      'file',
      `${root.display('/proc/self/uid_map')}: ${map.text.trim().replace(/\s+/g, ' ').slice(0, 60)}`,
    );
  }
  const inside = kind !== null || inUserns === true;
  addFact(
    facts,
    'container.inside',
    inside,
    'file',
    inside ? signs.join('; ') : 'no container markers in the environment or file system',
  );
  if (inside) addFact(facts, 'container.kind', kind ?? 'user namespace', 'file', signs.join('; '));
}
