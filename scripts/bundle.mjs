// Writes dist/bundle/ctrsafe.cjs: the agent in one file with no node_modules (what compute nodes run).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
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
  define: { 'process.env.CTRSAFE_BUNDLED_VERSION': JSON.stringify(version) },
});
