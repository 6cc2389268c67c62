// The code that runs on Node compiles against Node 20's language and API and nothing of the browser's, so that the
// suite's single whole pass (on Node 24) cannot hide a call Node 20 lacks: the compiler refuses it first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, writeTree } from '../helpers/tree.js';

const TSC = path.join(REPO, 'node_modules/typescript/bin/tsc');

/** The names tsc reports missing for a file compiled with the repository's own options; every error is one of them. */
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
  const r = spawnSync(process.execPath, [TSC, '-p', dir, '--pretty', 'false'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const said = `tsc said:\n${r.stdout}${r.stderr}`;
  assert.equal(r.stderr, '', said);
  const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  const names = errors.map(
    (l) => /error TS\d+: (?:Cannot find name|Property) '(\w+)'/.exec(l)?.[1] ?? `unexpected: ${l}`,
  );
  assert.ok(errors.length > 0 || r.status === 0, said);
  return names;
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

test('no file brings a lib or types back into the program with a triple-slash reference', () => {
  // `/// <reference lib="dom" />` in any one file would give the whole program the DOM again, unseen by the probe.
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'fixtures') walk(f);
      else if (
        /\.[cm]?ts$/.test(e.name) &&
        /^\s*\/\/\/\s*<reference\s+(lib|types)=/m.test(fs.readFileSync(f, 'utf8'))
      )
        found.push(f);
    }
  };
  for (const top of ['src', 'test', 'bench']) walk(path.join(REPO, top));
  assert.deepEqual(found, []);
});
