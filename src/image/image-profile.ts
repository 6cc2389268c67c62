// The built-in starting points an image is judged from before a site's policy speaks (pure): "baseline" accepts
// what every stock distribution tree carries; "strict" judges every finding by its kind's default.
import type { ImageFinding } from './audit-entries.js';
import { IMAGE_PROFILES, type ImageProfile } from '../schema/report-values.js';

export { IMAGE_PROFILES, type ImageProfile };

/**
 * The pseudo devices a root file system tree holds in /dev (debootstrap's and dnf --installroot's set, by number:
 * devices(7) and the kernel's Documentation/admin-guide/devices.txt): mem-class null 1:3, zero 1:5, full 1:7,
 * random 1:8, urandom 1:9, kmsg 1:11; tty 5:0, console 5:1, ptmx 5:2. They read and write nothing of the host's, and
 * every runtime mounts images nodev. mem (1:1), kmem (1:2), port (1:4) and every block device are not in the set.
 */
const PSEUDO_DEVICES = new Set(['1:3', '1:5', '1:7', '1:8', '1:9', '1:11', '5:0', '5:1', '5:2']);

/** /etc/shadow and /etc/gshadow belong to root with the shadow group on Debian and SUSE (passwd and shadow packages). */
const SHADOW_FILES = new Set(['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-']);

/** Why a finding is stock content under the baseline profile, or null. */
export function baselineNote(f: ImageFinding): string | null {
  if (
    (f.id === 'device' || f.id === 'world-writable') &&
    f.path?.startsWith('/dev/') &&
    f.device?.type === 'char' &&
    PSEUDO_DEVICES.has(`${f.device.major}:${f.device.minor}`)
  )
    // null, zero, tty and ptmx are 0666 on every Linux system (devices(7)): writable by all is their nature.
    return 'a standard pseudo device of a root file system tree, inert under the nodev mounts every runtime uses';
  if (f.id === 'absolute-symlink')
    return 'an absolute link resolves inside the image when the image is the root, as every runtime mounts it';
  if (f.id === 'foreign-owner' && f.path !== null && SHADOW_FILES.has(f.path) && /^uid 0,/.test(f.evidence))
    return "root's file in the shadow group, as Debian and SUSE ship it";
  return null;
}
