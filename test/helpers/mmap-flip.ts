// An image owner's attack on judge-then-use: flips bytes of a file through a shared writable mapping, in a loop.
// Writes to pages that are already dirty change neither mtime nor ctime, so (device, inode, size, mtime, ctime)
// stays the same while readers see one version or the other (issue 13).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

const FLIPPER = `
import mmap, os, sys
path, off = sys.argv[1], int(sys.argv[2])
a, b = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
fd = os.open(path, os.O_RDWR)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
n = len(a)
sys.stdout.write("ready\\n"); sys.stdout.flush()
while True:
    m[off:off + n] = a
    m[off:off + n] = b
`;

/** The byte ranges where two files of one size differ: the first differing offset and both versions from there. */
export function differingSpan(a: Buffer, b: Buffer): { offset: number; a: Buffer; b: Buffer } {
  if (a.length !== b.length) throw new Error('the two versions must have one size');
  let first = -1;
  let last = -1;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i]) {
      if (first < 0) first = i;
      last = i;
    }
  if (first < 0) throw new Error('the two versions are the same');
  return { offset: first, a: a.subarray(first, last + 1), b: b.subarray(first, last + 1) };
}

/** Starts flipping FILE between the two versions A and B (same size); resolves once the mapping is in place. */
export async function startFlipping(file: string, a: Buffer, b: Buffer): Promise<ChildProcess> {
  const span = differingSpan(a, b);
  fs.writeFileSync(file, a);
  const child = spawn(
    '/usr/bin/python3',
    ['-c', FLIPPER, file, String(span.offset), span.a.toString('hex'), span.b.toString('hex')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c) => reject(new Error(`the flipper exited (${c})`)));
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
  });
  return child;
}

export async function stopFlipping(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  const done = new Promise((r) => child.on('close', r));
  child.kill('SIGKILL');
  await done;
}
