// Decodes the security.capability xattr (VFS_CAP_REVISION_2/3, linux/capability.h) into capability names.

/** capabilities(7), in bit order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40). */
export const CAP_NAMES = [
  'cap_chown',
  'cap_dac_override',
  'cap_dac_read_search',
  'cap_fowner',
  'cap_fsetid',
  'cap_kill',
  'cap_setgid',
  'cap_setuid',
  'cap_setpcap',
  'cap_linux_immutable',
  'cap_net_bind_service',
  'cap_net_broadcast',
  'cap_net_admin',
  'cap_net_raw',
  'cap_ipc_lock',
  'cap_ipc_owner',
  'cap_sys_module',
  'cap_sys_rawio',
  'cap_sys_chroot',
  'cap_sys_ptrace',
  'cap_sys_pacct',
  'cap_sys_admin',
  'cap_sys_boot',
  'cap_sys_nice',
  'cap_sys_resource',
  'cap_sys_time',
  'cap_sys_tty_config',
  'cap_mknod',
  'cap_lease',
  'cap_audit_write',
  'cap_audit_control',
  'cap_setfcap',
  'cap_mac_override',
  'cap_mac_admin',
  'cap_syslog',
  'cap_wake_alarm',
  'cap_block_suspend',
  'cap_audit_read',
  'cap_perfmon',
  'cap_bpf',
  'cap_checkpoint_restore',
];

const VFS_CAP_REVISION_1 = 0x01000000;
const VFS_CAP_REVISION_2 = 0x02000000;
const VFS_CAP_REVISION_3 = 0x03000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;

export interface FileCaps {
  permitted: string[];
  inheritable: string[];
  effective: boolean;
  rootid?: number;
  /** getcap-style text, e.g. "cap_setuid,cap_setgid=ep". */
  text: string;
}

function names(lo: number, hi: number): string[] {
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    const set = bit < 32 ? (lo >>> bit) & 1 : (hi >>> (bit - 32)) & 1;
    if (set) out.push(CAP_NAMES[bit] ?? `cap_${bit}`);
  }
  return out;
}

/** null when the value is not a capability set of a known revision. */
export function decodeFileCaps(v: Buffer): FileCaps | null {
  if (v.length < 4) return null;
  const magic = v.readUInt32LE(0);
  const rev = magic & 0xff000000;
  const need =
    rev === VFS_CAP_REVISION_1 ? 12 : rev === VFS_CAP_REVISION_2 ? 20 : rev === VFS_CAP_REVISION_3 ? 24 : -1;
  if (need < 0 || v.length < need) return null;
  const effective = (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0;
  const permitted = names(v.readUInt32LE(4), rev === VFS_CAP_REVISION_1 ? 0 : v.readUInt32LE(12));
  const inheritable = names(v.readUInt32LE(8), rev === VFS_CAP_REVISION_1 ? 0 : v.readUInt32LE(16));
  const parts: string[] = [];
  if (permitted.length) parts.push(`${permitted.join(',')}=${effective ? 'e' : ''}p`);
  if (inheritable.length) parts.push(`${inheritable.join(',')}+i`);
  const caps: FileCaps = { permitted, inheritable, effective, text: parts.join(' ') || '(empty)' };
  if (rev === VFS_CAP_REVISION_3) caps.rootid = v.readUInt32LE(20);
  return caps;
}

/** getcap text ("cap_setuid,cap_setgid=ep") back to VFS_CAP_REVISION_2 bytes, so every reader yields the same shape. */
export function capsTextToXattr(text: string): Buffer {
  let lo = 0;
  let hi = 0;
  let effective = false;
  for (const clause of text.split(/\s+/)) {
    const m = /^([a-z_,0-9]+)[=+](\w*)$/.exec(clause);
    if (!m || !m[2]!.includes('p')) continue;
    if (m[2]!.includes('e')) effective = true;
    for (const n of m[1]!.split(',')) {
      const bit = CAP_NAMES.indexOf(n);
      if (bit < 0) continue;
      if (bit < 32) lo |= 1 << bit;
      else hi |= 1 << (bit - 32);
    }
  }
  const b = Buffer.alloc(20);
  b.writeUInt32LE((VFS_CAP_REVISION_2 | (effective ? VFS_CAP_FLAGS_EFFECTIVE : 0)) >>> 0, 0);
  b.writeUInt32LE(lo >>> 0, 4);
  b.writeUInt32LE(hi >>> 0, 12);
  return b;
}
