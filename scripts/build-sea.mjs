// Writes dist/sea/ctrsafe: the agent as one executable (Node's single executable applications), for compute nodes
// that have neither Node nor npm. Built from dist/bundle/ctrsafe.cjs; the fleet server's database drivers stay out.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url).pathname;
const out = `${root}dist/sea`;
fs.mkdirSync(out, { recursive: true });
const config = {
  main: `${root}dist/bundle/ctrsafe.cjs`,
  output: `${out}/sea-prep.blob`,
  disableExperimentalSEAWarning: true,
  // V8's code cache in the blob: the executable starts without compiling the bundle again (Node SEA docs).
  useCodeCache: true,
};
fs.writeFileSync(`${out}/sea-config.json`, JSON.stringify(config, null, 2));
execFileSync(process.execPath, ['--experimental-sea-config', `${out}/sea-config.json`], { stdio: 'inherit' });
fs.copyFileSync(process.execPath, `${out}/ctrsafe`);
fs.chmodSync(`${out}/ctrsafe`, 0o755);
// The fuse is the sentinel Node's SEA support looks for (nodejs.org/api/single-executable-applications.html).
const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
execFileSync(
  process.execPath,
  [
    postject,
    `${out}/ctrsafe`,
    'NODE_SEA_BLOB',
    `${out}/sea-prep.blob`,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: 'inherit' },
);
fs.rmSync(`${out}/sea-prep.blob`);
console.log(`wrote ${out}/ctrsafe`);
