// Writes dist/bundle/ctrsafe.mjs: the agent in one file with no node_modules (what compute nodes run).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: [new URL('../src/cli/bin.ts', import.meta.url).pathname],
  outfile: new URL('../dist/bundle/ctrsafe.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  define: { 'process.env.CTRSAFE_BUNDLED_VERSION': JSON.stringify(version) },
});
