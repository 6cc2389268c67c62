// The command declarations: every command's help lists every option, help and --help agree, settings come from the
// command line, then the environment, then ctrsafe.conf, and a configuration others could write is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { loadConfig, settingsFor } from '../../src/cli/config-file.js';
import { parseCommandLine } from '../../src/cli/options.js';
import { findCommand, optionsOf, type CommandSpec } from '../../src/cli/spec.js';
import { runMain } from '../helpers/run-main.js';
import { REPO, writeTree } from '../helpers/tree.js';

function leaves(
  list: readonly CommandSpec[],
  prefix: string[] = [],
): { spec: CommandSpec; words: string[] }[] {
  return list.flatMap((c) => [
    ...(c.load ? [{ spec: c, words: [...prefix, c.name] }] : []),
    ...leaves(c.subcommands ?? [], [...prefix, c.name]),
  ]);
}

test('every command answers --help and "help", listing each of its options', async () => {
  const all = leaves(COMMANDS);
  assert.ok(all.length >= 15, `${all.length} commands`);
  for (const { spec, words } of all) {
    const a = await runMain([...words, '--help']);
    assert.equal(a.code, 0, `${words.join(' ')} --help: ${a.stderr}`);
    const b = await runMain(['help', ...words]);
    assert.equal(b.stdout, a.stdout, `help ${words.join(' ')} and ${words.join(' ')} --help differ`);
    assert.match(a.stdout, new RegExp(`^Usage: ctrsafe ${words.join(' ')}`));
    for (const o of optionsOf(spec).filter((x) => !x.hidden))
      assert.ok(a.stdout.includes(`--${o.name}`), `${words.join(' ')} --help lacks --${o.name}`);
    for (const o of optionsOf(spec).filter((x) => x.hidden))
      assert.ok(!a.stdout.includes(`--${o.name} `), `${words.join(' ')} --help shows internal --${o.name}`);
  }
  // Group commands: their help lists their subcommands; with nothing after them, help and exit 2.
  const groups = (
    list: readonly CommandSpec[],
    prefix: string[] = [],
  ): { g: CommandSpec; words: string[] }[] =>
    list.flatMap((c) => [
      ...(c.subcommands?.length && !c.load ? [{ g: c, words: [...prefix, c.name] }] : []),
      ...groups(c.subcommands ?? [], [...prefix, c.name]),
    ]);
  assert.ok(groups(COMMANDS).some(({ words }) => words.join(' ') === 'run cache'));
  for (const { g, words } of groups(COMMANDS)) {
    const r = await runMain(words);
    assert.equal(r.code, 2);
    for (const s of g.subcommands!) assert.match(r.stdout, new RegExp(`\\n  ${s.name} `));
  }
  const top = await runMain(['--help']);
  for (const { words } of all)
    assert.ok(top.stdout.includes(`  ${words.join(' ')} `), `top help lacks ${words.join(' ')}`);
});

test('mistakes are one line, exit 2, with a suggestion', async () => {
  const cases: [string[], RegExp][] = [
    [['chek'], /unknown command "chek" \(did you mean check\?\)/],
    [['check', '--formt', 'json'], /unknown option --formt for ctrsafe check \(did you mean --format\?\)/],
    [
      ['check', '--format', 'xml'],
      /--format must be one of text, json, sarif, csv, junit, prometheus \(got "xml"\)/,
    ],
    [['image', 'audt', 'x'], /unknown command "image audt" \(did you mean audit\?\)/],
    [['image', 'audit'], /ctrsafe image audit needs IMAGE\.\.\./],
    [
      ['image', 'audit', '/nonexistent/missing.sif'],
      /\/nonexistent\/missing\.sif: no such file or directory/,
    ],
    [['help', 'nosuch'], /help: no command "nosuch"/],
    [['check', 'extra'], /ctrsafe check takes no arguments \(got "extra"\)/],
    [['check', '--probe-timeout', '0'], /--probe-timeout must be a whole number from 1 to 60000/],
  ];
  for (const [argv, want] of cases) {
    const r = await runMain(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: exit ${r.code} ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/);
  }
  // run passes the command's status on, so its own failures are 125 (as podman's), command line included.
  const run = await runMain(['run', '--nosuch', 'img', '--', 'true']);
  assert.equal(run.code, 125);
  assert.match(run.stderr, /^ctrsafe run: unknown option --nosuch/);
});

test('settings: command line, then CTRSAFE_* environment, then ctrsafe.conf, then the default', () => {
  const check = findCommand(COMMANDS, ['check'])!.spec;
  const conf = writeTree({
    'ctrsafe.conf': 'check:\n  format: sarif\n  push: https://fleet.example/\nfleet:\n  db: sqlite:/x.db\n',
  });
  const doc = loadConfig(path.join(conf, 'ctrsafe.conf'), {}, 1000);
  const settings = settingsFor(doc, COMMANDS, ['check']);
  const parse = (argv: string[], env: NodeJS.ProcessEnv) => parseCommandLine(check, argv, env, settings).opts;
  assert.equal(parse([], {}).get('format'), 'sarif');
  assert.equal(parse([], { CTRSAFE_FORMAT: 'csv' }).get('format'), 'csv');
  assert.equal(parse(['--format', 'json'], { CTRSAFE_FORMAT: 'csv' }).get('format'), 'json');
  assert.equal(parse([], {}).get('push'), 'https://fleet.example/');
  assert.match(parse([], {}).label('format'), /ctrsafe\.conf: check\.format \(for --format\)/);
  assert.equal(parseCommandLine(check, [], {}).opts.get('format'), undefined);
  // A section's settings reach its subcommands; fleet.db is for every fleet command.
  assert.equal(settingsFor(doc, COMMANDS, ['fleet', 'nodes']).get('db')?.values[0], 'sqlite:/x.db');
  // A value from the environment is checked like one from the command line, and named as such.
  assert.throws(
    () => parse([], { CTRSAFE_FORMAT: 'yaml' }).choice('format'),
    /CTRSAFE_FORMAT \(for --format\) must be one of/,
  );
});

