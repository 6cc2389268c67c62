// Generated documents that are checked in must be what the code generates today: the rule catalogue page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runMain } from '../helpers/run-main.js';
import { REPO } from '../helpers/tree.js';

test('docs/rules.md is what `ctrsafe rules --markdown` prints (npm run docs regenerates it)', async () => {
  const r = await runMain(['rules', '--markdown']);
  assert.equal(r.code, 0, r.stderr);
  const page = fs.readFileSync(path.join(REPO, 'docs/rules.md'), 'utf8');
  assert.ok(page.length > 1000);
  assert.equal(page, r.stdout, 'docs/rules.md is out of date: run npm run docs');
});
