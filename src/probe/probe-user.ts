// Picks the unprivileged user the probes run as: root can always create namespaces, so root's answer proves nothing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import { UsageError } from '../errors.js';
import type { ChildUser } from './run-child.js';

function fromPasswd(name: string): ChildUser | null {
  let text: string;
  try {
    text = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4 && /^\d+$/.test(f[2]!) && /^\d+$/.test(f[3]!))
      return { name, uid: Number(f[2]), gid: Number(f[3]) };
  }
  return null;
}

/** Directory users (LDAP, SSSD) are not in /etc/passwd: ask id(1), which goes through NSS. */
function fromNss(name: string): ChildUser | null {
  const u = spawnSync('id', ['-u', name], { encoding: 'utf8', timeout: 2000 });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8', timeout: 2000 });
  if (u.status !== 0 || g.status !== 0) return null;
  return { name, uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export function resolveProbeUser(asUser: string | undefined): ChildUser {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) {
    if (asUser !== undefined && asUser !== os.userInfo().username)
      throw new UsageError('--as-user needs root: only root can run the probes as another user');
    return { name: os.userInfo().username, uid, gid: process.getgid?.() ?? uid };
  }
  const name = asUser ?? 'nobody';
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}\$?$/.test(name))
    throw new UsageError(`--as-user ${name}: not a valid user name`);
  const user = fromPasswd(name) ?? fromNss(name);
  if (!user) throw new UsageError(`--as-user ${name}: no such user`);
  if (user.uid === 0)
    throw new UsageError(`--as-user ${name}: probes must run as an unprivileged user, not uid 0`);
  return user;
}