test('ctrsafe.conf: misspelt settings fail loudly; as root only a file root alone can change is read', () => {
  const bad = (text: string) => {
    const d = writeTree({ 'c.conf': text });
    return () => settingsFor(loadConfig(path.join(d, 'c.conf'), {}, 1000), COMMANDS, ['check']);
  };
  assert.throws(bad('chek:\n  format: json\n'), /unknown section "chek" \(did you mean check\?\)/);
  assert.throws(
    bad('check:\n  formatt: json\n'),
    /check\.formatt: no such setting \(did you mean format\?\)/,
  );
  assert.throws(bad('check: [1, 2]\n'), /check must be a map of settings/);
  assert.throws(bad('check:\n  format: {a: 1}\n'), /check\.format: must be a string/);
  // A named file that does not exist is an error; the default file may be absent.
  assert.throws(() => loadConfig('/nonexistent/ctrsafe.conf', {}, 0), /does not exist/);
  assert.equal(loadConfig(undefined, {}, 1000) === null || fs.existsSync('/etc/ctrsafe/ctrsafe.conf'), true);
  if (process.getuid?.() === 0) {
    const d = writeTree({ 'ctrsafe.conf': 'check:\n  push: https://evil.example/\n' });
    fs.chownSync(path.join(d, 'ctrsafe.conf'), 1000, 1000);
    assert.throws(
      () => loadConfig(path.join(d, 'ctrsafe.conf'), {}, 0),
      /owned by uid 1000 .*only root can change/,
    );
    fs.chownSync(path.join(d, 'ctrsafe.conf'), 0, 0);
    fs.chmodSync(path.join(d, 'ctrsafe.conf'), 0o666);
    assert.throws(() => loadConfig(path.join(d, 'ctrsafe.conf'), {}, 0), /mode 666/);
    fs.chmodSync(path.join(d, 'ctrsafe.conf'), 0o644);
    fs.chmodSync(d, 0o777);
    assert.throws(() => loadConfig(path.join(d, 'ctrsafe.conf'), {}, 0), /its directory .* mode 777/);
  }
});

/** Every `function NAME(...) {...}` of a source file, with its body (braces matched). */
function functionsOf(source: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /(?:export )?(?:async )?function (\w+)\s*(?:<[^>]*>)?\(/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    // Past the parameter list (which may hold braces: a destructured context), then the body's braces.
    let i = re.lastIndex;
    for (let parens = 1; i < source.length && parens > 0; i++)
      parens += source[i] === '(' ? 1 : source[i] === ')' ? -1 : 0;
    const start = source.indexOf('{', i) + 1;
    let depth = 1;
    let j = start;
    for (; j < source.length && depth > 0; j++) depth += source[j] === '{' ? 1 : source[j] === '}' ? -1 : 0;
    out.set(m[1]!, source.slice(start, j));
  }
  return out;
}

test('every option a handler reads is declared for each command that runs it', () => {
  const shared = functionsOf(fs.readFileSync(path.join(REPO, 'src/cli/report-output.ts'), 'utf8'));
  let checked = 0;
  for (const { spec, words } of leaves(COMMANDS)) {
    const m = /import\('\.\.\/([\w-]+)\.js'\)\)\.(\w+)/.exec(String(spec.load));
    assert.ok(m, `${words.join(' ')}: cannot read its handler from ${String(spec.load)}`);
    const fns = new Map([
      ...shared,
      ...functionsOf(fs.readFileSync(path.join(REPO, `src/cli/${m[1]}.ts`), 'utf8')),
    ]);
    const seen = new Set<string>();
    const todo = [m[2]!];
    const used = new Set<string>();
    while (todo.length) {
      const name = todo.pop()!;
      if (seen.has(name) || !fns.has(name)) continue;
      seen.add(name);
      const body = fns.get(name)!;
      for (const u of body.matchAll(/opts\.(?:get|has|all|int|choice|label)(?:<[^>]*>)?\('([a-z-]+)'/g))
        used.add(u[1]!);
      for (const c of body.matchAll(/\b(\w+)\(/g)) todo.push(c[1]!);
    }
    assert.ok(seen.has(m[2]!), `${words.join(' ')}: handler ${m[2]} not found in src/cli/${m[1]}.ts`);
    const declared = new Set(optionsOf(spec).map((o) => o.name));
    for (const u of used)
      assert.ok(declared.has(u), `ctrsafe ${words.join(' ')} reads --${u} but does not declare it`);
    checked += used.size;
  }
  assert.ok(checked > 50, `${checked} option reads checked`);
});
