// Prints the path of the Node.js binary ctrsafe embeds and tests against (package.json "ctrsafe.node", an LTS line),
// fetched once from the npm registry's node-linux-<arch> package into node_modules/.cache; npm checks the tarball's
// integrity against the registry's sha512. Used by scripts/build-sea.mjs and by scripts/test.sh's second run.
// `node scripts/fetch-node.mjs arm64` fetches another architecture's Node (for the arm64 packages): it cannot run
// here, so it is checked by its ELF header instead of by running it. `--line=22` fetches the other LTS line ctrsafe
// supports ("ctrsafe": { "node22": ... }), which the tests run the bundle on.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const fail = (why) => {
  console.error(`fetch-node: ${why}`);
  process.exit(1);
};
const args = process.argv.slice(2);
const line = args.find((a) => a.startsWith('--line='))?.slice('--line='.length);
const key = line === undefined ? 'node' : `node${line}`;
const version = pkg.ctrsafe?.[key];
if (!/^\d+\.\d+\.\d+$/.test(version ?? '')) fail(`package.json has no "ctrsafe": { "${key}": "X.Y.Z" }`);
const arch = args.find((a) => !a.startsWith('--')) ?? process.arch;
if (process.platform !== 'linux' || !['x64', 'arm64'].includes(arch))
  fail(`no node-linux-${arch} package for ${process.platform}; build on linux, for x64 or arm64`);
const name = `node-linux-${arch}`;
const dir = path.join(root, 'node_modules/.cache/ctrsafe-node', `${name}-${version}`);
const bin = path.join(dir, 'package/bin/node');

/** ELF e_machine of a 64-bit little-endian executable (elf(5)): 62 x86-64, 183 AArch64; null if not one. */
function elfMachine(file) {
  try {
    const fd = fs.openSync(file, 'r');
    const h = Buffer.alloc(20);
    fs.readSync(fd, h, 0, 20, 0);
    fs.closeSync(fd);
    const elf = h.readUInt32BE(0) === 0x7f454c46 && h[4] === 2 && h[5] === 1;
    return elf ? h.readUInt16LE(18) : null;
  } catch {
    return null;
  }
}

/** This Node runs and says its version; another architecture's is the right ELF with the right package version. */
function works(file) {
  if (arch !== process.arch) {
    const pkgFile = path.join(path.dirname(path.dirname(file)), 'package.json');
    const v = fs.existsSync(pkgFile) ? JSON.parse(fs.readFileSync(pkgFile, 'utf8')).version : null;
    return elfMachine(file) === { x64: 62, arm64: 183 }[arch] && v === version;
  }
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
