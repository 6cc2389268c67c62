// Plants a directory tree holding one of every finding kind, as a hostile image would, for the image tests.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** What was planted: [finding kind, path inside the image]. Every other path must raise nothing (but owners). */
export const PLANTED: [string, string][] = [
  ['setuid', '/bin/su-copy'],
  ['setgid', '/bin/sg-copy'],
  ['file-capability', '/bin/cap-copy'],
  ['xattr', '/etc/with-xattr'],
  ['device', '/dev/kmem-copy'],
  ['device', '/dev/sda-copy'],
  ['world-writable', '/scratch'],
  ['world-writable', '/etc/open-file'],
  ['foreign-owner', '/home/alice/notes'],
  ['absolute-symlink', '/etc/abs-link'],
  ['escaping-symlink', '/lib/escape'],
];

export function plantTree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-plant-'));
  const mk = (p: string) => fs.mkdirSync(path.join(root, p), { recursive: true, mode: 0o755 });
  for (const d of ['bin', 'dev', 'etc', 'lib', 'home/alice', 'tmp', 'scratch', 'usr/share/doc']) mk(d);
  fs.chmodSync(root, 0o755);
  const file = (p: string, mode: number, body = 'x\n') => {
    fs.writeFileSync(path.join(root, p), body);
    fs.chmodSync(path.join(root, p), mode);
  };
  file('bin/su-copy', 0o4755);
  file('bin/sg-copy', 0o2755);
  file('bin/cap-copy', 0o755);
  execFileSync('setcap', ['cap_setuid,cap_net_raw+ep', path.join(root, 'bin/cap-copy')]);
  file('etc/with-xattr', 0o644);
  const py = spawnSync('/usr/bin/python3', [
    '-c',
    'import os,sys; os.setxattr(sys.argv[1], "user.origin", b"planted\\x00bytes\\n")',
    path.join(root, 'etc/with-xattr'),
  ]);
  if (py.status !== 0) throw new Error(`setxattr failed: ${py.stderr}`);
  execFileSync('mknod', [path.join(root, 'dev/kmem-copy'), 'c', '1', '2']);
  execFileSync('mknod', [path.join(root, 'dev/sda-copy'), 'b', '8', '0']);
  fs.chmodSync(path.join(root, 'dev/kmem-copy'), 0o640);
  fs.chmodSync(path.join(root, 'dev/sda-copy'), 0o640);
  fs.chmodSync(path.join(root, 'scratch'), 0o777);
  fs.chmodSync(path.join(root, 'tmp'), 0o1777); // sticky: not a finding
  file('etc/open-file', 0o666);
  file('home/alice/notes', 0o644);
  fs.chownSync(path.join(root, 'home/alice/notes'), 1234, 4321);
  fs.symlinkSync('/etc/passwd', path.join(root, 'etc/abs-link'));
  fs.symlinkSync('../../../../etc/shadow', path.join(root, 'lib/escape'));
  fs.symlinkSync('../etc/with-xattr', path.join(root, 'lib/inside-link')); // relative, stays inside: not a finding
  file('usr/share/doc/readme', 0o644, 'ordinary\n');
  fs.linkSync(path.join(root, 'usr/share/doc/readme'), path.join(root, 'usr/share/doc/readme-hardlink'));
  execFileSync('mkfifo', [path.join(root, 'tmp/fifo')]);
  return root;
}
