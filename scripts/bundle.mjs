// Writes dist/bundle/ctrsafe.cjs, the agent in one file with no node_modules (what compute nodes run), and
// dist/bundle/ctrsafe-launch.cjs, the package's bin: it turns on Node's compile cache, then loads the agent.
import { build } from 'esbuild';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/**
 * openpgp.js (~400 KB) is needed only to verify a PGP-signed SIF. Bundled as code, V8 would pre-parse it on every
 * start (~30 ms); kept as gzipped base64 text (~150 KB to scan), it is inflated and compiled the first time a PGP
 * signature is read. Its CommonJS build needs only Node built-ins, so the bundle's own require serves it (in a single
 * executable too). It stays one unit, replaceable as its LGPL asks: the text is openpgp's own dist/node build.
 */
const lazyOpenpgp = {
  name: 'lazy-openpgp',
  setup(b) {
    b.onResolve({ filter: /^openpgp$/ }, () => ({ path: 'openpgp', namespace: 'lazy-openpgp' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-openpgp' }, () => {
      // The package's "require" export: dist/node/openpgp.min.cjs.
      const file = createRequire(import.meta.url).resolve('openpgp');
      const packed = gzipSync(readFileSync(file), { level: 9 }).toString('base64');
      return {
        loader: 'js',
        contents: [
          `const vm = require('node:vm');`,
          `const { gunzipSync } = require('node:zlib');`,
          `const m = { exports: {} };`,
          `/* openpgp.js dist/node/openpgp.min.cjs (LGPL-3.0-or-later, https://github.com/openpgpjs/openpgpjs), gzip, base64 */`,
          `const source = gunzipSync(Buffer.from(${JSON.stringify(packed)}, 'base64')).toString('utf8');`,
          `const wrapper = vm.runInThisContext('(function (exports, require, module, __filename, __dirname) {' + source + '\\n})', { filename: '/openpgp.min.cjs' });`,
          `wrapper(m.exports, require, m, '/openpgp.min.cjs', '/');`,
          `module.exports = m.exports;`,
        ].join('\n'),
      };
    });
  },
};

await build({
  entryPoints: [new URL('../src/cli/bin.ts', import.meta.url).pathname],
  outfile: new URL('../dist/bundle/ctrsafe.cjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  // CommonJS: node: built-ins are then required inside each module's lazy initialiser, so a check never loads the
  // image readers' zlib/stream/crypto machinery (ESM imports of built-ins would all load at start-up).
  format: 'cjs',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  // The fleet server's database drivers stay in node_modules (better-sqlite3 is native); compute-node commands never load them.
  external: ['better-sqlite3', 'pg'],
  plugins: [lazyOpenpgp],
  define: { 'process.env.CTRSAFE_BUNDLED_VERSION': JSON.stringify(version) },
});

/**
 * The launcher: Node >= 22.1 keeps V8's compiled code of the bundle between runs (module.enableCompileCache), so a
 * start skips most of the bundle's parse and compile. The cache is code Node will run, so it lives only where no
 * other user can write: root's under /var/cache/ctrsafe (where the gate keeps its image verdicts) when that
 * directory is root's and closed to others, a user's under their own cache directory; nowhere else (never /tmp).
 */
const launcher = `#!/usr/bin/env node
'use strict';
const fs = require('node:fs');
const mod = require('node:module');
function compileCacheDir() {
  const uid = process.getuid ? process.getuid() : -1;
  if (uid === 0) {
    const st = fs.lstatSync('/var/cache/ctrsafe', { throwIfNoEntry: false });
    return st && st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0 ? '/var/cache/ctrsafe/compile' : null;
  }
  const home = process.env.XDG_CACHE_HOME || (process.env.HOME ? process.env.HOME + '/.cache' : null);
  return home && home.startsWith('/') ? home + '/ctrsafe/compile' : null;
}
if (typeof mod.enableCompileCache === 'function' && !process.env.NODE_COMPILE_CACHE) {
  try {
    const dir = compileCacheDir();
    if (dir) mod.enableCompileCache(dir);
  } catch {
    // A cache that cannot be used costs a slower start, nothing else.
  }
}
require('./ctrsafe.cjs');
`;
const launcherFile = new URL('../dist/bundle/ctrsafe-launch.cjs', import.meta.url).pathname;
writeFileSync(launcherFile, launcher);
chmodSync(launcherFile, 0o755);
