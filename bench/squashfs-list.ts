// Lists a squashfs image with readSquashfsEntries and prints the entry count: the reader's side of bench/image-bench.ts.
import { readSquashfsEntries } from '../src/image/squashfs/read-squashfs.js';

const image = process.argv[2];
if (!image) {
  console.error('usage: squashfs-list IMAGE');
  process.exit(2);
}
let n = 0;
for (const _ of readSquashfsEntries(image)) n++;
console.log(n);
