// Man pages and shell completions are made from the same declarations as --help: every option is in each, groff
// reads the pages without a warning, and bash and zsh complete commands, options and values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, FOOTER, TAGLINE } from '../../src/cli/commands/index.js';
import { renderBashCompletion, renderZshCompletion } from '../../src/cli/render-completion.js';
import { renderManPages } from '../../src/cli/render-man.js';
import { optionsOf, type CommandSpec } from '../../src/cli/spec.js';
import { writeTree } from '../helpers/tree.js';

function leaves(
  list: readonly CommandSpec[],
  prefix: string[] = [],
): { spec: CommandSpec; words: string[] }[] {
  return list.flatMap((c) => [
    ...(c.load ? [{ spec: c, words: [...prefix, c.name] }] : []),
    ...leaves(c.subcommands ?? [], [...prefix, c.name]),
  ]);
}

const pages = renderManPages(COMMANDS, TAGLINE, FOOTER, '2026-12-06', '0.1.0');

test('a man page per command names every option; groff reads every page without a warning', () => {
  assert.deepEqual(
    pages.map((p) => p.file).sort(),
    ['ctrsafe.1', 'ctrsafe.conf.5', ...COMMANDS.map((c) => `ctrsafe-${c.name}.1`)].sort(),
  );
  for (const { spec, words } of leaves(COMMANDS)) {
    const page = pages.find((p) => p.file === `ctrsafe-${words[0]}.1`)!;
    for (const o of optionsOf(spec).filter((x) => !x.hidden))
      assert.ok(
        page.text.includes(`\\-\\-${o.name.replace(/-/g, '\\-')}`),
        `${page.file} lacks --${o.name} (${words.join(' ')})`,
      );
  }
  const conf = pages.find((p) => p.file === 'ctrsafe.conf.5')!;
  assert.match(conf.text, /\.SS fleet\.serve\n/);
  const dir = writeTree(Object.fromEntries(pages.map((p) => [p.file, p.text])));
  for (const p of pages) {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', path.join(dir, p.file)], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', `${p.file}: ${r.stderr}`);
  }
});

/** What bash's completion offers after `ctrsafe WORDS`, the last word being completed. */
function bashComplete(script: string, words: string[]): string[] {
  const line = ['ctrsafe', ...words];
  const quoted = line.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = execFileSync(
    'bash',
    [
      '--norc',
      '-c',
      `source "$1"; COMP_WORDS=(${quoted}); COMP_CWORD=${line.length - 1}; _ctrsafe; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'x',
      script,
    ],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean);
}

test('bash completes commands, every option of every command, and option values', () => {
  const script = path.join(writeTree({ 'ctrsafe.bash': renderBashCompletion(COMMANDS) }), 'ctrsafe.bash');
  execFileSync('bash', ['-n', script]);
  assert.deepEqual(bashComplete(script, ['ch']), ['check']);
  assert.deepEqual(bashComplete(script, ['image', '']).sort(), ['audit', 'ecl', 'sanitize', 'verify']);
  for (const { spec, words } of leaves(COMMANDS)) {
    const offered = new Set(bashComplete(script, [...words, '-']));
    for (const o of optionsOf(spec).filter((x) => !x.hidden))
      assert.ok(offered.has(`--${o.name}`), `bash: ctrsafe ${words.join(' ')} - lacks --${o.name}`);
  }
  assert.deepEqual(bashComplete(script, ['check', '--format', 'js']), ['json']);
  assert.deepEqual(bashComplete(script, ['fleet', 'nodes', '--format', '']).sort(), ['csv', 'json', 'text']);
  const d = writeTree({ 'sub/x': '' });
  assert.deepEqual(bashComplete(script, ['check', '--root', `${d}/s`]), [`${d}/sub`]);
});

test('zsh reads its completion script', (t) => {
  if (spawnSync('zsh', ['--version']).error) return t.skip('zsh is not installed');
  const file = path.join(writeTree({ _ctrsafe: renderZshCompletion(COMMANDS) }), '_ctrsafe');
  const r = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const text = fs.readFileSync(file, 'utf8');
  for (const { spec, words } of leaves(COMMANDS)) {
    assert.ok(text.includes(`("${words.join(' ')}") _arguments`), `zsh: no case for ${words.join(' ')}`);
    for (const o of optionsOf(spec).filter((x) => !x.hidden))
      assert.ok(text.includes(`--${o.name}`), `zsh lacks --${o.name}`);
  }
});
