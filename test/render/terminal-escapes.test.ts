// Control characters from a tree or an image reach no terminal (issue 13, item 3): a hostile os-release that sets
// the window title, clears the screen and prints a fake "0 failed, host OK" is shown escaped in every text output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { escapeControl, escapeStrings } from '../../src/render/terminal-text.js';
import { runMain } from '../helpers/run-main.js';
import { FIXTURES, writeTree } from '../helpers/tree.js';

const FORGED = '\x1b]0;pwned\x07\x1b[2J\x1b[H\r\n0 passed, 0 failed, 0 unknown. host OK\u202e\x9b31m';
/** Anything a terminal would act on: C0 but newline, DEL, C1, bidi overrides. */
// eslint-disable-next-line no-control-regex -- the test looks for control characters
const ACTIVE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function hostileTree(): string {
  const dir = writeTree({});
  fs.cpSync(path.join(FIXTURES, 'debian12'), dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'etc/os-release'),
    `PRETTY_NAME="Debian ${FORGED}"\nNAME="Debian"\nID=debian\nVERSION_ID="12"\n`,
  );
  fs.writeFileSync(path.join(dir, 'etc/hostname'), `node${FORGED}\n`);
  return dir;
}

test('escapeControl shows every control and format character, and nothing else changes', () => {
  assert.equal(
    escapeControl('a\x1b[2Jb\nc\td\u202ee\x9bf é ü 漢'),
    'a\\x1b[2Jb\\x0ac\\x09d\\u{202e}e\\x9bf é ü 漢',
  );
  assert.deepEqual(escapeStrings({ 'k\x1b': ['v\x07', 1, null, { x: '\r' }] }), {
    'k\\x1b': ['v\\x07', 1, null, { x: '\\x0d' }],
  });
});

test('check --root: a hostile os-release and hostname are shown, not obeyed; the summary line is the real one', async () => {
  const r = await runMain(['check', '--root', hostileTree(), '--format', 'text', '--color', 'always', '-v']);
  assert.equal(r.code, 0, r.stderr);
  // Colour is ctrsafe's own SGR only; strip it, then nothing active may be left.
  // eslint-disable-next-line no-control-regex -- ctrsafe's own colour codes
  const plain = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
  assert.doesNotMatch(plain, ACTIVE);
  assert.match(plain, /\\x1b\]0;pwned\\x07\\x1b\[2J/);
  const summary = plain
    .trim()
    .split('\n')
    .filter((l) => /passed, .*failed/.test(l));
  assert.equal(summary.length, 1, 'one summary line: the forged one stays inside the OS line');
  assert.doesNotMatch(summary[0]!, /host OK/);
  // --explain shows a finding's evidence from the same tree.
  const e = await runMain(['check', '--root', hostileTree(), '--explain', 'CS-K001']);
  assert.doesNotMatch(e.stdout, ACTIVE);
});

test('image audit, gate --image and sanitize notes show hostile member names escaped', async () => {
  const dir = writeTree({});
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(path.join(tree, 'bin'), { recursive: true });
  const evil = path.join(tree, 'bin', `su\x1b[2J\x07`);
  fs.writeFileSync(evil, '#!/bin/sh\n');
  fs.chmodSync(evil, 0o4755);
  const tar = path.join(dir, 'image.tar');
  execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
  const audit = await runMain(['image', 'audit', tar]);
  assert.match(audit.stdout, /^FAIL /, audit.stderr);
  assert.match(audit.stdout, /su\\x1b\[2J\\x07/);
  assert.doesNotMatch(audit.stdout, ACTIVE);
  const gate = await runMain(['gate', '--image', tar, '--cache', path.join(dir, 'cache')]);
  assert.equal(gate.code, 1);
  assert.match(gate.stdout, /^ctrsafe: image refused: setuid \/bin\/su\\x1b\[2J\\x07/);
  assert.doesNotMatch(gate.stdout, ACTIVE);
  const out = path.join(dir, 'clean.sqfs');
  const s = await runMain(['image', 'sanitize', tar, out]);
  assert.equal(s.code, 0, s.stderr);
  assert.doesNotMatch(s.stdout + s.stderr, ACTIVE);
});
