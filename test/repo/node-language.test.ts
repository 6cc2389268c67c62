// The code that runs on Node compiles against Node 20's language and API and nothing of the browser's, so that the
// suite's single whole pass (on Node 24) cannot hide a call Node 20 lacks: the compiler refuses it first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO, writeTree } from '../helpers/tree.js';

const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');

/** tsc's error codes and names for a file compiled with the repository's own options. */
function compile(source: string): string[] {
  const dir = writeTree({
    'tsconfig.json': JSON.stringify({
      extends: path.join(REPO, 'tsconfig.json'),
      compilerOptions: { noEmit: true, rootDir: '.', typeRoots: [path.join(REPO, 'node_modules/@types')] },
      include: ['probe.ts'],
      exclude: [],
    }),
    'probe.ts': source,
  });
  const r = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8', timeout: 60_000 });
  assert.ok(r.status !== null, r.stderr);
  return [
    ...r.stdout.matchAll(
      /error (TS\d+): Cannot find name '(\w+)'|error (TS\d+): Property '(\w+)' does not exist/g,
    ),
  ].map((m) => m[2] ?? m[4]!);
}

test('a browser global, an ES2023 built-in or a Node API newer than 20 in src/ is a type error', () => {
  const errors = compile(
    [
      "import * as fs from 'node:fs';",
      'export const title = document.title;',
      'export const where = window.location.href;',
      'export const sorted = [3, 1].toSorted();',
      "export const files = fs.globSync('*');",
      "export const ok = [fs.existsSync('/'), structuredClone({ a: 1 }), new TextDecoder(), AbortSignal.timeout(1)];",
    ].join('\n'),
  );
  assert.deepEqual(errors.sort(), ['document', 'globSync', 'toSorted', 'window']);
});
