// Writes dist/sea/ctrsafe: the agent as one executable (Node's single executable applications) for compute nodes
// that have neither Node nor npm, embedding the Node LTS that package.json pins ("ctrsafe.node", fetched by
// scripts/fetch-node.mjs) — never the machine's own Node, which may be past its end of life or built without SEA
// support (Debian's is). Built from dist/bundle/ctrsafe.cjs (with its own code cache; the npm bin's launcher is not needed); the fleet server's database drivers stay out.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url).pathname;
const out = `${root}dist/sea`;
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
let node;
try {
  node = execFileSync(process.execPath, [`${root}scripts/fetch-node.mjs`], { encoding: 'utf8' }).trim();
} catch {
  fail('no Node binary to embed (see the fetch-node message above)');
}
fs.mkdirSync(out, { recursive: true });
const config = {
  main: `${root}dist/bundle/ctrsafe.cjs`,
  output: blob,
  disableExperimentalSEAWarning: true,
  // V8's code cache in the blob: the executable starts without compiling the bundle again (Node SEA docs).
  useCodeCache: true,
};
fs.writeFileSync(`${out}/sea-config.json`, JSON.stringify(config, null, 2));
try {
  // The blob must come from the same Node that runs it: its code cache is tied to that V8.
  execFileSync(node, ['--experimental-sea-config', `${out}/sea-config.json`], { stdio: 'inherit' });
  fs.copyFileSync(node, tmp);
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
  const v = execFileSync(tmp, ['--version'], { encoding: 'utf8' });
  if (!/^ctrsafe /.test(v))
    fail(`the executable did not start as ctrsafe (it printed ${JSON.stringify(v.slice(0, 80))})`);
} catch (e) {
  fail(String(e.message).split('\n')[0]);
}
fs.rmSync(blob, { force: true });
fs.renameSync(tmp, `${out}/ctrsafe`);
console.log(`wrote ${out}/ctrsafe (Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()})`);
