// Writes dist/bundle/ctrsafe.cjs, the agent in one file with no node_modules (what compute nodes run), and
// dist/bundle/ctrsafe-launch.cjs, the package's bin (scripts/ctrsafe-launch.cjs): it loads the agent with a code cache.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

const unminified = Boolean(process.env.CTRSAFE_UNMINIFIED);
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

/**
 * `import * as fs from 'node:fs'` in 59 modules made esbuild copy fs's hundred properties into a new namespace object
 * (__toESM) in each of them as it was initialised: about 2 ms of every check (issue 16). Each built-in namespace
 * imported that way is one module here, re-exporting the built-in, initialised once and shared; it is still
 * required only when the first module that imports it is initialised.
 */
const sharedBuiltins = {
  name: 'shared-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(fs|path|os|zlib|worker_threads|http)$/ }, (args) =>
      args.namespace === 'shared-builtins' ? undefined : { path: args.path, namespace: 'shared-builtins' },
    );
    b.onLoad({ filter: /.*/, namespace: 'shared-builtins' }, (args) => ({
      loader: 'js',
      contents: `export * from ${JSON.stringify(args.path)};`,
    }));
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
  // CTRSAFE_UNMINIFIED=1 for profiles with names and lines.
  minify: !unminified,
  // No keepNames: its __name() call on every function and class cost about 2 ms of each start (issue 16), and no
  // code reads a function's name (error classes name themselves; messages never show the class).
  keepNames: false,
  legalComments: 'none',
  // The fleet server's database drivers stay in node_modules (better-sqlite3 is native); compute-node commands never load them.
  external: ['better-sqlite3', 'pg'],
  plugins: [lazyOpenpgp, sharedBuiltins],
  define: { 'process.env.CTRSAFE_BUNDLED_VERSION': JSON.stringify(version) },
  // import() of node:sqlite, better-sqlite3 and pg as require(): the launcher runs the bundle as a vm.Script, which
  // has no loader for import() without an experimental option.
  supported: { 'dynamic-import': false },
});

// The package's bin: scripts/ctrsafe-launch.cjs loads the bundle with a V8 code cache (why: its comment). It reads
// the bundle as latin1, the fastest decoding, which is right only while the bundle is ASCII (esbuild's default
// charset escapes everything else in code; an unminified build keeps comments as written, harmless in latin1).
const bundleFile = new URL('../dist/bundle/ctrsafe.cjs', import.meta.url).pathname;
if (!unminified && readFileSync(bundleFile).some((byte) => byte > 0x7f))
  throw new Error('dist/bundle/ctrsafe.cjs is not ASCII');
const launcherFile = new URL('../dist/bundle/ctrsafe-launch.cjs', import.meta.url).pathname;
copyFileSync(new URL('./ctrsafe-launch.cjs', import.meta.url).pathname, launcherFile);
copyFileSync(
  new URL('./code-cache.cjs', import.meta.url).pathname,
  new URL('../dist/bundle/code-cache.cjs', import.meta.url).pathname,
);
chmodSync(launcherFile, 0o755);
