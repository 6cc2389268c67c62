// The execution control list: written from the sample keyring, read back by go-toml (the TOML library family the
// runtimes use) and judged by the runtimes' own validation rules; `check` audits an ecl.toml on a host tree.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCheck } from '../../../src/cli/check-command.js';
import { parseEcl, validateEcl } from '../../../src/image/sif/ecl.js';
import { FIXTURES, REPO } from '../../helpers/tree.js';
import { runMain } from '../../helpers/run-main.js';
import { tempDir } from '../../helpers/write-sif.js';

const KEYS = path.join(REPO, '../shared/reference/sif-samples/keys');
const skip = !fs.existsSync(KEYS) && !process.env.CI ? 'needs ../shared/reference/sif-samples/keys' : false;
const haveTomljson = spawnSync('tomljson', ['-h'], { stdio: 'ignore' }).error === undefined;
const skipToml =
  skip || (!haveTomljson && !process.env.CI ? 'needs tomljson (golang-github-pelletier-go-toml)' : false);
const work = tempDir('ctrsafe-ecl-');
after(() => fs.rmSync(work, { recursive: true, force: true }));
const PGP_FPR = '12045C8C0B1004D058DE4BEDA20C27EE7FF7BA84';

/** The ECL as go-toml reads it: tomljson prints the document as JSON, or fails on a TOML error. */
function goToml(file: string): Record<string, unknown> {
  const r = spawnSync('tomljson', [file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tomljson rejected ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const realDir = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
};

test(
  'an ecl.toml written from the sample keyring parses in go-toml as the runtimes expect and validates',
  { skip: skipToml },
  async () => {
    const images = fs.realpathSync(fs.mkdtempSync(path.join(work, 'images-')));
    const out = path.join(work, 'ecl.toml');
    const r = await runMain(['image', 'ecl', '--keyring', KEYS, '--path', images, '--path', '/', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote .*ecl\.toml: 1 OpenPGP key, 2 execgroups/);
    assert.match(r.stderr, /3 PEM keys not in the ECL/);
    assert.equal(fs.statSync(out).mode & 0o777, 0o644);
    const doc = goToml(out);
    // The fields syecl.go's EclConfig and Execgroup read, with the types they decode into.
    assert.deepEqual(doc, {
      activated: true,
      legacyinsecure: false,
      execgroup: [
        { tagname: 'ctrsafe-site-keys-1', mode: 'whitelist', dirpath: images, keyfp: [PGP_FPR] },
        { tagname: 'ctrsafe-site-keys-2', mode: 'whitelist', dirpath: '/', keyfp: [PGP_FPR] },
      ],
    });
    const cfg = parseEcl(fs.readFileSync(out, 'utf8'));
    assert.deepEqual(validateEcl(cfg, realDir), []);
    // Written again over itself: replaced, not appended, never through a link.
    fs.rmSync(out);
    fs.symlinkSync(path.join(work, 'elsewhere'), out);
    assert.equal((await runMain(['image', 'ecl', '--keyring', KEYS, '-o', out])).code, 0);
    assert.ok(!fs.existsSync(path.join(work, 'elsewhere')), 'nothing was written through the link');
    assert.ok(fs.lstatSync(out).isFile());
    assert.deepEqual(
      (goToml(out).execgroup as { dirpath: string }[]).map((g) => g.dirpath),
      [''],
    );
  },
);

test(
  'ecl refuses what the runtimes would refuse: PEM-only keyrings, unresolved paths, writable directories',
  { skip },
  async () => {
    let r = await runMain(['image', 'ecl', '--keyring', path.join(KEYS, 'rsa-public.pem')]);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /no OpenPGP public key; an ECL lists OpenPGP fingerprints only/);
    fs.symlinkSync('/tmp', path.join(work, 'tmp-link'));
    r = await runMain(['image', 'ecl', '--keyring', KEYS, '--path', path.join(work, 'tmp-link')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not clean with links resolved \(\/tmp\)/);
    r = await runMain(['image', 'ecl', '--keyring', KEYS, '--path', '/no/such/dir']);
    assert.match(r.stderr, /dirpath \/no\/such\/dir does not exist/);
    const open = path.join(work, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    r = await runMain(['image', 'ecl', '--keyring', KEYS, '-o', path.join(open, 'ecl.toml')]);
    assert.equal(r.code, 4);
    assert.match(
      r.stderr,
      /open: others can write this directory \(owner uid 0 \(root\), mode 0777\): ctrsafe writes only in a directory/,
    );
  },
);

test('validateEcl applies syecl ValidateConfig: one group per dirpath, known modes, 40-hex fingerprints', () => {
  const cfg = parseEcl(
    [
      'activated = true',
      '[[execgroup]]',
      'mode = "allow"',
      'dirpath = "/data"',
      'keyfp = ["ABCD"]',
      '[[execgroup]]',
      'mode = "whitelist"',
      'dirpath = "/data"',
    ].join('\n'),
  );
  assert.deepEqual(
    validateEcl(cfg, (p) => p),
    [
      'execgroup 1: mode "allow" is not whitelist, whitestrict or blacklist',
      'execgroup 1: keyfp "ABCD" is not a 40-hex fingerprint',
      'execgroup 2: dirpath "/data" appears in more than one execgroup',
    ],
  );
  assert.throws(() => parseEcl('activated = "yes"'), /activated must be true or false/);
  assert.throws(() => parseEcl('activated = tru'), /not valid TOML/);
});

function hostWith(files: Record<string, string>): string {
  const dir = path.join(work, `host-${Object.keys(files).length}-${Math.random().toString(36).slice(2)}`);
  fs.cpSync(path.join(FIXTURES, 'apptainer-setuid'), dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text, { mode: 0o644 });
  }
  return dir;
}

async function eclResults(files: Record<string, string>): Promise<Record<string, string>> {
  const { report } = await runCheck({ root: hostWith(files) });
  return Object.fromEntries(
    report.findings
      .filter((f) => /^CS-R02[0-3]$/.test(f.id))
      .map((f) => [f.id, `${f.status}: ${f.evidence ?? ''}`]),
  );
}

test(
  'check audits the ECL on every run: off, legacy signatures allowed, invalid, or not enforceable',
  { skip },
  async () => {
    const key = fs.readFileSync(path.join(KEYS, 'pgp-public.asc'), 'utf8');
    // No site keyring and the packaged "activated = false": nothing to demand of the list.
    let r = await eclResults({ 'etc/apptainer/ecl.toml': 'activated = false\n' });
    assert.match(r['CS-R020']!, /^not-applicable/);
    // The site trusts an OpenPGP key, but the list is off.
    r = await eclResults({
      'etc/apptainer/ecl.toml': 'activated = false\n',
      'etc/ctrsafe/keys/site.asc': key,
    });
    assert.match(r['CS-R020']!, /^fail/);
    // On, with legacy signatures allowed.
    const legacy = [
      'activated = true',
      'legacyinsecure = true',
      '[[execgroup]]',
      'tagname = "x"',
      'mode = "whitelist"',
      'dirpath = ""',
      `keyfp = ["${'A'.repeat(40)}"]`,
    ].join('\n');
    r = await eclResults({ 'etc/apptainer/ecl.toml': legacy, 'etc/ctrsafe/keys/site.asc': key });
    assert.match(r['CS-R020']!, /^pass/);
    assert.match(r['CS-R021']!, /^fail/);
    assert.match(r['CS-R022']!, /^pass/);
    // The fixture runs Apptainer setuid with user namespaces open: the list binds nobody.
    assert.match(r['CS-R023']!, /^fail/);
    // A list Apptainer cannot parse is ignored by it: off, and a problem.
    r = await eclResults({ 'etc/apptainer/ecl.toml': 'activated = yes\n', 'etc/ctrsafe/keys/site.asc': key });
    assert.match(r['CS-R020']!, /^fail/);
    assert.match(r['CS-R022']!, /^fail/);
    // ctrsafe's own list, written from the keyring, passes what it can pass.
    const written = (await runMain(['image', 'ecl', '--keyring', KEYS])).stdout;
    r = await eclResults({ 'etc/apptainer/ecl.toml': written, 'etc/ctrsafe/keys/site.asc': key });
    assert.deepEqual(
      [r['CS-R020'], r['CS-R021'], r['CS-R022']].map((x) => x!.split(':')[0]),
      ['pass', 'pass', 'pass'],
    );
  },
);
