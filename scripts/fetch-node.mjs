// Prints the path of the Node.js binary ctrsafe embeds and tests against (package.json "ctrsafe.node", an LTS line),
// fetched once from the npm registry's node-linux-<arch> package into node_modules/.cache; npm checks the tarball's
// integrity against the registry's sha512. Used by scripts/build-sea.mjs and by scripts/test.sh's second run.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = pkg.ctrsafe?.node;
const fail = (why) => {
  console.error(`fetch-node: ${why}`);
  process.exit(1);
};
if (!/^\d+\.\d+\.\d+$/.test(version ?? '')) fail('package.json has no "ctrsafe": { "node": "X.Y.Z" }');
if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch))
  fail(`no node-linux-${process.arch} package for ${process.platform}; build on linux x64 or arm64`);
const name = `node-linux-${process.arch}`;
const dir = path.join(root, 'node_modules/.cache/ctrsafe-node', `${name}-${version}`);
const bin = path.join(dir, 'package/bin/node');

function works(file) {
  try {
    return execFileSync(file, ['--version'], { encoding: 'utf8' }).trim() === `v${version}`;
  } catch {
    return false;
  }
}

if (!works(bin)) {
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    const tgz = execFileSync('npm', ['pack', '--silent', `${name}@${version}`, '--pack-destination', tmp], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp]);
    fs.rmSync(path.join(tmp, tgz));
    if (!works(path.join(tmp, 'package/bin/node')))
      fail(`${name}@${version} did not give a working node v${version}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    fail(`could not fetch ${name}@${version} from the npm registry: ${String(e.message).split('\n')[0]}`);
  }
}
console.log(bin);
